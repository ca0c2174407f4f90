"""The rules of accounts: signing in, passwords, how long a sign-in lasts, what a token looks like.

Pure: no database, no clock (``now`` is always a parameter).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.refusals import N_, Code, Refused

TOKEN_PREFIX = "tkv_"  # noqa: S105  (the public marker of a token, not a secret)
TOKEN_MAX_LENGTH = 100


class SignInRefusal(Code):
    """Why credentials signed nobody in (a sign-in page or the API says so its own way)."""

    # An unknown user, a wrong password and an inactive account are never told apart.
    WRONG = "wrong", N_("Wrong username or password.")


def may_be_token(secret: str) -> bool:
    """Whether a presented secret has a token's shape at all (else it is not looked up)."""
    return secret.startswith(TOKEN_PREFIX) and len(secret) <= TOKEN_MAX_LENGTH


# -- passwords -------------------------------------------------------------------------------

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
GOOD_ENOUGH = 3
"""zxcvbn's score (0–4) a password needs: 3 is "safely unguessable" (about 10¹⁰ guesses)."""
ESTIMATED_LENGTH = 72
"""zxcvbn refuses longer input; what follows the first 72 characters only makes it stronger."""
_NAME_PARTS = re.compile(r"[\W_]+")


class WeakPassword(Refused):
    """Raised when a chosen password breaks a rule (the subclass says which)."""

    code = "weak_password"
    field = "password"


class PasswordTooShort(WeakPassword):
    """Raised when the password is shorter than ``MIN_PASSWORD_LENGTH``."""

    code = "password_too_short"
    message = N_(
        "The password must be at least %(min)d characters long. A few unrelated words in a "
        "row are long enough and easy to remember."
    )

    def __init__(self) -> None:
        super().__init__(params={"min": MIN_PASSWORD_LENGTH})


class PasswordTooLong(WeakPassword):
    """Raised when the password is longer than ``MAX_PASSWORD_LENGTH``."""

    code = "password_too_long"
    message = N_("The password is too long.")


class PasswordTooCommon(WeakPassword):
    """Raised when the password is, or is mostly, one of the most used (and leaked) passwords."""

    code = "password_too_common"
    message = N_(
        "Many people use this password, so it is easy to guess. Choose three or four words "
        "that have nothing to do with each other, for example things you can see around you."
    )


class PasswordLikeName(WeakPassword):
    """Raised when the password is built on the user's own name or username."""

    code = "password_like_name"
    message = N_(
        "The password is too close to your name or username. Choose three or four words "
        "that have nothing to do with you or with each other."
    )


class PasswordGuessable(WeakPassword):
    """Raised when the password follows a pattern that is quick to guess."""

    code = "password_guessable"
    message = N_(
        "This password is easy to guess: it repeats something, follows a pattern on the "
        "keyboard or is a common word with numbers. Choose three or four words that have "
        "nothing to do with each other."
    )


@dataclass(frozen=True)
class Strength:
    """What zxcvbn makes of a password: its score and how much of it is common or personal."""

    score: int
    length: int
    common: int  # characters matched in the list of common (breached) passwords
    personal: int  # characters matched in the user's own name and username

    @classmethod
    def of(cls, password: str, personal: Iterable[str]) -> Strength:
        from zxcvbn import zxcvbn  # its word lists take a moment to load: only when asked

        estimated = password[:ESTIMATED_LENGTH]
        result = zxcvbn(estimated, user_inputs=list(personal))
        common = personal_chars = 0
        for match in result["sequence"]:
            size = len(match["token"])
            if match.get("dictionary_name") == "passwords":
                common += size
            elif match.get("dictionary_name") == "user_inputs":
                personal_chars += size
        return cls(int(result["score"]), len(estimated), common, personal_chars)


def personal_words(*texts: str | None) -> list[str]:
    """The user's own words a password must not lean on: each name and username, and its parts."""
    words: set[str] = set()
    for text in texts:
        if not text:
            continue
        words.add(text.casefold())
        words.update(part for part in _NAME_PARTS.split(text.casefold()) if len(part) >= 3)
    return sorted(words)


def check_password(password: str, *, personal: Iterable[str]) -> None:
    """The one password rule: activation, a password change and a password an administrator sets.

    At least ``MIN_PASSWORD_LENGTH`` characters, not mostly a common or leaked password (the
    ~30,000 of zxcvbn's bundled list), not built on the user's ``personal`` words (names,
    username) and not guessable by zxcvbn's estimate (repeats, sequences, keyboard patterns,
    dictionary words with digits).

    :raises WeakPassword: the subclass naming the first rule broken.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort()
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordTooLong()
    strength = Strength.of(password, personal)
    if strength.personal and (strength.score < 4 or 2 * strength.personal >= strength.length):
        raise PasswordLikeName()
    if 2 * strength.common >= strength.length:
        raise PasswordTooCommon()
    if strength.score < GOOD_ENOUGH:
        raise PasswordGuessable()


# -- sessions --------------------------------------------------------------------------------

TOUCH_EVERY = timedelta(minutes=1)
"""A session's ``last_seen_at`` is written at most this often (a write per page is too many)."""
SESSION_SECRET_LENGTH = 43  # 32 random bytes, base64url without padding


@dataclass(frozen=True)
class SessionLimits:
    """How long a sign-in of a role lasts: idle (since last seen) and absolute (since sign-in)."""

    idle: timedelta
    lifetime: timedelta


class SessionEnd(enum.StrEnum):
    """Why a session ended (the security log's ``reason``)."""

    SIGNED_OUT = "signed_out"
    ENDED_BY_USER = "ended_by_user"  # from the list of one's own sign-ins
    EVERYWHERE = "everywhere"  # the user signed out everywhere
    PASSWORD_CHANGED = "password_changed"  # noqa: S105  (an event's name, not a secret)
    PASSWORD_SET = "password_set"  # noqa: S105  (an event's name, not a secret)
    DEACTIVATED = "deactivated"
    ACCOUNT_CHANGED = "account_changed"  # a new role or organisation (app.staff)
    SECOND_FACTOR_RESET = "second_factor_reset"
    ORGANISATION_DEACTIVATED = "organisation_deactivated"
    SIGN_IN_LOCKED = "sign_in_locked"  # a client's sign-in
    IDLE = "idle"
    LIFETIME = "lifetime"


def session_ended(
    *, created_at: datetime, last_seen_at: datetime, limits: SessionLimits, now: datetime
) -> SessionEnd | None:
    """Why a session is over at ``now`` (idle too long, or past its lifetime), or None.

    The idle time counts from ``last_seen_at``, which is written at most every
    ``TOUCH_EVERY``: a session may idle out up to that much early, never late.
    """
    if now >= created_at + limits.lifetime:
        return SessionEnd.LIFETIME
    if now - last_seen_at > limits.idle:
        return SessionEnd.IDLE
    return None


def needs_touch(last_seen_at: datetime, now: datetime) -> bool:
    """Whether a request at ``now`` should write the session's ``last_seen_at``."""
    return now - last_seen_at >= TOUCH_EVERY


def may_be_session_secret(secret: object) -> bool:
    """Whether a cookie's value has a session secret's shape at all (else it is not looked up)."""
    return isinstance(secret, str) and len(secret) == SESSION_SECRET_LENGTH


_BROWSERS = (  # order matters: Edge and Opera say "Chrome", Chrome says "Safari"
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Windows", "Windows"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def user_agent_summary(header: str | None) -> str:
    """ "Firefox, Windows": the browser and system families a sign-in came from, nothing more.

    Enough for a person to recognise their own devices in the list of sign-ins; the raw
    header (versions, build numbers) would only make a fingerprint.
    """
    text = header or ""
    browser = next((name for marker, name in _BROWSERS if marker in text), "")
    system = next((name for marker, name in _SYSTEMS if marker in text), "")
    return ", ".join(part for part in (browser, system) if part)
