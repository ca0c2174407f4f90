"""The rules of signing in: when failed attempts lock an account, and what a token looks like.

Pure: no database, no clock.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from app.refusals import N_, Code

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
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
    failed_logins += 1
    if failed_logins >= MAX_FAILED_LOGINS:
        return 0, now + LOCKOUT
    return failed_logins, None


def token_digest(secret: str) -> str:
    """What is stored of a token: its SHA-256 digest, so the table cannot be replayed."""
    return hashlib.sha256(secret.encode()).hexdigest()


def may_be_token(secret: str) -> bool:
    """Whether a presented secret has a token's shape at all (else it is not looked up)."""
    return secret.startswith(TOKEN_PREFIX) and len(secret) <= TOKEN_MAX_LENGTH
