"""Finnish personal identity codes (henkilötunnus), including the century signs of 2023."""

from __future__ import annotations

import re
from datetime import date

_CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_CENTURIES = {"+": 1800, **dict.fromkeys("-YXWVU", 1900), **dict.fromkeys("ABCDEF", 2000)}
_PATTERN = re.compile(r"^(\d{2})(\d{2})(\d{2})([-+ABCDEFUVWXY])(\d{3})([0-9A-Y])$")


class InvalidIdentityCode(ValueError):
    """Raised when a string is not a valid Finnish identity code."""


def check_character(birth: str, individual: str) -> str:
    """The control character for ``DDMMYY`` and the three-digit individual number."""
    return _CHECK_CHARS[int(birth + individual) % 31]


def parse(code: str) -> date:
    """Validate an identity code and return the birth date it encodes.

    :raises InvalidIdentityCode: on a wrong format, date or control character.
    """
    match = _PATTERN.match(code.strip().upper())
    if not match:
        raise InvalidIdentityCode("format")
    day, month, year, sign, individual, check = match.groups()
    if individual in {"000", "001"}:
        raise InvalidIdentityCode("individual number")
    try:
        born = date(_CENTURIES[sign] + int(year), int(month), int(day))
    except ValueError:
        raise InvalidIdentityCode("date") from None
    if check_character(day + month + year, individual) != check:
        raise InvalidIdentityCode("control character")
    return born


def make(born: date, individual: int) -> str:
    """Build a code for ``born`` (used for fictional data: individual numbers 900–999)."""
    sign = {1800: "+", 1900: "-", 2000: "A"}[born.year // 100 * 100]
    birth = born.strftime("%d%m%y")
    number = f"{individual:03d}"
    return f"{birth}{sign}{number}{check_character(birth, number)}"
