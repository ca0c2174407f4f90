"""The client's "who has looked at my information" log and their queries about it, as read models.

``log_page`` reads one page of the client's access-log entries (``sharing.access_log``)
newest first, and everything needed to say them in plain words (users, organisations,
network members, statutory disclosures), each resolved in ONE query whatever the number
of entries. By default it leaves out the client's own use of their pages (each of which is
logged too) unless a member of staff was at the terminal: those are listed as
staff-assisted. Denied attempts and statutory disclosures are always listed.

``describe_entries`` says who did what to which part on what basis, once for every reader: in
codes and names, no words. The web pages put it into the reader's language
(``app/web/access_log.py``); the API sends it as it is (``app/api/access_log.py``).

The client's "I don't recognise this" queries are opened and answered by
``app.client_log.commands``; the worker's dashboard counts and lists the open ones
(``app.dashboard.queries``). A query waits for the case's current responsible worker,
except one about an entry that records that worker's own access (as the actor, or as staff
at the client's terminal): that one waits for the worker's team lead or designated deputy
(``app.models.team_lead``) and never for the worker (``waiting_for``, ``addressed_to``).
No worker is shown a query about their own access (``concerns``).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypedDict

from sqlalchemy import (
    ColumnElement,
    Date,
    SQLColumnExpression,
    Uuid,
    and_,
    cast,
    exists,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from app.client_log import days
from app.models import (
    Case,
    MemberKind,
    NetworkMember,
    Organisation,
    ResponsibleWorker,
    User,
    WorkTaskReason,
)
from app.models.log_query import LogQuery, LogQueryStatus
from app.models.research import ResearchApproval
from app.models.team_lead import TeamLead
from app.pagination import paginate
from consent.base import utcnow
from consent.decision import BasisKind, Reason
from consent.facts import ActorRole
from consent.models import StatutoryDisclosure
from consent.sections import SectionKind
from sharing.access_log import AccessAction, AccessLogEntry

PER_PAGE = 25
STUDY = "study"  # the basis kind of a research extract's entries (``app.research.commands``)
# The client is told who processed their information, by default two years back
# (DOMAIN.md, requirement 5); older entries are kept and given on request.
LOG_YEARS = 2


@dataclass(frozen=True)
class LogPage:
    """One page of entries, with the records that explain them, keyed by id."""

    entries: list[AccessLogEntry]
    page: int
    pages: int
    total: int
    since: datetime
    users: dict[uuid.UUID, User]  # actors and assisting staff (organisation loaded)
    organisations: dict[uuid.UUID, Organisation]  # actors' and previewed organisations
    members: dict[uuid.UUID, NetworkMember]  # person grantees (actors or previewed)
    disclosures: dict[uuid.UUID, StatutoryDisclosure]  # statutory bases named by entries
    queries: dict[uuid.UUID, LogQuery]  # entry id → the client's newest query about it
    studies: dict[uuid.UUID, ResearchApproval]  # approved studies that used the client's facts


def log_since(now: datetime) -> datetime:
    return now - timedelta(days=365 * LOG_YEARS)


def _own_use(client_id: uuid.UUID) -> ColumnElement[bool]:
    """The client's own use of their pages, alone at the terminal."""
    return and_(
        AccessLogEntry.actor_role == ActorRole.CLIENT.value,
        AccessLogEntry.assisted_by_user_id.is_(None),
        AccessLogEntry.actor_user_id.in_(select(User.id).where(User.client_id == client_id)),
    )


def log_page(
    session: Session,
    client_id: uuid.UUID,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    include_own: bool = False,
    now: datetime | None = None,
) -> LogPage:
    """One page of the client's log, newest first, in a fixed number of queries (eight)."""
    since = log_since(now or utcnow())
    conditions = [AccessLogEntry.client_id == client_id, AccessLogEntry.at >= since]
    if not include_own:
        conditions.append(not_(_own_use(client_id)))
    found = paginate(
        session,
        select(AccessLogEntry)
        .where(*conditions)
        .order_by(AccessLogEntry.at.desc(), AccessLogEntry.seq.desc()),
        page=page,
        per_page=per_page,
        count=select(func.count(AccessLogEntry.id)).where(*conditions),
    )
    entries: list[AccessLogEntry] = [entry for (entry,) in found.rows]
    return LogPage(
        entries=entries,
        page=found.page,
        pages=found.pages,
        total=found.total,
        since=since,
        **_explanations(session, entries),
    )


# -- the log as the client reads it: name-only looks grouped, filters -----------------------


class Outcome(enum.StrEnum):
    """The outcome filter of the client's log."""

    ALLOWED = "allowed"  # allowed, on any basis but a statutory disclosure
    STATUTORY = "statutory"  # allowed as a disclosure without consent
    REFUSED = "refused"  # attempts that were refused


SCOPES = ("name", "basic", "messages", *(f"section:{kind.value}" for kind in SectionKind))
"""The parts of the information the section filter offers (``AccessLogEntry.scope``)."""


@dataclass(frozen=True)
class LogFilters:
    """What the client narrowed their log to (None: everything)."""

    organisation_id: uuid.UUID | None = None
    scope: str | None = None  # one of ``SCOPES``
    outcome: Outcome | None = None

    @property
    def active(self) -> bool:
        return (self.organisation_id, self.scope, self.outcome) != (None, None, None)


@dataclass(frozen=True)
class NameLooks:
    """The name-only looks of one organisation (or person, or role) on one basis on one
    day, together: "Kela looked at your name 14 times on 7 Dec"."""

    day: date
    last_at: datetime
    times: int
    actor_role: ActorRole
    organisation_id: uuid.UUID | None
    member_id: uuid.UUID | None
    basis: str | None  # the basis kind the looks relied on (``BasisKind`` values)
    client_id: uuid.UUID
    last: AccessLogEntry  # the newest of the looks: what "I don't recognise this" asks about

    @property
    def statutory(self) -> bool:
        return self.basis == BasisKind.STATUTORY


@dataclass(frozen=True)
class GroupedLogPage:
    """One page of the client's log: single entries and grouped name-only looks, newest
    first, with everything needed to say them."""

    rows: list[AccessLogEntry | NameLooks]
    explained: LogPage  # the page's single entries, and the names its groups need
    organisations: list[tuple[uuid.UUID, str]]  # every organisation in the log, for the filter


def _name_only() -> ColumnElement[bool]:
    """Allowed reads of the name alone: lists where the client is recognised by name."""
    return and_(
        AccessLogEntry.scope == "name",
        AccessLogEntry.action == AccessAction.READ,
        AccessLogEntry.allowed.is_(True),
        AccessLogEntry.assisted_by_user_id.is_(None),  # staff at the terminal: said each time
    )


def _filtered(filters: LogFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.organisation_id is not None:
        conditions.append(AccessLogEntry.organisation_id == filters.organisation_id)
    if filters.scope is not None:
        conditions.append(AccessLogEntry.scope == filters.scope)
    statutory = AccessLogEntry.basis_kind.is_not_distinct_from(BasisKind.STATUTORY.value)
    if filters.outcome is Outcome.REFUSED:
        conditions.append(AccessLogEntry.allowed.is_(False))
    elif filters.outcome is Outcome.STATUTORY:
        conditions += [AccessLogEntry.allowed.is_(True), statutory]
    elif filters.outcome is Outcome.ALLOWED:
        conditions += [AccessLogEntry.allowed.is_(True), not_(statutory)]
    return conditions


def grouped_log_page(
    session: Session,
    client_id: uuid.UUID,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    include_own: bool = False,
    filters: LogFilters = LogFilters(),
    now: datetime | None = None,
    period: tuple[datetime, datetime] | None = None,
) -> GroupedLogPage:
    """One page of the client's log as the portal shows it: the name-only looks of one
    organisation (person grantee, or role) on one basis on one Finnish day are one row;
    every other entry, and every refused one, is a row of its own. Grouped, counted and
    paged in SQL (a UNION of the groups and the single entries), so the statements are
    the same however long the log: the count, the page, the page's single entries, the
    organisations for the filter, and ``_explanations``' five at most.

    ``period`` (from, before): the entries of that period, not the last two years (a log
    request's document, ``app.log_requests``)."""
    since = period[0] if period is not None else log_since(now or utcnow())
    conditions = [AccessLogEntry.client_id == client_id, AccessLogEntry.at >= since]
    if period is not None:
        conditions.append(AccessLogEntry.at < period[1])
    if not include_own:
        conditions.append(not_(_own_use(client_id)))
    conditions += _filtered(filters)
    day = days.helsinki_day(AccessLogEntry.at)
    keys = (
        AccessLogEntry.actor_role,
        AccessLogEntry.organisation_id,
        AccessLogEntry.member_id,
        AccessLogEntry.basis_kind,
    )
    groups = (
        select(
            func.max(AccessLogEntry.at).label("at"),
            func.max(AccessLogEntry.seq).label("seq"),
            cast(null(), Uuid).label("entry_id"),
            *keys,
            day.label("day"),
            func.count().label("times"),
        )
        .where(*conditions, _name_only())
        .group_by(*keys, day)
    )
    singles = select(
        AccessLogEntry.at,
        AccessLogEntry.seq,
        AccessLogEntry.id,
        *keys,
        cast(null(), Date).label("day"),
        literal(1).label("times"),
    ).where(*conditions, not_(_name_only()))
    rows = union_all(groups, singles).subquery("log_rows")
    found = paginate(
        session,
        # seq is unique in a client's chain, and the groups and singles share no entry
        select(rows).order_by(rows.c.at.desc(), rows.c.seq.desc()),
        page=page,
        per_page=per_page,
        count=select(func.count()).select_from(rows),
    )
    single_ids = [row.entry_id for row in found.rows if row.entry_id is not None]
    last_seqs = [row.seq for row in found.rows if row.entry_id is None]
    loaded = (
        list(
            session.scalars(
                select(AccessLogEntry).where(
                    AccessLogEntry.client_id == client_id,
                    or_(AccessLogEntry.id.in_(single_ids), AccessLogEntry.seq.in_(last_seqs)),
                )
            )
        )
        if found.rows
        else []
    )
    by_id = {e.id: e for e in loaded}
    by_seq = {e.seq: e for e in loaded}
    shown: list[AccessLogEntry | NameLooks] = [
        by_id[row.entry_id]
        if row.entry_id is not None
        else NameLooks(
            day=row.day,
            last_at=row.at,
            times=row.times,
            actor_role=ActorRole(row.actor_role),
            organisation_id=row.organisation_id,
            member_id=row.member_id,
            basis=row.basis_kind,
            client_id=client_id,
            last=by_seq[row.seq],
        )
        for row in found.rows
    ]
    looks = [r for r in shown if isinstance(r, NameLooks)]
    singles_shown = [r for r in shown if isinstance(r, AccessLogEntry)]
    explained = LogPage(
        entries=singles_shown,
        page=found.page,
        pages=found.pages,
        total=found.total,
        since=since,
        **_explanations(
            session,
            loaded,
            more_organisations={g.organisation_id for g in looks if g.organisation_id},
            more_members={g.member_id for g in looks if g.member_id},
        ),
    )
    return GroupedLogPage(shown, explained, log_organisations(session, client_id, since))


def log_organisations(
    session: Session, client_id: uuid.UUID, since: datetime
) -> list[tuple[uuid.UUID, str]]:
    """Every organisation in the client's log since ``since``, by name (one query)."""
    return [
        (org_id, name)
        for org_id, name in session.execute(
            select(Organisation.id, Organisation.name)
            .where(
                Organisation.id.in_(
                    select(AccessLogEntry.organisation_id).where(
                        AccessLogEntry.client_id == client_id, AccessLogEntry.at >= since
                    )
                )
            )
            .order_by(Organisation.name, Organisation.id)
        )
    ]


def previewed_id(entry: AccessLogEntry) -> tuple[str, uuid.UUID] | None:
    """``("organisation" | "member", id)`` of a preview entry's grantee, if well formed."""
    if not entry.previewed_as:
        return None
    kind, _, raw = entry.previewed_as.partition(":")
    try:
        return kind, uuid.UUID(raw)
    except ValueError:
        return None


class _Explanations(TypedDict):
    users: dict[uuid.UUID, User]
    organisations: dict[uuid.UUID, Organisation]
    members: dict[uuid.UUID, NetworkMember]
    disclosures: dict[uuid.UUID, StatutoryDisclosure]
    queries: dict[uuid.UUID, LogQuery]
    studies: dict[uuid.UUID, ResearchApproval]


def _explanations(
    session: Session,
    entries: Sequence[AccessLogEntry],
    *,
    more_organisations: Iterable[uuid.UUID] = (),
    more_members: Iterable[uuid.UUID] = (),
) -> _Explanations:
    """The records that explain the entries (of one client or several), one query each;
    also more organisations and network members (of the entries' clients) to name."""
    client_ids = list({e.client_id for e in entries})
    user_ids = {e.actor_user_id for e in entries if e.actor_user_id} | {
        e.assisted_by_user_id for e in entries if e.assisted_by_user_id
    }
    org_ids = {e.organisation_id for e in entries if e.organisation_id} | set(more_organisations)
    member_ids = {e.member_id for e in entries if e.member_id} | set(more_members)
    for entry in entries:
        if (target := previewed_id(entry)) is not None:
            (org_ids if target[0] == "organisation" else member_ids).add(target[1])
    disclosure_ids = {e.basis_id for e in entries if e.basis_kind == "statutory" and e.basis_id}
    study_ids = {e.basis_id for e in entries if e.basis_kind == STUDY and e.basis_id}
    entry_ids = [e.id for e in entries]
    users = (
        {u.id: u for u in session.scalars(select(User).where(User.id.in_(list(user_ids))))}
        if user_ids
        else {}
    )
    organisations = {
        o.id: o for u in users.values() if (o := u.organisation) is not None
    }  # loaded with the users (joined)
    missing = org_ids - organisations.keys()
    if missing:
        organisations |= {
            o.id: o
            for o in session.scalars(select(Organisation).where(Organisation.id.in_(missing)))
        }
    members = (
        {
            m.id: m
            for m in session.scalars(
                select(NetworkMember).where(
                    NetworkMember.id.in_(list(member_ids)), NetworkMember.client_id.in_(client_ids)
                )
            )
        }
        if member_ids
        else {}
    )
    disclosures = (
        {
            d.id: d
            for d in session.scalars(
                select(StatutoryDisclosure).where(
                    StatutoryDisclosure.id.in_(list(disclosure_ids)),
                    StatutoryDisclosure.client_id.in_(client_ids),
                )
            )
        }
        if disclosure_ids
        else {}
    )
    queries = (
        {
            q.entry_id: q  # in order of asking, so the newest about an entry stays
            for q in session.scalars(
                select(LogQuery)
                .where(LogQuery.client_id.in_(client_ids), LogQuery.entry_id.in_(entry_ids))
                .order_by(LogQuery.created_at, LogQuery.id)
            )
        }
        if entry_ids
        else {}
    )
    studies = (
        {
            a.id: a
            for a in session.scalars(
                select(ResearchApproval).where(ResearchApproval.id.in_(list(study_ids)))
            )
        }
        if study_ids
        else {}
    )
    return {
        "users": users,
        "organisations": organisations,
        "members": members,
        "disclosures": disclosures,
        "queries": queries,
        "studies": studies,
    }


def statutory_disclosures(
    session: Session, case_id: uuid.UUID
) -> list[tuple[StatutoryDisclosure, str]]:
    """Every disclosure without consent in the case, newest first, with the recipient's
    organisation name (one query). The justifications are ciphertext: read them through
    the gate."""
    rows = session.execute(
        select(StatutoryDisclosure, Organisation.name)
        .join(NetworkMember, NetworkMember.id == StatutoryDisclosure.member_id)
        .join(Organisation, Organisation.id == NetworkMember.organisation_id)
        .where(StatutoryDisclosure.case_id == case_id)
        .order_by(StatutoryDisclosure.decided_at.desc(), StatutoryDisclosure.id)
    ).all()
    return [(disclosure, name) for disclosure, name in rows]


def client_entry(
    session: Session, client_id: uuid.UUID, entry_id: uuid.UUID
) -> AccessLogEntry | None:
    """One entry of this client's log; None for any other client's entry or an unknown id."""
    return session.scalar(
        select(AccessLogEntry).where(
            AccessLogEntry.id == entry_id, AccessLogEntry.client_id == client_id
        )
    )


def explain_entries(session: Session, entries: Sequence[AccessLogEntry]) -> LogPage:
    """The entries (of one client or several) as a page of their own, so that they are
    described exactly as the log describes them (five queries at most)."""
    return LogPage(
        entries=list(entries),
        page=1,
        pages=1,
        total=len(entries),
        since=min((e.at for e in entries), default=utcnow()),
        **_explanations(session, entries),
    )


@dataclass(frozen=True)
class Named:
    """Who, as the log names them: an organisation, or a person grantee of the network."""

    name: str | None  # the organisation's; a person's own name, else their organisation's
    member_kind: MemberKind | None = None  # how a network member belongs to the network
    unknown_person: bool = False  # a person grantee of no network of this client: unnamed


@dataclass(frozen=True)
class Assistance:
    """Staff at the terminal in the client's own session."""

    organisation: str | None
    staff_name: str | None  # only when the county shows staff names


@dataclass(frozen=True)
class DescribedEntry:
    """One entry as people are told of it, in codes and names: the pages translate it, the
    API sends it as it is."""

    entry: AccessLogEntry
    action: AccessAction
    role: ActorRole
    you: bool  # the client's own use: the actor is this client's own account
    who: Named  # the actor's organisation, or the person grantee (nobody for a client)
    staff_name: str | None  # staff who acted, only when the county shows staff names
    assisted_by: Assistance | None
    previewed: Named | None  # a preview: whose view of the information was checked
    section: SectionKind | None  # the plan section, when the scope is one
    reason: Reason | None  # the decision's reason (None for a code this version lacks)
    basis: str | None  # the basis kind of an allowed entry (``BasisKind`` values)
    provision: str | None  # the legal provision of a statutory disclosure
    query: LogQuery | None  # the client's newest query about the entry
    study: ResearchApproval | None = None  # the approved study that used the client's facts

    @property
    def statutory(self) -> bool:
        return self.entry.basis_kind == BasisKind.STATUTORY


def named_persons(page: LogPage) -> list[NetworkMember]:
    """The person grantees on the page whose names are sealed: read their names through the
    gate (``person_name_ct``) and hand them to ``describe_entries``."""
    return [m for m in page.members.values() if m.person_name_ct is not None]


def who_looked(looks: NameLooks, page: LogPage, names: Mapping[uuid.UUID, str | None]) -> Named:
    """Who a group of name-only looks names, as ``describe_entries`` names an entry's actor."""
    if looks.actor_role is ActorRole.PERSON:
        member = page.members.get(looks.member_id) if looks.member_id else None
        if member is None or member.client_id != looks.client_id:
            return Named(None, unknown_person=True)
        org = page.organisations.get(member.organisation_id) if member.organisation_id else None
        return Named(names.get(member.id) or (org.name if org else None), member.kind)
    org = page.organisations.get(looks.organisation_id) if looks.organisation_id else None
    return Named(org.name if org else None)


def describe_entries(
    page: LogPage, names: Mapping[uuid.UUID, str | None], *, show_staff_names: bool
) -> list[DescribedEntry]:
    """The page's entries as people are told of them (``names``: the person grantees' names
    by member id, as read through the gate). A member of another client's network stays
    unnamed; staff names only when the county shows them."""

    def org_name(org_id: uuid.UUID | None) -> str | None:
        org = page.organisations.get(org_id) if org_id else None
        return org.name if org else None

    def person(member_id: uuid.UUID | None, client_id: uuid.UUID) -> Named:
        member = page.members.get(member_id) if member_id else None
        if member is None or member.client_id != client_id:
            return Named(None, unknown_person=True)
        return Named(names.get(member.id) or org_name(member.organisation_id), member.kind)

    described = []
    for entry in page.entries:
        role = ActorRole(entry.actor_role)
        user = page.users.get(entry.actor_user_id) if entry.actor_user_id else None
        who = Named(org_name(entry.organisation_id))
        staff_name = user.display_name if user is not None and show_staff_names else None
        you = False
        if role is ActorRole.PERSON:
            who, staff_name = person(entry.member_id, entry.client_id), None
        elif role is ActorRole.CLIENT:
            you = user is not None and user.client_id == entry.client_id
            who, staff_name = Named(None), None
        assisted = None
        if entry.assisted_by_user_id is not None:
            helper = page.users.get(entry.assisted_by_user_id)
            assisted = Assistance(
                organisation=helper.organisation.name
                if helper is not None and helper.organisation is not None
                else None,
                staff_name=helper.display_name if helper is not None and show_staff_names else None,
            )
        previewed = None
        if (target := previewed_id(entry)) is not None:
            kind, target_id = target
            previewed = (
                Named(org_name(target_id))
                if kind == "organisation"
                else person(target_id, entry.client_id)
            )
        disclosure = page.disclosures.get(entry.basis_id) if entry.basis_id else None
        described.append(
            DescribedEntry(
                entry=entry,
                action=AccessAction(entry.action),
                role=role,
                you=you,
                who=who,
                staff_name=staff_name,
                assisted_by=assisted,
                previewed=previewed,
                section=_section(entry.scope),
                reason=_reason(entry.reason),
                basis=entry.basis_kind if entry.allowed else None,
                provision=disclosure.provision
                if disclosure is not None and entry.basis_kind == BasisKind.STATUTORY
                else None,
                query=page.queries.get(entry.id),
                study=page.studies.get(entry.basis_id)
                if entry.basis_id and entry.basis_kind == STUDY
                else None,
            )
        )
    return described


def _section(scope: str) -> SectionKind | None:
    try:
        return SectionKind(scope.removeprefix("section:")) if scope.startswith("section:") else None
    except ValueError:
        return None


def _reason(value: str) -> Reason | None:
    try:
        return Reason(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class QueryDetails:
    """One query with the entry it is about, the records that explain the entry, and the
    staff named on the query (who helped the client at the terminal, who answered)."""

    query: LogQuery
    entry: AccessLogEntry
    explained: LogPage
    people: dict[uuid.UUID, User]

    def person(self, user_id: uuid.UUID | None) -> User | None:
        return self.people.get(user_id) if user_id else None


def client_query(
    session: Session, client_id: uuid.UUID, query_id: uuid.UUID, *, for_update: bool = False
) -> QueryDetails | None:
    """One query about this client's log with everything needed to show it; None for
    another client's query or an unknown id. ``for_update`` locks the query's row."""
    select_query = (
        select(LogQuery)
        .where(LogQuery.id == query_id, LogQuery.client_id == client_id)
        .execution_options(populate_existing=True)
    )
    if for_update:
        select_query = select_query.with_for_update()
    query = session.scalar(select_query)
    entry = client_entry(session, client_id, query.entry_id) if query is not None else None
    if query is None or entry is None:
        return None
    ids = [i for i in (query.assisted_by_id, query.resolved_by_id) if i is not None]
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return QueryDetails(query, entry, explain_entries(session, [entry]), people)


def work_task_of(session: Session, entry: AccessLogEntry) -> WorkTaskReason | None:
    """The recorded work task an entry relied on (what the colleague gave as the reason to
    open the case), if it did. Its reason is ciphertext: read it through the gate."""
    if entry.basis_kind != BasisKind.WORK_TASK or entry.basis_id is None:
        return None
    return session.scalar(
        select(WorkTaskReason).where(
            WorkTaskReason.id == entry.basis_id, WorkTaskReason.client_id == entry.client_id
        )
    )


@dataclass(frozen=True)
class QueryRow:
    """A query with the access-log entry it is about."""

    query: LogQuery
    entry: AccessLogEntry


@dataclass(frozen=True)
class QueryList:
    """One page of queries, with the records that explain their entries."""

    rows: list[QueryRow]
    page: int
    pages: int
    total: int
    explained: LogPage


def client_queries(
    session: Session,
    client_id: uuid.UUID,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
    hidden_from: uuid.UUID | None = None,
) -> QueryList:
    """The client's queries, open and answered, newest first (seven queries at most);
    ``hidden_from``: without those about this staff member's own access."""
    of_client = and_(
        LogQuery.client_id == client_id,
        not_(concerns(hidden_from)) if hidden_from is not None else true(),
    )
    found = paginate(
        session,
        select(LogQuery, AccessLogEntry)
        .join(
            AccessLogEntry,
            and_(
                AccessLogEntry.id == LogQuery.entry_id,
                AccessLogEntry.client_id == LogQuery.client_id,
            ),
        )
        .where(of_client)
        .order_by(LogQuery.created_at.desc(), LogQuery.id),
        page=page,
        per_page=per_page,
        count=select(func.count(LogQuery.id))
        .join(
            AccessLogEntry,
            and_(
                AccessLogEntry.id == LogQuery.entry_id,
                AccessLogEntry.client_id == LogQuery.client_id,
            ),
        )
        .where(of_client),
    )
    rows = [QueryRow(query, entry) for query, entry in found.rows]
    return QueryList(
        rows,
        found.page,
        found.pages,
        found.total,
        explain_entries(session, [row.entry for row in rows]),
    )


# -- to whom a query goes -----------------------------------------------------------------


def concerns(user_id: uuid.UUID | SQLColumnExpression[uuid.UUID]) -> ColumnElement[bool]:
    """The ``AccessLogEntry`` records this staff member's own access: they acted, or helped
    the client at the terminal."""
    return or_(
        AccessLogEntry.actor_user_id.is_not_distinct_from(user_id),
        AccessLogEntry.assisted_by_user_id.is_not_distinct_from(user_id),
    )


def waiting_for(user_id: uuid.UUID | SQLColumnExpression[uuid.UUID]) -> ColumnElement[bool]:
    """Whether the query (with its ``Case`` and ``AccessLogEntry`` joined) is this worker's
    to answer: they are the current responsible worker and the entry is not about them, or
    the entry is about the current responsible worker and they are that worker's team lead
    (and the entry is not about them too). Never a query about the worker's own access."""
    current = and_(ResponsibleWorker.case_id == Case.id, ResponsibleWorker.ends_on.is_(None))
    as_responsible = exists().where(current, ResponsibleWorker.worker_id == user_id)
    as_lead = exists().where(
        current,
        TeamLead.worker_id == ResponsibleWorker.worker_id,
        TeamLead.lead_id == user_id,
        concerns(ResponsibleWorker.worker_id),
    )
    return and_(not_(concerns(user_id)), or_(as_responsible, as_lead))


@dataclass(frozen=True)
class Addressee:
    """Who answers a query: the responsible worker, or their team lead when the entry is
    about the worker's own access (``lead`` None then: nobody named yet)."""

    responsible: User | None
    about_worker: bool
    lead: User | None

    @property
    def answerer(self) -> User | None:
        return self.lead if self.about_worker else self.responsible


def addressed_to(session: Session, case_id: uuid.UUID, entry: AccessLogEntry) -> Addressee:
    """To whom a query about ``entry`` in this case goes today (two queries at most)."""
    responsible = session.scalar(
        select(User)
        .join(ResponsibleWorker, ResponsibleWorker.worker_id == User.id)
        .where(ResponsibleWorker.case_id == case_id, ResponsibleWorker.ends_on.is_(None))
        .order_by(ResponsibleWorker.starts_on.desc(), ResponsibleWorker.id)
        .limit(1)
    )
    if responsible is None or responsible.id not in (
        entry.actor_user_id,
        entry.assisted_by_user_id,
    ):
        return Addressee(responsible, about_worker=False, lead=None)
    lead = session.scalar(
        select(User)
        .join(TeamLead, TeamLead.lead_id == User.id)
        .where(TeamLead.worker_id == responsible.id, User.active.is_(True))
    )
    return Addressee(responsible, about_worker=True, lead=lead)


def waiting_for_a_team_lead(session: Session, worker_id: uuid.UUID) -> int:
    """Open queries about this worker's own access, on cases they are the current
    responsible worker of, that nobody answers because no team lead is named (one query).
    The administrator sees the number where the team lead is named."""
    return (
        session.scalar(
            select(func.count(LogQuery.id))
            .join(Case, Case.id == LogQuery.case_id)
            .join(
                AccessLogEntry,
                and_(
                    AccessLogEntry.id == LogQuery.entry_id,
                    AccessLogEntry.client_id == LogQuery.client_id,
                ),
            )
            .where(
                LogQuery.status == LogQueryStatus.OPEN,
                Case.disposed_at.is_(None),
                concerns(worker_id),
                exists().where(
                    ResponsibleWorker.case_id == Case.id,
                    ResponsibleWorker.ends_on.is_(None),
                    ResponsibleWorker.worker_id == worker_id,
                ),
                not_(exists().where(TeamLead.worker_id == worker_id)),
            )
        )
        or 0
    )
