"""Where a case stands in the VAPAA process: phase history, key release dates and their rules.

The timeline is built by a pure function from the case, its phase changes and today's
date; the page renders it as one ordered list, oldest first.
"""

from __future__ import annotations

import calendar
import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.i18n import HELSINKI
from app.models import Case, Phase, User
from app.models.case import PhaseChange, ReleaseDatesChange

# Supervised probationary liberty (valvottu koevapaus) can start at most this many months
# before the expected conditional release (DOMAIN.md, requirement 11).
PROBATION_MAX_MONTHS_BEFORE_RELEASE = 6


class Milestone(enum.StrEnum):
    """A dated point of the client's sentence placed on the timeline."""

    SENTENCE_START = "sentence_start"
    PROBATION_START = "probation_start"
    PROBATION_END = "probation_end"
    CONDITIONAL_RELEASE = "conditional_release"
    TODAY = "today"


@dataclass(frozen=True)
class TimelineEntry:
    """One item of the timeline: a phase entered, a key date, today, or a phase to come.

    ``on`` is a Helsinki calendar day; ``None`` for a phase not reached yet, or a phase
    whose entry date was not recorded (``recorded`` is then False).
    """

    on: date | None
    phase: Phase | None = None
    milestone: Milestone | None = None
    at: datetime | None = None
    by: User | None = None
    current: bool = False
    upcoming: bool = False
    recorded: bool = True


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day if shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def earliest_probation_start(conditional_release: date) -> date:
    """The first day supervised probationary liberty may start, given the conditional release."""
    return months_before(conditional_release, PROBATION_MAX_MONTHS_BEFORE_RELEASE)


def phase_changes(session: Session, case_id: uuid.UUID) -> list[PhaseChange]:
    """The case's phase changes, oldest first, with who made them (one query each)."""
    return list(
        session.scalars(
            select(PhaseChange)
            .where(PhaseChange.case_id == case_id)
            .options(joinedload(PhaseChange.changed_by))
            .order_by(PhaseChange.changed_at, PhaseChange.id)
        )
    )


def build_timeline(case: Case, changes: list[PhaseChange], today: date) -> list[TimelineEntry]:
    """The phases entered (with dates), the key dates and today in date order, then the
    phases still to come in the model's order.

    A case without recorded changes shows its current phase from the day it opened.
    """
    first = changes[0].from_phase if changes else case.phase
    entered: list[TimelineEntry] = [TimelineEntry(_day(case.opened_at), first, at=case.opened_at)]
    entered += [
        TimelineEntry(_day(c.changed_at), c.phase, at=c.changed_at, by=c.changed_by)
        for c in changes
    ]
    if entered[-1].phase != case.phase:
        # Moved without a recorded change (e.g. by an import): the day is unknown.
        entered.append(TimelineEntry(None, case.phase, recorded=False))
    last = entered[-1]
    entered[-1] = TimelineEntry(
        last.on, last.phase, at=last.at, by=last.by, current=True, recorded=last.recorded
    )
    dated = [
        *entered,
        *(
            TimelineEntry(day, milestone=milestone)
            for milestone, day in (
                (Milestone.SENTENCE_START, case.sentence_start),
                (Milestone.PROBATION_START, case.probation_start),
                (Milestone.PROBATION_END, case.probation_end),
                (Milestone.CONDITIONAL_RELEASE, case.conditional_release),
            )
            if day is not None
        ),
        TimelineEntry(today, milestone=Milestone.TODAY),
    ]

    def order(entry: TimelineEntry) -> tuple[date, int]:
        # On one day: phases, then key dates, then today. An undated phase sits before today.
        if entry.phase is not None:
            return entry.on or today, 0
        assert entry.on is not None
        return entry.on, 2 if entry.milestone is Milestone.TODAY else 1

    dated.sort(key=order)
    phases = list(Phase)
    to_come = [
        TimelineEntry(None, phase, upcoming=True)
        for phase in phases[phases.index(case.phase) + 1 :]
    ]
    return dated + to_come


def change_phase(
    session: Session, case: Case, phase: Phase, by_id: uuid.UUID | None
) -> PhaseChange:
    """Move the case to ``phase`` and record who did it and when.

    Closing a case is its own procedure (retention, seals), so not a phase change here.

    :raises ValueError: when ``phase`` is the current phase or ``Phase.CLOSED``, or the case
        is closed.
    """
    if phase is Phase.CLOSED or case.phase is Phase.CLOSED or case.closed_at is not None:
        raise ValueError("closing and reopening are not phase changes")
    if phase == case.phase:
        raise ValueError("the case is already in this phase")
    change = PhaseChange(case_id=case.id, from_phase=case.phase, phase=phase, changed_by_id=by_id)
    session.add(change)
    case.phase = phase
    session.flush()
    return change


class DateProblem(enum.StrEnum):
    """A broken rule between the key dates; the value names the field it is shown on."""

    RELEASE_BEFORE_SENTENCE = "release_before_sentence"
    PROBATION_WITHOUT_RELEASE = "probation_without_release"
    PROBATION_END_WITHOUT_START = "probation_end_without_start"
    PROBATION_BEFORE_SENTENCE = "probation_before_sentence"
    PROBATION_TOO_EARLY = "probation_too_early"
    PROBATION_NOT_BEFORE_RELEASE = "probation_not_before_release"
    PROBATION_ENDS_BEFORE_START = "probation_ends_before_start"
    PROBATION_ENDS_AFTER_RELEASE = "probation_ends_after_release"


# Which field each problem is shown on.
PROBLEM_FIELD = {
    DateProblem.RELEASE_BEFORE_SENTENCE: "conditional_release",
    DateProblem.PROBATION_WITHOUT_RELEASE: "conditional_release",
    DateProblem.PROBATION_END_WITHOUT_START: "probation_start",
    DateProblem.PROBATION_BEFORE_SENTENCE: "probation_start",
    DateProblem.PROBATION_TOO_EARLY: "probation_start",
    DateProblem.PROBATION_NOT_BEFORE_RELEASE: "probation_start",
    DateProblem.PROBATION_ENDS_BEFORE_START: "probation_end",
    DateProblem.PROBATION_ENDS_AFTER_RELEASE: "probation_end",
}


def release_date_problems(
    sentence_start: date | None,
    conditional_release: date | None,
    probation_start: date | None,
    probation_end: date | None,
) -> list[DateProblem]:
    """The rules the key dates break, if any (every date may be unknown)."""
    problems = []
    if sentence_start and conditional_release and conditional_release < sentence_start:
        problems.append(DateProblem.RELEASE_BEFORE_SENTENCE)
    if probation_end and not probation_start:
        problems.append(DateProblem.PROBATION_END_WITHOUT_START)
    if probation_start:
        if not conditional_release:
            problems.append(DateProblem.PROBATION_WITHOUT_RELEASE)
        elif probation_start < earliest_probation_start(conditional_release):
            problems.append(DateProblem.PROBATION_TOO_EARLY)
        elif probation_start >= conditional_release:
            problems.append(DateProblem.PROBATION_NOT_BEFORE_RELEASE)
        if sentence_start and probation_start < sentence_start:
            problems.append(DateProblem.PROBATION_BEFORE_SENTENCE)
        if probation_end and probation_end < probation_start:
            problems.append(DateProblem.PROBATION_ENDS_BEFORE_START)
    if probation_end and conditional_release and probation_end > conditional_release:
        problems.append(DateProblem.PROBATION_ENDS_AFTER_RELEASE)
    return problems


def save_release_dates(
    session: Session,
    case: Case,
    by_id: uuid.UUID | None,
    *,
    sentence_start: date | None,
    conditional_release: date | None,
    probation_start: date | None,
    probation_end: date | None,
) -> ReleaseDatesChange | None:
    """Set the case's key dates and record the change; ``None`` when nothing changed.

    :raises ValueError: when the dates break a rule of ``release_date_problems``.
    """
    dates = {
        "sentence_start": sentence_start,
        "conditional_release": conditional_release,
        "probation_start": probation_start,
        "probation_end": probation_end,
    }
    if problems := release_date_problems(**dates):
        raise ValueError(", ".join(problems))
    if all(getattr(case, name) == value for name, value in dates.items()):
        return None
    for name, value in dates.items():
        setattr(case, name, value)
    change = ReleaseDatesChange(case_id=case.id, changed_by_id=by_id, **dates)
    session.add(change)
    session.flush()
    return change


def last_release_dates_change(session: Session, case_id: uuid.UUID) -> ReleaseDatesChange | None:
    """Who last saved the key dates and when (one query)."""
    return session.scalars(
        select(ReleaseDatesChange)
        .where(ReleaseDatesChange.case_id == case_id)
        .options(joinedload(ReleaseDatesChange.changed_by))
        .order_by(ReleaseDatesChange.changed_at.desc(), ReleaseDatesChange.id)
        .limit(1)
    ).first()


def _day(at: datetime) -> date:
    return at.astimezone(HELSINKI).date()
