"""When a reminder is due, to whom, and the period a consent's reminder offers (pure)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.models.user import Role
from app.outbox.rules import masked
from app.reminders.rules import (
    CONSENT_NOTICE_DAYS,
    LOG_REQUEST_NOTICE_DAYS,
    Audience,
    ReminderKind,
    audience_of,
    due,
    extension_until,
)
from app.reviews.rules import REMINDER_DAYS

TODAY = date(2027, 3, 15)
Kind = ReminderKind


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


@pytest.mark.parametrize(
    ("kind", "on", "expected"),
    [
        (Kind.REVIEW_DUE, day(REMINDER_DAYS), True),
        (Kind.REVIEW_DUE, day(REMINDER_DAYS + 1), False),
        (Kind.REVIEW_DUE, day(-100), True),  # a review past its day stays up
        (Kind.CONSENT_ENDING, day(CONSENT_NOTICE_DAYS), True),
        (Kind.CONSENT_ENDING, day(CONSENT_NOTICE_DAYS + 1), False),
        (Kind.CONSENT_ENDING, day(0), True),  # its last day: still there to extend
        (Kind.CONSENT_ENDING, day(-1), False),  # ended: nothing to extend
        (Kind.CONSENT_ENDING, None, False),  # no last day: never ends
        (Kind.CHECKLIST_OVERDUE, day(-1), True),
        (Kind.CHECKLIST_OVERDUE, day(0), False),  # due today is not late yet
        (Kind.CHECKLIST_OVERDUE, None, False),  # no due day: never late
        (Kind.LOG_REQUEST_DEADLINE, day(LOG_REQUEST_NOTICE_DAYS), True),
        (Kind.LOG_REQUEST_DEADLINE, day(LOG_REQUEST_NOTICE_DAYS + 1), False),
        (Kind.LOG_REQUEST_DEADLINE, day(-3), True),  # overdue stays up
        (Kind.LOG_QUERY, None, True),  # an open question waits whatever the day
    ],
)
def test_due(kind: ReminderKind, on: date | None, expected: bool) -> None:
    assert due(kind, on, TODAY) is expected


def test_each_role_has_its_audience_and_others_none() -> None:
    assert audience_of(Role.CASEWORKER) is Audience.WORKER
    assert audience_of(Role.CLIENT) is Audience.CLIENT
    assert audience_of(Role.PARTNER) is Audience.PARTNER
    for role in (Role.ADMIN, Role.MANAGER, Role.ANALYST, Role.DATA_PROTECTION):
        assert audience_of(role) is None


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "offered"),
    [
        (date(2027, 1, 1), date(2027, 7, 1), date(2027, 12, 29)),  # its own length again
        (date(2027, 3, 1), date(2027, 3, 20), date(2027, 6, 18)),  # at least 90 days
        (date(2024, 1, 1), date(2027, 3, 20), date(2028, 3, 19)),  # at most a year
    ],
)
def test_an_extension_offers_the_same_period_again_within_bounds(
    valid_from: date, valid_until: date, offered: date
) -> None:
    assert extension_until(valid_from, valid_until) == offered


def test_an_address_is_shortened_to_its_first_letter_and_domain() -> None:
    assert masked("kalle.kuvitteellinen@example.fi") == "k…@example.fi"
    assert masked("not-an-address") == "…"
