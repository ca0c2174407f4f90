"""Finnish personal identity codes (henkilötunnus), including the century signs of 2023."""

from __future__ import annotations

import enum
import re
from datetime import date

from app.refusals import N_, Refused

_CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_CENTURIES = {"+": 1800, **dict.fromkeys("-YXWVU", 1900), **dict.fromkeys("ABCDEF", 2000)}
_PATTERN = re.compile(r"^(\d{2})(\d{2})(\d{2})([-+ABCDEFUVWXY])(\d{3})([0-9A-Y])$")


class Flaw(enum.StrEnum):
    """Which part of a code is wrong."""

    FORMAT = "format"
    INDIVIDUAL_NUMBER = "individual_number"
    DATE = "date"
    CONTROL_CHARACTER = "control_character"


class InvalidIdentityCode(Refused):
    """Raised when a string is not a valid Finnish identity code; ``flaw`` says why."""

    code = "invalid_identity_code"
    field = "identity_code"
    message = N_(
        "This is not a valid identity code. Check the date of birth, the century "
        "sign (for example -, Y, A or B) and the control character."
    )

    def __init__(self, flaw: Flaw) -> None:
        super().__init__()
        self.flaw = flaw


def check_character(birth: str, individual: str) -> str:
    """The control character for ``DDMMYY`` and the three-digit individual number."""
    return _CHECK_CHARS[int(birth + individual) % 31]


def parse(code: str) -> date:
    """Validate an identity code and return the birth date it encodes.

    :raises InvalidIdentityCode: on a wrong format, date or control character.
    """
    match = _PATTERN.match(code.strip().upper())
    if not match:
        raise InvalidIdentityCode(Flaw.FORMAT)
    day, month, year, sign, individual, check = match.groups()
    if individual in {"000", "001"}:
        raise InvalidIdentityCode(Flaw.INDIVIDUAL_NUMBER)
    try:
        born = date(_CENTURIES[sign] + int(year), int(month), int(day))
    except ValueError:
        raise InvalidIdentityCode(Flaw.DATE) from None
    if check_character(day + month + year, individual) != check:
        raise InvalidIdentityCode(Flaw.CONTROL_CHARACTER)
    return born


def make(born: date, individual: int) -> str:
    """Build a code for ``born`` (used for fictional data: individual numbers 900–999)."""
    sign = {1800: "+", 1900: "-", 2000: "A"}[born.year // 100 * 100]
    birth = born.strftime("%d%m%y")
    number = f"{individual:03d}"
    return f"{birth}{sign}{number}{check_character(birth, number)}"
