"""Log requests as read models: a client's, one of them, the ones waiting for a worker, and
the county's setting of how much detail an answer gives. Nothing here decrypts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, SQLColumnExpression, case, func, select
from sqlalchemy.orm import Session

from app.models import Case, Client, ResponsibleWorker
from app.models.log_request import CountySetting, LogDetail, LogRequest, LogRequestState
from app.pagination import ListPage, paginate

PER_PAGE = 25


def county_detail(session: Session, county_id: uuid.UUID) -> LogDetail:
    """The county's setting (organisation, role and day unless its administrator chose more)."""
    detail = session.scalar(
        select(CountySetting.log_request_detail).where(CountySetting.county_id == county_id)
    )
    return detail or LogDetail.ROLE_AND_DATE


def client_requests(session: Session, client_id: uuid.UUID) -> list[LogRequest]:
    """Every log request of the client, newest first (one query; a handful per client)."""
    return list(
        session.scalars(
            select(LogRequest)
            .where(LogRequest.client_id == client_id)
            .order_by(LogRequest.requested_at.desc(), LogRequest.id)
        )
    )


def client_request(
    session: Session, client_id: uuid.UUID, request_id: uuid.UUID, *, for_update: bool = False
) -> LogRequest | None:
    """One of the client's log requests (another client's is None), locked when changing."""
    query = select(LogRequest).where(LogRequest.id == request_id, LogRequest.client_id == client_id)
    return session.scalar(query.with_for_update() if for_update else query)


def waiting_conditions(
    user_id: uuid.UUID | SQLColumnExpression[uuid.UUID],
    county_id: uuid.UUID | SQLColumnExpression[uuid.UUID | None],
) -> list[ColumnElement[bool]]:
    """Pending requests of the county's cases on which the user is the current responsible
    worker; a closed case's too (the right to an answer lasts until disposal)."""
    responsible = select(ResponsibleWorker.case_id).where(
        ResponsibleWorker.worker_id == user_id, ResponsibleWorker.ends_on.is_(None)
    )
    return [
        Case.county_id == county_id,
        Case.disposed_at.is_(None),
        Case.id.in_(responsible),
        LogRequest.state == LogRequestState.PENDING,
    ]


@dataclass(frozen=True)
class Waiting:
    pending: int
    overdue: int


def waiting_counts(
    session: Session, user_id: uuid.UUID, county_id: uuid.UUID, today: date
) -> Waiting:
    """How many requests wait for the worker, and how many of them are overdue (one query)."""
    pending, overdue = session.execute(
        select(
            func.count(LogRequest.id),
            func.coalesce(func.sum(case((LogRequest.due_on < today, 1), else_=0)), 0),
        )
        .join(Case, Case.id == LogRequest.case_id)
        .where(*waiting_conditions(user_id, county_id))
    ).one()
    return Waiting(int(pending), int(overdue))


@dataclass(frozen=True)
class WaitingRow:
    request: LogRequest
    client: Client
    case: Case


def waiting(
    session: Session,
    user_id: uuid.UUID,
    county_id: uuid.UUID,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> ListPage[WaitingRow]:
    """The requests waiting for the worker, soonest due first (two queries)."""
    conditions = waiting_conditions(user_id, county_id)
    found = paginate(
        session,
        select(LogRequest, Client, Case)
        .join(Case, Case.id == LogRequest.case_id)
        .join(Client, Client.id == Case.client_id)
        .where(*conditions)
        .order_by(LogRequest.due_on, LogRequest.id),
        page=page,
        per_page=per_page,
        count=select(func.count(LogRequest.id))
        .join(Case, Case.id == LogRequest.case_id)
        .where(*conditions),
    )
    return found.map(lambda row: WaitingRow(*row))
