"""Reading a client's support network: its members, their agreements and contacts."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.models import Case, MemberKind, NetworkMember, Organisation, OrgKind, User
from app.models.flows import FlowAgreement, MemberContact
from consent.base import utcnow
from consent.facts import Actor, Purpose
from consent.status import MembershipStatus, membership_status
from sharing.fields import sealed
from sharing.gate import AccessGate


def directory(session: Session) -> list[Organisation]:
    """Active organisations that may join a network (every kind but counties), by kind and
    name."""
    return list(
        session.scalars(
            select(Organisation)
            .where(Organisation.kind != OrgKind.COUNTY, Organisation.active.is_(True))
            .order_by(Organisation.kind, Organisation.name)
        )
    )


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
    status: MembershipStatus
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
    at: datetime | None = None,
) -> NetworkView:
    """The case's members (or one), their agreements and contacts, decrypted in one gate call.

    A fixed number of queries whatever the number of members or agreements. The client's
    own portal reads the same with ``Purpose.OWN_DATA``. Each member's status is the one
    ``consent.status`` gives at ``at`` (now by default).

    :raises AccessDenied: when the actor may not read the case.
    """
    at = at or utcnow()
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
    refs = [
        sealed(m, column)
        for m in members
        for column in (NetworkMember.person_name_ct, NetworkMember.role_ct)
    ]
    refs += [
        sealed(f, column)
        for f in flows
        for column in (FlowAgreement.subject_ct, FlowAgreement.practice_ct)
    ]
    refs += [sealed(c, MemberContact.contact_ct) for c in contacts.values()]
    texts = iter(gate.read_texts(actor, refs, purpose=purpose) if refs else [])
    views = {}
    for m in members:
        person, role = next(texts), next(texts)
        label = m.organisation.name if m.organisation is not None else person
        status = membership_status(m.membership(), at)
        views[m.id] = MemberView(m, label or "", role or "", None, status)
    for f in flows:
        subject, practice = next(texts), next(texts)
        if f.member_id in views:
            views[f.member_id].flows.append(FlowView(f, subject or "", practice or ""))
    for member_key in contacts:
        text = next(texts)
        if member_key in views:
            views[member_key].contact = text
    return NetworkView(list(views.values()), users)
