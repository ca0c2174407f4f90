"""Signing in with a password, and issuing and revoking the API's bearer tokens.

``authenticate`` checks a username and password and keeps the account's lockout count;
the count is bookkeeping that outlasts a refused request (``app.transactions.execute_kept``).

A token is 32 random bytes (base64url) behind the prefix ``tkv_``; only its SHA-256
digest is stored (``app.issued_secrets``), so the table cannot be replayed. It lives as
long as a web session may idle (staff 30 minutes, clients 10 by default) and cannot be
extended: a partner system asks for a new one. It ends early when revoked, when the
account is deactivated, or when the user's session token is rotated (``app.accounts.queries``).
Functions flush and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.rules import TOKEN_PREFIX, SignInRefusal, after_failure, locked
from app.issued_secrets import new_token, token_digest
from app.models import User
from app.models.api_token import ApiToken
from app.transactions import execute_kept


def verify_password(hasher: PasswordHasher, user: User | None, password: str) -> bool:
    """Check a password in constant work whether or not the user exists; rehash when stale."""
    if user is None or user.password_hash is None:
        # Spend the same effort as a real check so timing does not reveal usernames.
        hasher.hash(password)
        return False
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def check_password(
    session: Session, hasher: PasswordHasher, username: str, password: str, *, now: datetime
) -> User | SignInRefusal:
    """The active user whose password this is, or why not; a failure is counted.

    Five failures lock the account for 15 minutes; an unknown username costs the same
    work as a known one, so timing does not tell them apart. A failure counts even when
    the request is then refused. A right password does not yet reset the count: the
    sign-in is complete only with ``record_sign_in`` (after the second factor, if any).
    """
    user = session.scalar(select(User).where(User.username == username))
    if user is not None and locked(user.locked_until, now):
        verify_password(hasher, None, password)
        return SignInRefusal.LOCKED
    if verify_password(hasher, user, password) and user is not None and user.active:
        return user
    if user is not None:
        count_failure(session, user, now=now)
    return SignInRefusal.WRONG


def count_failure(session: Session, user: User, *, now: datetime) -> None:
    """One more failed sign-in attempt (a password or a code); the fifth in a row locks."""
    failed_logins, lock = after_failure(user.failed_logins, now)
    counted = update(User).where(User.id == user.id).values(failed_logins=failed_logins)
    execute_kept(session, counted if lock is None else counted.values(locked_until=lock))


def record_sign_in(session: Session, user: User, *, now: datetime) -> None:
    """A sign-in is complete: the failed attempts start again from zero."""
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.flush()


def authenticate(
    session: Session, hasher: PasswordHasher, username: str, password: str, *, now: datetime
) -> User | SignInRefusal:
    """The active user these credentials sign in, or why not: a password-only sign-in."""
    result = check_password(session, hasher, username, password, now=now)
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
        session_token=user.session_token,
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
