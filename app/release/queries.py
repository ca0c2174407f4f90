"""Read models of the checklist: its items, one item, and who may be made responsible."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.models import (
    Case,
    CaseTeamMember,
    ClientPlan,
    NetworkMember,
    PlanSection,
    PlanSectionVersion,
    ResponsibleWorker,
    User,
)
from app.models.plan import PlanResponsible
from app.models.release import ChecklistItem, ReleaseTask
from app.release.rules import Responsible
from consent.sections import SectionKind
from consent.status import MembershipStatus, membership_status


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
    """The case's members whose membership has not ended at ``at``, and its county workers
    (three queries)."""
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


_PLAN_RESPONSIBLES = (
    select(PlanSection.kind, PlanResponsible.member_id)
    .join(ClientPlan, ClientPlan.id == PlanSection.plan_id)
    .join(
        PlanSectionVersion,
        (PlanSectionVersion.section_id == PlanSection.id)
        & (PlanSectionVersion.version == PlanSection.current_version),
    )
    .join(PlanResponsible, PlanResponsible.version_id == PlanSectionVersion.id)
    .where(ClientPlan.case_id == bindparam("case"))
    .order_by(PlanSection.kind, PlanResponsible.member_id)
)
"""Built once: every partner's client page runs it."""


def plan_responsibles(session: Session, case_id: uuid.UUID) -> dict[SectionKind, list[uuid.UUID]]:
    """The members the client plan's sections (their current versions) name responsible."""
    rows = session.execute(_PLAN_RESPONSIBLES, {"case": case_id})
    found: dict[SectionKind, list[uuid.UUID]] = {}
    for kind, member_id in rows:
        found.setdefault(kind, []).append(member_id)
    return found
