"""Read models of intake: the county's queue of unassigned notifications and one notification."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, joinedload

from app.cases.facts import load_case_contexts
from app.intake.rules import SentState, sent_state
from app.models import Case, Client, Organisation, Phase
from app.models.intake import Notification, NotificationPath, NotificationStatus
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


# -- what prison and probation staff sent --------------------------------------------------


@dataclass(frozen=True)
class SentRow:
    """One notification a user sent: when, to which county, by which path, and its state."""

    id: uuid.UUID
    sent_at: datetime
    county: str
    path: NotificationPath
    state: SentState


def _sent(user_id: uuid.UUID) -> Select[Notification, str, Phase]:
    return (
        select(Notification, Organisation.name, Case.phase)
        .join(Organisation, Organisation.id == Notification.county_id)
        .join(Case, Case.id == Notification.case_id)
        .where(Notification.recorded_by_id == user_id)
    )


def _sent_row(notification: Notification, county: str, phase: Phase) -> SentRow:
    return SentRow(
        id=notification.id,
        sent_at=notification.received_at,
        county=county,
        path=notification.path,
        state=sent_state(notification.status, phase),
    )


def sent_notifications(
    session: Session, user_id: uuid.UUID, *, page: int = 1, per_page: int = PAGE_SIZE
) -> ListPage[SentRow]:
    """The notifications the user sent as prison or probation staff, newest first (two
    queries): their state only, never the case."""
    rows = paginate(
        session,
        _sent(user_id).order_by(Notification.received_at.desc(), Notification.id),
        page=page,
        per_page=per_page,
        count=select(func.count(Notification.id)).where(Notification.recorded_by_id == user_id),
    )
    return rows.map(lambda row: _sent_row(row[0], row[1], row[2]))


def sent_notification(
    session: Session, user_id: uuid.UUID, notification_id: uuid.UUID
) -> SentRow | None:
    """One notification the user sent, or None (one query)."""
    row = session.execute(_sent(user_id).where(Notification.id == notification_id)).first()
    return None if row is None else _sent_row(row[0], row[1], row[2])
