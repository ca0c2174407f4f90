"""What a person's link opens, and the lists of links for the worker's and the client's pages.

Nothing here decides what the person may read: every read is the access gate's, as
``Actor(ActorRole.PERSON, member_id=...)`` for ``Purpose.NETWORK_COOPERATION``, opened
only through the key seals made to the member's own grantee key, and logged.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.issued_secrets import token_digest, token_matches
from app.models import (
    Client,
    ClientPlan,
    NetworkMember,
    PlanSection,
    PlanSectionVersion,
    User,
)
from app.models.person_access import PersonAccessGrant
from app.pagination import ListPage, paginate
from app.person_access.commands import AccessEnded
from app.person_access.content import ContentPart, content_parts
from app.person_access.rules import (
    PURPOSE,
    consent_live,
    grant_status,
    link_shows,
    person_actor,
    sections_of,
    shown_sections,
)
from consent.base import utcnow
from consent.models import Consent
from consent.sections import SectionKind
from consent.status import LinkStatus
from sharing.fields import sealed
from sharing.gate import AccessGate

PAGE_SIZE = 20


def live_consents(session: Session, member_id: uuid.UUID, at: datetime) -> list[Consent]:
    """The member's consents under which a link may be issued now (one query)."""
    rows = session.scalars(
        select(Consent)
        .where(Consent.member_id == member_id, Consent.ended_at.is_(None))
        .order_by(Consent.recorded_at, Consent.id)
    ).all()
    return [consent for consent in rows if consent_live(consent, at)]


# -- using a link -------------------------------------------------------------------------


def find_by_token(session: Session, token: str) -> PersonAccessGrant | None:
    """The link a token opens, if any (by the token's hash)."""
    if not token or len(token) > 200:
        return None
    return session.scalar(
        select(PersonAccessGrant).where(PersonAccessGrant.token_hash == token_digest(token))
    )


def load_terms(session: Session, grant: PersonAccessGrant) -> tuple[Consent, NetworkMember]:
    """The consent and membership a link depends on (one query)."""
    consent, member = session.execute(
        select(Consent, NetworkMember)
        .join(NetworkMember, NetworkMember.id == Consent.member_id)
        .where(Consent.id == grant.consent_id)
    ).one()
    return consent, member


def readers_of(
    session: Session, member_ids: Sequence[uuid.UUID], scope: str, at: datetime
) -> list[uuid.UUID]:
    """The person members among ``member_ids`` who can open a thread sealed under ``scope``
    at ``at``: a link of theirs still usable (its consent, membership and days) shows the
    thread's section (one query). Only they are told of a new message there."""
    if not member_ids:
        return []
    rows = session.execute(
        select(PersonAccessGrant, Consent, NetworkMember)
        .join(Consent, Consent.id == PersonAccessGrant.consent_id)
        .join(NetworkMember, NetworkMember.id == PersonAccessGrant.member_id)
        .where(
            PersonAccessGrant.member_id.in_(sorted(set(member_ids))),
            PersonAccessGrant.ended_at.is_(None),
        )
    ).all()
    return sorted(
        {
            grant.member_id
            for grant, consent, member in rows
            if grant_status(grant, consent, member, at).usable and link_shows(grant, consent, scope)
        }
    )


def binding_matches(grant: PersonAccessGrant, secret: str | None) -> bool:
    """Whether a browser's secret is the one this link was bound to (constant time)."""
    return token_matches(grant.binding_hash, secret)


@dataclass(frozen=True)
class PersonSection:
    kind: SectionKind
    updated_at: datetime | None
    parts: list[ContentPart] = field(default_factory=list)


@dataclass(frozen=True)
class PersonView:
    """What a person sees: the client's first name and the sections the link shows."""

    first_name: str
    valid_until: date
    sections: list[PersonSection]


def read_for_person(
    session: Session, gate: AccessGate, grant: PersonAccessGrant, consent: Consent
) -> PersonView:
    """Read the client's name and the link's sections through the gate, as the person.

    One gate call (one decision and one log entry per scope, each naming the member),
    opened only through the member's own key seals; a fixed number of queries.

    :raises AccessDenied: when the gate refuses any of it (the refusal is logged).
    :raises AccessEnded: when the client is gone.
    """
    kinds = shown_sections(grant, consent)
    client = session.get(Client, grant.client_id)
    if client is None:
        raise AccessEnded()
    versions = (
        session.execute(
            select(PlanSection.kind, PlanSectionVersion)
            .join(ClientPlan, ClientPlan.id == PlanSection.plan_id)
            .join(
                PlanSectionVersion,
                (PlanSectionVersion.section_id == PlanSection.id)
                & (PlanSectionVersion.version == PlanSection.current_version),
            )
            .where(ClientPlan.case_id == grant.case_id, PlanSection.kind.in_(kinds))
        ).all()
        if kinds
        else []
    )
    by_kind = {kind: version for kind, version in versions}
    refs = [sealed(client, Client.name_ct)]
    refs += [sealed(by_kind[k], PlanSectionVersion.content_ct) for k in kinds if k in by_kind]
    texts = gate.read_texts(person_actor(grant), refs, purpose=PURPOSE)
    name, contents = texts[0] or "", iter(texts[1:])
    sections = []
    for kind in kinds:
        version = by_kind.get(kind)
        if version is None:
            sections.append(PersonSection(kind, None))
            continue
        sections.append(PersonSection(kind, version.created_at, content_parts(next(contents))))
    first = name.split()[0] if name.split() else ""
    return PersonView(first, grant.valid_until, sections)


# -- lists --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantRow:
    grant: PersonAccessGrant
    status: LinkStatus
    issued_by: User | None
    ended_by: User | None

    @property
    def sections(self) -> list[SectionKind]:
        chosen = sections_of(self.grant)
        return [kind for kind in SectionKind if kind in chosen]


def grants_page(
    session: Session,
    member: NetworkMember,
    *,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    at: datetime | None = None,
) -> ListPage[GrantRow]:
    """One page of a member's links, newest first, with their status (two queries)."""
    at = at or utcnow()
    condition = PersonAccessGrant.member_id == member.id
    issuer, ender = aliased(User), aliased(User)
    result = paginate(
        session,
        select(PersonAccessGrant, Consent, issuer, ender)
        .join(Consent, Consent.id == PersonAccessGrant.consent_id)
        .outerjoin(issuer, issuer.id == PersonAccessGrant.issued_by_id)
        .outerjoin(ender, ender.id == PersonAccessGrant.ended_by_id)
        .where(condition)
        .order_by(PersonAccessGrant.issued_at.desc(), PersonAccessGrant.id),
        page=page,
        per_page=per_page,
        count=select(func.count(PersonAccessGrant.id)).where(condition),
    )
    return result.map(
        lambda row: GrantRow(row[0], grant_status(row[0], row[1], member, at), row[2], row[3])
    )


@dataclass(frozen=True)
class ClientGrantRow:
    grant: PersonAccessGrant
    status: LinkStatus
    member: NetworkMember


def grants_for_client(
    session: Session, client_id: uuid.UUID, *, at: datetime | None = None
) -> list[ClientGrantRow]:
    """Every link issued about a client, newest first, with its member (one query).

    For the client's own pages: which person can see what, until when, and a way to
    end it (``end_access``). The member's name is read through the gate by the caller.
    """
    at = at or utcnow()
    result = session.execute(
        select(PersonAccessGrant, Consent, NetworkMember)
        .join(Consent, Consent.id == PersonAccessGrant.consent_id)
        .join(NetworkMember, NetworkMember.id == PersonAccessGrant.member_id)
        .where(PersonAccessGrant.client_id == client_id)
        .order_by(PersonAccessGrant.issued_at.desc(), PersonAccessGrant.id)
    )
    return [
        ClientGrantRow(grant, grant_status(grant, consent, member, at), member)
        for grant, consent, member in result
    ]
