"""County transfer: propose, withdraw, accept, decline (Session + gate + primitives; flush only).

Each act leaves its entry in the client's tamper-evident access log through the gate
(``AccessGate.record``): the proposal and the withdrawal as the sending county's case work
(a write), the answer as the receiving county recognising the client (the name, which the
gate lets it read while the proposal waits), and an acceptance once more as its first case
work as the new owner.

Accepting moves the case: the owning county of the client and of all its cases (earlier
closed ones too), the client's notifications, and the responsible worker (the accepting
worker, from today), with the sending county's case team and work tasks ended. The
network, the plan, the consents with their history, the checklist and every other row of
the case stay where they are, keyed by the case: they follow it. Consents follow
``consent.transfer.consent_fate``: those ending end now with their event and the seals go
with them (``AccessGate.sync_seals``). County staff never hold keys of their own: the
server opens a data key for them only after the gate has decided, and the gate decides by
the owning county, so the keys follow the owner at the instant of the commit, and the
sending county's staff are refused from then on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.appointments.commands import cancel_case_future
from app.cases import commands as cases
from app.consents.commands import end_by_transfer
from app.consents.receipts import ReceiptWording
from app.models import Case, CaseTeamMember, Client, NetworkMember, Organisation, OrgKind, User
from app.models.appointment import ChangeReason
from app.models.case import ResponsibleWorker, WorkTaskReason
from app.models.intake import Notification
from app.models.transfer import (
    CountyTransfer,
    DeclineReason,
    TransferAnswerNotice,
    TransferReason,
    TransferState,
)
from app.refusals import N_, Conflict, NotFound, Refused
from app.transfer.rules import Act, Side, next_state, proposal_problem, side_of
from consent.base import utcnow
from consent.facts import Action, Actor, Purpose
from consent.models import Consent, ConsentState
from consent.sections import DataScope
from consent.status import helsinki_day
from consent.transfer import TransferFate, consent_fate
from sharing.gate import AccessGate
from sharing.models import GranteeKey, KeySeal


class ProposalRefused(Refused):
    """Raised when the receiving county named is not another county."""

    code = "transfer_refused"


class CaseClosed(Conflict):
    """Raised when transferring a closed case."""

    code = "case_closed"
    message = N_("This case is closed and can no longer be transferred.")


class TransferPending(Conflict):
    """Raised when proposing while another proposal waits for its answer."""

    code = "transfer_pending"
    message = N_("A transfer of this case is already waiting for an answer.")


class NoPendingTransfer(Conflict):
    """Raised when withdrawing while no proposal waits for an answer."""

    code = "no_pending_transfer"
    message = N_("No transfer of this case is waiting for an answer.")


class AlreadyAnswered(Conflict):
    """Raised when answering or withdrawing a transfer that has been answered."""

    code = "transfer_answered"
    message = N_("This transfer has already been answered or withdrawn.")


class NotYourTransfer(NotFound):
    """Raised when a county that is not the transfer's receiving county answers it."""

    code = "not_your_transfer"


class AnswerNoticeNotFound(NotFound):
    """Raised when acknowledging an answer notice addressed to someone else."""

    code = "answer_notice_not_found"


class SealsRemain(Exception):
    """Raised when a seal to the sending county survives the transfer (a bug: never shown)."""


@dataclass(frozen=True)
class Accepted:
    transfer: CountyTransfer
    ended_consents: list[Consent]
    continuing_consents: list[Consent]


def pending_transfer(
    session: Session, case_id: uuid.UUID, *, for_update: bool = False
) -> CountyTransfer | None:
    """The case's proposal waiting for an answer, if any (one query; ``for_update``: locked
    against an answer given at the same time)."""
    query = select(CountyTransfer).where(
        CountyTransfer.case_id == case_id, CountyTransfer.state == TransferState.PROPOSED
    )
    return session.scalar(query.with_for_update() if for_update else query)


def propose_transfer(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    case: Case,
    to_county_id: uuid.UUID | None,
    reason: TransferReason,
) -> CountyTransfer:
    """Propose to hand the case over to ``to_county_id``; its caseworkers answer.

    :raises AccessDenied: when the actor may not do case work on this client.
    :raises CaseClosed: when the case is closed.
    :raises ProposalRefused: when the receiving county is missing, not a county or the same.
    :raises TransferPending: when a proposal already waits for its answer.
    """
    gate.record(actor, case.client_id, Action.WRITE, Purpose.CASE_WORK, DataScope.BASIC)
    # Two proposals at once: the second waits here for the first, then finds it pending.
    closed_at = session.scalar(select(Case.closed_at).where(Case.id == case.id).with_for_update())
    if closed_at is not None:
        raise CaseClosed()
    county = session.get(Organisation, to_county_id) if to_county_id else None
    problem = proposal_problem(
        case.county_id, to_county_id, county is not None and county.kind is OrgKind.COUNTY
    )
    if problem is not None:
        raise ProposalRefused(errors={"to_county": problem})
    if pending_transfer(session, case.id) is not None:
        raise TransferPending()
    assert to_county_id is not None and actor.user_id is not None
    transfer = CountyTransfer(
        client_id=case.client_id,
        case_id=case.id,
        from_county_id=case.county_id,
        to_county_id=to_county_id,
        state=TransferState.PROPOSED,
        reason=reason,
        proposed_by_id=actor.user_id,
        proposed_at=utcnow(),
        ended_consent_ids=[],
    )
    session.add(transfer)
    session.flush()
    return transfer


def withdraw_transfer(
    session: Session, gate: AccessGate, actor: Actor, *, case: Case
) -> CountyTransfer:
    """Withdraw the case's proposal before it is answered.

    :raises AccessDenied: when the actor may not do case work on this client.
    :raises NoPendingTransfer: when no proposal waits for an answer.
    """
    gate.record(actor, case.client_id, Action.WRITE, Purpose.CASE_WORK, DataScope.BASIC)
    transfer = pending_transfer(session, case.id, for_update=True)
    if transfer is None:
        raise NoPendingTransfer()
    _answer(session, transfer, actor, Act.WITHDRAW)
    session.flush()
    return transfer


def decline_transfer(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    transfer: CountyTransfer,
    reason: DeclineReason,
) -> CountyTransfer:
    """Decline a proposal made to the actor's county; the case stays where it is.

    :raises NotYourTransfer: when the actor's county is not the receiving county.
    :raises AlreadyAnswered: when the proposal has been answered or withdrawn.
    """
    _check_answerable(session, transfer, actor, Act.DECLINE)
    gate.record(actor, transfer.client_id, Action.READ, Purpose.LIST, DataScope.NAME)
    _answer(session, transfer, actor, Act.DECLINE)
    transfer.decline_reason = reason
    session.flush()
    return transfer


def accept_transfer(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    transfer: CountyTransfer,
    worker: User,
    receipt: ReceiptWording | None = None,
) -> Accepted:
    """Accept a proposal made to the actor's county: the case moves to it now, with the
    accepting ``worker`` as its responsible worker from today. The sending case's
    responsible worker is told (``TransferAnswerNotice``), and the client gets a receipt
    (in ``receipt``'s words) for each consent the transfer ends. The case's booked
    appointments that have not started are cancelled (reason ``case_transferred``).

    :raises NotYourTransfer: when the actor's county is not the receiving county.
    :raises AlreadyAnswered: when the proposal has been answered or withdrawn.
    :raises CaseClosed: when the case was closed meanwhile.
    :raises SealsRemain: when a seal to the sending county survives (never expected).
    """
    _check_answerable(session, transfer, actor, Act.ACCEPT)
    gate.record(actor, transfer.client_id, Action.READ, Purpose.LIST, DataScope.NAME)
    case = session.get(Case, transfer.case_id)
    client = session.get(Client, transfer.client_id)
    assert case is not None and client is not None  # foreign keys
    if case.closed_at is not None:
        raise CaseClosed()
    now = utcnow()
    today = helsinki_day(now)
    sending, receiving = transfer.from_county_id, transfer.to_county_id
    _answer(session, transfer, actor, Act.ACCEPT, at=now)
    # The sending county's meetings go with its ownership: cancelled, their .ics says so.
    cancel_case_future(
        session, case.id, reason=ChangeReason.CASE_TRANSFERRED, by_id=actor.user_id, now=now
    )
    # The sending county's relationships to the case end with its ownership.
    for member in session.scalars(
        select(CaseTeamMember).where(
            CaseTeamMember.case_id == case.id, CaseTeamMember.removed_at.is_(None)
        )
    ):
        member.removed_at, member.removed_by_id = now, actor.user_id
    session.execute(
        update(WorkTaskReason)
        .where(WorkTaskReason.case_id == case.id, WorkTaskReason.valid_until > now)
        .values(valid_until=now)
    )
    # The client's record moves whole: earlier (closed) cases and every notification too, so
    # that no list of the sending county names a client it may no longer read.
    session.execute(
        update(Notification).where(Notification.client_id == client.id).values(county_id=receiving)
    )
    session.execute(
        update(Case)
        .where(Case.client_id == client.id, Case.id != case.id)
        .values(county_id=receiving)
    )
    case.county_id = client.county_id = receiving
    session.flush()
    cases.appoint(session, case, worker, today, actor.user_id, today)
    ended, continuing = _carry_consents(session, gate, case, transfer, actor, receipt, now)
    transfer.ended_consent_ids = sorted(str(c.id) for c in ended)
    session.flush()
    gate.sync_seals(case.client_id)
    if _seals_to(session, case.client_id, sending):
        raise SealsRemain(case.client_id)
    # The new owner's first case work: allowed now by the appointment, and logged.
    gate.record(actor, case.client_id, Action.WRITE, Purpose.CASE_WORK, DataScope.BASIC)
    return Accepted(transfer, ended, continuing)


def _carry_consents(
    session: Session,
    gate: AccessGate,
    case: Case,
    transfer: CountyTransfer,
    actor: Actor,
    receipt: ReceiptWording | None,
    at: datetime,
) -> tuple[list[Consent], list[Consent]]:
    """End the consents ``consent_fate`` ends (with their event, notice and receipt); the
    rest continue."""
    sending, receiving = transfer.from_county_id, transfer.to_county_id
    sender = session.get(Organisation, sending)
    assert sender is not None  # foreign key
    rows = session.execute(
        select(Consent, NetworkMember.organisation_id)
        .join(NetworkMember, NetworkMember.id == Consent.member_id)
        .where(Consent.case_id == case.id, Consent.state == ConsentState.ACTIVE)
        .order_by(Consent.recorded_at, Consent.id)
    ).all()
    ended: list[Consent] = []
    continuing: list[Consent] = []
    for consent, organisation_id in rows:
        fate = consent_fate(
            consent.direction,
            organisation_id,
            sending_county_id=sending,
            receiving_county_id=receiving,
        )
        if fate is TransferFate.CONTINUES:
            continuing.append(consent)
            continue
        end_by_transfer(
            session, gate, actor, consent, case=case, sending=sender, receipt=receipt, at=at
        )
        ended.append(consent)
    return ended, continuing


def _seals_to(session: Session, client_id: uuid.UUID, organisation_id: uuid.UUID) -> int:
    """How many of the client's key seals the organisation's grantee key holds (one query)."""
    return len(
        session.scalars(
            select(KeySeal.id)
            .join(GranteeKey, GranteeKey.id == KeySeal.grantee_key_id)
            .where(KeySeal.client_id == client_id, GranteeKey.organisation_id == organisation_id)
        ).all()
    )


def _check_answerable(session: Session, transfer: CountyTransfer, actor: Actor, act: Act) -> None:
    side = side_of(actor.organisation_id, transfer.from_county_id, transfer.to_county_id)
    if side is not Side.RECEIVING:
        raise NotYourTransfer()
    # Two answers at once: the second waits here for the first and then reads its state.
    session.refresh(transfer, with_for_update=True)
    if next_state(transfer.state, act, side) is None:
        raise AlreadyAnswered()


def _answer(
    session: Session, transfer: CountyTransfer, actor: Actor, act: Act, at: datetime | None = None
) -> None:
    side = side_of(actor.organisation_id, transfer.from_county_id, transfer.to_county_id)
    state = next_state(transfer.state, act, side)
    if state is None:
        raise AlreadyAnswered()
    transfer.state = state
    transfer.answered_by_id = actor.user_id
    transfer.answered_at = at or utcnow()
    if act is not Act.WITHDRAW:
        _tell_the_sender(session, transfer)


def _tell_the_sender(session: Session, transfer: CountyTransfer) -> TransferAnswerNotice:
    """A dashboard item for the sending case's responsible worker (the proposer when none
    is appointed): the receiving county answered. Made before an acceptance appoints the
    receiving worker."""
    worker_id = session.scalar(
        select(ResponsibleWorker.worker_id).where(
            ResponsibleWorker.case_id == transfer.case_id, ResponsibleWorker.ends_on.is_(None)
        )
    )
    notice = TransferAnswerNotice(
        transfer_id=transfer.id,
        user_id=worker_id or transfer.proposed_by_id,
        created_at=transfer.answered_at,
    )
    session.add(notice)
    return notice


def see_transfer_answer(
    session: Session, notice_id: uuid.UUID, *, user_id: uuid.UUID, at: datetime
) -> TransferAnswerNotice:
    """The worker acknowledges the answer to a transfer they were told of (flushes);
    acknowledging again changes nothing.

    :raises AnswerNoticeNotFound: when the notice is not addressed to this worker.
    """
    notice = session.get(TransferAnswerNotice, notice_id)
    if notice is None or notice.user_id != user_id:
        raise AnswerNoticeNotFound()
    if notice.seen_at is None:
        notice.seen_at = at
        session.flush()
    return notice
