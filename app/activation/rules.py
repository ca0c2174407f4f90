"""The rules of a client's sign-in: what an activation code looks like, and which usernames
and passwords a client may choose. Pure: no database, no clock.

The code's alphabet, format and hashing are every short code's (``app.issued_secrets``);
how wrong codes are counted is ``app.attempts``; the password rule is every account's
(``app.accounts.rules.check_password``), with one more here: not the code itself.
"""

from __future__ import annotations

import re
from datetime import timedelta

from app.accounts import rules as accounts
from app.attempts import AttemptLimit
from app.issued_secrets import normalise
from app.refusals import N_, Refused

SELECTOR_LENGTH = 6
VERIFIER_LENGTH = 10  # 31**10 ≈ 2**49.5, and only MAX_ATTEMPTS guesses per code
CODE_LENGTH = SELECTOR_LENGTH + VERIFIER_LENGTH
LIFETIME = timedelta(hours=72)
MAX_ATTEMPTS = 5
CODE_ATTEMPTS = AttemptLimit(MAX_ATTEMPTS)  # the last one locks the code: it cannot be used
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{3,40}")


class InvalidUsername(Refused):
    """Raised when the username has characters or a length outside the rule."""

    code = "invalid_username"
    field = "username"
    message = N_("Use 3–40 characters: letters a–z, numbers, . - or _.")


class PasswordContainsCode(accounts.WeakPassword):
    """Raised when the password contains the activation code (or its secret part)."""

    code = "password_contains_code"
    message = N_("Do not use the activation code as your password. Choose something else.")


def check_password(password: str, *, username: str, code: str | None) -> None:
    """Apply the password rules: not the activation code, then every account's rule.

    :raises WeakPassword: the subclass naming the first rule broken.
    """
    squeezed = normalise(password)
    if code and (code in squeezed or code[SELECTOR_LENGTH:] in squeezed):
        raise PasswordContainsCode()
    accounts.check_password(password, personal=accounts.personal_words(username))


def check_username(username: str) -> str:
    """The username without surrounding spaces.

    :raises InvalidUsername: when it breaks the rule (3–40 letters a–z, digits, . _ -).
    """
    username = username.strip()
    if not USERNAME_PATTERN.fullmatch(username):
        raise InvalidUsername()
    return username
