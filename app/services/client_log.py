"""The client's "who has looked at my information" page and "I don't recognise this" queries.

``log_page`` reads one page of the client's access-log entries (``sharing.access_log``)
newest first, and everything needed to say them in plain words (users, organisations,
network members, statutory disclosures), each resolved in ONE query whatever the number
of entries. By default it leaves out the client's own use of their pages (each of which is
logged too) unless a member of staff was at the terminal: those are listed as
staff-assisted. Denied attempts and statutory disclosures are always listed.

A client who does not recognise an entry opens a ``LogQuery`` for the responsible worker
(``open_query``); ``open_log_queries`` is the worker's list.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from sqlalchemy import and_, func, not_, select
from sqlalchemy.orm import Session

from app.models import Case, NetworkMember, Organisation, ResponsibleWorker, User
from app.models.log_query import LogQuery, LogQueryStatus
from app.services.fields import field
from consent.base import utcnow
from consent.decision import Actor, ActorRole, Purpose
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
    open_queries: dict[uuid.UUID, LogQuery]  # entry id → the client's open query about it


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
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
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
        **_explanations(session, client_id, entries),
    )


def previewed_id(entry: AccessLogEntry) -> tuple[str, uuid.UUID] | None:
    """``("organisation" | "member", id)`` of a preview entry's grantee, if well formed."""
    if not entry.previewed_as:
        return None
    kind, _, raw = entry.previewed_as.partition(":")
    try:
        return kind, uuid.UUID(raw)
    except ValueError:
        return None


def _explanations(
    session: Session, client_id: uuid.UUID, entries: Sequence[AccessLogEntry]
) -> dict[str, dict]:  # type: ignore[type-arg]
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
                    NetworkMember.id.in_(list(member_ids)), NetworkMember.client_id == client_id
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
                    StatutoryDisclosure.client_id == client_id,
                )
            )
        }
        if disclosure_ids
        else {}
    )
    open_queries = (
        {
            q.entry_id: q
            for q in session.scalars(
                select(LogQuery).where(
                    LogQuery.client_id == client_id,
                    LogQuery.entry_id.in_(entry_ids),
                    LogQuery.status == LogQueryStatus.OPEN,
                )
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
        "open_queries": open_queries,
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


def explain_entry(session: Session, client_id: uuid.UUID, entry: AccessLogEntry) -> LogPage:
    """A one-entry page, so a single entry is described exactly as the list describes it."""
    return LogPage(
        entries=[entry],
        page=1,
        pages=1,
        total=1,
        since=entry.at,
        **_explanations(session, client_id, [entry]),
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


@dataclass(frozen=True)
class OpenLogQuery:
    """A query waiting for the worker, with the entry it is about."""

    query: LogQuery
    entry: AccessLogEntry
    case_id: uuid.UUID
    client_id: uuid.UUID


def open_log_queries(session: Session, worker_id: uuid.UUID) -> list[OpenLogQuery]:
    """The open queries of the cases this worker is the current responsible worker of,
    oldest first, in one query. The notes are ciphertext: read them through the gate.
    """
    rows = session.execute(
        select(LogQuery, AccessLogEntry)
        .join(AccessLogEntry, AccessLogEntry.id == LogQuery.entry_id)
        .join(
            ResponsibleWorker,
            and_(
                ResponsibleWorker.case_id == LogQuery.case_id,
                ResponsibleWorker.ends_on.is_(None),
            ),
        )
        .where(ResponsibleWorker.worker_id == worker_id, LogQuery.status == LogQueryStatus.OPEN)
        .order_by(LogQuery.created_at, LogQuery.id)
    ).all()
    return [OpenLogQuery(q, e, q.case_id, q.client_id) for q, e in rows]
