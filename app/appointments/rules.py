"""Pure rules of appointments: Helsinki wall-clock times to UTC instants, and what may happen.

A time the worker or a partner system gives is a Helsinki wall-clock time on a day. Twice a
year that is not one instant: on the last Sunday of March the clocks jump from 03:00 to
04:00, so 03:30 never happens (``NONEXISTENT``); on the last Sunday of October 03:00–03:59
happens twice (``AMBIGUOUS``). Both are refused with their own code rather than guessed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from app.models.appointment import (
    AppointmentEventKind,
    AppointmentState,
    ClientAsk,
    ClientPreference,
)
from app.refusals import N_, Code
from consent.status import HELSINKI

LONGEST = timedelta(hours=8)
BOOKABLE_AHEAD = timedelta(days=366 * 2)


class TimeProblem(Code):
    NONEXISTENT = (
        "time_nonexistent",
        N_("This time does not exist in Finland on that day: the clocks move forward an hour."),
    )
    AMBIGUOUS = (
        "time_ambiguous",
        N_("This time happens twice in Finland on that day: the clocks move back an hour."),
    )
    END_NOT_AFTER_START = "end_not_after_start", N_("The end must be after the start.")
    TOO_LONG = "too_long", N_("An appointment can last at most 8 hours.")
    IN_PAST = "in_past", N_("The appointment must start in the future.")
    TOO_FAR = "too_far", N_("An appointment can be booked at most two years ahead.")


def helsinki_instant(day: date, at: time) -> datetime | TimeProblem:
    """The UTC instant of ``at`` o'clock on ``day`` in Helsinki, or why there is none."""
    local = datetime.combine(day, at.replace(tzinfo=None, fold=0), HELSINKI)
    instant = local.astimezone(UTC)
    if instant.astimezone(HELSINKI).replace(tzinfo=None) != local.replace(tzinfo=None):
        return TimeProblem.NONEXISTENT
    if local.replace(fold=1).utcoffset() != local.utcoffset():
        return TimeProblem.AMBIGUOUS
    return instant


def meeting_times(
    day: date, start: time, end: time, *, now: datetime
) -> tuple[datetime, datetime] | dict[str, TimeProblem]:
    """The meeting's UTC start and end from its Helsinki day and times, or the problems by
    field (``start_time``, ``end_time``, ``day``)."""
    starts = helsinki_instant(day, start)
    ends = helsinki_instant(day, end)
    problems: dict[str, TimeProblem] = {}
    if isinstance(starts, TimeProblem):
        problems["start_time"] = starts
    if isinstance(ends, TimeProblem):
        problems["end_time"] = ends
    if isinstance(starts, datetime) and isinstance(ends, datetime):
        if ends <= starts:
            problems["end_time"] = TimeProblem.END_NOT_AFTER_START
        elif ends - starts > LONGEST:
            problems["end_time"] = TimeProblem.TOO_LONG
        if starts <= now:
            problems["day"] = TimeProblem.IN_PAST
        elif starts - now > BOOKABLE_AHEAD:
            problems["day"] = TimeProblem.TOO_FAR
    if problems or not isinstance(starts, datetime) or not isinstance(ends, datetime):
        return problems
    return starts, ends


def helsinki_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants where a Helsinki calendar day starts and the next one starts (a day
    is 23 or 25 hours long when the clocks change)."""
    first = datetime.combine(day, time(0), HELSINKI).astimezone(UTC)
    after = datetime.combine(day + timedelta(days=1), time(0), HELSINKI).astimezone(UTC)
    return first, after


def may_change(state: AppointmentState, starts_at: datetime, now: datetime) -> bool:
    """Rescheduled, cancelled or confirmed: only a booked appointment that has not started."""
    return state is AppointmentState.BOOKED and starts_at > now


def may_record_held(state: AppointmentState, starts_at: datetime, now: datetime) -> bool:
    """Recorded as a contact: a booked appointment once it has started."""
    return state is AppointmentState.BOOKED and starts_at <= now


def local_parts(instant: datetime) -> tuple[date, time]:
    """An instant as its Helsinki day and wall-clock time (for forms showing it back)."""
    local = instant.astimezone(HELSINKI)
    return local.date(), local.time().replace(second=0, microsecond=0, tzinfo=None)


def ask_preference(ask: ClientAsk, preference: ClientPreference | None) -> ClientPreference | None:
    """The client's choice of a new time is kept only with a request to move."""
    return preference if ask is ClientAsk.MOVE else None


ASK_EVENTS = {
    ClientAsk.MOVE: AppointmentEventKind.ASKED_MOVE,
    ClientAsk.CANCEL: AppointmentEventKind.ASKED_CANCEL,
}
