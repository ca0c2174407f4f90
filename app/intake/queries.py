"""Read models of intake: the county's queue of unassigned notifications and one notification."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, joinedload

from app.cases.facts import load_case_contexts
from app.models import Case, Client
from app.models.intake import Notification, NotificationStatus
from app.pagination import ListPage, paginate
from consent.base import utcnow
from consent.decision import decide
from consent.facts import AccessRequest, Action, Actor, Purpose

PAGE_SIZE = 25


@dataclass(frozen=True)
class QueueRow:
    notification: Notification
    client: Client
    case: Case


def may_do_case_work(session: Session, actor: Actor, client_id: uuid.UUID) -> bool:
    """Whether the gate would now let ``actor`` do case work on the client (nothing logged).

    For choosing what a page shows; the gate still decides, and logs, every read.
    """
    case = load_case_contexts(session, [client_id]).get(client_id)
    request = AccessRequest(actor, client_id, Action.READ, Purpose.CASE_WORK, utcnow())
    return decide(request, case).allowed


def _queue_conditions(county_id: uuid.UUID) -> list[ColumnElement[bool]]:
    return [
        Notification.county_id == county_id,
        Notification.status == NotificationStatus.UNASSIGNED,
        Case.disposed_at.is_(None),
    ]


def _unassigned(county_id: uuid.UUID) -> Select[int]:
    return (
        select(func.count(Notification.id))
        .join(Case, Case.id == Notification.case_id)
        .where(*_queue_conditions(county_id))
    )


def unassigned_count(session: Session, county_id: uuid.UUID) -> int:
    """How many notifications wait in the county's intake queue (one query)."""
    return session.scalar(_unassigned(county_id)) or 0


def intake_queue(
    session: Session, county_id: uuid.UUID, *, page: int = 1, per_page: int = PAGE_SIZE
) -> ListPage[QueueRow]:
    """The county's unassigned notifications, oldest first (two queries)."""
    rows = paginate(
        session,
        select(Notification, Client, Case)
        .join(Client, Client.id == Notification.client_id)
        .join(Case, Case.id == Notification.case_id)
        .options(joinedload(Notification.notifier_organisation))
        .where(*_queue_conditions(county_id))
        .order_by(Notification.received_at, Notification.id),
        page=page,
        per_page=per_page,
        count=_unassigned(county_id),
    )
    return rows.map(lambda row: QueueRow(row[0], row[1], row[2]))


def county_notification(
    session: Session, notification_id: uuid.UUID, county_id: uuid.UUID
) -> tuple[Notification, Client, Case] | None:
    """A notification of the county with its client and case, or None (one query)."""
    row = session.execute(
        select(Notification, Client, Case)
        .join(Client, Client.id == Notification.client_id)
        .join(Case, Case.id == Notification.case_id)
        .options(
            joinedload(Notification.notifier_organisation),
            joinedload(Notification.recorded_by),
            joinedload(Notification.assigned_to),
        )
        .where(
            Notification.id == notification_id,
            Notification.county_id == county_id,
            Case.disposed_at.is_(None),
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])
