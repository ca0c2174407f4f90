"""Activation codes: a worker issues one; the client sets up their sign-in with it.

A client in prison has no e-ID, so the worker with a relationship to the case issues a
one-time code (72 hours, single use) and gives it to the client on paper. The code is
``selector + verifier``: the selector (stored in clear) finds the code, the verifier is
kept only as an argon2 hash. Wrong verifiers are counted against the code, even when the
request is refused, and lock it after ``MAX_ATTEMPTS``; whatever went wrong, the caller
shows the same message, so the page reveals nothing about which codes exist. Functions
flush and never commit.

The code's length and the username and password rules are in ``app.activation.rules``;
its alphabet, format and hashing are every short code's (``app.issued_secrets``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import case as sql_case
from sqlalchemy import func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.commands import Ended, end_sessions
from app.activation.queries import live_codes
from app.activation.rules import (
    CODE_ATTEMPTS,
    CODE_LENGTH,
    LIFETIME,
    SELECTOR_LENGTH,
    VERIFIER_LENGTH,
    check_password,
    check_username,
)
from app.cases.queries import latest_cases
from app.issued_secrets import code_matches, format_code, hash_code, new_code, read_code
from app.models import Case, Role, User
from app.models.activation import ActivationCode, CodeState
from app.models.staff import AccountAction
from app.refusals import N_, Conflict, Refused
from app.staff.commands import record_event
from app.transactions import execute_kept
from consent.base import UTCDateTime, utcnow

_SELECTOR_TRIES = 8


class CodeRejected(Refused):
    """Raised when a code is unknown, wrong, expired, used, locked or cancelled.

    ``reason`` is for logs and tests only; the page shows one message for all of them.
    """

    code = "code_rejected"
    field = "code"
    message = N_(
        "The code did not work. Check that you typed it as it is on the paper. If it still does "
        "not work, ask your worker for a new code."
    )

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class UsernameTaken(Refused):
    """Raised when the chosen username is already someone else's."""

    code = "username_taken"
    field = "username"
    message = N_("That username is taken. Choose another one.")


@dataclass(frozen=True)
class IssuedCode:
    """A new code and its full text, which exists only here: show it once."""

    code: ActivationCode
    text: str


def issue_code(
    session: Session,
    hasher: PasswordHasher,
    *,
    client_id: uuid.UUID,
    issued_by_id: uuid.UUID | None,
    now: datetime | None = None,
    lifetime: timedelta = LIFETIME,
) -> IssuedCode:
    """A new code for the client; any earlier code still usable is cancelled (one at a time).

    :raises SignInLocked: while the client's sign-in is locked (a code would unlock it).
    """
    now = now or utcnow()
    if sign_in_locked(session, client_id):
        raise SignInLocked()
    for earlier in live_codes(session, client_id, now):
        earlier.cancelled_at = now
        earlier.cancelled_by_id = issued_by_id
    for _ in range(_SELECTOR_TRIES):
        selector = new_code(SELECTOR_LENGTH)
        if session.scalar(select(ActivationCode.id).where(ActivationCode.selector == selector)):
            continue
        verifier = new_code(VERIFIER_LENGTH)
        code = ActivationCode(
            client_id=client_id,
            selector=selector,
            verifier_hash=hash_code(hasher, verifier),
            issued_by_id=issued_by_id,
            issued_at=now,
            expires_at=now + lifetime,
        )
        session.add(code)
        session.flush()
        return IssuedCode(code, format_code(selector + verifier))
    raise RuntimeError("no free activation-code selector")  # 31**6 selectors: not in practice


def cancel_code(
    session: Session, code: ActivationCode, *, by_user_id: uuid.UUID | None, now: datetime | None
) -> bool:
    """Cancel a code that could still be used; ``False`` when it no longer could."""
    now = now or utcnow()
    if code.state(now) is not CodeState.LIVE:
        return False
    code.cancelled_at = now
    code.cancelled_by_id = by_user_id
    session.flush()
    return True


def verify_code(
    session: Session, hasher: PasswordHasher, text: str | None, *, now: datetime | None = None
) -> ActivationCode:
    """The live code ``text`` names. A wrong verifier counts against the code, and the
    count outlasts the refusal (``app.transactions.execute_kept``).

    :raises CodeRejected: whatever is wrong with it.
    """
    now = now or utcnow()
    raw = read_code(text, CODE_LENGTH)
    if raw is None:
        raise CodeRejected("malformed")
    selector, verifier = raw[:SELECTOR_LENGTH], raw[SELECTOR_LENGTH:]
    code = session.scalar(select(ActivationCode).where(ActivationCode.selector == selector))
    if code is None:
        code_matches(hasher, None, verifier)  # the work of a real check: timing reveals nothing
        raise CodeRejected("unknown")
    state = code.state(now)
    if state is not CodeState.LIVE:
        code_matches(hasher, None, verifier)
        raise CodeRejected(state.value)
    if not code_matches(hasher, code.verifier_hash, verifier):
        _count_failure(session, code, now)
        raise CodeRejected("wrong")
    return code


def _count_failure(session: Session, code: ActivationCode, now: datetime) -> None:
    # One UPDATE, so concurrent wrong guesses cannot overwrite each other's count.
    counted = CODE_ATTEMPTS.after_failure(ActivationCode.failed_attempts)
    execute_kept(
        session,
        update(ActivationCode)
        .where(ActivationCode.id == code.id)
        .values(
            failed_attempts=counted.failures,
            locked_at=sql_case(
                (
                    ActivationCode.locked_at.is_(None) & counted.locks,
                    literal(now, UTCDateTime()),
                ),
                else_=ActivationCode.locked_at,
            ),
        )
        .execution_options(synchronize_session=False),
    )
    session.refresh(code)


def activate(
    session: Session,
    hasher: PasswordHasher,
    *,
    code_text: str | None,
    username: str,
    password: str,
    now: datetime | None = None,
) -> User:
    """Use a code: create the client's sign-in, or reset the one they have.

    Resetting also ends every session of the old sign-in.

    :raises CodeRejected: when the code cannot be used (count of wrong tries kept).
    :raises InvalidUsername: when the username breaks the rule.
    :raises WeakPassword: when the password breaks a rule (a subclass names which).
    :raises UsernameTaken: when the username belongs to someone else.
    """
    now = now or utcnow()
    code = verify_code(session, hasher, code_text, now=now)
    case: Case | None = latest_cases(session, [code.client_id]).get(code.client_id)
    if case is None or case.disposed_at is not None:
        raise CodeRejected("no_case")
    username = check_username(username)
    check_password(password, username=username, code=read_code(code_text, CODE_LENGTH))
    account = session.scalar(select(User).where(User.client_id == code.client_id))
    taken = session.scalar(
        select(User.id).where(
            func.lower(User.username) == username.lower(),
            *([User.id != account.id] if account is not None else []),
        )
    )
    if taken is not None:
        raise UsernameTaken()
    # Claim the code first: of two simultaneous uses, exactly one updates the row.
    claimed = session.execute(
        update(ActivationCode)
        .where(
            ActivationCode.id == code.id,
            ActivationCode.used_at.is_(None),
            ActivationCode.cancelled_at.is_(None),
            ActivationCode.locked_at.is_(None),
        )
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        raise CodeRejected("used")
    try:
        with session.begin_nested():
            if account is None:
                account = User(
                    username=username,
                    display_name="",
                    role=Role.CLIENT,
                    client_id=code.client_id,
                    password_hash=hasher.hash(password),
                )
                session.add(account)
            else:
                account.username = username
                account.password_hash = hasher.hash(password)
                account.active = True
                account.password_must_change = False
                end_sessions(session, account.id, now=now)  # every old sign-in ends
            session.flush()
    except IntegrityError:
        raise UsernameTaken() from None
    session.execute(
        update(ActivationCode).where(ActivationCode.id == code.id).values(user_id=account.id)
    )
    session.refresh(code)
    return account


# -- locking the client's sign-in ---------------------------------------------------------------


class NotAClientAccount(Conflict):
    """Raised when locking or unlocking a sign-in that is not a client's (staff accounts are
    deactivated by an administrator instead)."""

    code = "not_a_client_account"
    message = N_("This is not a client's sign-in.")


class SignInLocked(Conflict):
    """Raised when issuing a code while the client's sign-in is locked."""

    code = "sign_in_locked"
    message = N_("The client's sign-in is locked. Unlock it first.")


def sign_in_locked(session: Session, client_id: uuid.UUID) -> bool:
    """Whether the client has a sign-in and it is locked."""
    return (
        session.scalar(select(User.id).where(User.client_id == client_id, User.active.is_(False)))
        is not None
    )


def lock_sign_in(
    session: Session, account: User, *, by_id: uuid.UUID | None, now: datetime
) -> Ended:
    """Lock a client's sign-in: it cannot sign in, its sessions and tokens end now and its
    unused codes are cancelled; no code is issued until it is unlocked.

    :raises NotAClientAccount: for a staff account.
    """
    if account.role is not Role.CLIENT or account.client_id is None:
        raise NotAClientAccount()
    account.active = False
    for code in live_codes(session, account.client_id, now):
        code.cancelled_at = now
        code.cancelled_by_id = by_id
    record_event(session, account, AccountAction.SIGN_IN_LOCKED, by_id=by_id, at=now)
    session.flush()
    return end_sessions(session, account.id, now=now)


def unlock_sign_in(
    session: Session, account: User, *, by_id: uuid.UUID | None, now: datetime
) -> None:
    """Let a locked client's sign-in be used again, with the password it had.

    :raises NotAClientAccount: for a staff account.
    """
    if account.role is not Role.CLIENT:
        raise NotAClientAccount()
    account.active = True
    record_event(session, account, AccountAction.SIGN_IN_UNLOCKED, by_id=by_id, at=now)
    session.flush()
