"""Finnish public holidays and office working days, from which the checklist's dates move."""

from __future__ import annotations

from datetime import date, timedelta


def easter_sunday(year: int) -> date:
    """Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday) // 451
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return date(year, month, day + 1)


def finnish_holidays(year: int) -> frozenset[date]:
    """Days offices are closed in Finland besides weekends.

    The public holidays, with Midsummer Eve and Christmas Eve, which are not holidays by
    law but on which offices are closed all the same.
    """
    easter = easter_sunday(year)
    midsummer_eve = next(date(year, 6, d) for d in range(19, 26) if date(year, 6, d).weekday() == 4)
    return frozenset(
        {
            date(year, 1, 1),  # New Year's Day
            date(year, 1, 6),  # Epiphany
            easter - timedelta(days=2),  # Good Friday
            easter + timedelta(days=1),  # Easter Monday
            date(year, 5, 1),  # May Day
            easter + timedelta(days=39),  # Ascension Day
            midsummer_eve,
            date(year, 12, 6),  # Independence Day
            date(year, 12, 24),  # Christmas Eve
            date(year, 12, 25),
            date(year, 12, 26),
        }
    )


def is_working_day(day: date) -> bool:
    """Whether offices are open: a weekday that is not in ``finnish_holidays``."""
    return day.weekday() < 5 and day not in finnish_holidays(day.year)


def working_day_on_or_after(day: date) -> date:
    """``day`` itself when offices are open, otherwise the next day they are."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day
