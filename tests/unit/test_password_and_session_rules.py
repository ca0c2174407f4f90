"""The pure rules of passwords and sessions: the password rule, when a session is over, the
browser summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.rules import (
    MIN_PASSWORD_LENGTH,
    PasswordGuessable,
    PasswordLikeName,
    PasswordTooCommon,
    PasswordTooShort,
    SessionEnd,
    SessionLimits,
    WeakPassword,
    check_password,
    needs_touch,
    personal_words,
    session_ended,
    user_agent_summary,
)

MATTI = personal_words("matti.virtanen", "Matti Virtanen")
NOW = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)
STAFF = SessionLimits(idle=timedelta(minutes=30), lifetime=timedelta(hours=12))


@pytest.mark.parametrize(
    ("password", "refusal"),
    [
        ("x" * (MIN_PASSWORD_LENGTH - 1), PasswordTooShort),
        ("aaaaaaaaaaaa", PasswordGuessable),  # a repeat
        ("abcdefghijklmn", PasswordGuessable),  # a sequence
        ("1234567890ab", PasswordTooCommon),
        ("password1234", PasswordTooCommon),
        ("Salasana123!", PasswordTooCommon),  # Finnish for "password": in the leaked list
        ("Matti.Virtanen1", PasswordLikeName),
        ("virtanen1234", PasswordLikeName),
    ],
)
def test_a_weak_password_is_refused_with_its_own_reason(
    password: str, refusal: type[WeakPassword]
) -> None:
    with pytest.raises(refusal) as raised:
        check_password(password, personal=MATTI)
    assert raised.value.field == "password" and raised.value.status == 422


@pytest.mark.parametrize(
    "password",
    ["kolme sanaa peräkkäin", "sininen kettu juoksee metsässä", "Virtanen kissa koira talo"],
)
def test_a_passphrase_passes_even_with_the_name_in_it(password: str) -> None:
    check_password(password, personal=MATTI)


def test_the_list_of_common_passwords_is_tens_of_thousands_long() -> None:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    assert len(FREQUENCY_LISTS["passwords"]) >= 30_000


def test_a_long_password_is_judged_on_its_start_without_failing() -> None:
    check_password("vanha vene " * 50, personal=MATTI)


def test_personal_words_are_the_names_and_their_parts() -> None:
    assert personal_words("kaisa.k", None, "") == ["kaisa", "kaisa.k"]


@pytest.mark.parametrize(
    ("created", "last_seen", "expected"),
    [
        (timedelta(hours=1), timedelta(minutes=5), None),
        (timedelta(hours=1), timedelta(minutes=31), SessionEnd.IDLE),
        (timedelta(hours=12), timedelta(seconds=1), SessionEnd.LIFETIME),
        (timedelta(hours=11, minutes=59), timedelta(seconds=1), None),
    ],
)
def test_a_session_ends_when_idle_or_past_its_lifetime(
    created: timedelta, last_seen: timedelta, expected: SessionEnd | None
) -> None:
    assert (
        session_ended(created_at=NOW - created, last_seen_at=NOW - last_seen, limits=STAFF, now=NOW)
        is expected
    )


def test_last_seen_is_written_at_most_once_a_minute() -> None:
    assert not needs_touch(NOW - timedelta(seconds=59), NOW)
    assert needs_touch(NOW - timedelta(minutes=1), NOW)


@pytest.mark.parametrize(
    ("header", "summary"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge, Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            "Safari, iOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome, Android",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox, Linux",
        ),
        ("curl/8.5.0", ""),
        (None, ""),
    ],
)
def test_a_user_agent_is_summarised_to_browser_and_system_families(
    header: str | None, summary: str
) -> None:
    assert user_agent_summary(header) == summary
