"""The rules of signing in: when failed attempts lock an account, and what a token looks like.

Pure: no database, no clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.attempts import AttemptLimit
from app.refusals import N_, Code

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SIGN_IN_ATTEMPTS = AttemptLimit(MAX_FAILED_LOGINS)
TOKEN_PREFIX = "tkv_"  # noqa: S105  (the public marker of a token, not a secret)
TOKEN_MAX_LENGTH = 100


class SignInRefusal(Code):
    """Why credentials signed nobody in (a sign-in page or the API says so its own way)."""

    # An unknown user, a wrong password and an inactive account are never told apart.
    WRONG = "wrong", N_("Wrong username or password.")
    LOCKED = "locked", N_("Too many failed attempts. Try again in 15 minutes.")


def locked(locked_until: datetime | None, now: datetime) -> bool:
    """Whether an account is locked out at ``now``."""
    return locked_until is not None and locked_until > now


def after_failure(failed_logins: int, now: datetime) -> tuple[int, datetime | None]:
    """``(failed_logins, locked_until)`` after one more failure: the fifth in a row locks the
    account for ``LOCKOUT`` and starts the count again."""
    counted = SIGN_IN_ATTEMPTS.after_failure(failed_logins)
    if counted.locks:
        return 0, now + LOCKOUT
    return counted.failures, None


def may_be_token(secret: str) -> bool:
    """Whether a presented secret has a token's shape at all (else it is not looked up)."""
    return secret.startswith(TOKEN_PREFIX) and len(secret) <= TOKEN_MAX_LENGTH
