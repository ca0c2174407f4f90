"""What a research extract holds, and the approvals each reader sees: read models.

``extract_rows`` reads coded facts in clear for every client of one county (the newest
case of each, disposed cases left out), one statement per kind of fact whatever the
number of clients (ten), and nothing encrypted. The client's id is kept only to make the
pseudonym and to log the extract on the client's own log (``app.research.commands``):
it never leaves in the extract.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.models import Case, MemberKind, NetworkMember, Organisation, Role, User
from app.models.assessment import Assessment
from app.models.case import Phase, PhaseChange, ResponsibleWorker
from app.models.ending import ServiceEnding
from app.models.intake import Notification
from app.models.release import ChecklistItem, ItemState, ReleaseTask
from app.models.research import ResearchApproval, ResearchExtract
from app.models.review import GoalProgress, PlanReview, ReviewGoal
from app.research.rules import month
from app.statistics import rules as indicators

PAST_NETWORK = (Phase.RELEASE, Phase.FOLLOW_UP, Phase.ENDING, Phase.CLOSED)


@dataclass
class Facts:
    """One client's coded facts (their newest case in the county)."""

    client_id: uuid.UUID
    phase: Phase
    notified: datetime | None = None
    assessed: date | None = None
    worker: date | None = None
    network: datetime | None = None
    released: date | None = None
    closed: datetime | None = None
    done: list[tuple[ReleaseTask, date]] = field(default_factory=list)
    reviews: list[tuple[date, date | None]] = field(default_factory=list)
    goals: Counter[GoalProgress] = field(default_factory=Counter)
    members: Counter[MemberKind] = field(default_factory=Counter)
    services_ended: int = 0


OUTCOMES = tuple(o.key for o in indicators.RELEASE_OUTCOMES)
COLUMNS = (
    "pseudonym",
    "phase",
    "notified_month",
    "assessment_month",
    "worker_month",
    "network_month",
    "release_month",
    "closed_month",
    *(f"release_{key}" for key in OUTCOMES),
    "reviews",
    "reviews_on_time",
    "goals_achieved",
    "goals_in_progress",
    *(f"network_{kind.value}" for kind in MemberKind),
    "services_ended",
)
"""The extract's columns, in order: every one a code, a month or a count."""


def coded_row(pseudonym: str, facts: Facts) -> list[str]:
    """One client's row of the extract, in ``COLUMNS`` order."""
    released = facts.released
    by_release = frozenset(t for t, on in facts.done if released is not None and on <= released)
    outcomes = [
        "" if released is None else str(int(indicators.outcome_met(key, by_release)))
        for key in OUTCOMES
    ]
    on_time = [t for _, t in indicators.reviews_on_time(facts.reviews) if t is not None]
    return [
        pseudonym,
        facts.phase.value,
        month(facts.notified),
        month(facts.assessed),
        month(facts.worker),
        month(facts.network),
        month(released),
        month(facts.closed),
        *outcomes,
        str(len(facts.reviews)),
        str(sum(on_time)),
        str(facts.goals[GoalProgress.ACHIEVED]),
        str(facts.goals[GoalProgress.IN_PROGRESS]),
        *(str(facts.members[kind]) for kind in MemberKind),
        str(facts.services_ended),
    ]


def extract_facts(session: Session, county_id: uuid.UUID, today: date) -> list[Facts]:
    """Every client of the county with their coded facts: ten statements, for any size."""
    newest: dict[uuid.UUID, tuple[uuid.UUID, Facts]] = {}
    for case_id, client_id, phase, probation, conditional, closed_at in session.execute(
        select(
            Case.id,
            Case.client_id,
            Case.phase,
            Case.probation_start,
            Case.conditional_release,
            Case.closed_at,
        )
        .where(Case.county_id == county_id, Case.disposed_at.is_(None))
        .order_by(Case.opened_at, Case.id)
    ):
        day = probation or conditional
        released = day if day is not None and day <= today else None
        newest[client_id] = (case_id, Facts(client_id, phase, released=released, closed=closed_at))
    by_case = {case_id: facts for case_id, facts in newest.values()}
    scope: Select[uuid.UUID] = select(Case.id).where(
        Case.county_id == county_id, Case.disposed_at.is_(None)
    )

    def first(name: str, rows: Select[uuid.UUID, Any]) -> None:
        for case_id, value in session.execute(rows):
            if (facts := by_case.get(case_id)) is not None:
                setattr(facts, name, value)

    first(
        "notified",
        select(Notification.case_id, func.min(Notification.received_at))
        .where(Notification.case_id.in_(scope))
        .group_by(Notification.case_id),
    )
    first(
        "assessed",
        select(Assessment.case_id, Assessment.started_on).where(Assessment.case_id.in_(scope)),
    )
    first(
        "worker",
        select(ResponsibleWorker.case_id, func.min(ResponsibleWorker.starts_on))
        .where(ResponsibleWorker.case_id.in_(scope))
        .group_by(ResponsibleWorker.case_id),
    )
    first(
        "network",
        select(PhaseChange.case_id, func.min(PhaseChange.changed_at))
        .where(PhaseChange.case_id.in_(scope), PhaseChange.phase.in_(PAST_NETWORK))
        .group_by(PhaseChange.case_id),
    )
    for case_id, task, changed_at in session.execute(
        select(ChecklistItem.case_id, ChecklistItem.task, ChecklistItem.state_changed_at).where(
            ChecklistItem.case_id.in_(scope),
            ChecklistItem.state == ItemState.DONE,
            ChecklistItem.task.is_not(None),
            ChecklistItem.removed_at.is_(None),
        )
    ):
        if (facts := by_case.get(case_id)) is not None and changed_at and task is not None:
            facts.done.append((task, indicators.local_day(changed_at)))
    for case_id, held_on, next_on in session.execute(
        select(PlanReview.case_id, PlanReview.held_on, PlanReview.next_review_on).where(
            PlanReview.case_id.in_(scope)
        )
    ):
        if (facts := by_case.get(case_id)) is not None:
            facts.reviews.append((held_on, next_on))
    for case_id, progress, count in session.execute(
        select(PlanReview.case_id, ReviewGoal.progress, func.count())
        .join(PlanReview, PlanReview.id == ReviewGoal.review_id)
        .where(PlanReview.case_id.in_(scope))
        .group_by(PlanReview.case_id, ReviewGoal.progress)
    ):
        if (facts := by_case.get(case_id)) is not None and progress is not None:
            facts.goals[progress] += count
    for case_id, kind, count in session.execute(
        select(NetworkMember.case_id, NetworkMember.kind, func.count())
        .where(NetworkMember.case_id.in_(scope))
        .group_by(NetworkMember.case_id, NetworkMember.kind)
    ):
        if (facts := by_case.get(case_id)) is not None:
            facts.members[kind] += count
    for case_id, count in session.execute(
        select(ServiceEnding.case_id, func.count())
        .where(ServiceEnding.case_id.in_(scope))
        .group_by(ServiceEnding.case_id)
    ):
        if (facts := by_case.get(case_id)) is not None:
            facts.services_ended = count
    return sorted(by_case.values(), key=lambda f: f.client_id)


# -- the approvals each reader sees ------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalRow:
    approval: ResearchApproval
    county: str
    requester: str
    approved_by: str
    extracts: int
    last_extract: datetime | None


def approvals(session: Session, reader: User) -> list[ApprovalRow]:
    """The approvals ``reader`` may see, newest first (four statements at most): an
    administrator's or data-protection officer's of the whole service every county's, of a
    county their county's; an analyst's those naming them; no one else's."""
    query = select(ResearchApproval).order_by(ResearchApproval.created_at.desc())
    if reader.role is Role.ANALYST:
        query = query.where(ResearchApproval.requester_id == reader.id)
    elif reader.role not in (Role.ADMIN, Role.DATA_PROTECTION):
        return []
    elif reader.organisation_id is not None:
        query = query.where(ResearchApproval.county_id == reader.organisation_id)
    found = list(session.scalars(query))
    if not found:
        return []
    ids = [a.id for a in found]
    extracts = {
        approval_id: (count, last)
        for approval_id, count, last in session.execute(
            select(
                ResearchExtract.approval_id,
                func.count(),
                func.max(ResearchExtract.produced_at),
            )
            .where(ResearchExtract.approval_id.in_(ids))
            .group_by(ResearchExtract.approval_id)
        )
    }
    people = {a.requester_id for a in found} | {a.approved_by_id for a in found}
    names = dict(
        session.execute(select(User.id, User.display_name).where(User.id.in_(people))).all()
    )
    counties = dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_({a.county_id for a in found})
            )
        ).all()
    )
    return [
        ApprovalRow(
            a,
            counties.get(a.county_id, ""),
            names.get(a.requester_id, ""),
            names.get(a.approved_by_id, ""),
            *extracts.get(a.id, (0, None)),
        )
        for a in found
    ]


def analysts(session: Session, county_id: uuid.UUID | None) -> list[tuple[User, str]]:
    """Active analysts who may be named to make a study's extracts, with their county's
    name: of one county, or (``None``) of every county (one statement)."""
    query = (
        select(User, Organisation.name)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(User.role == Role.ANALYST, User.active.is_(True))
        .order_by(Organisation.name, User.display_name)
    )
    if county_id is not None:
        query = query.where(User.organisation_id == county_id)
    return [(user, name) for user, name in session.execute(query)]
