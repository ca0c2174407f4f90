"""Assembling a client's support network and the information flows agreed with each member.

Commands take a Session, the access gate and primitives, flush, and never commit. Every
name and free text goes through the gate (encrypted, logged); ending a membership goes
through ``app.consents.commands.end_membership``, which removes the member's key seals in
the same transaction. A command that says no raises one of the refusals below.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.appointments.commands import remove_member_from_future
from app.consents.commands import end_membership
from app.models import Case, MemberKind, NetworkMember, Organisation
from app.models.flows import FlowAgreement, FlowChannel, FlowDirection, MemberContact
from app.models.partner import NoticeReason
from app.network.rules import MEMBER_KIND_OF, PERSON_KINDS, ends_before_start, overlaps
from app.refusals import N_, Conflict, Refused
from consent.base import utcnow
from consent.facts import Actor, Purpose
from consent.status import MembershipStatus, helsinki_day, membership_status
from sharing.gate import AccessGate

# -- refusals -----------------------------------------------------------------------------


class NotInDirectory(Refused):
    """Raised when the organisation is missing from the directory or is a county."""

    code = "not_in_directory"
    field = "organisation"
    message = N_("Choose an organisation from the list.")


class DuplicateMembership(Refused):
    """Raised when the organisation already is a member for an overlapping period."""

    code = "duplicate_membership"
    field = "organisation"
    message = N_(
        "This organisation is already a member of the network for an overlapping "
        "period. End that membership first, or choose dates that do not overlap."
    )


class InvalidPeriod(Refused):
    """Raised when a period ends before it starts."""

    code = "end_before_start"
    field = "ends_on"
    message = N_("The end date cannot be before the start date.")


class InvalidPerson(Refused):
    """Raised when a person member is of a kind that is an organisation."""

    code = "not_a_person_kind"
    field = "kind"
    message = N_("Choose whether the person is a close person or a peer expert.")


class PersonNameMissing(InvalidPerson):
    """Raised when a person member has no name."""

    code = "name_missing"
    field = "name"
    message = N_("Enter the person's name.")


class MembershipEnded(Conflict):
    """Raised when ending a membership that has already ended."""

    code = "membership_ended"
    message = N_("This membership had already ended.")


class NoAgreementsAfterEnd(MembershipEnded):
    """Raised when recording a flow agreement for a membership that has ended."""

    message = N_("The membership has ended: no new agreements can be made.")


class NothingToRecord(Conflict):
    """Raised when a confidentiality commitment cannot be recorded for the member."""

    code = "nothing_to_record"
    message = N_("Nothing to record: the commitment is not needed or is already on record.")


class CommitmentNotNeeded(NothingToRecord):
    """Raised when recording a confidentiality commitment for an authority."""

    code = "commitment_not_needed"


class CommitmentAlreadyRecorded(NothingToRecord):
    """Raised when the member's confidentiality commitment is already on record."""

    code = "commitment_already_recorded"


class CommitmentAfterEnd(NothingToRecord):
    """Raised when recording a confidentiality commitment for a membership that has ended."""

    code = "membership_ended"


class DateInFuture(Refused):
    """Raised when something said to have happened is dated after today."""

    code = "date_in_future"
    message = N_("The date cannot be in the future.")


class CommitmentInFuture(DateInFuture):
    """Raised when a confidentiality commitment is dated after today."""

    field = "committed_on"


class AgreementInFuture(DateInFuture):
    """Raised when a flow agreement is dated after today."""

    field = "agreed_on"


class NotAgreedWithClient(Refused):
    """Raised when a flow agreement is recorded without the client's agreement."""

    code = "not_agreed_with_client"
    field = "agreed_with_client"
    message = N_("An information flow is recorded only as agreed with the client.")


class AgreementEnded(Conflict):
    """Raised when ending an agreement that has already ended."""

    code = "agreement_ended"
    message = N_("This agreement had already ended.")


# -- members ------------------------------------------------------------------------------


def add_organisation_member(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    case: Case,
    organisation_id: uuid.UUID,
    role: str,
    starts_on: date,
    ends_on: date | None,
) -> NetworkMember:
    """Add an organisation from the directory; its kind follows the organisation's kind.

    :raises NotInDirectory: when the organisation is missing, inactive or a county.
    :raises InvalidPeriod: when the membership would end before it starts.
    :raises DuplicateMembership: when it already is a member for an overlapping period.
    """
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not organisation.active or organisation.kind not in MEMBER_KIND_OF:
        raise NotInDirectory()
    if ends_before_start(starts_on, ends_on):
        raise InvalidPeriod()
    existing = session.scalars(
        select(NetworkMember).where(
            NetworkMember.case_id == case.id, NetworkMember.organisation_id == organisation_id
        )
    ).all()
    if any(overlaps(other.membership(), starts_on, ends_on) for other in existing):
        raise DuplicateMembership()
    member = NetworkMember(
        case_id=case.id,
        client_id=case.client_id,
        kind=MEMBER_KIND_OF[organisation.kind],
        organisation_id=organisation.id,
        starts_on=starts_on,
        ends_on=ends_on,
        added_by_id=actor.user_id,
    )
    gate.write_fields(
        actor, [(member, NetworkMember.role_ct, role.strip())], purpose=Purpose.CASE_WORK
    )
    session.add(member)
    session.flush()
    return member


def add_person_member(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    case: Case,
    kind: MemberKind,
    name: str,
    contact: str | None,
    role: str,
    starts_on: date,
    ends_on: date | None,
) -> NetworkMember:
    """Add a close person or a peer expert; name and contact details are encrypted.

    :raises InvalidPerson: when the kind is not a person's (``PersonNameMissing``: no name).
    :raises InvalidPeriod: when the membership would end before it starts.
    """
    if kind not in PERSON_KINDS:
        raise InvalidPerson()
    if not name.strip():
        raise PersonNameMissing()
    if ends_before_start(starts_on, ends_on):
        raise InvalidPeriod()
    member = NetworkMember(
        case_id=case.id,
        client_id=case.client_id,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        added_by_id=actor.user_id,
    )
    # Encrypt before adding: the row may not exist without its (encrypted) name.
    gate.write_fields(
        actor,
        [
            (member, NetworkMember.person_name_ct, name.strip()),
            (member, NetworkMember.role_ct, role.strip()),
        ],
        purpose=Purpose.CASE_WORK,
    )
    session.add(member)
    session.flush()
    if contact and contact.strip():
        details = MemberContact(
            member_id=member.id, client_id=case.client_id, recorded_by_id=actor.user_id
        )
        gate.write_fields(
            actor, [(details, MemberContact.contact_ct, contact.strip())], purpose=Purpose.CASE_WORK
        )
        session.add(details)
        session.flush()
    return member


def record_commitment(
    session: Session, member: NetworkMember, *, committed_on: date, by_user_id: uuid.UUID | None
) -> None:
    """Record the day a member who is not an authority gave the confidentiality commitment.

    ``member.organisation`` must be loaded.

    :raises CommitmentNotNeeded: when the member is an authority.
    :raises CommitmentAlreadyRecorded: when it is already on record.
    :raises CommitmentAfterEnd: when the membership has ended.
    :raises CommitmentInFuture: when dated after today.
    """
    now = utcnow()
    if not member.needs_confidentiality_commitment:
        raise CommitmentNotNeeded()
    if member.confidentiality_committed_on is not None:
        raise CommitmentAlreadyRecorded()
    if _ended(member, now):
        raise CommitmentAfterEnd()
    if committed_on > helsinki_day(now):
        raise CommitmentInFuture()
    member.confidentiality_committed_on = committed_on
    member.confidentiality_recorded_by_id = by_user_id
    session.flush()


def end_member(
    session: Session,
    gate: AccessGate,
    member: NetworkMember,
    *,
    by_user_id: uuid.UUID | None,
    reason: NoticeReason = NoticeReason.MEMBERSHIP_ENDED,
) -> None:
    """End a membership now: access and key seals go at once, and so do its open agreements.

    An organisation member is asked to confirm it keeps no copy, for ``reason``
    (``app.consents.commands.end_membership``). The member leaves the booked appointments
    that have not started (``app.appointments.commands.remove_member_from_future``).

    :raises MembershipEnded: when it had already ended.
    """
    if _ended(member, utcnow()):
        raise MembershipEnded()
    end_membership(session, gate, member, by_user_id=by_user_id, reason=reason)
    open_flows = session.scalars(
        select(FlowAgreement).where(
            FlowAgreement.member_id == member.id, FlowAgreement.ended_at.is_(None)
        )
    )
    for flow in open_flows:
        flow.ended_at = member.ended_at
        flow.ended_by_id = by_user_id
    session.flush()
    remove_member_from_future(session, member.id, by_id=by_user_id, now=utcnow())


class EndReasonMissing(Refused):
    """Raised when a membership is ended by hand without saying why."""

    code = "end_reason_missing"
    field = "reason"
    message = N_("Write down why the membership ends.")


def end_member_confirmed(
    session: Session, gate: AccessGate, actor: Actor, member: NetworkMember, *, reason: str
) -> None:
    """End a membership from its confirmation page: the worker's reason is sealed on the
    member (county-only), then ``end_member`` ends it now.

    A service that ends with the client is better recorded as its ending
    (``app.ending.commands.record_member_ending``), which ends the membership too.

    :raises EndReasonMissing: when the reason is empty.
    :raises MembershipEnded: when it had already ended.
    :raises AccessDenied: when the actor may not write this client's case.
    """
    text = reason.strip()
    if not text:
        raise EndReasonMissing()
    if _ended(member, utcnow()):
        raise MembershipEnded()
    gate.write_fields(
        actor, [(member, NetworkMember.end_reason_ct, text)], purpose=Purpose.CASE_WORK
    )
    end_member(session, gate, member, by_user_id=actor.user_id)


# -- information flows --------------------------------------------------------------------


def add_flow(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    member: NetworkMember,
    direction: FlowDirection,
    channel: FlowChannel,
    subject: str,
    practice: str,
    agreed_on: date,
    agreed_with_client: bool,
) -> FlowAgreement:
    """Record an information flow agreed with the client for one member.

    :raises NotAgreedWithClient: unless the worker confirms the client agreed.
    :raises NoAgreementsAfterEnd: when the membership has ended.
    :raises AgreementInFuture: when agreed after today.
    """
    now = utcnow()
    if not agreed_with_client:
        raise NotAgreedWithClient()
    if _ended(member, now):
        raise NoAgreementsAfterEnd()
    if agreed_on > helsinki_day(now):
        raise AgreementInFuture()
    flow = FlowAgreement(
        case_id=member.case_id,
        client_id=member.client_id,
        member_id=member.id,
        direction=direction,
        channel=channel,
        agreed_on=agreed_on,
        agreed_with_client=True,
        recorded_by_id=actor.user_id,
    )
    gate.write_fields(
        actor,
        [
            (flow, FlowAgreement.subject_ct, subject.strip()),
            (flow, FlowAgreement.practice_ct, practice.strip()),
        ],
        purpose=Purpose.CASE_WORK,
    )
    session.add(flow)
    session.flush()
    return flow


def end_flow(session: Session, flow: FlowAgreement, *, by_user_id: uuid.UUID | None) -> None:
    """Mark an agreement ended; it stays on record.

    :raises AgreementEnded: when it had already ended.
    """
    if flow.ended_at is not None:
        raise AgreementEnded()
    flow.ended_at = utcnow()
    flow.ended_by_id = by_user_id
    session.flush()


# -- internals ----------------------------------------------------------------------------


def _ended(member: NetworkMember, now: datetime) -> bool:
    return membership_status(member.membership(), now) is MembershipStatus.ENDED
