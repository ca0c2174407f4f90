from __future__ import annotations

from datetime import date

import pytest

from app.intake import identity_code
from app.intake.identity_code import Flaw, InvalidIdentityCode


@pytest.mark.parametrize(
    ("code", "born"),
    [
        ("131052-308T", date(1952, 10, 13)),  # the Digital and Population Data Services example
        ("010594Y9032", date(1994, 5, 1)),  # 2023 century sign Y (1900s)
        ("020502E903Y", date(2002, 5, 2)),  # 2023 century sign E (2000s)
        ("010190-900P", date(1990, 1, 1)),
    ],
)
def test_valid_codes(code: str, born: date) -> None:
    assert identity_code.parse(code) == born


@pytest.mark.parametrize(
    "code",
    ["131052-308U", "311352-308T", "131052/308T", "", "131052-000?", "300290-900A"],
)
def test_invalid_codes(code: str) -> None:
    with pytest.raises(InvalidIdentityCode):
        identity_code.parse(code)


@pytest.mark.parametrize(
    ("code", "flaw"),
    [
        ("131052/308T", Flaw.FORMAT),
        ("", Flaw.FORMAT),
        ("131052-001T", Flaw.INDIVIDUAL_NUMBER),
        ("311352-308T", Flaw.DATE),
        ("300290-900A", Flaw.DATE),
        ("131052-308U", Flaw.CONTROL_CHARACTER),
    ],
)
def test_an_invalid_code_says_which_part_is_wrong(code: str, flaw: Flaw) -> None:
    with pytest.raises(InvalidIdentityCode) as refused:
        identity_code.parse(code)
    assert refused.value.flaw is flaw
    assert refused.value.messages() == [
        ("identity_code", "invalid_identity_code", InvalidIdentityCode.message)
    ]


@pytest.mark.parametrize("individual", [900, 950, 999])
def test_made_codes_are_valid_and_in_the_fictional_range(individual: int) -> None:
    code = identity_code.make(date(2001, 12, 31), individual)
    assert identity_code.parse(code) == date(2001, 12, 31)
    assert code[7:10] == str(individual)
