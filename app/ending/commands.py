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
case's service task start the retention clock (``app.maintenance.retention.disposal_on``).

Commands take a Session, the access gate and primitives, flush, and never commit; they
raise typed refusals.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.appointments.commands import cancel_case_future
from app.assessment.rules import FACTORS_BY_CODE
from app.ending.queries import seal_count, warnings_of_closing
from app.maintenance.retention import disposal_on
from app.models import Case, NetworkMember, Phase, ServiceTask
from app.models.appointment import ChangeReason
from app.models.case import PhaseChange
from app.models.ending import CaseClosure, ClosureFactor, ServiceEnding
from app.models.parallel_plan import ParallelPlan
from app.models.partner import NoticeReason
from app.network import commands as network
from app.refusals import N_, Conflict, NotFound, Refused
from consent.base import utcnow
from consent.facts import Actor, Purpose
from consent.status import MembershipStatus, helsinki_day, membership_status
from sharing.fields import field_ref
from sharing.gate import AccessGate

TEXT_MAX = 4000


class CaseClosed(Conflict):
    """Raised when changing a case that is already closed."""

    code = "case_closed"
    message = N_("This case is closed and can no longer be changed")


class NotOfThisCase(NotFound):
    """Raised when the member or the parallel plan belongs to another case."""

    code = "not_of_this_case"


class AlreadyEnded(Conflict):
    """Raised when the service already has an ending on record."""

    code = "already_ended"
    message = N_("This service's ending is already on record.")


class DateInFuture(Refused):
    """Raised when a service is said to have ended after today."""

    code = "date_in_future"
    field = "ended_on"
    message = N_("The date cannot be in the future.")


class AssessmentMissing(Refused):
    """Raised when the client's own view or the worker's assessment is missing."""

    code = "assessment_missing"
    field = "client_view"
    message = N_("Write down both the client's own view and your assessment.")


class SummaryMissing(Refused):
    """Raised when a case is closed without a reason and summary."""

    code = "summary_missing"
    field = "summary"
    message = N_("Write down the reason for closing and a summary.")


class UnknownFactor(Refused):
    """Raised when closing names a desistance factor the model does not have."""

    code = "unknown_factor"
    field = "factors"
    message = N_("Choose the desistance factors from the list.")


class EarlyCloseReasonMissing(Refused):
    """Raised when closing warns (before the release day, checklist tasks open) and no
    reason for closing anyway is given."""

    code = "early_close_reason_missing"
    field = "early_reason"
    message = N_("Write down why you close the case now.")


class ServicesStillOpen(Refused):
    """Raised when closing while an active service has neither an ending nor the worker's
    explicit choice to end it with the close; ``member_ids`` names them.

    The message's ``names`` are the members' ids; a page puts their names in their place.
    """

    code = "services_still_open"
    field = "end_with_case"
    message = N_(
        "Record the ending of each service still open, or tick it to end it "
        "with the case: %(names)s."
    )

    def __init__(self, member_ids: Collection[uuid.UUID]) -> None:
        ids = sorted(member_ids, key=str)
        super().__init__(params={"names": ", ".join(str(i) for i in ids)})
        self.member_ids = frozenset(ids)


class SealsRemain(RuntimeError):
    """Raised when a key seal of the client survives the closure (must never happen).

    Not a refusal: the decision and the seals disagree, which is a fault of the system,
    so the request fails (500) and everything it did is rolled back.
    """


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
        raise NotOfThisCase()
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
        raise NotOfThisCase()
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
        raise AssessmentMissing()
    if assessment.ended_on > helsinki_day(utcnow()):
        raise DateInFuture()
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
            (field_ref(ending, ServiceEnding.client_view_ct), view),
            (field_ref(ending, ServiceEnding.worker_assessment_ct), judgement),
            (field_ref(ending, ServiceEnding.continues_ct), continues),
        ],
        purpose=Purpose.CASE_WORK,
    )
    return ending


def _check_open(case: Case) -> None:
    if case.closed_at is not None or case.phase is Phase.CLOSED:
        raise CaseClosed()


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
    early_reason: str | None = None,
    service_task: ServiceTask | None = None,
    retention_override: int | None = None,
    factors: Collection[str] = (),
) -> CaseClosure:
    """Close the case: end every open membership and all sharing at once, start retention.

    ``service_task`` (None: the case's own) is recorded on the case and, with the close day,
    sets ``Case.disposal_on`` (``app.maintenance.retention.disposal_on``; ``retention_override``
    is the ``retention_years`` setting, one period for every task).

    ``end_with_case`` names the members whose service the worker chose to end with the
    close without an ending of its own; every other open member needs an ending on record
    first. The phase becomes CLOSED (a ``PhaseChange`` row, attributed), ``closed_at`` is
    set, and no key seal of the client remains. The memberships end with the reason
    CASE_CLOSED, so their organisations' notices say the case closed. The booked
    appointments that have not started are cancelled with the reason ``case_closed``
    (``app.appointments.commands.cancel_case_future``: their ``.ics`` says CANCELLED).

    Closing before the release day or with release-checklist tasks open
    (``app.ending.rules.close_warnings``) needs ``early_reason``, which is kept sealed.

    ``factors`` are the desistance factors (codes of ``app.assessment.rules.FACTORS``) the
    worker records as in place at closing: coded facts in clear, which the statistics count.

    :raises CaseClosed: when the case is already closed.
    :raises SummaryMissing: when the reason and summary is empty.
    :raises UnknownFactor: when a factor code is not one of the model's.
    :raises EarlyCloseReasonMissing: when closing warns and ``early_reason`` is empty.
    :raises ServicesStillOpen: when an open member has neither an ending nor was chosen.
    :raises SealsRemain: when a seal survives (the decision and the seals disagree).
    :raises AccessDenied: when the actor may not write this client's case.
    """
    _check_open(case)
    text = summary.strip()
    if not text:
        raise SummaryMissing()
    if any(code not in FACTORS_BY_CODE for code in factors):
        raise UnknownFactor()
    now = utcnow()
    today = helsinki_day(now)
    members = session.scalars(
        select(NetworkMember).where(NetworkMember.case_id == case.id).order_by(NetworkMember.id)
    ).all()
    open_members = [
        m for m in members if membership_status(m.membership(), now) is not MembershipStatus.ENDED
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
    warned = warnings_of_closing(session, case, today)
    early = (early_reason or "").strip() if warned.warnings else ""
    if warned.warnings and not early:
        raise EarlyCloseReasonMissing()
    seals_before = seal_count(session, case.client_id)
    closure = CaseClosure(
        case_id=case.id, client_id=case.client_id, closed_at=now, closed_by_id=actor.user_id
    )
    # The write is the gate's decision: a refusal ends the unit of work before any change.
    written, closure.early_reason_ct = gate.write_texts(
        actor,
        [
            (field_ref(closure, CaseClosure.summary_ct), text),
            (field_ref(closure, CaseClosure.early_reason_ct), early or None),
        ],
        purpose=Purpose.CASE_WORK,
    )
    assert written is not None
    closure.summary_ct = written
    cancel_case_future(
        session, case.id, reason=ChangeReason.CASE_CLOSED, by_id=actor.user_id, now=now
    )
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
    if service_task is not None:
        case.service_task = service_task
    case.disposal_on = disposal_on(now, case.service_task, retention_override)
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
    session.add_all(
        ClosureFactor(closure_id=closure.id, client_id=case.client_id, code=code)
        for code in sorted(set(factors))
    )
    session.flush()
    return closure
