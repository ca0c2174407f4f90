"""The release-day checklist: continuity tasks with due dates derived from the case's dates.

The rules are pure functions of the dates (DOMAIN.md, requirement 11); the checklist
functions below them take a Session, flush and never commit. Due dates count back from
the **release day**, the day the client leaves prison: the start of supervised
probationary liberty (valvottu koevapaus) when one is recorded — housing and income must
be in place by then, a suitable home being a condition of probationary liberty — and
otherwise the expected conditional release.

A new item goes to whoever the client plan names responsible for its area (the plan
section's current version), else — for probationary-liberty planning — to the probation
office in the network, else to the responsible worker.

Generation is idempotent: a task already on the checklist is never added again (removed
or not), a finished one is left as it is, and an open one gets its derived dates again
unless the worker set its due date by hand.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.models import (
    Case,
    CaseTeamMember,
    ClientPlan,
    MemberKind,
    NetworkMember,
    PlanSection,
    PlanSectionVersion,
    ResponsibleWorker,
    User,
)
from app.models.plan import PlanResponsible
from app.models.release import ChecklistItem, ItemState, ReleaseTask
from app.services.case_timeline import months_before
from app.services.fields import field
from consent.base import utcnow
from consent.decision import Actor, Purpose
from consent.sections import SectionKind
from consent.status import MembershipStatus, membership_status
from sharing.gate import AccessGate

# Supervised probationary liberty is planned at the earliest this long before the expected
# conditional release (and may start at most six months before it, which the key dates'
# own rules enforce: app.services.case_timeline.release_date_problems).
PROBATION_PLANNING_MONTHS_BEFORE_RELEASE = 12
# The probationary-liberty plan is due this long before the probationary liberty starts.
PROBATION_PLAN_DUE_MONTHS = 2
# Health and substance-use services: the first appointment booked two weeks ahead.
SERVICES_BOOKED_DAYS_BEFORE = 14


# -- the rules (pure) ---------------------------------------------------------------------


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
    return day.weekday() < 5 and day not in finnish_holidays(day.year)


def working_day_on_or_after(day: date) -> date:
    """``day`` itself when offices are open, otherwise the next day they are."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def release_day(conditional_release: date | None, probation_start: date | None) -> date | None:
    """The day the client leaves prison: probationary liberty's start, if it comes before
    the conditional release, otherwise the conditional release (``None`` when unknown)."""
    if probation_start is not None and (
        conditional_release is None or probation_start < conditional_release
    ):
        return probation_start
    return conditional_release


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
    return item.state is ItemState.OPEN and item.due_on is not None and item.due_on < today


# -- the checklist ------------------------------------------------------------------------


class ChecklistError(ValueError):
    """Raised when a change to the checklist breaks one of its rules."""


class NotAResponsible(ChecklistError):
    """Raised when the chosen responsible is not an active member or a worker of the case."""


class ItemFinished(ChecklistError):
    """Raised when changing an item that is done, not needed or removed."""


@dataclass(frozen=True)
class Candidates:
    """Who may be made responsible for an item of the case."""

    members: list[NetworkMember]  # not ended, with their organisation loaded
    workers: list[User]  # the responsible worker first, then the case team
    responsible_worker_id: uuid.UUID | None

    def allows(self, who: Responsible) -> bool:
        if who.member_id:
            return any(m.id == who.member_id for m in self.members)
        if who.user_id:
            return any(u.id == who.user_id for u in self.workers)
        return True


def candidates(session: Session, case: Case, at: datetime) -> Candidates:
    """The case's members that have not ended at ``at`` and its county workers (three
    queries)."""
    members = session.scalars(
        select(NetworkMember)
        .where(NetworkMember.case_id == case.id)
        .options(joinedload(NetworkMember.organisation))
        .order_by(NetworkMember.starts_on, NetworkMember.added_at, NetworkMember.id)
    ).all()
    current = session.scalars(
        select(ResponsibleWorker)
        .where(ResponsibleWorker.case_id == case.id, ResponsibleWorker.ends_on.is_(None))
        .options(joinedload(ResponsibleWorker.worker))
    ).first()
    team = session.scalars(
        select(CaseTeamMember)
        .where(CaseTeamMember.case_id == case.id, CaseTeamMember.removed_at.is_(None))
        .options(joinedload(CaseTeamMember.user))
        .order_by(CaseTeamMember.added_at, CaseTeamMember.id)
    ).all()
    workers = [current.worker] if current else []
    workers += [t.user for t in team if not current or t.user_id != current.worker_id]
    return Candidates(
        members=[
            m
            for m in members
            if membership_status(m.membership(), at) is not MembershipStatus.ENDED
        ],
        workers=workers,
        responsible_worker_id=current.worker_id if current else None,
    )


def items(session: Session, case_id: uuid.UUID) -> list[ChecklistItem]:
    """Every item of the case's checklist, removed ones too, by due date (one query each
    for the items, their members' organisations and the people named on them)."""
    rows = session.scalars(
        select(ChecklistItem)
        .where(ChecklistItem.case_id == case_id)
        .options(
            selectinload(ChecklistItem.responsible_member).joinedload(NetworkMember.organisation),
            selectinload(ChecklistItem.responsible_user),
            selectinload(ChecklistItem.state_changed_by),
            selectinload(ChecklistItem.removed_by),
        )
    ).all()
    order = {task: n for n, task in enumerate(ReleaseTask)}
    return sorted(
        rows,
        key=lambda i: (
            i.due_on is None,
            i.due_on or date.max,
            order.get(i.task, len(order)) if i.task else len(order),
            i.added_at,
        ),
    )


def item_of(session: Session, case_id: uuid.UUID, item_id: uuid.UUID) -> ChecklistItem | None:
    """One item of the case's checklist, or ``None`` (one query, two more to load names)."""
    return session.scalars(
        select(ChecklistItem)
        .where(ChecklistItem.id == item_id, ChecklistItem.case_id == case_id)
        .options(
            selectinload(ChecklistItem.responsible_member).joinedload(NetworkMember.organisation),
            selectinload(ChecklistItem.responsible_user),
            selectinload(ChecklistItem.state_changed_by),
            selectinload(ChecklistItem.added_by),
            selectinload(ChecklistItem.updated_by),
            selectinload(ChecklistItem.removed_by),
        )
    ).first()


@dataclass(frozen=True)
class Generated:
    added: int
    updated: int


def generate(session: Session, case: Case, by_id: uuid.UUID | None) -> Generated:
    """Add the tasks the case's dates call for that are not on the checklist yet, and give
    open generated items their derived dates again (unless set by hand).

    A new item's responsible comes from ``default_responsible``: the plan, the probation
    office, or the responsible worker.
    """
    existing = {
        item.task: item
        for item in session.scalars(
            select(ChecklistItem).where(
                ChecklistItem.case_id == case.id, ChecklistItem.task.is_not(None)
            )
        )
    }
    now = utcnow()
    people = candidates(session, case, now)
    in_network = {m.id for m in people.members}
    plan = {
        kind: [m for m in members if m in in_network]
        for kind, members in plan_responsibles(session, case.id).items()
    }
    probation = next((m.id for m in people.members if m.kind is MemberKind.PROBATION), None)
    added = updated = 0
    for planned in planned_tasks(case.conditional_release, case.probation_start):
        item = existing.get(planned.task)
        if item is None:
            who = default_responsible(planned.task, plan, probation, people.responsible_worker_id)
            session.add(
                ChecklistItem(
                    case_id=case.id,
                    client_id=case.client_id,
                    task=planned.task,
                    due_on=planned.due_on,
                    opens_on=planned.opens_on,
                    responsible_member_id=who.member_id,
                    responsible_user_id=who.user_id,
                    added_at=now,
                    added_by_id=by_id,
                )
            )
            added += 1
        elif (
            item.state is ItemState.OPEN
            and item.removed_at is None
            and not item.due_set_by_hand
            and (item.due_on, item.opens_on) != (planned.due_on, planned.opens_on)
        ):
            item.due_on, item.opens_on = planned.due_on, planned.opens_on
            _touch(item, by_id, now)
            updated += 1
    session.flush()
    return Generated(added, updated)


def plan_responsibles(session: Session, case_id: uuid.UUID) -> dict[SectionKind, list[uuid.UUID]]:
    """The members the client plan's sections (their current versions) name responsible."""
    rows = session.execute(
        select(PlanSection.kind, PlanResponsible.member_id)
        .join(ClientPlan, ClientPlan.id == PlanSection.plan_id)
        .join(
            PlanSectionVersion,
            (PlanSectionVersion.section_id == PlanSection.id)
            & (PlanSectionVersion.version == PlanSection.current_version),
        )
        .join(PlanResponsible, PlanResponsible.version_id == PlanSectionVersion.id)
        .where(ClientPlan.case_id == case_id)
        .order_by(PlanSection.kind, PlanResponsible.member_id)
    )
    found: dict[SectionKind, list[uuid.UUID]] = {}
    for kind, member_id in rows:
        found.setdefault(kind, []).append(member_id)
    return found


def add_custom(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    case: Case,
    people: Candidates,
    *,
    title: str,
    due_on: date | None,
    responsible: Responsible,
    note: str | None,
    by_id: uuid.UUID | None,
) -> ChecklistItem:
    """Add an item of the worker's own; its title and note are encrypted.

    :raises NotAResponsible: when ``responsible`` is not among ``people``.
    """
    if not people.allows(responsible):
        raise NotAResponsible(responsible.key)
    item = ChecklistItem(
        case_id=case.id,
        client_id=case.client_id,
        due_on=due_on,
        due_set_by_hand=due_on is not None,
        responsible_member_id=responsible.member_id,
        responsible_user_id=responsible.user_id,
        added_at=utcnow(),
        added_by_id=by_id,
    )
    item.title_ct, item.note_ct = gate.write_texts(
        actor,
        [(field(item, "title_ct"), title.strip()), (field(item, "note_ct"), _text(note))],
        purpose=Purpose.CASE_WORK,
    )
    session.add(item)
    session.flush()
    return item


def update(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    item: ChecklistItem,
    people: Candidates,
    *,
    due_on: date | None,
    responsible: Responsible,
    note: str | None,
    title: str | None,
    by_id: uuid.UUID | None,
) -> None:
    """Change an item's due date, responsible, note and (a custom item's) title.

    The item's current responsible may stay even if their membership has since ended.

    :raises ItemFinished: when the item is removed.
    :raises NotAResponsible: when ``responsible`` is someone else not among ``people``.
    """
    if item.removed_at is not None:
        raise ItemFinished(item.id)
    if responsible != Responsible.of(item) and not people.allows(responsible):
        raise NotAResponsible(responsible.key)
    if due_on != item.due_on:
        item.due_on = due_on
        item.due_set_by_hand = True
    item.responsible_member_id = responsible.member_id
    item.responsible_user_id = responsible.user_id
    refs = [(field(item, "note_ct"), _text(note))]
    if item.task is None and title is not None:
        refs.append((field(item, "title_ct"), title.strip()))
    sealed = gate.write_texts(actor, refs, purpose=Purpose.CASE_WORK)
    item.note_ct = sealed[0]
    if len(sealed) > 1:
        item.title_ct = sealed[1]
    _touch(item, by_id, utcnow())
    session.flush()


def mark_done(session: Session, item: ChecklistItem, by_id: uuid.UUID | None) -> None:
    """Record that the item is done, by whom and when.

    :raises ItemFinished: when it is not open.
    """
    _finish(item, ItemState.DONE, by_id)
    item.not_needed_reason_ct = None
    session.flush()


def mark_not_needed(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    item: ChecklistItem,
    reason: str,
    by_id: uuid.UUID | None,
) -> None:
    """Record that the client does not need the item, with a short (encrypted) reason.

    :raises ItemFinished: when it is not open.
    """
    _finish(item, ItemState.NOT_NEEDED, by_id)
    item.not_needed_reason_ct = gate.write_text(
        actor, field(item, "not_needed_reason_ct"), reason.strip(), purpose=Purpose.CASE_WORK
    )
    session.flush()


def reopen(session: Session, item: ChecklistItem, by_id: uuid.UUID | None) -> None:
    """Open a done or not-needed item again (the change is attributed; the reason goes).

    :raises ItemFinished: when the item is removed or already open.
    """
    if item.removed_at is not None or item.state is ItemState.OPEN:
        raise ItemFinished(item.id)
    item.state = ItemState.OPEN
    item.not_needed_reason_ct = None
    item.state_changed_at = item.state_changed_by_id = None
    _touch(item, by_id, utcnow())
    session.flush()


def remove(session: Session, item: ChecklistItem, by_id: uuid.UUID | None) -> None:
    """Take an item off the checklist; it is kept as removed and generation skips it.

    :raises ItemFinished: when it is removed already.
    """
    if item.removed_at is not None:
        raise ItemFinished(item.id)
    item.removed_at = utcnow()
    item.removed_by_id = by_id
    session.flush()


def restore(session: Session, item: ChecklistItem, by_id: uuid.UUID | None) -> None:
    """Put a removed item back on the checklist.

    :raises ItemFinished: when it is not removed.
    """
    if item.removed_at is None:
        raise ItemFinished(item.id)
    item.removed_at = item.removed_by_id = None
    _touch(item, by_id, utcnow())
    session.flush()


def _finish(item: ChecklistItem, state: ItemState, by_id: uuid.UUID | None) -> None:
    if item.removed_at is not None or item.state is not ItemState.OPEN:
        raise ItemFinished(item.id)
    now = utcnow()
    item.state = state
    item.state_changed_at = now
    item.state_changed_by_id = by_id
    _touch(item, by_id, now)


def _touch(item: ChecklistItem, by_id: uuid.UUID | None, now: datetime) -> None:
    item.updated_at = now
    item.updated_by_id = by_id


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None
