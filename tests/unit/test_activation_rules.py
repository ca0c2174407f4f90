"""A client's sign-in: the activation code's shape and the username and password rules."""

from __future__ import annotations

import pytest

from app.accounts.rules import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PasswordLikeName,
    PasswordTooLong,
    PasswordTooShort,
    WeakPassword,
)
from app.activation.rules import (
    CODE_LENGTH,
    InvalidUsername,
    PasswordContainsCode,
    check_password,
    check_username,
)
from app.issued_secrets import format_code, read_code

CODE = "ABCDEFGHJKMNPQRS"


def test_a_code_is_read_without_separators_or_case() -> None:
    assert len(CODE) == CODE_LENGTH
    assert read_code(" abcd-efgh jkmn–pqrs ", CODE_LENGTH) == CODE
    assert format_code(CODE) == "ABCD-EFGH-JKMN-PQRS"


@pytest.mark.parametrize("text", [None, "", "ABCD", CODE + "A", CODE[:-1] + "0"])
def test_anything_else_cannot_be_a_code(text: str | None) -> None:
    assert read_code(text, CODE_LENGTH) is None


@pytest.mark.parametrize(
    ("password", "refusal"),
    [
        ("x" * (MIN_PASSWORD_LENGTH - 1), PasswordTooShort),
        ("x" * (MAX_PASSWORD_LENGTH + 1), PasswordTooLong),
        ("my code is " + CODE.lower(), PasswordContainsCode),
        ("secret " + CODE[6:], PasswordContainsCode),  # the verifier alone is the secret
        ("Matti.Meikalainen", PasswordLikeName),
    ],
)
def test_each_password_rule_is_its_own_refusal_on_the_password_field(
    password: str, refusal: type[WeakPassword]
) -> None:
    with pytest.raises(refusal) as raised:
        check_password(password, username="matti.meikalainen", code=CODE)
    assert raised.value.field == "password" and raised.value.status == 422


def test_the_short_password_message_names_the_minimum() -> None:
    assert PasswordTooShort().params == {"min": MIN_PASSWORD_LENGTH}


def test_a_good_password_passes() -> None:
    check_password("kolme sanaa peräkkäin", username="matti", code=CODE)


def test_a_username_is_trimmed_and_checked() -> None:
    assert check_username("  matti.m_1 ") == "matti.m_1"
    for bad in ("ma", "matti meikäläinen", "x" * 41):
        with pytest.raises(InvalidUsername):
            check_username(bad)
