"""The rules of signing in: what a refusal says, and what a token looks like.

Pure: no database, no clock.
"""

from __future__ import annotations

from app.refusals import N_, Code

TOKEN_PREFIX = "tkv_"  # noqa: S105  (the public marker of a token, not a secret)
TOKEN_MAX_LENGTH = 100


class SignInRefusal(Code):
    """Why credentials signed nobody in (a sign-in page or the API says so its own way)."""

    # An unknown user, a wrong password and an inactive account are never told apart.
    WRONG = "wrong", N_("Wrong username or password.")


def may_be_token(secret: str) -> bool:
    """Whether a presented secret has a token's shape at all (else it is not looked up)."""
    return secret.startswith(TOKEN_PREFIX) and len(secret) <= TOKEN_MAX_LENGTH
