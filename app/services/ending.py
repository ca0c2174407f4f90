"""Ending (DOMAIN.md, process step 7): each service ended with the client, then the case closed.

Ending a service records an assessment made with the client — their own view in their own
words and the worker's assessment, both kept — whether the client agreed, and what
continues after. Ending a network member's service ends the membership (its access and
key seals go at once, through ``app.network.commands.end_member``) unless the worker
explicitly keeps it, for example for an NGO that continues voluntarily.

Closing the case, when no multi-agency work is needed, ends every open membership and all
sharing at once: the case is marked closed, the gate re-syncs the client's key seals (the
decision grants nothing on a closed case, so every seal goes) and the service checks that
none remains. Consents stay on record but no longer give access; each organisation that a
consent in force shared with is asked to confirm it keeps no copy. The close date and the
case's service task start the retention clock (``app.services.maintenance.disposal_on``).

Functions take a Session, the access gate and primitives, flush, and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.models import Case, NetworkMember, Phase, User
from app.models.case import PhaseChange
from app.models.ending import CaseClosure, ServiceEnding
from app.models.parallel_plan import ParallelPlan
from app.models.partner import NoticeReason
from app.network import commands as network
from app.services.fields import field as field_ref
from app.services.fields import sealed
from app.services.maintenance import disposal_on, retention_years_of
from consent.base import utcnow
from consent.decision import Actor, Purpose
from consent.models import Consent, ConsentState
from consent.status import MembershipStatus, helsinki_day, membership_status
from sharing.gate import AccessGate
from sharing.models import KeySeal

TEXT_MAX = 4000


class EndingError(Exception):
    """Raised when an ending or a closure would break one of the rules of ending."""


class CaseClosed(EndingError):
    """Raised when changing a case that is already closed."""


class AlreadyEnded(EndingError):
    """Raised when the service already has an ending on record."""


class DateInFuture(EndingError):
    """Raised when a service is said to have ended after today."""


class AssessmentMissing(EndingError):
    """Raised when the client's view, the worker's assessment or the agreement is missing."""


class SummaryMissing(EndingError):
    """Raised when a case is closed without a reason and summary."""


class ServicesStillOpen(EndingError):
    """Raised when closing while an active service has neither an ending nor the worker's
    explicit choice to end it with the close; ``member_ids`` names them."""

    def __init__(self, member_ids: Collection[uuid.UUID]) -> None:
        super().__init__(f"{len(member_ids)} service(s) still open")
        self.member_ids = frozenset(member_ids)


class SealsRemain(EndingError):
    """Raised when a key seal of the client survives the closure (must never happen)."""


# -- ending one service -------------------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    """What the worker and the client said when the service ended."""

    ended_on: date
    client_view: str  # the client's own view, in their own words
    worker_assessment: str
    client_agreed: bool
    continues: str | None = None  # what continues after the ending


def record_member_ending(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    case: Case,
    member: NetworkMember,
    assessment: Assessment,
    keep_membership: bool,
) -> ServiceEnding:
    """Record the end of a member's service, assessed with the client.

    Ends the membership now (access and key seals go at once) unless ``keep_membership``;
    a membership that has already ended stays as it is.

    :raises CaseClosed: when the case is closed.
    :raises AlreadyEnded: when the member's service already has an ending.
    :raises AssessmentMissing: when a view or the assessment is empty.
    :raises DateInFuture: when the ending is dated after today.
    :raises AccessDenied: when the actor may not write this client's case.
    """
    _check_open(case)
    if member.case_id != case.id:
        raise EndingError("the member is not in this case's network")
    _check_unended(session, ServiceEnding.member_id == member.id)
    active = membership_status(member.membership(), utcnow()) is not MembershipStatus.ENDED
    ending = _ending(gate, actor, case, assessment)
    ending.member_id = member.id
    ending.membership_kept = keep_membership and active
    session.add(ending)
    session.flush()
    if active and not keep_membership:
        network.end_member(session, gate, member, by_user_id=actor.user_id)
    return ending


def record_plan_ending(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    case: Case,
    plan: ParallelPlan,
    assessment: Assessment,
) -> ServiceEnding:
    """Record the end of a parallel service (referenced by its plan), assessed with the client.

    The plan reference is marked ended too, unless it already was.

    :raises CaseClosed: when the case is closed.
    :raises AlreadyEnded: when the service already has an ending.
    :raises AssessmentMissing: when a view or the assessment is empty.
    :raises DateInFuture: when the ending is dated after today.
    """
    _check_open(case)
    if plan.case_id != case.id:
        raise EndingError("the plan is not this case's")
    _check_unended(session, ServiceEnding.parallel_plan_id == plan.id)
    ending = _ending(gate, actor, case, assessment)
    ending.parallel_plan_id = plan.id
    session.add(ending)
    if plan.ended_at is None:
        plan.ended_at = ending.recorded_at
        plan.ended_by_id = actor.user_id
    session.flush()
    return ending


def _ending(gate: AccessGate, actor: Actor, case: Case, assessment: Assessment) -> ServiceEnding:
    """A new ending with its texts encrypted (not yet added to the session)."""
    view, judgement = assessment.client_view.strip(), assessment.worker_assessment.strip()
    if not view or not judgement:
        raise AssessmentMissing(case.id)
    if assessment.ended_on > helsinki_day(utcnow()):
        raise DateInFuture(assessment.ended_on)
    ending = ServiceEnding(
        case_id=case.id,
        client_id=case.client_id,
        ended_on=assessment.ended_on,
        client_agreed=assessment.client_agreed,
        recorded_by_id=actor.user_id,
        recorded_at=utcnow(),
    )
    continues = (assessment.continues or "").strip() or None
    ending.client_view_ct, ending.worker_assessment_ct, ending.continues_ct = gate.write_texts(
        actor,
        [
            (field_ref(ending, "client_view_ct"), view),
            (field_ref(ending, "worker_assessment_ct"), judgement),
            (field_ref(ending, "continues_ct"), continues),
        ],
        purpose=Purpose.CASE_WORK,
    )
    return ending


def _check_open(case: Case) -> None:
    if case.closed_at is not None or case.phase is Phase.CLOSED:
        raise CaseClosed(case.id)


def _check_unended(session: Session, where: ColumnElement[bool]) -> None:
    if session.scalar(select(ServiceEnding.id).where(where)) is not None:
        raise AlreadyEnded()


# -- closing the case ---------------------------------------------------------------------


def close_case(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    case: Case,
    summary: str,
    end_with_case: Collection[uuid.UUID] = (),
) -> CaseClosure:
    """Close the case: end every open membership and all sharing at once, start retention.

    ``end_with_case`` names the members whose service the worker chose to end with the
    close without an ending of its own; every other open member needs an ending on record
    first. The phase becomes CLOSED (a ``PhaseChange`` row, attributed), ``closed_at`` is
    set, and no key seal of the client remains. The memberships end with the reason
    CASE_CLOSED, so their organisations' notices say the case closed.

    :raises CaseClosed: when the case is already closed.
    :raises SummaryMissing: when the reason and summary is empty.
    :raises ServicesStillOpen: when an open member has neither an ending nor was chosen.
    :raises SealsRemain: when a seal survives (the decision and the seals disagree).
    :raises AccessDenied: when the actor may not write this client's case.
    """
    _check_open(case)
    text = summary.strip()
    if not text:
        raise SummaryMissing(case.id)
    today = helsinki_day(utcnow())
    members = session.scalars(
        select(NetworkMember).where(NetworkMember.case_id == case.id).order_by(NetworkMember.id)
    ).all()
    open_members = [
        m
        for m in members
        if membership_status(m.membership(), utcnow()) is not MembershipStatus.ENDED
    ]
    ended = set(
        session.scalars(
            select(ServiceEnding.member_id).where(
                ServiceEnding.case_id == case.id, ServiceEnding.member_id.is_not(None)
            )
        )
    )
    chosen = set(end_with_case)
    if missing := [m.id for m in open_members if m.id not in ended and m.id not in chosen]:
        raise ServicesStillOpen(missing)
    seals_before = seal_count(session, case.client_id)
    now = utcnow()
    closure = CaseClosure(
        case_id=case.id, client_id=case.client_id, closed_at=now, closed_by_id=actor.user_id
    )
    # The write is the gate's decision: a refusal ends the unit of work before any change.
    written = gate.write_text(
        actor, field_ref(closure, "summary_ct"), text, purpose=Purpose.CASE_WORK
    )
    assert written is not None
    closure.summary_ct = written
    for member in open_members:
        if member.id not in ended:
            session.add(
                ServiceEnding(
                    case_id=case.id,
                    client_id=case.client_id,
                    member_id=member.id,
                    ended_on=today,
                    ended_with_case=True,
                    recorded_by_id=actor.user_id,
                    recorded_at=now,
                )
            )
        network.end_member(
            session, gate, member, by_user_id=actor.user_id, reason=NoticeReason.CASE_CLOSED
        )
    session.add(
        PhaseChange(
            case_id=case.id,
            from_phase=case.phase,
            phase=Phase.CLOSED,
            changed_at=now,
            changed_by_id=actor.user_id,
        )
    )
    case.phase = Phase.CLOSED
    case.closed_at = now
    session.flush()
    # The decision grants nothing on a closed case, so the seals that match it are none at
    # all: whatever the memberships' ends left (e.g. a seal on a basis that outlived its
    # member) goes now, and the check below proves it.
    gate.sync_seals(case.client_id)
    if seal_count(session, case.client_id) != 0:
        raise SealsRemain(case.client_id)
    closure.memberships_ended = len(open_members)
    closure.seals_removed = seals_before
    session.add(closure)
    session.flush()
    return closure


def seal_count(session: Session, client_id: uuid.UUID) -> int:
    """How many key seals the client's data keys have (one query)."""
    return session.scalar(select(func.count(KeySeal.id)).where(KeySeal.client_id == client_id)) or 0


# -- reading ------------------------------------------------------------------------------


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
    refs = [sealed(m, "person_name_ct") for m in members]
    refs += [sealed(p, "owner_name_ct") for p in plans]
    refs += [
        sealed(e, column)
        for e in endings
        for column in ("client_view_ct", "worker_assessment_ct", "continues_ct")
    ]
    refs += [sealed(closure, "summary_ct")] if closure else []
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
    return EndingView(
        case=case,
        members=member_rows,
        plans=plan_rows,
        closure=closure,
        summary=summary,
        retention_years=retention_years_of(case.service_task, retention_override),
        disposal_on=disposal_on(case.closed_at or utcnow(), case.service_task, retention_override),
        seals=seals,
        sealed_members=sealed_members,
        consents_in_force=consents_in_force or 0,
        users=users,
    )
