"""Appointment times: Helsinki wall-clock times to UTC instants across the DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from app.appointments.rules import (
    TimeProblem,
    helsinki_day_bounds,
    helsinki_instant,
    may_change,
    may_record_held,
    meeting_times,
)
from app.models.appointment import AppointmentState

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # Winter time (UTC+2) on the Saturday before the change, summer time (UTC+3) after it.
        (date(2027, 3, 27), datetime(2027, 3, 27, 8, 0, tzinfo=UTC)),
        (date(2027, 3, 29), datetime(2027, 3, 29, 7, 0, tzinfo=UTC)),
        # And back in October (the last Sunday is 31 October 2027).
        (date(2027, 10, 30), datetime(2027, 10, 30, 7, 0, tzinfo=UTC)),
        (date(2027, 11, 1), datetime(2027, 11, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_ten_oclock_in_helsinki_is_a_different_utc_hour_on_either_side_of_a_change(
    day: date, expected: datetime
) -> None:
    assert helsinki_instant(day, time(10, 0)) == expected


def test_a_time_in_the_spring_gap_does_not_exist() -> None:
    # 28 March 2027: the clocks jump from 03:00 to 04:00.
    assert helsinki_instant(date(2027, 3, 28), time(3, 30)) is TimeProblem.NONEXISTENT
    assert helsinki_instant(date(2027, 3, 28), time(4, 0)) == datetime(
        2027, 3, 28, 1, 0, tzinfo=UTC
    )


def test_a_time_in_the_autumn_overlap_is_ambiguous() -> None:
    # 31 October 2027: 03:00–03:59 happens twice.
    assert helsinki_instant(date(2027, 10, 31), time(3, 30)) is TimeProblem.AMBIGUOUS
    assert helsinki_instant(date(2027, 10, 31), time(4, 0)) == datetime(
        2027, 10, 31, 2, 0, tzinfo=UTC
    )


def test_meeting_times_are_the_utc_instants_of_the_helsinki_times() -> None:
    assert meeting_times(date(2027, 3, 29), time(10), time(11, 30), now=NOW) == (
        datetime(2027, 3, 29, 7, 0, tzinfo=UTC),
        datetime(2027, 3, 29, 8, 30, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("day", "start", "end", "expected"),
    [
        (date(2027, 3, 28), time(3, 15), time(5), {"start_time": TimeProblem.NONEXISTENT}),
        (date(2027, 3, 28), time(2), time(3, 30), {"end_time": TimeProblem.NONEXISTENT}),
        (date(2027, 10, 31), time(3), time(5), {"start_time": TimeProblem.AMBIGUOUS}),
        (date(2027, 2, 1), time(11), time(10), {"end_time": TimeProblem.END_NOT_AFTER_START}),
        (date(2027, 2, 1), time(10), time(10), {"end_time": TimeProblem.END_NOT_AFTER_START}),
        (date(2027, 2, 1), time(8), time(16, 1), {"end_time": TimeProblem.TOO_LONG}),
        (date(2027, 1, 10), time(13), time(14), {"day": TimeProblem.IN_PAST}),  # 13:00 = 11:00Z
        (date(2029, 2, 1), time(10), time(11), {"day": TimeProblem.TOO_FAR}),
        (
            date(2027, 1, 1),
            time(11),
            time(10),
            {"end_time": TimeProblem.END_NOT_AFTER_START, "day": TimeProblem.IN_PAST},
        ),
    ],
)
def test_meeting_times_refused_by_field(
    day: date, start: time, end: time, expected: dict[str, TimeProblem]
) -> None:
    assert meeting_times(day, start, end, now=NOW) == expected


def test_the_helsinki_day_of_a_spring_change_is_23_hours_long() -> None:
    first, after = helsinki_day_bounds(date(2027, 3, 28))
    assert first == datetime(2027, 3, 27, 22, 0, tzinfo=UTC)
    assert after == datetime(2027, 3, 28, 21, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("state", "started", "change", "record"),
    [
        (AppointmentState.BOOKED, False, True, False),
        (AppointmentState.BOOKED, True, False, True),
        (AppointmentState.CANCELLED, False, False, False),
        (AppointmentState.CANCELLED, True, False, False),
        (AppointmentState.HELD, True, False, False),
    ],
)
def test_what_may_happen_to_an_appointment(
    state: AppointmentState, started: bool, change: bool, record: bool
) -> None:
    starts = (
        datetime(2027, 1, 10, 11, 0, tzinfo=UTC)
        if started
        else datetime(2027, 1, 10, 13, 0, tzinfo=UTC)
    )
    assert may_change(state, starts, NOW) is change
    assert may_record_held(state, starts, NOW) is record
