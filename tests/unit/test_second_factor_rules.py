"""TOTP codes (RFC 6238): the codes a secret makes, the window, and replay refused."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from app.second_factor.rules import (
    STEP_SECONDS,
    CodeCheck,
    check_code,
    code_at,
    grouped,
    provisioning_uri,
    read_code,
    secret_text,
    time_step,
)

RFC_SECRET = b"12345678901234567890"  # RFC 6238 appendix B, SHA-1
AT = datetime(2026, 12, 8, 9, 0, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("unix_time", "eight_digits"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
    ],
)
def test_codes_are_those_of_rfc_6238(unix_time: int, eight_digits: str) -> None:
    step = time_step(datetime.fromtimestamp(unix_time, UTC))
    assert code_at(RFC_SECRET, step) == eight_digits[-6:]


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_a_code_of_the_step_before_now_or_after_is_accepted(offset: int) -> None:
    step = time_step(AT) + offset
    verdict = check_code(RFC_SECRET, code_at(RFC_SECRET, step), AT, None)
    assert (verdict.outcome, verdict.step) == (CodeCheck.ACCEPTED, step)


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_a_code_two_steps_away_is_refused(offset: int) -> None:
    code = code_at(RFC_SECRET, time_step(AT) + offset)
    assert check_code(RFC_SECRET, code, AT, None).outcome is CodeCheck.WRONG


def test_a_code_of_the_last_step_used_or_an_earlier_one_is_replayed() -> None:
    now = time_step(AT)
    code = code_at(RFC_SECRET, now)
    assert check_code(RFC_SECRET, code, AT, now).outcome is CodeCheck.REPLAYED
    earlier = code_at(RFC_SECRET, now - 1)
    assert check_code(RFC_SECRET, earlier, AT, now).outcome is CodeCheck.REPLAYED
    later = check_code(RFC_SECRET, code_at(RFC_SECRET, now + 1), AT, now)
    assert (later.outcome, later.step) == (CodeCheck.ACCEPTED, now + 1)
    # Half a minute on, the code used at ``now`` is still in the window: still refused.
    assert check_code(RFC_SECRET, code, AT + timedelta(seconds=STEP_SECONDS), now).outcome is (
        CodeCheck.REPLAYED
    )


def test_a_wrong_or_missing_code_is_wrong() -> None:
    right = code_at(RFC_SECRET, time_step(AT))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert check_code(RFC_SECRET, wrong, AT, None).outcome is CodeCheck.WRONG
    assert check_code(RFC_SECRET, None, AT, None).outcome is CodeCheck.WRONG


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("123456", "123456"),
        (" 123 456 ", "123456"),
        ("123-456", "123456"),
        ("12345", None),
        ("1234567", None),
        ("12345a", None),
        ("", None),
        (None, None),
        ("١٢٣٤٥٦", None),
    ],
)
def test_what_a_person_types_is_read_as_six_digits_or_nothing(
    typed: str | None, read: str | None
) -> None:
    assert read_code(typed) == read


def test_the_secret_is_shown_as_grouped_base32_and_carried_in_an_otpauth_uri() -> None:
    text = secret_text(RFC_SECRET)
    assert base64.b32decode(text) == RFC_SECRET and "=" not in text
    assert grouped("ABCDEFGHIJ") == "ABCD EFGH IJ"
    uri = urlsplit(provisioning_uri(RFC_SECRET, "maija.worker"))
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert uri.path == "/Tukiverkko:maija.worker"
    query = parse_qs(uri.query)
    assert query["secret"] == [text] and query["issuer"] == ["Tukiverkko"]
