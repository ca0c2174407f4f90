"""The network's pure rules: which periods may coexist for one organisation."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from app.network.rules import ends_before_start, overlaps
from consent.facts import Membership

DAY = date(2025, 3, 10)


def membership(
    starts_on: date, ends_on: date | None = None, ended_at: datetime | None = None
) -> Membership:
    return Membership(uuid.uuid4(), uuid.uuid4(), starts_on, ends_on, ended_at)


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "expected"),
    [
        (DAY, None, False),
        (DAY, DAY, False),
        (DAY, date(2025, 3, 9), True),
    ],
)
def test_a_period_may_not_end_before_it_starts(
    starts_on: date, ends_on: date | None, expected: bool
) -> None:
    assert ends_before_start(starts_on, ends_on) is expected


@pytest.mark.parametrize(
    ("other", "starts_on", "ends_on", "expected"),
    [
        # Open-ended memberships overlap anything that starts after them.
        (membership(DAY), date(2026, 1, 1), None, True),
        # A planned last day is inclusive.
        (membership(date(2025, 1, 1), DAY), DAY, None, True),
        (membership(date(2025, 1, 1), DAY), date(2025, 3, 11), None, False),
        # A new period that ends before the other starts.
        (membership(DAY), date(2025, 1, 1), date(2025, 3, 9), False),
        # Ended by hand on its last day: a new membership may start that day.
        (
            membership(date(2025, 1, 1), DAY, datetime(2025, 3, 10, 9, tzinfo=UTC)),
            DAY,
            None,
            False,
        ),
        # Ended by hand on its first day: it never overlaps anything.
        (membership(DAY, DAY, datetime(2025, 3, 10, 9, tzinfo=UTC)), date(2025, 1, 1), None, False),
    ],
)
def test_overlapping_periods(
    other: Membership, starts_on: date, ends_on: date | None, expected: bool
) -> None:
    assert overlaps(other, starts_on, ends_on) is expected
