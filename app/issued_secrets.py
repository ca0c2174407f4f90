"""Secrets the app makes up and hands out, keeping only a hash: short codes and long tokens.

*Short codes* are typed from paper or read aloud: a client's activation code
(``app.activation``) and the code that binds a close person's link to a browser
(``app.person_access``). They use one alphabet without look-alikes, are shown in groups of
four, and are read back whatever the case and the spaces or dashes typed. They are short
enough to try every one against a stolen table, so they are stored as an argon2 hash made
with the app's password hasher (salted and slow), and checked against it.

*Tokens* are long and random: a person's link and its browser binding, and the API's bearer
tokens (``app.accounts``). 256 bits cannot be guessed, so a fast SHA-256 digest is enough,
and being unsalted it lets the row be found by the digest of the token presented.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""No 0/O, 1/I/L: a code is read from paper or over the phone and typed on a prison terminal."""

GROUP = 4  # characters between dashes: ABCD-EFGH
TOKEN_BYTES = 32  # 256 bits
_SEPARATORS = re.compile(r"[\s\-–—]+")

# -- short codes --------------------------------------------------------------------------


def new_code(length: int) -> str:
    """A random code of ``length`` characters from ``ALPHABET``."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def format_code(code: str) -> str:
    """``ABCD-EFGH-JKMN``: groups of four are easier to copy from paper or say aloud."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(text: str) -> str:
    """``text`` without spaces or dashes, in capitals: as a code is stored."""
    return _SEPARATORS.sub("", text).upper()


def read_code(text: str | None, length: int) -> str | None:
    """The code a person typed, as stored; ``None`` when it cannot be a code of ``length``."""
    if not text:
        return None
    code = normalise(text)
    if len(code) != length or any(ch not in ALPHABET for ch in code):
        return None
    return code


def hash_code(hasher: PasswordHasher, code: str) -> str:
    """What is stored of a short code: its argon2 hash (salted and slow to try)."""
    return hasher.hash(code)


def code_matches(hasher: PasswordHasher, code_hash: str | None, code: str | None) -> bool:
    """Whether ``code`` is the one ``code_hash`` was made of.

    With no hash to check against, it spends the same work as a check, so the time taken
    does not tell an unknown code from a wrong one.
    """
    if code is None:
        return False
    if code_hash is None:
        spend_a_check(hasher, code)
        return False
    try:
        return bool(hasher.verify(code_hash, code))
    except (VerificationError, InvalidHashError):
        return False


def spend_a_check(hasher: PasswordHasher, secret: str) -> None:
    """The work of checking ``secret`` against a real hash, where there is none to check.

    An unknown username or code is verified against a fixed hash made with the same
    parameters, so it takes as long as a wrong password or code for one that exists.
    """
    dummy = _dummy_hash(hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    with contextlib.suppress(VerificationError, InvalidHashError):
        hasher.verify(dummy, secret)


@functools.cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher.hash(secrets.token_urlsafe(TOKEN_BYTES))


# -- tokens -------------------------------------------------------------------------------


def new_token() -> str:
    """A token of ``TOKEN_BYTES`` random bytes, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256 digest (hex), by which its row is found."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(digest: str | None, token: str | None) -> bool:
    """Whether ``token`` is the one ``digest`` was made of (in constant time)."""
    if digest is None or not token:
        return False
    return hmac.compare_digest(digest, token_digest(token))
