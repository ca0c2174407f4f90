"""The client's "I don't recognise this" queries: asked by the client, answered by the worker.

A client who does not recognise an entry of their log opens a ``LogQuery`` for the
responsible worker (``open_query``), who finds out who looked and why and answers it
(``answer_query``); the answer, like the client's note, is client data stored only as
ciphertext. Both flush and never commit.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Case
from app.models.log_query import LogQuery, LogQueryStatus
from app.refusals import N_, Conflict, NotFound
from consent.base import utcnow
from consent.facts import Actor, Purpose
from sharing.access_log import AccessLogEntry
from sharing.fields import field_ref
from sharing.gate import AccessGate


class EntryNotFound(NotFound):
    """Raised when the entry asked about is not one of this case's client's log."""

    code = "log_entry_not_found"


class QueryNotOpen(Conflict):
    """Raised when answering a query that has been answered or closed already."""

    code = "log_query_not_open"
    message = N_(
        "This question has already been answered, so nothing was saved. The answer is below."
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

    :raises EntryNotFound: when the entry is not about this case's client.
    :raises AccessDenied: when the actor may not write this client's data.
    """
    if entry.client_id != case.client_id:
        raise EntryNotFound()
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
            actor, field_ref(query, LogQuery.note_ct), note, purpose=Purpose.OWN_DATA
        )
    session.flush()
    return query


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
        raise QueryNotOpen()
    query.answer_ct = gate.write_text(
        actor, field_ref(query, LogQuery.answer_ct), answer.strip(), purpose=Purpose.CASE_WORK
    )
    query.status = LogQueryStatus.ANSWERED
    query.resolved_at = utcnow()
    query.resolved_by_id = actor.user_id
    session.flush()
