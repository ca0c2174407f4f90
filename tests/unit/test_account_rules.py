"""Signing in: the lockout after failed attempts and the shape of an API token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.rules import (
    LOCKOUT,
    MAX_FAILED_LOGINS,
    TOKEN_MAX_LENGTH,
    TOKEN_PREFIX,
    SignInRefusal,
    after_failure,
    locked,
    may_be_token,
)
from app.issued_secrets import token_digest

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def test_failures_before_the_limit_only_count() -> None:
    failed: int = 0
    for expected in range(1, MAX_FAILED_LOGINS):
        failed, lock = after_failure(failed, NOW)
        assert (failed, lock) == (expected, None)


def test_the_last_allowed_failure_locks_the_account_and_starts_the_count_again() -> None:
    assert after_failure(MAX_FAILED_LOGINS - 1, NOW) == (0, NOW + LOCKOUT)


@pytest.mark.parametrize(
    ("locked_until", "expected"),
    [
        (None, False),
        (NOW - timedelta(seconds=1), False),
        (NOW, False),  # the lockout has just run out
        (NOW + timedelta(seconds=1), True),
    ],
)
def test_an_account_is_locked_until_the_instant_passes(
    locked_until: datetime | None, expected: bool
) -> None:
    assert locked(locked_until, NOW) is expected


def test_only_secrets_shaped_like_tokens_are_looked_up() -> None:
    assert may_be_token(TOKEN_PREFIX + "x" * 43)
    assert not may_be_token("x" * 43)
    assert not may_be_token(TOKEN_PREFIX + "x" * TOKEN_MAX_LENGTH)


def test_a_token_is_stored_as_its_digest_only() -> None:
    secret = TOKEN_PREFIX + "abc"
    digest = token_digest(secret)
    assert digest == token_digest(secret) and len(digest) == 64 and "abc" not in digest


def test_sign_in_refusals_carry_the_english_message_the_pages_and_api_show() -> None:
    assert SignInRefusal.WRONG.message == "Wrong username or password."
    assert SignInRefusal.LOCKED.message == "Too many failed attempts. Try again in 15 minutes."
