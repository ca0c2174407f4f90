"""Signing in and out, passwords, the API's bearer tokens, and ending them all at once.

``authenticate`` checks a username and password; limits on failures are the edge's
(``app.rate_limits``).

A sign-in is a ``UserSession`` row (``open_session``): the browser's cookie carries only a
random 256-bit secret and the row its SHA-256 digest. Deleting the row ends the session, at
once and on every app process: signing out, ending it from one's list of sign-ins,
``end_sessions`` (signing out everywhere, a password change or reset, deactivation), or
``purge_sessions`` once it is idle or past its lifetime.

A token is 32 random bytes (base64url) behind the prefix ``tkv_``; only its SHA-256
digest is stored (``app.issued_secrets``), so the table cannot be replayed. It lives as
long as a web session may idle (staff 30 minutes, clients 10 by default) and cannot be
extended: a partner system asks for a new one. It ends early when revoked, when the
account is deactivated, and with ``end_sessions``. Functions flush and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from app.accounts.rules import (
    TOKEN_PREFIX,
    TOUCH_EVERY,
    SessionEnd,
    SessionLimits,
    SignInRefusal,
    check_password,
    personal_words,
)
from app.issued_secrets import new_token, spend_a_check, token_digest
from app.models import Role, User
from app.models.api_token import ApiToken
from app.models.user_session import UserSession
from app.refusals import N_, Conflict, Refused


def verify_password(hasher: PasswordHasher, user: User | None, password: str) -> bool:
    """Check a password in constant work whether or not the user exists; rehash when stale."""
    if user is None or user.password_hash is None:
        spend_a_check(hasher, password)  # timing does not reveal which usernames exist
        return False
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def verify_credentials(
    session: Session, hasher: PasswordHasher, username: str, password: str
) -> User | SignInRefusal:
    """The active user whose password this is, or why not; nothing is recorded.

    An unknown username costs the same work as a known one, so timing does not tell them
    apart, and the refusal is the same. No account is ever locked: the edge limits failed
    attempts per address and per username at an address (``app.rate_limits``), so an
    attacker cannot lock the owner out. A right password is not yet a sign-in: that is
    ``record_sign_in`` (after the second factor, if any).
    """
    user = session.scalar(select(User).where(User.username == username))
    if verify_password(hasher, user, password) and user is not None and user.active:
        return user
    return SignInRefusal.WRONG


def record_sign_in(session: Session, user: User, *, now: datetime) -> None:
    """A sign-in is complete."""
    user.last_login_at = now
    session.flush()


def authenticate(
    session: Session, hasher: PasswordHasher, username: str, password: str, *, now: datetime
) -> User | SignInRefusal:
    """The active user these credentials sign in, or why not: a password-only sign-in."""
    result = verify_credentials(session, hasher, username, password)
    if isinstance(result, User):
        record_sign_in(session, result, now=now)
    return result


@dataclass(frozen=True)
class IssuedToken:
    secret: str  # shown to the caller once, never stored
    token: ApiToken


def issue_token(session: Session, user: User, *, now: datetime, lifetime: timedelta) -> IssuedToken:
    secret = TOKEN_PREFIX + new_token()
    token = ApiToken(
        user_id=user.id,
        digest=token_digest(secret),
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(token)
    session.flush()
    return IssuedToken(secret, token)


def revoke_token(token: ApiToken, *, now: datetime) -> None:
    token.revoked_at = now


def revoke_all_tokens(session: Session, user: User, *, now: datetime) -> int:
    """End every unexpired token of the user; how many there were."""
    result = session.execute(
        update(ApiToken)
        .where(
            ApiToken.user_id == user.id,
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
        )
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


# -- sessions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenedSession:
    secret: str  # for the browser's cookie only, never stored
    record: UserSession


def open_session(
    session: Session,
    user: User,
    *,
    now: datetime,
    lifetime: timedelta,
    user_agent: str,
    assisted_by_id: uuid.UUID | None = None,
) -> OpenedSession:
    """A new sign-in of ``user``: its record, and the secret that names it in the cookie."""
    secret = new_token()
    record = UserSession(
        digest=token_digest(secret),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        user_agent=user_agent,
        assisted_by_id=assisted_by_id,
    )
    session.add(record)
    session.flush()
    return OpenedSession(secret, record)


def touch_session(session: Session, record_id: uuid.UUID, *, now: datetime) -> None:
    """Note that the session was used at ``now`` (unless that was noted less than a minute ago).

    One UPDATE that reads nothing first, so it is safe as a page's first write
    (``sharing.write_lock``); of two requests at once, the second changes nothing.
    """
    session.execute(
        update(UserSession)
        .where(UserSession.id == record_id, UserSession.last_seen_at <= now - TOUCH_EVERY)
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )


def end_session(session: Session, record_id: uuid.UUID, *, user_id: uuid.UUID) -> bool:
    """End one session of ``user_id`` (signing out, or ending it from the list); whether it was
    theirs and still open."""
    result = session.execute(
        delete(UserSession)
        .where(UserSession.id == record_id, UserSession.user_id == user_id)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # a DELETE's result is a CursorResult


@dataclass(frozen=True)
class Ended:
    """What ``end_sessions`` ended: sessions (by id) and how many API tokens."""

    sessions: list[uuid.UUID]
    tokens: int


def end_sessions(
    session: Session, user_id: uuid.UUID, *, now: datetime, keep: uuid.UUID | None = None
) -> Ended:
    """End every session and API token of the user at once, but the session ``keep``.

    For signing out everywhere, a password change (keeping the session that changed it), a
    password set by an administrator, deactivation and second-factor changes.
    """
    ended = list(
        session.scalars(
            delete(UserSession)
            .where(
                UserSession.user_id == user_id,
                *([UserSession.id != keep] if keep is not None else []),
            )
            .returning(UserSession.id)
            .execution_options(synchronize_session=False)
        )
    )
    tokens = session.execute(
        update(ApiToken)
        .where(
            ApiToken.user_id == user_id,
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
        )
        .values(revoked_at=now)
    )
    return Ended(ended, int(tokens.rowcount or 0))  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


@dataclass(frozen=True)
class PurgedSession:
    id: uuid.UUID
    user_id: uuid.UUID
    reason: SessionEnd


def purge_sessions(
    session: Session, *, now: datetime, limits: Mapping[Role, SessionLimits]
) -> list[PurgedSession]:
    """Delete the sessions that are over (idle too long or past their lifetime): what went.

    ``flask maintenance run`` calls it; a session is refused as soon as it is over anyway.
    """
    purged: list[PurgedSession] = []
    for role, limit in limits.items():
        over = session.execute(
            select(UserSession.id, UserSession.user_id, UserSession.expires_at)
            .join(User, User.id == UserSession.user_id)
            .where(
                User.role == role,
                or_(UserSession.expires_at <= now, UserSession.last_seen_at < now - limit.idle),
            )
        ).all()
        purged += [
            PurgedSession(
                row.id,
                row.user_id,
                SessionEnd.LIFETIME if row.expires_at <= now else SessionEnd.IDLE,
            )
            for row in over
        ]
    if purged:
        session.execute(
            delete(UserSession)
            .where(UserSession.id.in_([p.id for p in purged]))
            .execution_options(synchronize_session=False)
        )
    return purged


def revoke_own_token(
    session: Session, user_id: uuid.UUID, token_id: uuid.UUID, *, now: datetime
) -> bool:
    """Revoke one live token of ``user_id`` (from their list of sign-ins); whether there was one."""
    result = session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            ApiToken.user_id == user_id,
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
        )
        .values(revoked_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


# -- passwords and deactivation ------------------------------------------------------------------


class WrongCurrentPassword(Refused):
    """Raised when a password change names a wrong current password (it counts as a failure)."""

    code = "wrong_current_password"
    field = "current_password"
    message = N_("That is not your current password.")


class CannotDeactivateSelf(Conflict):
    """Raised when an administrator tries to deactivate their own account."""

    code = "cannot_deactivate_self"
    message = N_("You cannot deactivate your own account.")


# -- how the network reaches staff -------------------------------------------------------

WORK_CONTACT_MAX = 200


class WorkContactTooLong(Refused):
    """Raised when a work contact is longer than ``WORK_CONTACT_MAX``."""

    code = "work_contact_too_long"
    field = "work_contact"
    message = N_("At most %(max)d characters.")

    def __init__(self) -> None:
        super().__init__(params={"max": WORK_CONTACT_MAX})


def set_work_contact(session: Session, user: User, contact: str | None) -> None:
    """Record how partners reach a member of staff at work (a work phone or e-mail, shown to
    the organisations sharing a client whose responsible worker they are); empty clears it.

    :raises WorkContactTooLong: when longer than ``WORK_CONTACT_MAX``.
    :raises ValueError: for a client's account, which has no work (a caller's mistake).
    """
    if user.role is Role.CLIENT:
        raise ValueError("clients have no work contact")
    text = (contact or "").strip() or None
    if text is not None and len(text) > WORK_CONTACT_MAX:
        raise WorkContactTooLong()
    user.work_contact = text
    session.flush()


def _personal(user: User) -> list[str]:
    return personal_words(user.username, user.display_name)


def change_password(
    session: Session,
    hasher: PasswordHasher,
    user: User,
    *,
    current: str,
    new: str,
    keep: uuid.UUID | None,
    now: datetime,
) -> Ended:
    """The user changes their own password; every other session and token of theirs ends.

    A wrong current password is a failed sign-in: the edge counts it (``app.rate_limits``).

    :raises WrongCurrentPassword: when ``current`` is not the password.
    :raises WeakPassword: when ``new`` breaks the password rule (``app.accounts.rules``).
    """
    if not verify_password(hasher, user, current):
        raise WrongCurrentPassword()
    check_password(new, personal=_personal(user))
    user.password_hash = hasher.hash(new)
    user.password_must_change = False
    session.flush()
    return end_sessions(session, user.id, now=now, keep=keep)


def set_password(
    session: Session, hasher: PasswordHasher, user: User, *, password: str, now: datetime
) -> Ended:
    """An administrator sets ``user``'s password: good for one sign-in, which must change it.

    Ends every session and token of the user.

    :raises WeakPassword: when ``password`` breaks the password rule.
    """
    check_password(password, personal=_personal(user))
    user.password_hash = hasher.hash(password)
    user.password_must_change = True
    session.flush()
    return end_sessions(session, user.id, now=now)


def deactivate(session: Session, user: User, *, by: User, now: datetime) -> Ended:
    """Deactivate an account: it cannot sign in, and every session and token of it ends now.

    :raises CannotDeactivateSelf: when ``by`` is ``user`` (an administrator cannot lock
        themselves out; another administrator can).
    """
    if user.id == by.id:
        raise CannotDeactivateSelf()
    user.active = False
    session.flush()
    return end_sessions(session, user.id, now=now)


def reactivate(session: Session, user: User) -> None:
    """Let a deactivated account sign in again (with the password it had)."""
    user.active = True
    session.flush()
