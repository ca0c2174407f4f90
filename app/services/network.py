"""Assembling a client's support network and the information flows agreed with each member.

Functions take a Session, the access gate and primitives, flush, and never commit. Every
name and free text goes through the gate (encrypted, logged); ending a membership goes
through ``app.consents.commands.end_membership``, which removes the member's key seals in
the same transaction.
"""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.consents.commands import end_membership
from app.labels import MEMBER_KINDS
from app.models import Case, MemberKind, NetworkMember, Organisation, OrgKind, User
from app.models.flows import FlowAgreement, FlowChannel, FlowDirection, MemberContact
from app.models.partner import NoticeReason
from app.services.fields import field as field_ref
from app.services.fields import sealed
from app.services.network_picture import PictureFlow, PictureMember
from consent.base import utcnow
from consent.decision import Actor, Purpose, helsinki_day
from sharing.gate import AccessGate

PERSON_KINDS = (MemberKind.CLOSE_PERSON, MemberKind.PEER_EXPERT)
# An organisation joins the network as the kind of member its own kind implies.
MEMBER_KIND_OF: dict[OrgKind, MemberKind] = {
    OrgKind.PRISON: MemberKind.PRISON,
    OrgKind.PROBATION: MemberKind.PROBATION,
    OrgKind.PUBLIC_SERVICE: MemberKind.PUBLIC_SERVICE,
    OrgKind.NGO: MemberKind.NGO,
    OrgKind.PEER_SUPPORT: MemberKind.PEER_EXPERT,
    OrgKind.OTHER: MemberKind.OTHER,
}


class NetworkError(Exception):
    """Raised when a change would break one of the network's rules."""


class NotInDirectory(NetworkError):
    """Raised when the organisation is missing from the directory or is a county."""


class DuplicateMembership(NetworkError):
    """Raised when the organisation already is a member for an overlapping period."""


class InvalidPeriod(NetworkError):
    """Raised when a period ends before it starts."""


class InvalidPerson(NetworkError):
    """Raised when a person member lacks a name or is of a kind that is an organisation."""


class MembershipEnded(NetworkError):
    """Raised when changing a membership that has already ended."""


class CommitmentNotNeeded(NetworkError):
    """Raised when recording a confidentiality commitment for an authority."""


class CommitmentAlreadyRecorded(NetworkError):
    """Raised when the member's confidentiality commitment is already on record."""


class DateInFuture(NetworkError):
    """Raised when something said to have happened is dated after today."""


class NotAgreedWithClient(NetworkError):
    """Raised when a flow agreement is recorded without the client's agreement."""


class AgreementEnded(NetworkError):
    """Raised when ending an agreement that has already ended."""


class MemberStatus(enum.StrEnum):
    UPCOMING = "upcoming"  # starts later
    ACTIVE = "active"
    ENDED = "ended"


def today() -> date:
    """The Finnish calendar day now."""
    return helsinki_day(utcnow())


def member_status(member: NetworkMember, on: date) -> MemberStatus:
    if member.ended_at is not None or (member.ends_on is not None and member.ends_on < on):
        return MemberStatus.ENDED
    if member.starts_on > on:
        return MemberStatus.UPCOMING
    return MemberStatus.ACTIVE


def directory(session: Session) -> list[Organisation]:
    """Organisations that may join a network (every kind but counties), by kind and name."""
    return list(
        session.scalars(
            select(Organisation)
            .where(Organisation.kind != OrgKind.COUNTY)
            .order_by(Organisation.kind, Organisation.name)
        )
    )


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

    :raises NotInDirectory: when the organisation is missing or is a county.
    :raises InvalidPeriod: when the membership would end before it starts.
    :raises DuplicateMembership: when it already is a member for an overlapping period.
    """
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or organisation.kind not in MEMBER_KIND_OF:
        raise NotInDirectory(organisation_id)
    _check_period(starts_on, ends_on)
    existing = session.scalars(
        select(NetworkMember).where(
            NetworkMember.case_id == case.id, NetworkMember.organisation_id == organisation_id
        )
    ).all()
    if any(_overlaps(other, starts_on, ends_on) for other in existing):
        raise DuplicateMembership(organisation_id)
    member = NetworkMember(
        case_id=case.id,
        client_id=case.client_id,
        kind=MEMBER_KIND_OF[organisation.kind],
        organisation_id=organisation.id,
        starts_on=starts_on,
        ends_on=ends_on,
        added_by_id=actor.user_id,
    )
    member.role_ct = _write(gate, actor, member, "role_ct", role)
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

    :raises InvalidPerson: when the kind is not a person's or the name is empty.
    :raises InvalidPeriod: when the membership would end before it starts.
    """
    if kind not in PERSON_KINDS or not name.strip():
        raise InvalidPerson(kind)
    _check_period(starts_on, ends_on)
    member = NetworkMember(
        case_id=case.id,
        client_id=case.client_id,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        added_by_id=actor.user_id,
    )
    # Encrypt before adding: the row may not exist without its (encrypted) name.
    member.person_name_ct = _write(gate, actor, member, "person_name_ct", name)
    member.role_ct = _write(gate, actor, member, "role_ct", role)
    session.add(member)
    session.flush()
    if contact and contact.strip():
        details = MemberContact(
            member_id=member.id, client_id=case.client_id, recorded_by_id=actor.user_id
        )
        details.contact_ct = _write(gate, actor, details, "contact_ct", contact)
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
    :raises MembershipEnded: when the membership has ended.
    :raises DateInFuture: when dated after today.
    """
    if not member.needs_confidentiality_commitment:
        raise CommitmentNotNeeded(member.id)
    if member.confidentiality_committed_on is not None:
        raise CommitmentAlreadyRecorded(member.id)
    if member_status(member, today()) is MemberStatus.ENDED:
        raise MembershipEnded(member.id)
    if committed_on > today():
        raise DateInFuture(committed_on)
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
    (``app.consents.commands.end_membership``).

    :raises MembershipEnded: when it had already ended.
    """
    if member_status(member, today()) is MemberStatus.ENDED:
        raise MembershipEnded(member.id)
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
    :raises MembershipEnded: when the membership has ended.
    :raises DateInFuture: when agreed after today.
    """
    if not agreed_with_client:
        raise NotAgreedWithClient(member.id)
    if member_status(member, today()) is MemberStatus.ENDED:
        raise MembershipEnded(member.id)
    if agreed_on > today():
        raise DateInFuture(agreed_on)
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
    flow.subject_ct = _write(gate, actor, flow, "subject_ct", subject)
    flow.practice_ct = _write(gate, actor, flow, "practice_ct", practice)
    session.add(flow)
    session.flush()
    return flow


def end_flow(session: Session, flow: FlowAgreement, *, by_user_id: uuid.UUID | None) -> None:
    """Mark an agreement ended; it stays on record.

    :raises AgreementEnded: when it had already ended.
    """
    if flow.ended_at is not None:
        raise AgreementEnded(flow.id)
    flow.ended_at = utcnow()
    flow.ended_by_id = by_user_id
    session.flush()


# -- reading ------------------------------------------------------------------------------


@dataclass
class FlowView:
    flow: FlowAgreement
    subject: str
    practice: str


@dataclass
class MemberView:
    member: NetworkMember
    label: str  # the organisation's name or the person's name
    role: str
    contact: str | None
    status: MemberStatus
    flows: list[FlowView] = field(default_factory=list)

    @property
    def active_flows(self) -> list[FlowView]:
        return [f for f in self.flows if f.flow.ended_at is None]

    @property
    def commitment_missing(self) -> bool:
        m = self.member
        return m.needs_confidentiality_commitment and m.confidentiality_committed_on is None


@dataclass
class NetworkView:
    members: list[MemberView]
    users: dict[uuid.UUID, User]

    def by_kind(self) -> list[tuple[MemberKind, list[MemberView]]]:
        """Members grouped by kind, in the kinds' fixed order; empty kinds left out."""
        groups: dict[MemberKind, list[MemberView]] = defaultdict(list)
        for view in self.members:
            groups[view.member.kind].append(view)
        return [(kind, groups[kind]) for kind in MemberKind if kind in groups]

    def user_name(self, user_id: uuid.UUID | None) -> str | None:
        user = self.users.get(user_id) if user_id else None
        return user.display_name if user else None


def read_network(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    case: Case,
    *,
    member_id: uuid.UUID | None = None,
    purpose: Purpose = Purpose.CASE_WORK,
) -> NetworkView:
    """The case's members (or one), their agreements and contacts, decrypted in one gate call.

    A fixed number of queries whatever the number of members or agreements. The client's
    own portal reads the same with ``Purpose.OWN_DATA``.

    :raises AccessDenied: when the actor may not read the case.
    """
    members_query = (
        select(NetworkMember)
        .where(NetworkMember.case_id == case.id)
        .options(selectinload(NetworkMember.organisation))
        .order_by(NetworkMember.starts_on, NetworkMember.added_at, NetworkMember.id)
    )
    flows_query = (
        select(FlowAgreement)
        .where(FlowAgreement.case_id == case.id)
        .order_by(FlowAgreement.recorded_at, FlowAgreement.id)
    )
    contacts_query = select(MemberContact).where(MemberContact.client_id == case.client_id)
    if member_id is not None:
        members_query = members_query.where(NetworkMember.id == member_id)
        flows_query = flows_query.where(FlowAgreement.member_id == member_id)
        contacts_query = contacts_query.where(MemberContact.member_id == member_id)
    members = session.scalars(members_query).all()
    flows = session.scalars(flows_query).all()
    contacts = {c.member_id: c for c in session.scalars(contacts_query)}
    user_ids = {
        uid
        for m in members
        for uid in (m.added_by_id, m.ended_by_id, m.confidentiality_recorded_by_id)
        if uid
    } | {uid for f in flows for uid in (f.recorded_by_id, f.ended_by_id) if uid}
    users = (
        {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
        if user_ids
        else {}
    )
    refs = [sealed(m, column) for m in members for column in ("person_name_ct", "role_ct")]
    refs += [sealed(f, column) for f in flows for column in ("subject_ct", "practice_ct")]
    refs += [sealed(c, "contact_ct") for c in contacts.values()]
    texts = iter(gate.read_texts(actor, refs, purpose=purpose) if refs else [])
    on = today()
    views = {}
    for m in members:
        person, role = next(texts), next(texts)
        label = m.organisation.name if m.organisation is not None else person
        views[m.id] = MemberView(m, label or "", role or "", None, member_status(m, on))
    for f in flows:
        subject, practice = next(texts), next(texts)
        if f.member_id in views:
            views[f.member_id].flows.append(FlowView(f, subject or "", practice or ""))
    for member_key in contacts:
        text = next(texts)
        if member_key in views:
            views[member_key].contact = text
    return NetworkView(list(views.values()), users)


# -- internals ----------------------------------------------------------------------------


def _write(
    gate: AccessGate,
    actor: Actor,
    row: NetworkMember | FlowAgreement | MemberContact,
    column: str,
    text: str,
) -> bytes | None:
    return gate.write_text(actor, field_ref(row, column), text.strip(), purpose=Purpose.CASE_WORK)


def _check_period(starts_on: date, ends_on: date | None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise InvalidPeriod(starts_on, ends_on)


def _overlaps(other: NetworkMember, starts_on: date, ends_on: date | None) -> bool:
    """Whether ``other``'s period shares a day with the new one.

    A membership ended by hand ended at an instant on its last day, so a new one may
    start on that day.
    """
    other_end = other.ends_on
    if other.ended_at is not None and other_end is not None:
        other_end -= timedelta(days=1)
        if other_end < other.starts_on:  # ended on (or before) its first day
            return False
    starts_before_other_ends = other_end is None or starts_on <= other_end
    ends_after_other_starts = ends_on is None or other.starts_on <= ends_on
    return starts_before_other_ends and ends_after_other_starts


def picture_members(
    view: NetworkView,
    directions: Mapping[FlowDirection, LazyString],
    channels: Mapping[FlowChannel, LazyString],
) -> list[PictureMember]:
    """The network's members as the picture draws them, flows worded for its reader."""
    return [
        PictureMember(
            key=str(m.member.id),
            kind=m.member.kind,
            kind_label=str(MEMBER_KINDS[m.member.kind]),
            label=m.label,
            active=m.status is not MemberStatus.ENDED,
            role=m.role,
            flows=tuple(
                PictureFlow(
                    f.flow.direction,
                    str(directions[f.flow.direction]),
                    str(channels[f.flow.channel]),
                    f.subject,
                )
                for f in m.active_flows
            ),
        )
        for m in view.members
    ]
