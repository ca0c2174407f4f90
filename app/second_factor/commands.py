"""Setting up, using and removing a staff member's second factor; the sign-in waiting for it.

The TOTP secret is stored only wrapped under the master keyring (``sharing.keys``: bound
to its purpose, the user and its row), never in clear. A code is accepted once: the step
it was accepted for is claimed by a conditional UPDATE, so two requests racing with the same
code (on any number of processes) cannot both win. Recovery codes are argon2 hashes
(``app.issued_secrets``), each used up by the same kind of UPDATE. A wrong code is a failed
sign-in, which the edge counts against its rate limits (``app.rate_limits``); no account is
ever locked. Functions flush and never commit.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from app import issued_secrets
from app.accounts.commands import end_sessions, verify_password
from app.models.second_factor import RecoveryCode, SecondFactor, SignInChallenge
from app.models.user import User
from app.refusals import N_, Conflict, Refused
from app.second_factor.events import Event, Origin, record
from app.second_factor.queries import factor_of, secret_of, secret_ref
from app.second_factor.rules import (
    RECOVERY_CODE_LENGTH,
    RECOVERY_CODES,
    SECRET_BYTES,
    CodeCheck,
    check_code,
    read_code,
)
from sharing.keys import Keyring, rewrap_account_secret, seal_account_secret

CHALLENGE_LIFETIME = timedelta(minutes=5)


class Method(enum.StrEnum):
    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"


@dataclass(frozen=True)
class Checked:
    """What a presented code did: its outcome, and whether it was an app's or a recovery code."""

    outcome: CodeCheck
    method: Method

    @property
    def accepted(self) -> bool:
        return self.outcome is CodeCheck.ACCEPTED


class CodeRefused(Refused):
    """Raised when a code that must be right is not (its outcome is on the ``code`` field)."""

    code = "code_refused"
    field = "code"


class WrongPassword(Refused):
    """Raised when the current password asked for a change is wrong."""

    code = "wrong_password"
    field = "password"
    message = N_("The password is not right.")


class NothingToConfirm(Conflict):
    """Raised when a code confirms an enrolment that was not started (or already confirmed)."""

    code = "no_enrolment"
    message = N_("There is nothing to confirm. Start setting up again.")


# -- enrolment -----------------------------------------------------------------------------


def start_enrolment(session: Session, keyring: Keyring, user: User, *, now: datetime) -> None:
    """Make a new secret to set up (replacing one not confirmed); any factor in force stays
    in force until the new one is confirmed."""
    session.execute(
        delete(SecondFactor).where(SecondFactor.user_id == user.id, SecondFactor.active.is_(False))
    )
    factor = SecondFactor(user_id=user.id, active=False, created_at=now)
    factor.master_key_id, factor.secret_wrapped = seal_account_secret(
        keyring, secret_ref(factor), secrets.token_bytes(SECRET_BYTES)
    )
    session.add(factor)
    session.flush()


def confirm_enrolment(
    session: Session,
    keyring: Keyring,
    hasher: PasswordHasher,
    user: User,
    code_text: str,
    *,
    now: datetime,
    origin: Origin,
) -> list[str]:
    """Put the factor being set up in force with its first code; its ten recovery codes.

    The new recovery codes are returned to be shown once (only their hashes are kept); any
    earlier factor and codes are replaced, and every other session and token ends.

    :raises NothingToConfirm: when no enrolment was started.
    :raises CodeRefused: when the code is not the secret's current one.
    """
    pending = factor_of(session, user, active=False)
    if pending is None:
        raise NothingToConfirm()
    verdict = check_code(secret_of(keyring, pending), read_code(code_text), now, None)
    if verdict.outcome is not CodeCheck.ACCEPTED:
        record(Event.FAILED, user.id, origin, success=False)
        raise CodeRefused(errors={"code": verdict.outcome})
    session.execute(
        delete(SecondFactor).where(SecondFactor.user_id == user.id, SecondFactor.active.is_(True))
    )
    pending.active = True
    pending.confirmed_at = now
    pending.last_used_step = verdict.step  # the confirming code cannot sign anyone in
    session.flush()
    codes = _new_recovery_codes(session, hasher, user, now=now)
    after_second_factor_change(session, user, now=now)
    record(Event.ENROLLED, user.id, origin, success=True)
    return codes


def _new_recovery_codes(
    session: Session, hasher: PasswordHasher, user: User, *, now: datetime
) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [issued_secrets.new_code(RECOVERY_CODE_LENGTH) for _ in range(RECOVERY_CODES)]
    session.add_all(
        RecoveryCode(
            user_id=user.id, code_hash=issued_secrets.hash_code(hasher, code), created_at=now
        )
        for code in codes
    )
    session.flush()
    return [issued_secrets.format_code(code) for code in codes]


# -- codes ---------------------------------------------------------------------------------


def check_second_factor(
    session: Session,
    keyring: Keyring,
    hasher: PasswordHasher,
    user: User,
    text: str | None,
    *,
    now: datetime,
    origin: Origin,
) -> Checked:
    """Accept the code from the user's app, or one of their recovery codes, once.

    A wrong or replayed code is a failed sign-in (the caller counts it, as for a wrong
    password). A recovery code is used up, and using one ends every session and token of
    the user.
    """
    method = (
        Method.RECOVERY_CODE
        if issued_secrets.read_code(text, RECOVERY_CODE_LENGTH)
        else Method.TOTP
    )
    if method is Method.RECOVERY_CODE:
        outcome = _use_recovery_code(session, hasher, user, text, now=now)
    else:
        outcome = _use_app_code(session, keyring, user, text, now=now)
    if outcome is CodeCheck.ACCEPTED:
        if method is Method.RECOVERY_CODE:
            after_second_factor_change(session, user, now=now)
            record(Event.RECOVERY_CODE_USED, user.id, origin, success=True)
        else:
            record(Event.USED, user.id, origin, success=True)
    else:
        failed = Event.REPLAY_REFUSED if outcome is CodeCheck.REPLAYED else Event.FAILED
        record(failed, user.id, origin, success=False)
    return Checked(outcome, method)


def _use_app_code(
    session: Session, keyring: Keyring, user: User, text: str | None, *, now: datetime
) -> CodeCheck:
    factor = factor_of(session, user, active=True)
    if factor is None:
        return CodeCheck.WRONG
    verdict = check_code(secret_of(keyring, factor), read_code(text), now, factor.last_used_step)
    if verdict.outcome is not CodeCheck.ACCEPTED:
        return verdict.outcome
    claimed = session.execute(
        update(SecondFactor)
        .where(
            SecondFactor.id == factor.id,
            or_(
                SecondFactor.last_used_step.is_(None),
                SecondFactor.last_used_step < verdict.step,
            ),
        )
        .values(last_used_step=verdict.step)
    )
    # Another request claimed this step (or a later one) first: the same code, replayed.
    return CodeCheck.ACCEPTED if _one_row(claimed) else CodeCheck.REPLAYED


def _use_recovery_code(
    session: Session, hasher: PasswordHasher, user: User, text: str | None, *, now: datetime
) -> CodeCheck:
    code = issued_secrets.read_code(text, RECOVERY_CODE_LENGTH)
    unused = session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all()
    if not unused:
        issued_secrets.code_matches(hasher, None, code)  # the same work as a check
    for row in unused:
        if issued_secrets.code_matches(hasher, row.code_hash, code):
            claimed = session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=now)
            )
            return CodeCheck.ACCEPTED if _one_row(claimed) else CodeCheck.REPLAYED
    return CodeCheck.WRONG


def _one_row(result: object) -> bool:
    return getattr(result, "rowcount", 0) == 1  # an UPDATE's result is a CursorResult


# -- changes that need the password and a code ---------------------------------------------


def confirm_identity(
    session: Session,
    keyring: Keyring,
    hasher: PasswordHasher,
    user: User,
    *,
    password: str,
    code: str,
    now: datetime,
    origin: Origin,
) -> Checked:
    """Check the current password and a code (the app's or a recovery code) before a change.

    :raises WrongPassword: when the password is wrong (a failed sign-in for the caller to count).
    :raises CodeRefused: when the code is wrong or used (the same).
    """
    if not verify_password(hasher, user, password):
        raise WrongPassword()
    checked = check_second_factor(session, keyring, hasher, user, code, now=now, origin=origin)
    if not checked.accepted:
        raise CodeRefused(errors={"code": checked.outcome})
    return checked


def replace_recovery_codes(
    session: Session, hasher: PasswordHasher, user: User, *, now: datetime, origin: Origin
) -> list[str]:
    """Ten new recovery codes in place of the old ones (after ``confirm_identity``).

    :raises NothingToConfirm: when the user has no second factor in force.
    """
    if factor_of(session, user, active=True) is None:
        raise NothingToConfirm()
    codes = _new_recovery_codes(session, hasher, user, now=now)
    after_second_factor_change(session, user, now=now)
    record(Event.RECOVERY_CODES_REPLACED, user.id, origin, success=True)
    return codes


def remove_second_factor(session: Session, user: User, *, now: datetime, origin: Origin) -> None:
    """Turn the second factor off (after ``confirm_identity``): the secret and codes go."""
    session.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    after_second_factor_change(session, user, now=now)
    record(Event.REMOVED, user.id, origin, success=True)


def after_second_factor_change(session: Session, user: User, *, now: datetime) -> None:
    """End every session and API token of the user (the edge signs the current one in again)."""
    end_sessions(session, user.id, now=now)


# -- the sign-in waiting for a code --------------------------------------------------------


def begin_challenge(session: Session, user: User, *, now: datetime) -> str:
    """A right password of a user with a second factor: the token the browser keeps for
    the code page. Lives ``CHALLENGE_LIFETIME``; only its digest is stored."""
    session.execute(
        delete(SignInChallenge).where(
            SignInChallenge.user_id == user.id, SignInChallenge.expires_at <= now
        )
    )
    token = issued_secrets.new_token()
    session.add(
        SignInChallenge(
            user_id=user.id,
            digest=issued_secrets.token_digest(token),
            created_at=now,
            expires_at=now + CHALLENGE_LIFETIME,
        )
    )
    session.flush()
    return token


def end_challenge(session: Session, token: str) -> None:
    """The code was accepted (or the sign-in given up): the token signs in nobody again."""
    session.execute(
        delete(SignInChallenge).where(SignInChallenge.digest == issued_secrets.token_digest(token))
    )


# -- key rotation --------------------------------------------------------------------------


def rewrap_secrets(session: Session, keyring: Keyring, limit: int = 200) -> int:
    """Re-wrap up to ``limit`` secrets still under an older master key (flushes)."""
    batch = session.scalars(
        select(SecondFactor)
        .where(SecondFactor.master_key_id != keyring.active_id)
        .order_by(SecondFactor.id)
        .limit(limit)
    ).all()
    for factor in batch:
        factor.master_key_id, factor.secret_wrapped = rewrap_account_secret(
            keyring, secret_ref(factor), factor.master_key_id, factor.secret_wrapped
        )
    session.flush()
    return len(batch)
