"""Signing in: what a refusal says and the shape of an API token."""

from __future__ import annotations

from app.accounts.rules import TOKEN_MAX_LENGTH, TOKEN_PREFIX, SignInRefusal, may_be_token
from app.issued_secrets import token_digest


def test_only_secrets_shaped_like_tokens_are_looked_up() -> None:
    assert may_be_token(TOKEN_PREFIX + "x" * 43)
    assert not may_be_token("x" * 43)
    assert not may_be_token(TOKEN_PREFIX + "x" * TOKEN_MAX_LENGTH)


def test_a_token_is_stored_as_its_digest_only() -> None:
    secret = TOKEN_PREFIX + "abc"
    digest = token_digest(secret)
    assert digest == token_digest(secret) and len(digest) == 64 and "abc" not in digest


def test_sign_in_refusals_carry_the_english_message_the_pages_and_api_show() -> None:
    # One refusal only: nothing tells an unknown username from a wrong password or a lock.
    assert [refusal.message for refusal in SignInRefusal] == ["Wrong username or password."]
