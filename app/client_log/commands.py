"""The client's "I don't recognise this" queries: asked by the client, answered by the worker.

A client who does not recognise an entry of their log opens a ``LogQuery`` (``open_query``)
with a short reference to name it by (``LQ-7K3M``); it waits for the responsible worker, or
for the worker's team lead when the entry records the worker's own access
(``app.client_log.queries.waiting_for``), who finds out who looked and why and answers it
(``answer_query``); the answer, like the client's note, is client data stored only as
ciphertext. An administrator names each caseworker's team lead or deputy, who answers the questions
about that worker's own access (``set_team_lead``). All flush and never commit.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.client_log import rules
from app.models import Case, Role, User
from app.models.log_query import LogQuery, LogQueryStatus
from app.models.team_lead import TeamLead
from app.refusals import N_, Conflict, NotFound, Refused
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
        reference=new_reference(session),
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


REFERENCE_TRIES = 8


def new_reference(session: Session) -> str:
    """A reference no query has (one query per try); five letters once four are crowded.

    Two queries opened at the same instant with the same new reference would meet the
    unique constraint; at 1 in 614,656 per pair that is left to the constraint."""
    for attempt in range(REFERENCE_TRIES):
        candidate = rules.reference(rules.LENGTH + attempt // 4)
        if session.scalar(select(LogQuery.id).where(LogQuery.reference == candidate)) is None:
            return candidate
    raise RuntimeError("no free log query reference")  # 8 taken in a row: not in this world


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


class NotATeamLead(Refused):
    """Raised when the team lead named is not another active caseworker of the county."""

    code = "team_lead_not_a_colleague"
    field = "lead"
    message = N_("Choose another active social worker of the same county.")


def set_team_lead(
    session: Session, worker: User, lead: User | None, *, by: uuid.UUID | None
) -> None:
    """Name ``lead`` the caseworker's team lead or deputy (None: nobody). Only the current
    designation is kept; who set it and when is on the row.

    :raises NotATeamLead: when either is not a caseworker, they are the same person, the
        lead is deactivated or works in another county.
    """
    existing = session.scalar(select(TeamLead).where(TeamLead.worker_id == worker.id))
    if lead is None:
        if existing is not None:
            session.delete(existing)
            session.flush()
        return
    if (
        worker.role is not Role.CASEWORKER
        or lead.role is not Role.CASEWORKER
        or lead.id == worker.id
        or not lead.active
        or lead.organisation_id != worker.organisation_id
        or worker.organisation_id is None
    ):
        raise NotATeamLead()
    if existing is None:
        existing = TeamLead(worker_id=worker.id, county_id=worker.organisation_id)
        session.add(existing)
    existing.lead_id = lead.id
    existing.set_at = utcnow()
    existing.set_by_id = by
    session.flush()
