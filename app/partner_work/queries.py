"""What a partner organisation sees and sends: shared clients, updates, notices to delete copies.

What is shared is derived from the very facts the access decision uses
(``load_case_contexts`` and ``consent.decision.live_grants``), so these pages
list exactly what the gate would let the organisation read, and the gate still
decides every read. Nothing here decrypts: callers read through the gate.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from math import ceil

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.models import (
    Case,
    Client,
    ClientPlan,
    NetworkMember,
    Organisation,
    PlanSection,
    PlanSectionVersion,
    ResponsibleWorker,
    User,
)
from app.models.partner import NoticeReason, PartnerUpdate, PartnerUpdateKind, RevocationNotice
from app.services.cases import latest_cases, load_case_contexts
from app.services.fields import field
from consent.base import utcnow
from consent.decision import (
    Action,
    Actor,
    ActorRole,
    BasisKind,
    CaseContext,
    Direction,
    Membership,
    Purpose,
    helsinki_day,
    live_grants,
)
from consent.models import Consent, ConsentState, StatutoryDisclosure
from consent.sections import DataScope, SectionKind
from sharing.gate import AccessGate

CLIENTS_PER_PAGE = 20
NOTICES_PER_PAGE = 20
UPDATES_PER_PAGE = 10
UPDATE_TEXT_MAX = 2000

# -- what is shared -----------------------------------------------------------------------


class AccessState(StrEnum):
    SHARED = "shared"  # at least one section is readable now
    ENDED = "ended"  # the organisation had a basis that has ended
    NONE = "none"  # never had one, or not in the network: the client is not shown at all


@dataclass(frozen=True)
class SharedBasis:
    """One live consent or statutory disclosure and the sections it opens to the organisation."""

    kind: BasisKind
    id: uuid.UUID
    sections: tuple[SectionKind, ...]
    until: date | None  # the last day (inclusive) of the basis or of the membership
    provision: str | None = None  # a statutory disclosure's legal provision


@dataclass(frozen=True)
class ClientAccess:
    """What one organisation may read of one client now, with the basis for each section."""

    state: AccessState
    client_id: uuid.UUID
    bases: tuple[SharedBasis, ...] = ()
    member_ids: frozenset[uuid.UUID] = frozenset()  # the memberships the access comes through

    @property
    def sections(self) -> list[SectionKind]:
        """The shared sections, in the plan's order."""
        shared = {s for b in self.bases for s in b.sections}
        return [kind for kind in SectionKind if kind in shared]

    @property
    def until(self) -> date | None:
        """The last day anything stays shared on the present bases (``None``: open-ended)."""
        if any(b.until is None for b in self.bases):
            return None
        return max((b.until for b in self.bases if b.until), default=None)

    def bases_for(self, kind: SectionKind) -> list[SharedBasis]:
        return [b for b in self.bases if kind in b.sections]


def _ends(*days: date | None) -> date | None:
    known = [d for d in days if d is not None]
    return min(known) if known else None


def _overlaps(member: Membership, starts: date, ends: date | None, today: date) -> bool:
    """Whether a basis and a membership were ever both in force up to today."""
    first = max(starts, member.starts_on)
    last = _ends(ends, member.ends_on, today)
    if member.ended_at is not None:
        last = _ends(last, helsinki_day(member.ended_at))
    return last is None or first <= last


def _had_basis(case: CaseContext, mine: Sequence[Membership], today: date) -> bool:
    """Whether any consent or statutory disclosure ever let this organisation read the client.

    Revocation and supersession end the basis at an instant; a basis that ended before
    it began to apply never gave access.
    """
    by_id = {m.id: m for m in mine}
    for consent in case.consents:
        member = by_id.get(consent.member_id)
        if (
            member is None
            or consent.direction is not Direction.DISCLOSE
            or consent.purpose is not Purpose.NETWORK_COOPERATION
        ):
            continue
        ends = consent.valid_until
        if consent.ended_at is not None:
            ends = _ends(ends, helsinki_day(consent.ended_at))
            if helsinki_day(consent.ended_at) < consent.valid_from:
                continue
        if consent.valid_from <= today and _overlaps(member, consent.valid_from, ends, today):
            return True
    for disclosure in case.statutory:
        member = by_id.get(disclosure.member_id)
        if member is None or disclosure.valid_from > today:
            continue
        ends = disclosure.valid_until
        if disclosure.ended_at is not None:
            ends = _ends(ends, helsinki_day(disclosure.ended_at))
        if _overlaps(member, disclosure.valid_from, ends, today):
            return True
    return False


def access_of(case: CaseContext | None, organisation_id: uuid.UUID, at: datetime) -> ClientAccess:
    """What ``organisation_id`` may read of the case's client at ``at`` (pure: no queries)."""
    if case is None:
        return ClientAccess(AccessState.NONE, uuid.UUID(int=0))
    mine = [m for m in case.memberships if m.organisation_id == organisation_id]
    members = {m.id: m for m in mine}
    grants = [g for g in live_grants(case, at) if g.member_id in members]
    if not grants:
        ended = bool(mine) and _had_basis(case, mine, helsinki_day(at))
        return ClientAccess(AccessState.ENDED if ended else AccessState.NONE, case.client_id)
    periods = {c.id: c.valid_until for c in case.consents} | {
        d.id: d.valid_until for d in case.statutory
    }
    sections: dict[tuple[BasisKind, uuid.UUID], set[SectionKind]] = {}
    until: dict[tuple[BasisKind, uuid.UUID], date | None] = {}
    for grant in grants:
        key = (grant.basis_kind, grant.basis_id)
        sections.setdefault(key, set())
        if isinstance(grant.scope, SectionKind):
            sections[key].add(grant.scope)
        ends = _ends(periods.get(grant.basis_id), members[grant.member_id].ends_on)
        until[key] = ends if key not in until else _later(until[key], ends)
    order = {kind: i for i, kind in enumerate(SectionKind)}
    bases = tuple(
        SharedBasis(
            kind, basis_id, tuple(sorted(kinds, key=order.__getitem__)), until[(kind, basis_id)]
        )
        for (kind, basis_id), kinds in sorted(sections.items(), key=lambda item: str(item[0][1]))
        if kinds
    )
    return ClientAccess(
        AccessState.SHARED if bases else AccessState.NONE,
        case.client_id,
        bases,
        frozenset(g.member_id for g in grants),
    )


def _later(a: date | None, b: date | None) -> date | None:
    return None if a is None or b is None else max(a, b)


def with_provisions(session: Session, accesses: Sequence[ClientAccess]) -> list[ClientAccess]:
    """The accesses with each statutory basis's provision filled in (one query, or none)."""
    ids = {b.id for a in accesses for b in a.bases if b.kind is BasisKind.STATUTORY}
    if not ids:
        return list(accesses)
    provisions = dict(
        session.execute(
            select(StatutoryDisclosure.id, StatutoryDisclosure.provision).where(
                StatutoryDisclosure.id.in_(ids)
            )
        ).all()
    )
    return [
        ClientAccess(
            a.state,
            a.client_id,
            tuple(
                SharedBasis(b.kind, b.id, b.sections, b.until, provisions.get(b.id))
                if b.kind is BasisKind.STATUTORY
                else b
                for b in a.bases
            ),
            a.member_ids,
        )
        for a in accesses
    ]


def client_reference(client_id: uuid.UUID, organisation_id: uuid.UUID) -> str:
    """A short reference for a client that only this organisation sees (e.g. ``K7QM-4ZTA``).

    Shown with the client's name on the partner's pages (and so on anything printed from
    them), it identifies the client in a revocation notice without decrypting the name
    after the basis for reading it has gone. Each organisation gets a different one, so
    references cannot be matched across organisations.
    """
    digest = hashlib.sha256(
        b"tukiverkko/partner-reference\x00" + client_id.bytes + organisation_id.bytes
    ).digest()
    code = base64.b32encode(digest[:5]).decode()
    return f"{code[:4]}-{code[4:]}"


@dataclass(frozen=True)
class SharedClient:
    client: Client
    access: ClientAccess
    reference: str


@dataclass(frozen=True)
class SharedClientsPage:
    rows: list[SharedClient]
    page: int
    pages: int
    total: int


def shared_clients(
    session: Session,
    organisation_id: uuid.UUID,
    *,
    at: datetime,
    page: int = 1,
    per_page: int = CLIENTS_PER_PAGE,
) -> SharedClientsPage:
    """One page of the clients with at least one section shared with the organisation now,
    the soonest-ending first (a fixed number of queries, whatever the count).

    The caller decrypts the page's names through the gate, as the partner.
    """
    today = helsinki_day(at)
    candidates = session.scalars(
        select(NetworkMember.client_id)
        .where(
            NetworkMember.organisation_id == organisation_id,
            NetworkMember.ended_at.is_(None),
            NetworkMember.starts_on <= today,
            (NetworkMember.ends_on.is_(None)) | (NetworkMember.ends_on >= today),
        )
        .distinct()
    ).all()
    contexts = load_case_contexts(session, list(candidates))
    shared = [
        access
        for access in (access_of(contexts[c], organisation_id, at) for c in contexts)
        if access.state is AccessState.SHARED
    ]
    shared.sort(key=lambda a: (a.until is None, a.until or today, str(a.client_id)))
    total = len(shared)
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
    chosen = with_provisions(session, shared[(page - 1) * per_page : page * per_page])
    clients = (
        {
            c.id: c
            for c in session.scalars(
                select(Client).where(Client.id.in_([a.client_id for a in chosen]))
            )
        }
        if chosen
        else {}
    )
    rows = [
        SharedClient(clients[a.client_id], a, client_reference(a.client_id, organisation_id))
        for a in chosen
        if a.client_id in clients
    ]
    return SharedClientsPage(rows, page, pages, total)


def client_access(
    session: Session, organisation_id: uuid.UUID, client_id: uuid.UUID, *, at: datetime
) -> tuple[Client | None, Case | None, ClientAccess]:
    """The client, their newest case and what the organisation may read of it now."""
    client = session.get(Client, client_id)
    if client is None:
        return None, None, ClientAccess(AccessState.NONE, client_id)
    case = latest_cases(session, [client_id]).get(client_id)
    context = load_case_contexts(session, [client_id]).get(client_id)
    access = access_of(context, organisation_id, at)
    if access.state is AccessState.SHARED:
        access = with_provisions(session, [access])[0]
    return client, case, access


def shared_versions(
    session: Session, case_id: uuid.UUID, sections: Sequence[SectionKind]
) -> dict[SectionKind, PlanSectionVersion]:
    """The current version of each shared section only (one query): the other sections'
    rows are never loaded, so nothing about them can reach a page."""
    if not sections:
        return {}
    rows = session.execute(
        select(PlanSectionVersion, PlanSection.kind)
        .join(
            PlanSection,
            and_(
                PlanSection.id == PlanSectionVersion.section_id,
                PlanSection.current_version == PlanSectionVersion.version,
            ),
        )
        .join(ClientPlan, ClientPlan.id == PlanSection.plan_id)
        .where(ClientPlan.case_id == case_id, PlanSection.kind.in_(list(sections)))
    ).all()
    return {kind: version for version, kind in rows}


# -- updates to the responsible worker ----------------------------------------------------


def on_behalf_of(actor: Actor) -> Actor:
    """The system writing into the county's data for a partner, named in the access log.

    Grantees only ever read (``decide`` refuses their writes), yet an update they send
    becomes county data. The partner's right to send it is decided first; the system
    then seals the text under the county-only scope, with the partner's user and
    organisation on the log entry so the client sees who sent something.
    """
    return Actor(ActorRole.SYSTEM, user_id=actor.user_id, organisation_id=actor.organisation_id)


class UpdateRefused(Exception):
    """Raised when the organisation has no access to the client now (nothing was stored)."""


def record_update(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    client_id: uuid.UUID,
    kind: PartnerUpdateKind,
    text: str,
) -> PartnerUpdate:
    """Store a partner's update for the client's responsible worker, encrypted and attributed.

    :raises AccessDenied: when the gate refuses the partner this client (logged, rolled back).
    :raises UpdateRefused: when the organisation reads the client but not through a membership
        of the newest case (should not happen while the decision and this module agree).
    :raises ValueError: when the actor is not partner staff or the text is empty or too long.
    """
    if actor.role is not ActorRole.PARTNER or actor.organisation_id is None:
        raise ValueError("only partner staff send updates")
    if actor.user_id is None:
        raise ValueError("an update needs its author")
    text = text.strip()
    if not text or len(text) > UPDATE_TEXT_MAX:
        raise ValueError("the text is empty or too long")
    gate.check(actor, client_id, Action.READ, Purpose.NETWORK_COOPERATION, DataScope.NAME)
    now = utcnow()
    _, case, access = client_access(session, actor.organisation_id, client_id, at=now)
    if case is None or access.state is not AccessState.SHARED:
        raise UpdateRefused("no access to this client now")
    update = PartnerUpdate(
        case_id=case.id,
        client_id=client_id,
        organisation_id=actor.organisation_id,
        member_id=min(access.member_ids),
        author_id=actor.user_id,
        created_at=now,
        kind=kind,
    )
    update.text_ct = gate.write_text(
        on_behalf_of(actor), field(update, "text_ct"), text, purpose=Purpose.NETWORK_COOPERATION
    )
    session.add(update)
    session.flush()
    return update


@dataclass(frozen=True)
class SentUpdatesPage:
    rows: list[tuple[PartnerUpdate, str]]  # the update and its author's display name
    page: int
    pages: int
    total: int


def sent_updates(
    session: Session,
    organisation_id: uuid.UUID,
    case_id: uuid.UUID,
    *,
    page: int = 1,
    per_page: int = UPDATES_PER_PAGE,
) -> SentUpdatesPage:
    """One page of the updates this organisation sent on the case, newest first (2 queries)."""
    where = and_(PartnerUpdate.case_id == case_id, PartnerUpdate.organisation_id == organisation_id)
    total = session.scalar(select(func.count(PartnerUpdate.id)).where(where)) or 0
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = session.execute(
        select(PartnerUpdate, User.display_name)
        .join(User, User.id == PartnerUpdate.author_id)
        .where(where)
        .order_by(PartnerUpdate.created_at.desc(), PartnerUpdate.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return SentUpdatesPage([(u, name) for u, name in rows], page, pages, total)


@dataclass(frozen=True)
class WorkerUpdate:
    """An update for a responsible worker, with who sent it; its text is still sealed."""

    update: PartnerUpdate
    organisation_name: str
    author_name: str


def updates_for_worker(
    session: Session, user_id: uuid.UUID, since: datetime, *, limit: int = 100
) -> list[WorkerUpdate]:
    """Updates sent since ``since`` on the cases whose current responsible worker is
    ``user_id``, newest first (one query).

    Open the texts with one batched gate call as the worker (``update_texts``).
    """
    rows = session.execute(
        select(PartnerUpdate, Organisation.name, User.display_name)
        .join(
            ResponsibleWorker,
            and_(
                ResponsibleWorker.case_id == PartnerUpdate.case_id,
                ResponsibleWorker.worker_id == user_id,
                ResponsibleWorker.ends_on.is_(None),
            ),
        )
        .join(Organisation, Organisation.id == PartnerUpdate.organisation_id)
        .join(User, User.id == PartnerUpdate.author_id)
        .where(PartnerUpdate.created_at >= since)
        .order_by(PartnerUpdate.created_at.desc(), PartnerUpdate.id)
        .limit(limit)
    ).all()
    return [WorkerUpdate(u, org, author) for u, org, author in rows]


def update_texts(
    gate: AccessGate, actor: Actor, updates: Sequence[WorkerUpdate]
) -> list[str | None]:
    """The texts of the updates, for the county's case work (one gate call).

    :raises AccessDenied: when the actor may not work on one of the clients.
    """
    if not updates:
        return []
    return gate.read_texts(
        actor,
        [(field(u.update, "text_ct"), u.update.text_ct) for u in updates],
        purpose=Purpose.CASE_WORK,
    )


# -- notices when sharing ends early ------------------------------------------------------


def notify_revocation(
    session: Session, consent: Consent, *, reason: NoticeReason, at: datetime
) -> RevocationNotice | None:
    """Ask the grantee's organisation to confirm it keeps no copy (flushes).

    Only a consent that disclosed something can have left a copy: one to obtain
    information, one that never began, or one for a person grantee (who has no
    organisation to confirm) makes no notice. A consent gets one notice per organisation,
    with the reason sharing first ended: a later end returns that notice unchanged.
    """
    if consent.direction is not Direction.DISCLOSE or consent.valid_from > helsinki_day(at):
        return None
    member = session.get(NetworkMember, consent.member_id)
    if member is None or member.organisation_id is None:
        return None
    existing = session.scalar(
        select(RevocationNotice).where(
            RevocationNotice.consent_id == consent.id,
            RevocationNotice.organisation_id == member.organisation_id,
        )
    )
    if existing is not None:
        return existing
    notice = RevocationNotice(
        consent_id=consent.id,
        client_id=consent.client_id,
        organisation_id=member.organisation_id,
        reason=reason,
        created_at=at,
    )
    session.add(notice)
    session.flush()
    return notice


def notify_membership_ended(
    session: Session, member: NetworkMember, *, reason: NoticeReason, at: datetime
) -> list[RevocationNotice]:
    """Ask the member's organisation about every consent in force as its membership is
    ended early, by the worker or by closing the case (flushes; call it before marking
    the membership ended).

    In force means not revoked, superseded or expired and, through ``notify_revocation``,
    begun. A membership that had not begun gave nothing to keep, and one that simply
    reaches its planned last day needs no notice: the organisation knew the date.
    """
    today = helsinki_day(at)
    if (
        member.ended_at is not None
        or member.starts_on > today
        or (member.ends_on is not None and member.ends_on < today)
    ):
        return []
    consents = session.scalars(
        select(Consent)
        .where(
            Consent.member_id == member.id,
            Consent.state == ConsentState.ACTIVE,
            (Consent.valid_until.is_(None)) | (Consent.valid_until >= today),
        )
        .order_by(Consent.valid_from, Consent.id)
    ).all()
    notices = (notify_revocation(session, c, reason=reason, at=at) for c in consents)
    return [notice for notice in notices if notice is not None]


@dataclass(frozen=True)
class PendingNotice:
    notice: RevocationNotice
    sections: list[SectionKind]
    granted_on: date
    reference: str


@dataclass(frozen=True)
class NoticesPage:
    rows: list[PendingNotice]
    page: int
    pages: int
    total: int


def pending_notices(
    session: Session, organisation_id: uuid.UUID, *, page: int = 1, per_page: int = NOTICES_PER_PAGE
) -> NoticesPage:
    """One page of the organisation's unconfirmed notices, oldest first (two queries)."""
    where = and_(
        RevocationNotice.organisation_id == organisation_id,
        RevocationNotice.confirmed_at.is_(None),
    )
    total = session.scalar(select(func.count(RevocationNotice.id)).where(where)) or 0
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = session.execute(
        select(RevocationNotice, Consent.sections, Consent.valid_from)
        .join(Consent, Consent.id == RevocationNotice.consent_id)
        .where(where)
        .order_by(RevocationNotice.created_at, RevocationNotice.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return NoticesPage(
        [
            PendingNotice(
                notice,
                _in_order(sections),
                valid_from,
                client_reference(notice.client_id, organisation_id),
            )
            for notice, sections, valid_from in rows
        ],
        page,
        pages,
        total,
    )


def _in_order(values: Sequence[str]) -> list[SectionKind]:
    chosen = set(values)
    return [kind for kind in SectionKind if kind.value in chosen]


class NoticeNotFound(LookupError):
    """Raised when the notice does not exist or belongs to another organisation."""


def confirm_notice(
    session: Session, notice_id: uuid.UUID, *, organisation_id: uuid.UUID, by_user_id: uuid.UUID
) -> bool:
    """Record that the organisation keeps no copy; ``False`` if someone had already confirmed.

    :raises NoticeNotFound: when the notice is not this organisation's.
    """
    notice = session.get(RevocationNotice, notice_id)
    if notice is None or notice.organisation_id != organisation_id:
        raise NoticeNotFound(str(notice_id))
    if notice.confirmed_at is not None:
        return False
    notice.confirmed_at = utcnow()
    notice.confirmed_by_id = by_user_id
    session.flush()
    return True


@dataclass(frozen=True)
class NoticeStatus:
    """For the client: whether an organisation has confirmed it keeps no copy."""

    notice_id: uuid.UUID
    consent_id: uuid.UUID
    organisation_name: str
    sections: list[SectionKind]
    reason: NoticeReason
    ended_at: datetime
    confirmed_at: datetime | None


def notices_for_client(session: Session, client_id: uuid.UUID) -> list[NoticeStatus]:
    """Every notice about the client, newest first, per organisation (one query)."""
    rows = session.execute(
        select(RevocationNotice, Organisation.name, Consent.sections)
        .join(Organisation, Organisation.id == RevocationNotice.organisation_id)
        .join(Consent, Consent.id == RevocationNotice.consent_id)
        .where(RevocationNotice.client_id == client_id)
        .order_by(RevocationNotice.created_at.desc(), Organisation.name)
    ).all()
    return [
        NoticeStatus(
            notice.id,
            notice.consent_id,
            name,
            _in_order(sections),
            notice.reason,
            notice.created_at,
            notice.confirmed_at,
        )
        for notice, name, sections in rows
    ]
