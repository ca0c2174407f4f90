"""The checklist's rules: the release day, which tasks the dates call for and when they are
due, and who sees to a new item (DOMAIN.md, requirement 11).

Due dates count back from the **release day**, the day the client leaves prison: the start
of supervised probationary liberty (valvottu koevapaus) when one is recorded — housing and
income must be in place by then, a suitable home being a condition of probationary liberty —
and otherwise the expected conditional release. Pure: no database, no clock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from app.cases.rules import months_before
from app.models.release import ChecklistItem, ItemState, ReleaseTask
from app.release.holidays import working_day_on_or_after
from consent.sections import SectionKind
from consent.status import release_day as release_day  # the one rule; the checklist reads it

# Supervised probationary liberty is planned at the earliest this long before the expected
# conditional release (and may start at most six months before it, which the key dates'
# own rules enforce: app.cases.rules.release_date_problems).
PROBATION_PLANNING_MONTHS_BEFORE_RELEASE = 12
# The probationary-liberty plan is due this long before the probationary liberty starts.
PROBATION_PLAN_DUE_MONTHS = 2
# Health and substance-use services: the first appointment booked two weeks ahead.
SERVICES_BOOKED_DAYS_BEFORE = 14


def probation_planning_opens(conditional_release: date | None) -> date | None:
    """The first day probationary liberty may be planned: a year before conditional release."""
    if conditional_release is None:
        return None
    return months_before(conditional_release, PROBATION_PLANNING_MONTHS_BEFORE_RELEASE)


@dataclass(frozen=True)
class PlannedTask:
    """A task the dates call for: when it is due and, for some, when it can start."""

    task: ReleaseTask
    due_on: date | None
    opens_on: date | None = None


def planned_tasks(
    conditional_release: date | None, probation_start: date | None
) -> list[PlannedTask]:
    """Every task of the checklist in order, with due dates derived from the key dates.

    Unknown dates give tasks without a due date (the worker sees the checklist anyway and
    gets the dates by generating again once the dates are known). The probationary-liberty
    task comes only when a probationary liberty is recorded.
    """
    day = release_day(conditional_release, probation_start)

    def before(months: int) -> date | None:
        return months_before(day, months) if day else None

    two_weeks_before = day - timedelta(days=SERVICES_BOOKED_DAYS_BEFORE) if day else None
    tasks = [
        PlannedTask(ReleaseTask.HOUSING_APPLICATION, before(3)),
        PlannedTask(ReleaseTask.IDENTITY_CARD, before(2)),
        PlannedTask(ReleaseTask.DEBT_ADVICE, before(2)),
        PlannedTask(ReleaseTask.KELA_SOCIAL_ASSISTANCE, before(1)),
        PlannedTask(ReleaseTask.BANK_ACCOUNT, before(1)),
        PlannedTask(ReleaseTask.WORK_OR_STUDY, before(1)),
        PlannedTask(ReleaseTask.HEALTH_CARE, two_weeks_before),
        PlannedTask(ReleaseTask.SUBSTANCE_SERVICES, two_weeks_before),
        PlannedTask(ReleaseTask.FIRST_MEETING, working_day_on_or_after(day) if day else None),
    ]
    if probation_start is not None:
        opens = probation_planning_opens(conditional_release)
        due = months_before(probation_start, PROBATION_PLAN_DUE_MONTHS)
        tasks.insert(0, PlannedTask(ReleaseTask.PROBATION_PLANNING, max(due, opens or due), opens))
    return tasks


@dataclass(frozen=True)
class Responsible:
    """Who sees to an item: a network member, a county worker of the case, or nobody yet."""

    member_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None

    @property
    def key(self) -> str:
        """The value of a form's choice (``member:<id>``, ``user:<id>`` or empty)."""
        if self.member_id:
            return f"member:{self.member_id}"
        return f"user:{self.user_id}" if self.user_id else ""

    @classmethod
    def from_key(cls, key: str | None) -> Responsible:
        """The responsible a choice names; nobody for anything unreadable."""
        kind, _, raw = (key or "").partition(":")
        try:
            value = uuid.UUID(raw)
        except ValueError:
            return cls()
        if kind not in ("member", "user"):
            return cls()
        return cls(member_id=value) if kind == "member" else cls(user_id=value)

    @classmethod
    def of(cls, item: ChecklistItem) -> Responsible:
        return cls(item.responsible_member_id, item.responsible_user_id)


# The plan section whose responsible members see to each task (None: the worker's own).
TASK_SECTION: dict[ReleaseTask, SectionKind | None] = {
    ReleaseTask.HOUSING_APPLICATION: SectionKind.HOUSING,
    ReleaseTask.KELA_SOCIAL_ASSISTANCE: SectionKind.LIVELIHOOD,
    ReleaseTask.BANK_ACCOUNT: SectionKind.LIVELIHOOD,
    ReleaseTask.DEBT_ADVICE: SectionKind.LIVELIHOOD,
    ReleaseTask.IDENTITY_CARD: SectionKind.RELEASE_TRANSITION,
    ReleaseTask.HEALTH_CARE: SectionKind.HEALTH,
    ReleaseTask.SUBSTANCE_SERVICES: SectionKind.HEALTH,
    ReleaseTask.WORK_OR_STUDY: SectionKind.EDUCATION_WORK,
    ReleaseTask.FIRST_MEETING: None,
    ReleaseTask.PROBATION_PLANNING: SectionKind.PROBATIONARY_LIBERTY,
}


def default_responsible(
    task: ReleaseTask,
    plan_responsibles: dict[SectionKind, list[uuid.UUID]],
    probation_member_id: uuid.UUID | None,
    worker_id: uuid.UUID | None,
) -> Responsible:
    """Who a new generated item goes to: the first member the plan names responsible for
    its area, else the probation office for probationary-liberty planning, else the
    responsible worker (``worker_id``; nobody when the case has none)."""
    section = TASK_SECTION[task]
    named = plan_responsibles.get(section, []) if section else []
    if named:
        return Responsible(member_id=named[0])
    if task is ReleaseTask.PROBATION_PLANNING and probation_member_id is not None:
        return Responsible(member_id=probation_member_id)
    return Responsible(user_id=worker_id)


def is_overdue(item: ChecklistItem, today: date) -> bool:
    """An open item whose due date has passed."""
    return item.state is ItemState.OPEN and item.due_on is not None and item.due_on < today
