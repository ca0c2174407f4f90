"""The rules of a client's sign-in: what an activation code looks like, and which usernames
and passwords a client may choose. Pure: no database, no clock.

The code's alphabet, format and hashing are every short code's (``app.issued_secrets``);
how wrong codes are counted is ``app.attempts``.
"""

from __future__ import annotations

import re
from datetime import timedelta

from app.attempts import AttemptLimit
from app.issued_secrets import normalise
from app.refusals import N_, Refused

SELECTOR_LENGTH = 6
VERIFIER_LENGTH = 10  # 31**10 ≈ 2**49.5, and only MAX_ATTEMPTS guesses per code
CODE_LENGTH = SELECTOR_LENGTH + VERIFIER_LENGTH
LIFETIME = timedelta(hours=72)
MAX_ATTEMPTS = 5
CODE_ATTEMPTS = AttemptLimit(MAX_ATTEMPTS)  # the last one locks the code: it cannot be used
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{3,40}")


class InvalidUsername(Refused):
    """Raised when the username has characters or a length outside the rule."""

    code = "invalid_username"
    field = "username"
    message = N_("Use 3–40 characters: letters a–z, numbers, . - or _.")


class WeakPassword(Refused):
    """Raised when the chosen password breaks a rule (the subclass says which)."""

    code = "weak_password"
    field = "password"


class PasswordTooShort(WeakPassword):
    """Raised when the password is shorter than ``MIN_PASSWORD_LENGTH``."""

    code = "password_too_short"
    message = N_("The password must be at least %(min)d characters long.")

    def __init__(self) -> None:
        super().__init__(params={"min": MIN_PASSWORD_LENGTH})


class PasswordTooLong(WeakPassword):
    """Raised when the password is longer than ``MAX_PASSWORD_LENGTH``."""

    code = "password_too_long"
    message = N_("The password is too long.")


class PasswordContainsCode(WeakPassword):
    """Raised when the password contains the activation code (or its secret part)."""

    code = "password_contains_code"
    message = N_("Do not use the activation code as your password. Choose something else.")


class PasswordSameAsUsername(WeakPassword):
    """Raised when the password is the username."""

    code = "password_same_as_username"
    message = N_("The password cannot be the same as your username.")


def check_password(password: str, *, username: str, code: str | None) -> None:
    """Apply the password rules.

    :raises WeakPassword: the subclass naming the first rule broken.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort()
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordTooLong()
    squeezed = normalise(password)
    if code and (code in squeezed or code[SELECTOR_LENGTH:] in squeezed):
        raise PasswordContainsCode()
    if password.strip().casefold() == username.strip().casefold():
        raise PasswordSameAsUsername()


def check_username(username: str) -> str:
    """The username without surrounding spaces.

    :raises InvalidUsername: when it breaks the rule (3–40 letters a–z, digits, . _ -).
    """
    username = username.strip()
    if not USERNAME_PATTERN.fullmatch(username):
        raise InvalidUsername()
    return username
