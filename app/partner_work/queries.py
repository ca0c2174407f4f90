"""Read models of a partner's work: shared clients, shared section versions, updates, notices.

What is shared is derived from the very facts the access decision uses
(``load_case_contexts`` and ``app.partner_work.rules.access_of``), so these pages list
exactly what the gate would let the organisation read, and the gate still decides every
read. Nothing here decrypts: callers read through the gate.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.cases.facts import load_case_contexts
from app.models import (
    Case,
    Client,
    ClientPlan,
    Organisation,
    PlanSection,
    PlanSectionVersion,
    ResponsibleWorker,
    User,
)
from app.models.flows import FlowAgreement
from app.models.network import NetworkMember
from app.models.partner import (
    NoticeReason,
    PartnerUpdate,
    PartnerUpdateKind,
    RevocationNotice,
    SharePeriod,
)
from app.models.release import ChecklistItem, ReleaseTask
from app.pagination import ListPage, SmallList, paginate
from app.partner_work.rules import (
    AccessState,
    ClientAccess,
    SharedBasis,
    UpdateCover,
    access_of,
    client_reference,
    in_section_order,
)
from app.release.queries import plan_responsibles
from app.release.rules import release_day
from consent.decision import BasisKind
from consent.facts import Actor, Direction, FactsNeeded, Grantee, Purpose
from consent.models import Consent, StatutoryDisclosure
from consent.sections import SectionKind
from consent.status import consent_status, helsinki_day
from sharing.fields import field_ref
from sharing.gate import AccessGate

CLIENTS_PER_PAGE = 20
NOTICES_PER_PAGE = 20
UPDATES_PER_PAGE = 10

# -- what is shared -----------------------------------------------------------------------


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


@dataclass(frozen=True)
class SharedClient:
    client: Client
    access: ClientAccess
    reference: str


def shared_clients(
    session: Session,
    organisation_id: uuid.UUID,
    *,
    at: datetime,
    page: int = 1,
    per_page: int = CLIENTS_PER_PAGE,
) -> ListPage[SharedClient]:
    """One page of the clients with at least one section shared with the organisation now,
    the soonest-ending first: four statements, whatever the number of clients.

    The page comes from the share periods (``app.partner_work.shares``); the case facts
    are gathered for its rows alone. The caller decrypts the names through the gate, as
    the partner.
    """
    now = (
        SharePeriod.organisation_id == organisation_id,
        SharePeriod.ends_at > at,
        SharePeriod.starts_at <= at,
    )
    listed = paginate(
        session,
        select(Client)
        .join(SharePeriod, SharePeriod.client_id == Client.id)
        # A period shared now runs to today at least: the list's index is entered at today,
        # past the organisation's every period that has ended (its history grows forever).
        .where(*now, SharePeriod.last_day >= helsinki_day(at))
        .order_by(SharePeriod.last_day, SharePeriod.client_id),
        page=page,
        per_page=per_page,
        count=select(func.count()).select_from(SharePeriod).where(*now),
    )
    clients = [row[0] for row in listed.rows]
    contexts = load_case_contexts(
        session,
        [c.id for c in clients],
        FactsNeeded(grantee=Grantee(organisation_id=organisation_id)),
    )
    accesses = with_provisions(
        session, [access_of(contexts.get(c.id), organisation_id, at) for c in clients]
    )
    rows = [
        SharedClient(client, access, client_reference(client.id, organisation_id))
        for client, access in zip(clients, accesses, strict=True)
        if access.state is AccessState.SHARED
    ]
    return ListPage(rows, listed.page, listed.pages, listed.total)


_CLIENT_AND_CASE = (
    select(Client, Case)
    .join(Case, Case.client_id == Client.id)
    .where(Client.id == bindparam("client"))
    .order_by(Case.opened_at.desc())
    .limit(1)
)
"""The client with their newest case (built once: every partner read runs it)."""


def client_access(
    session: Session, organisation_id: uuid.UUID, client_id: uuid.UUID, *, at: datetime
) -> tuple[Client | None, Case | None, ClientAccess]:
    """The client, their newest case and what the organisation may read of it now."""
    found = session.execute(_CLIENT_AND_CASE, {"client": client_id}).first()
    if found is None:
        return None, None, ClientAccess(AccessState.NONE, client_id)
    client, case = found
    needed = FactsNeeded(grantee=Grantee(organisation_id=organisation_id))
    context = load_case_contexts(session, [client_id], needed).get(client_id)
    access = access_of(context, organisation_id, at)
    if access.state is AccessState.SHARED:
        access = with_provisions(session, [access])[0]
    return client, case, access


# Built once, as every partner's client page runs it (building a statement costs more than
# SQLite takes to run it).
_MEMBER_FLOWS = (
    select(NetworkMember.kind, FlowAgreement.direction)
    .outerjoin(
        FlowAgreement,
        and_(
            FlowAgreement.member_id == NetworkMember.id,
            FlowAgreement.case_id == bindparam("case"),
            FlowAgreement.ended_at.is_(None),
            FlowAgreement.agreed_with_client.is_(True),
        ),
    )
    .where(NetworkMember.id.in_(bindparam("members", expanding=True)))
)


def update_cover(
    session: Session,
    case_id: uuid.UUID,
    organisation_id: uuid.UUID,
    access: ClientAccess,
    at: datetime,
) -> UpdateCover:
    """What the county may receive from the organisation's memberships of the case at ``at``
    (those ``access`` comes through): their kinds, the directions of the open flows agreed
    with the client, and the sections the obtain-consents in force cover. One statement: the
    consents are among the facts ``client_access`` gathered (the same part, kept for the
    transaction or under the client's facts version)."""
    members = access.member_ids
    rows = session.execute(_MEMBER_FLOWS, {"case": case_id, "members": list(members)}).all()
    needed = FactsNeeded(grantee=Grantee(organisation_id=organisation_id))
    context = load_case_contexts(session, [access.client_id], needed).get(access.client_id)
    sections = {
        section
        for c in (context.consents if context is not None else ())
        if c.direction is Direction.OBTAIN
        and c.member_id in members
        and consent_status(c, at).in_force
        for section in c.sections
    }
    return UpdateCover(
        frozenset(kind for kind, _ in rows),
        frozenset(direction for _, direction in rows if direction is not None),
        frozenset(sections),
    )


def shared_versions(
    session: Session, case_id: uuid.UUID, sections: Sequence[SectionKind]
) -> dict[SectionKind, PlanSectionVersion]:
    """The current version of each shared section only (one query): the other sections'
    rows are never loaded, so nothing about them can reach a page."""
    if not sections:
        return {}
    rows = session.execute(_SHARED_VERSIONS, {"case": case_id, "kinds": list(sections)}).all()
    return {kind: version for version, kind in rows}


_SHARED_VERSIONS = (
    select(PlanSectionVersion, PlanSection.kind)
    .join(
        PlanSection,
        and_(
            PlanSection.id == PlanSectionVersion.section_id,
            PlanSection.current_version == PlanSectionVersion.version,
        ),
    )
    .join(ClientPlan, ClientPlan.id == PlanSection.plan_id)
    .where(
        ClientPlan.case_id == bindparam("case"),
        PlanSection.kind.in_(bindparam("kinds", expanding=True)),
    )
)
"""Built once: every partner read runs it."""


# -- the partner's part of the work -------------------------------------------------------


@dataclass(frozen=True)
class ClientWork:
    """What the organisation does for the client: its own checklist tasks, the sections
    whose goals it is responsible for, and whom to contact at the county."""

    release_day: date | None  # only when the release-transition section is shared
    tasks: list[ChecklistItem]
    responsible_sections: list[SectionKind]  # shared sections naming one of its memberships
    worker: User | None


# Built once, as every partner's client page runs them.
_MEMBERS_TASKS = select(ChecklistItem).where(
    ChecklistItem.case_id == bindparam("case"),
    ChecklistItem.responsible_member_id.in_(bindparam("members", expanding=True)),
    ChecklistItem.removed_at.is_(None),
)
_RESPONSIBLE_WORKER = (
    select(User)
    .join(ResponsibleWorker, ResponsibleWorker.worker_id == User.id)
    .where(ResponsibleWorker.case_id == bindparam("case"), ResponsibleWorker.ends_on.is_(None))
)


def client_work(session: Session, case: Case, access: ClientAccess) -> ClientWork:
    """The organisation's part of the case (three queries); nothing here is decrypted, and
    the caller logs the reads through the gate (``AccessGate.read_facts``)."""
    rows = session.scalars(
        _MEMBERS_TASKS, {"case": case.id, "members": list(access.member_ids)}
    ).all()
    order = {task: n for n, task in enumerate(ReleaseTask)}
    tasks = sorted(
        rows,
        key=lambda i: (
            i.due_on or date.max,
            order.get(i.task, len(order)) if i.task else len(order),
            i.added_at,
        ),
    )
    named = plan_responsibles(session, case.id)
    sections = [
        kind for kind in access.sections if access.member_ids.intersection(named.get(kind, []))
    ]
    worker = session.scalar(_RESPONSIBLE_WORKER, {"case": case.id})
    shown_day = (
        release_day(case.conditional_release, case.probation_start)
        if SectionKind.RELEASE_TRANSITION in access.sections
        else None
    )
    return ClientWork(shown_day, tasks, sections, worker)


# -- updates to the responsible worker ----------------------------------------------------


_SENT_UPDATES = SmallList(
    select(PartnerUpdate, User.display_name)
    .join(User, User.id == PartnerUpdate.author_id)
    .where(
        PartnerUpdate.case_id == bindparam("case"),
        PartnerUpdate.organisation_id == bindparam("organisation"),
    )
    .order_by(PartnerUpdate.created_at.desc(), PartnerUpdate.id)
)
"""Built once: every partner's client page runs it."""


def sent_updates(
    session: Session,
    organisation_id: uuid.UUID,
    case_id: uuid.UUID,
    *,
    page: int = 1,
    per_page: int = UPDATES_PER_PAGE,
) -> ListPage[tuple[PartnerUpdate, str]]:
    """One page of the updates this organisation sent on the case, newest first, each with
    its author's display name (one query)."""
    params = {"case": case_id, "organisation": organisation_id}
    result = _SENT_UPDATES.page(session, params, page=page, per_page=per_page)
    return result.map(lambda row: (row[0], row[1]))


@dataclass(frozen=True)
class WorkerUpdate:
    """An update for a responsible worker, with who sent it; its text is still sealed."""

    update: PartnerUpdate
    organisation_name: str
    author_name: str


def updates_for_worker(
    session: Session, user_id: uuid.UUID, since: datetime, *, limit: int = 100
) -> list[WorkerUpdate]:
    """Updates sent since ``since``, or not yet acknowledged, on the cases whose current
    responsible worker is ``user_id``, newest first (one query).

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
        .where(or_(PartnerUpdate.created_at >= since, PartnerUpdate.acknowledged_at.is_(None)))
        .order_by(PartnerUpdate.created_at.desc(), PartnerUpdate.id)
        .limit(limit)
    ).all()
    return [WorkerUpdate(u, org, author) for u, org, author in rows]


def update_texts(
    gate: AccessGate, actor: Actor, updates: Sequence[WorkerUpdate | RecordUpdate]
) -> list[str | None]:
    """The texts of the updates, for the county's case work (one gate call).

    :raises AccessDenied: when the actor may not work on one of the clients.
    """
    if not updates:
        return []
    return gate.read_texts(
        actor,
        [(field_ref(u.update, PartnerUpdate.text_ct), u.update.text_ct) for u in updates],
        purpose=Purpose.CASE_WORK,
    )


# -- updates in the client's record -------------------------------------------------------


@dataclass(frozen=True)
class RecordUpdate:
    """An update in the client's record, with who sent and who acknowledged it."""

    update: PartnerUpdate
    organisation_name: str
    author_name: str
    acknowledged_by: str | None


@dataclass(frozen=True)
class UpdateFilters:
    kind: PartnerUpdateKind | None = None
    organisation_id: uuid.UUID | None = None
    acknowledged: bool | None = None

    def where(self, case_id: uuid.UUID) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = [PartnerUpdate.case_id == case_id]
        if self.kind is not None:
            found.append(PartnerUpdate.kind == self.kind)
        if self.organisation_id is not None:
            found.append(PartnerUpdate.organisation_id == self.organisation_id)
        if self.acknowledged is True:
            found.append(PartnerUpdate.acknowledged_at.is_not(None))
        elif self.acknowledged is False:
            found.append(PartnerUpdate.acknowledged_at.is_(None))
        return found


def record_updates(
    session: Session,
    case_id: uuid.UUID,
    filters: UpdateFilters = UpdateFilters(),
    *,
    page: int = 1,
    per_page: int = UPDATES_PER_PAGE,
) -> ListPage[RecordUpdate]:
    """One page of the case's updates matching ``filters``, newest first (two queries).

    Open the texts with one gate call as the worker (``update_texts``).
    """
    acknowledger = aliased(User)
    where = filters.where(case_id)
    result = paginate(
        session,
        select(PartnerUpdate, Organisation.name, User.display_name, acknowledger.display_name)
        .join(Organisation, Organisation.id == PartnerUpdate.organisation_id)
        .join(User, User.id == PartnerUpdate.author_id)
        .outerjoin(acknowledger, acknowledger.id == PartnerUpdate.acknowledged_by_id)
        .where(*where)
        .order_by(PartnerUpdate.created_at.desc(), PartnerUpdate.id),
        page=page,
        per_page=per_page,
        count=select(func.count(PartnerUpdate.id)).where(*where),
    )
    return result.map(lambda row: RecordUpdate(row[0], row[1], row[2], row[3]))


def update_organisations(session: Session, case_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """The organisations that have sent updates on the case, by name (one query)."""
    return [
        (org_id, name)
        for org_id, name in session.execute(
            select(Organisation.id, Organisation.name)
            .where(
                Organisation.id.in_(
                    select(PartnerUpdate.organisation_id).where(PartnerUpdate.case_id == case_id)
                )
            )
            .order_by(Organisation.name)
        )
    ]


def task_reports(session: Session, case_id: uuid.UUID) -> dict[uuid.UUID, RecordUpdate]:
    """The newest report on each checklist item of the case (one query)."""
    acknowledger = aliased(User)
    rows = session.execute(
        select(PartnerUpdate, Organisation.name, User.display_name, acknowledger.display_name)
        .join(Organisation, Organisation.id == PartnerUpdate.organisation_id)
        .join(User, User.id == PartnerUpdate.author_id)
        .outerjoin(acknowledger, acknowledger.id == PartnerUpdate.acknowledged_by_id)
        .where(PartnerUpdate.case_id == case_id, PartnerUpdate.checklist_item_id.is_not(None))
        .order_by(PartnerUpdate.created_at, PartnerUpdate.id)
    ).all()
    found: dict[uuid.UUID, RecordUpdate] = {}
    for update, organisation, author, acknowledged_by in rows:
        assert update.checklist_item_id is not None  # the query asks for reports only
        found[update.checklist_item_id] = RecordUpdate(
            update, organisation, author, acknowledged_by
        )
    return found


# -- notices when sharing ends early ------------------------------------------------------


@dataclass(frozen=True)
class PendingNotice:
    notice: RevocationNotice
    sections: list[SectionKind]
    granted_on: date
    reference: str


def pending_notices(
    session: Session, organisation_id: uuid.UUID, *, page: int = 1, per_page: int = NOTICES_PER_PAGE
) -> ListPage[PendingNotice]:
    """One page of the organisation's unconfirmed notices, oldest first (two queries)."""
    where = and_(
        RevocationNotice.organisation_id == organisation_id,
        RevocationNotice.confirmed_at.is_(None),
    )
    result = paginate(
        session,
        select(
            RevocationNotice,
            Consent.sections,
            Consent.valid_from,
            StatutoryDisclosure.sections,
            StatutoryDisclosure.valid_from,
        )
        # What sharing was based on: a consent or a statutory disclosure.
        .outerjoin(Consent, Consent.id == RevocationNotice.consent_id)
        .outerjoin(StatutoryDisclosure, StatutoryDisclosure.id == RevocationNotice.disclosure_id)
        .where(where)
        .order_by(RevocationNotice.created_at, RevocationNotice.id),
        page=page,
        per_page=per_page,
        count=select(func.count(RevocationNotice.id)).where(where),
    )
    return result.map(
        lambda row: PendingNotice(
            row[0],
            in_section_order(row[1] if row[0].consent_id else row[3]),
            row[2] if row[0].consent_id else row[4],
            client_reference(row[0].client_id, organisation_id),
        )
    )


@dataclass(frozen=True)
class NoticeStatus:
    """For the client: whether an organisation has confirmed it keeps no copy."""

    notice_id: uuid.UUID
    consent_id: uuid.UUID | None  # None: a statutory disclosure ended
    organisation_name: str
    sections: list[SectionKind]
    reason: NoticeReason
    ended_at: datetime
    confirmed_at: datetime | None


def notices_for_client(session: Session, client_id: uuid.UUID) -> list[NoticeStatus]:
    """Every notice about the client, newest first, per organisation (one query)."""
    rows = session.execute(
        select(
            RevocationNotice,
            Organisation.name,
            Consent.sections,
            StatutoryDisclosure.sections,
        )
        .join(Organisation, Organisation.id == RevocationNotice.organisation_id)
        .outerjoin(Consent, Consent.id == RevocationNotice.consent_id)
        .outerjoin(StatutoryDisclosure, StatutoryDisclosure.id == RevocationNotice.disclosure_id)
        .where(RevocationNotice.client_id == client_id)
        .order_by(RevocationNotice.created_at.desc(), Organisation.name)
    ).all()
    return [
        NoticeStatus(
            notice.id,
            notice.consent_id,
            name,
            in_section_order(consented if notice.consent_id else disclosed),
            notice.reason,
            notice.created_at,
            notice.confirmed_at,
        )
        for notice, name, consented, disclosed in rows
    ]
