"""The pure rules of a case: its timeline, its key release dates, and who may be appointed.

No database, no clock: today is a parameter. Rules answer in codes (``Code`` members whose
message is the English source string); the form or ``app/errors.py`` translates them.
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date, datetime

from app.models import Case, Phase, ResponsibleWorker, User
from app.models.case import PhaseChange
from app.refusals import N_, Code
from consent.status import helsinki_day

# Supervised probationary liberty (valvottu koevapaus) can start at most this many months
# before the expected conditional release (DOMAIN.md, requirement 11).
PROBATION_MAX_MONTHS_BEFORE_RELEASE = 6


# -- the timeline -------------------------------------------------------------------------


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


def build_timeline(case: Case, changes: list[PhaseChange], today: date) -> list[TimelineEntry]:
    """The phases entered (with dates), the key dates and today in date order, then the
    phases still to come in the model's order.

    A case without recorded changes shows its current phase from the day it opened.
    """
    first = changes[0].from_phase if changes else case.phase
    entered: list[TimelineEntry] = [
        TimelineEntry(helsinki_day(case.opened_at), first, at=case.opened_at)
    ]
    entered += [
        TimelineEntry(helsinki_day(c.changed_at), c.phase, at=c.changed_at, by=c.changed_by)
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


# -- the key release dates ----------------------------------------------------------------


class DateProblem(Code):
    """A broken rule between the key dates (``PROBLEM_FIELD`` says which field shows it)."""

    RELEASE_BEFORE_SENTENCE = (
        "release_before_sentence",
        N_("The conditional release cannot be before the sentence started."),
    )
    PROBATION_WITHOUT_RELEASE = (
        "probation_without_release",
        N_("Give the expected conditional release too: probationary liberty is timed from it."),
    )
    PROBATION_END_WITHOUT_START = (
        "probation_end_without_start",
        N_("Give the day the probationary liberty starts too."),
    )
    PROBATION_BEFORE_SENTENCE = (
        "probation_before_sentence",
        N_("The probationary liberty cannot start before the sentence."),
    )
    # The message's %(date)s is the earliest start (``earliest_probation_start``).
    PROBATION_TOO_EARLY = (
        "probation_too_early",
        N_(
            "Supervised probationary liberty can start at most 6 months before the "
            "conditional release, so on %(date)s at the earliest."
        ),
    )
    PROBATION_NOT_BEFORE_RELEASE = (
        "probation_not_before_release",
        N_("The probationary liberty must start before the conditional release."),
    )
    PROBATION_ENDS_BEFORE_START = (
        "probation_ends_before_start",
        N_("The probationary liberty cannot end before it starts."),
    )
    PROBATION_ENDS_AFTER_RELEASE = (
        "probation_ends_after_release",
        N_("The probationary liberty ends on the conditional release at the latest."),
    )


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


# -- the responsible worker (omatyöntekijä) -----------------------------------------------


class AppointmentProblem(Code):
    """Why an appointment cannot be made (``APPOINTMENT_FIELD`` says which field shows it)."""

    # Not an active caseworker of the case's county.
    NOT_A_COLLEAGUE = "not_a_colleague", N_("Choose the worker.")
    ALREADY_CURRENT = "already_current", N_("This worker is already the responsible worker.")
    # The message's %(date)s is the day the latest appointment started.
    BEFORE_CURRENT_START = (
        "before_current_start",
        N_("The appointment cannot start before the current one began (%(date)s)."),
    )
    IN_FUTURE = (
        "in_future",
        N_("The appointment can start today at the latest: record it on the day it begins."),
    )


APPOINTMENT_FIELD = {
    AppointmentProblem.NOT_A_COLLEAGUE: "worker",
    AppointmentProblem.ALREADY_CURRENT: "worker",
    AppointmentProblem.BEFORE_CURRENT_START: "starts_on",
    AppointmentProblem.IN_FUTURE: "starts_on",
}


def current_appointment(history: list[ResponsibleWorker]) -> ResponsibleWorker | None:
    """The open appointment of a case's history, if any."""
    return next((row for row in history if row.ends_on is None), None)


def appointment_problem(
    history: list[ResponsibleWorker], worker: User | None, starts_on: date, today: date
) -> AppointmentProblem | None:
    """What is wrong with appointing ``worker`` from ``starts_on`` (``None`` when nothing).

    ``history`` is the case's appointments, newest first; ``worker`` is ``None`` when the
    chosen user is not a caseworker of the county.
    """
    if worker is None:
        return AppointmentProblem.NOT_A_COLLEAGUE
    # Future appointments would end the current worker's access before the day comes.
    if starts_on > today:
        return AppointmentProblem.IN_FUTURE
    latest = history[0] if history else None
    current = current_appointment(history)
    if current is not None and current.worker_id == worker.id:
        return AppointmentProblem.ALREADY_CURRENT
    if latest is not None and starts_on < latest.starts_on:
        return AppointmentProblem.BEFORE_CURRENT_START
    return None


# -- parallel plans of other organisations ------------------------------------------------


class ParallelPlanProblem(Code):
    """What is wrong with a parallel plan's reference (``PARALLEL_PLAN_FIELD``: shown where)."""

    OWNER_MISSING = (
        "owner_missing",
        N_("Choose the organisation that owns the plan, or write the owner."),
    )
    OWNER_TWICE = (
        "owner_twice",
        N_("Give the owner once: either from the directory or written here."),
    )
    REVIEW_BEFORE_MADE = (
        "review_before_made",
        N_("The review cannot be before the plan was made."),
    )


PARALLEL_PLAN_FIELD = {
    ParallelPlanProblem.OWNER_MISSING: "organisation",
    ParallelPlanProblem.OWNER_TWICE: "owner_name",
    ParallelPlanProblem.REVIEW_BEFORE_MADE: "review_on",
}


def parallel_plan_problems(
    in_directory: bool, owner_name: str | None, made_on: date | None, review_on: date | None
) -> dict[str, ParallelPlanProblem]:
    """The problems of a parallel plan's reference, by the field each is shown on.

    The owner is given once: an organisation of the directory (``in_directory``) or a
    written name; the next review is not before the plan was made.
    """
    owner = (owner_name or "").strip()
    problems = []
    if not in_directory and not owner:
        problems.append(ParallelPlanProblem.OWNER_MISSING)
    elif in_directory and owner:
        problems.append(ParallelPlanProblem.OWNER_TWICE)
    if made_on and review_on and review_on < made_on:
        problems.append(ParallelPlanProblem.REVIEW_BEFORE_MADE)
    return {PARALLEL_PLAN_FIELD[problem]: problem for problem in problems}
