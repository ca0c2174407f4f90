"""Read models of ending: the case's services with their endings, and its closure."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.ending.rules import CloseWarnings, close_warnings
from app.maintenance.retention import disposal_on, retention_years_of
from app.models import Case, NetworkMember, User
from app.models.ending import CaseClosure, ServiceEnding
from app.models.parallel_plan import ParallelPlan
from app.models.release import ChecklistItem, ItemState
from app.release.rules import release_day
from consent.base import utcnow
from consent.facts import Actor, Purpose
from consent.models import Consent, ConsentState
from consent.status import MembershipStatus, membership_status
from sharing.fields import sealed
from sharing.gate import AccessGate
from sharing.models import KeySeal


def warnings_of_closing(session: Session, case: Case, today: date) -> CloseWarnings:
    """What closing the case today warns of (one query: the open checklist tasks)."""
    open_tasks = (
        session.scalar(
            select(func.count(ChecklistItem.id)).where(
                ChecklistItem.case_id == case.id, ChecklistItem.state == ItemState.OPEN
            )
        )
        or 0
    )
    return close_warnings(
        today, release_day(case.conditional_release, case.probation_start), open_tasks
    )


def seal_count(session: Session, client_id: uuid.UUID) -> int:
    """How many key seals the client's data keys have (one query)."""
    return session.scalar(select(func.count(KeySeal.id)).where(KeySeal.client_id == client_id)) or 0


@dataclass
class EndingEntry:
    """A recorded ending with its texts decrypted (``None`` when ended with the case)."""

    ending: ServiceEnding
    client_view: str | None
    worker_assessment: str | None
    continues: str | None


@dataclass
class ServiceRow:
    """One service of the case: a network member's, or a parallel service by its plan."""

    label: str  # the organisation's or the person's name; a plan's owner
    status: MembershipStatus
    member: NetworkMember | None = None
    plan: ParallelPlan | None = None
    ending: EndingEntry | None = None

    @property
    def needs_ending(self) -> bool:
        """A member still in the network whose service has no ending on record."""
        return (
            self.member is not None
            and self.status is not MembershipStatus.ENDED
            and not self.ending
        )


@dataclass
class EndingView:
    """Everything the ending pages show, read with one gate call."""

    case: Case
    members: list[ServiceRow]
    plans: list[ServiceRow]
    closure: CaseClosure | None
    summary: str | None
    early_reason: str | None  # why it closed before the release day or with tasks open
    retention_years: int
    disposal_on: date  # from the close date; for an open case, if it were closed today
    seals: int  # key seals the client's data keys have now
    sealed_members: int  # members holding them
    consents_in_force: int
    users: dict[uuid.UUID, User] = field(default_factory=dict)

    @property
    def open_services(self) -> list[ServiceRow]:
        return [row for row in self.members if row.needs_ending]

    @property
    def open_members(self) -> list[ServiceRow]:
        """Memberships closing would end: every member not ended, with an ending or not."""
        return [row for row in self.members if row.status is not MembershipStatus.ENDED]

    def user_name(self, user_id: uuid.UUID | None) -> str | None:
        user = self.users.get(user_id) if user_id else None
        return user.display_name if user else None


def read_ending(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    case: Case,
    *,
    retention_override: int | None = None,
) -> EndingView:
    """The case's services, their endings and its closure, decrypted in one gate call.

    A fixed number of queries whatever the number of members, plans or endings.

    :raises AccessDenied: when the actor may not read the case.
    """
    members = session.scalars(
        select(NetworkMember)
        .where(NetworkMember.case_id == case.id)
        .options(selectinload(NetworkMember.organisation))
        .order_by(NetworkMember.starts_on, NetworkMember.added_at, NetworkMember.id)
    ).all()
    plans = session.scalars(
        select(ParallelPlan)
        .where(ParallelPlan.case_id == case.id)
        .options(joinedload(ParallelPlan.organisation))
        .order_by(ParallelPlan.added_at, ParallelPlan.id)
    ).all()
    endings = session.scalars(
        select(ServiceEnding)
        .where(ServiceEnding.case_id == case.id)
        .order_by(ServiceEnding.recorded_at, ServiceEnding.id)
    ).all()
    closure = session.scalar(select(CaseClosure).where(CaseClosure.case_id == case.id))
    user_ids = {e.recorded_by_id for e in endings} | {m.ended_by_id for m in members}
    user_ids |= {closure.closed_by_id} if closure else set()
    user_ids.discard(None)
    users = (
        {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
        if user_ids
        else {}
    )
    seals, sealed_members = session.execute(
        select(func.count(KeySeal.id), func.count(func.distinct(KeySeal.member_id))).where(
            KeySeal.client_id == case.client_id
        )
    ).one()
    consents_in_force = session.scalar(
        select(func.count(Consent.id)).where(
            Consent.case_id == case.id, Consent.state == ConsentState.ACTIVE
        )
    )
    refs = [sealed(m, NetworkMember.person_name_ct) for m in members]
    refs += [sealed(p, ParallelPlan.owner_name_ct) for p in plans]
    refs += [
        sealed(e, column)
        for e in endings
        for column in (
            ServiceEnding.client_view_ct,
            ServiceEnding.worker_assessment_ct,
            ServiceEnding.continues_ct,
        )
    ]
    refs += (
        [sealed(closure, CaseClosure.summary_ct), sealed(closure, CaseClosure.early_reason_ct)]
        if closure
        else []
    )
    texts = iter(gate.read_texts(actor, refs, purpose=Purpose.CASE_WORK))
    now = utcnow()
    member_rows = []
    for m in members:
        person = next(texts)  # None for an organisation
        label = m.organisation.name if m.organisation is not None else person or ""
        member_rows.append(ServiceRow(label, membership_status(m.membership(), now), member=m))
    plan_rows = []
    for p in plans:
        owner = next(texts)  # None when the owner is an organisation of the directory
        label = p.organisation.name if p.organisation is not None else owner or ""
        status = MembershipStatus.ENDED if p.ended_at is not None else MembershipStatus.ACTIVE
        plan_rows.append(ServiceRow(label, status, plan=p))
    by_member = {row.member.id: row for row in member_rows if row.member}
    by_plan = {row.plan.id: row for row in plan_rows if row.plan}
    for e in endings:
        entry = EndingEntry(e, next(texts), next(texts), next(texts))
        if e.member_id is not None:
            row = by_member.get(e.member_id)
        else:
            row = by_plan.get(e.parallel_plan_id) if e.parallel_plan_id else None
        if row is not None:
            row.ending = entry
    summary = next(texts) if closure else None
    early_reason = next(texts) if closure else None
    return EndingView(
        case=case,
        members=member_rows,
        plans=plan_rows,
        closure=closure,
        summary=summary,
        early_reason=early_reason,
        retention_years=retention_years_of(case.service_task, retention_override),
        disposal_on=disposal_on(case.closed_at or now, case.service_task, retention_override),
        seals=seals,
        sealed_members=sealed_members,
        consents_in_force=consents_in_force or 0,
        users=users,
    )
