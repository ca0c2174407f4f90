"""The client's "who has looked at my information" page and "I don't recognise this" queries.

``log_page`` reads one page of the client's access-log entries (``sharing.access_log``)
newest first, and everything needed to say them in plain words (users, organisations,
network members, statutory disclosures), each resolved in ONE query whatever the number
of entries. By default it leaves out the client's own use of their pages (each of which is
logged too) unless a member of staff was at the terminal: those are listed as
staff-assisted. Denied attempts and statutory disclosures are always listed.

A client who does not recognise an entry opens a ``LogQuery`` for the responsible worker
(``open_query``), who finds out who looked and why and answers it (``answer_query``); the
answer, like the client's note, is client data stored only as ciphertext. The worker's
dashboard counts and lists the open queries (``app.services.dashboard``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from sqlalchemy import and_, func, not_, select
from sqlalchemy.orm import Session

from app.models import Case, NetworkMember, Organisation, User, WorkTaskReason
from app.models.log_query import LogQuery, LogQueryStatus
from app.services.fields import field
from consent.base import utcnow
from consent.decision import Actor, ActorRole, BasisKind, Purpose
from consent.models import StatutoryDisclosure
from sharing.access_log import AccessLogEntry
from sharing.gate import AccessGate

PER_PAGE = 25
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


def log_since(now: datetime) -> datetime:
    return now - timedelta(days=365 * LOG_YEARS)


def _own_use(client_id: uuid.UUID):  # type: ignore[no-untyped-def]
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
    total = session.scalar(select(func.count(AccessLogEntry.id)).where(*conditions)) or 0
    page, pages = _bounds(page, total, per_page)
    entries = list(
        session.scalars(
            select(AccessLogEntry)
            .where(*conditions)
            .order_by(AccessLogEntry.at.desc(), AccessLogEntry.seq.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return LogPage(
        entries=entries,
        page=page,
        pages=pages,
        total=total,
        since=since,
        **_explanations(session, entries),
    )


def _bounds(page: int, total: int, per_page: int) -> tuple[int, int]:
    """The page asked for, kept within the pages there are, and the number of pages."""
    pages = max(1, ceil(total / per_page))
    return min(max(1, page), pages), pages


def previewed_id(entry: AccessLogEntry) -> tuple[str, uuid.UUID] | None:
    """``("organisation" | "member", id)`` of a preview entry's grantee, if well formed."""
    if not entry.previewed_as:
        return None
    kind, _, raw = entry.previewed_as.partition(":")
    try:
        return kind, uuid.UUID(raw)
    except ValueError:
        return None


def _explanations(session: Session, entries: Sequence[AccessLogEntry]) -> dict[str, dict]:  # type: ignore[type-arg]
    """The records that explain the entries (of one client or several), one query each."""
    client_ids = list({e.client_id for e in entries})
    user_ids = {e.actor_user_id for e in entries} | {e.assisted_by_user_id for e in entries}
    user_ids.discard(None)
    org_ids = {e.organisation_id for e in entries if e.organisation_id}
    member_ids = {e.member_id for e in entries if e.member_id}
    for entry in entries:
        if (target := previewed_id(entry)) is not None:
            (org_ids if target[0] == "organisation" else member_ids).add(target[1])
    disclosure_ids = {e.basis_id for e in entries if e.basis_kind == "statutory" and e.basis_id}
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
    return {
        "users": users,
        "organisations": organisations,
        "members": members,
        "disclosures": disclosures,
        "queries": queries,
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


def open_query(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    case: Case,
    entry: AccessLogEntry,
    note: str | None,
) -> LogQuery:
    """Open an "I don't recognise this" query about one entry for the responsible worker;
    an open query about the same entry is returned instead of a second one.

    :raises ValueError: when the entry is not about this case's client.
    :raises AccessDenied: when the actor may not write this client's data.
    """
    if entry.client_id != case.client_id:
        raise ValueError("the entry is not about this client")
    existing = session.scalar(
        select(LogQuery).where(
            LogQuery.entry_id == entry.id,
            LogQuery.client_id == case.client_id,
            LogQuery.status == LogQueryStatus.OPEN,
        )
    )
    if existing is not None:
        return existing
    query = LogQuery(
        client_id=case.client_id,
        case_id=case.id,
        entry_id=entry.id,
        status=LogQueryStatus.OPEN,
        created_at=utcnow(),
        created_by_id=actor.user_id,
        assisted_by_id=actor.assisted_by,
    )
    session.add(query)
    note = (note or "").strip() or None
    if note is not None:
        query.note_ct = gate.write_text(
            actor, field(query, "note_ct"), note, purpose=Purpose.OWN_DATA
        )
    session.flush()
    return query


class QueryNotOpen(ValueError):
    """Raised when answering a query that has been answered or closed already."""


def answer_query(
    session: Session, gate: AccessGate, actor: Actor, query: LogQuery, answer: str
) -> None:
    """Store the worker's answer (encrypted) and mark the query answered, by whom and when.

    Lock the query first (``client_query(..., for_update=True)``), so that of two answers
    sent at once the second finds it answered.

    :raises QueryNotOpen: when the query is not open.
    :raises AccessDenied: when the actor may not write this client's data.
    """
    if query.status is not LogQueryStatus.OPEN:
        raise QueryNotOpen("the query has been answered or closed already")
    query.answer_ct = gate.write_text(
        actor, field(query, "answer_ct"), answer.strip(), purpose=Purpose.CASE_WORK
    )
    query.status = LogQueryStatus.ANSWERED
    query.resolved_at = utcnow()
    query.resolved_by_id = actor.user_id
    session.flush()


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
    session: Session, client_id: uuid.UUID, *, page: int = 1, per_page: int = PER_PAGE
) -> QueryList:
    """The client's queries, open and answered, newest first (seven queries at most)."""
    of_client = LogQuery.client_id == client_id
    total = session.scalar(select(func.count(LogQuery.id)).where(of_client)) or 0
    page, pages = _bounds(page, total, per_page)
    rows = session.execute(
        select(LogQuery, AccessLogEntry)
        .join(
            AccessLogEntry,
            and_(
                AccessLogEntry.id == LogQuery.entry_id,
                AccessLogEntry.client_id == LogQuery.client_id,
            ),
        )
        .where(of_client)
        .order_by(LogQuery.created_at.desc(), LogQuery.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return QueryList(
        [QueryRow(q, e) for q, e in rows],
        page,
        pages,
        total,
        explain_entries(session, [e for _, e in rows]),
    )
