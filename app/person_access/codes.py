"""The secrets of a person's link: the token in the URL, the short code read aloud, the binding.

Tokens and bindings are high-entropy and stored as SHA-256; the short code is stored as
an Argon2 hash (it is short enough to guess offline otherwise).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_BYTES = 32  # 256 bits: the link cannot be guessed
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no I, L, O, 0 or 1: read aloud safely
CODE_LENGTH = 8


def new_secret() -> str:
    """A link token or a browser binding secret."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_secret(secret: str) -> str:
    """SHA-256 (hex) of a high-entropy secret: a link token or a browser binding."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret_hash: str | None, secret: str | None) -> bool:
    """Whether ``secret`` is the one ``secret_hash`` was made of (constant time)."""
    if secret_hash is None or not secret:
        return False
    return hmac.compare_digest(secret_hash, hash_secret(secret))


def normalise_code(text: str) -> str:
    """The code as typed, without spaces or dashes, in capitals."""
    return "".join(ch for ch in text.upper() if not ch.isspace() and ch not in "-–")


def format_code(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_matches(hasher: PasswordHasher, code_hash: str, code: str) -> bool:
    try:
        return bool(hasher.verify(code_hash, normalise_code(code)))
    except (VerificationError, InvalidHashError):
        return False
