"""The partner's list of shared clients, kept current: ``share_periods`` rows.

Whenever a flush changes a case, a network membership, a consent or a statutory disclosure,
the periods of that client are computed again (``app.partner_work.rules.share_periods``,
from the very facts the access decision reads) in the same transaction. A period knows when
it ends, so the list is right at any instant without a scheduled job; the partner's home and
``/api/v1/shared`` read one page of it in SQL, whatever the number of clients. The gate
still decides every read.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, timedelta

from sqlalchemy import delete, event, insert, select
from sqlalchemy.orm import Session, UOWTransaction

from app.cases.facts import forget_case_facts, load_case_contexts
from app.models import Case, Client, NetworkMember
from app.models.partner import NO_END, OPEN_ENDED, SharePeriod
from app.partner_work.rules import SharePeriod as Period
from app.partner_work.rules import share_periods
from consent.models import Consent, StatutoryDisclosure
from consent.status import helsinki_day

SOURCES = (Case, NetworkMember, Consent, StatutoryDisclosure)
"""The rows whose change can change what is shared with whom."""


def rebuild(session: Session, client_ids: Collection[uuid.UUID]) -> int:
    """Compute the clients' share periods again; returns the number of periods written.

    On PostgreSQL the clients' rows are locked first, so two transactions changing one
    client's facts rebuild one after the other, the later one seeing the earlier's facts.
    """
    ids = sorted(client_ids)
    if not ids:
        return 0
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(select(Client.id).where(Client.id.in_(ids)).with_for_update())
    forget_case_facts(session)
    contexts = load_case_contexts(session, ids)
    rows = [
        {
            "id": uuid.uuid4(),
            "organisation_id": period.organisation_id,
            "client_id": period.client_id,
            "starts_at": period.starts_at,
            "ends_at": period.ends_at or NO_END,
            "last_day": last_day(period),
        }
        for context in contexts.values()
        for period in share_periods(context)
    ]
    connection.execute(delete(SharePeriod).where(SharePeriod.client_id.in_(ids)))
    if rows:
        connection.execute(insert(SharePeriod), rows)
    return len(rows)


def last_day(period: Period) -> date:
    """The period's last day shared: its basis's last day, or the day it ends if sooner.

    The partner's list enters its index at today: a period that ended early (a revocation,
    a closed case) must not keep a later day there, or every such period of the
    organisation's history would be walked past on each page.
    """
    days = [period.until or OPEN_ENDED]
    if period.ends_at is not None:
        days.append(helsinki_day(period.ends_at - timedelta(microseconds=1)))
    return min(days)


@event.listens_for(Session, "after_flush")
def _keep_current(session: Session, flush_context: UOWTransaction) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    clients = {row.client_id for row in changed if isinstance(row, SOURCES)}
    if clients:
        rebuild(session, clients)
