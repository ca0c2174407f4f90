"""Intake: creating clients, recording notifications, the county's queue and taking a case.

Access design (SHL § 35; the gate's rule that a colleague without a relationship may list
names but not open a case):

- Recording is a work task. The worker who receives a notification has no relationship to
  the client yet, so ``record_intake_work_task`` records a work-task reason for them (valid to
  the end of the day, like any work task) before anything is encrypted; the gate then allows
  the writes and logs them with that basis. A worker who already works on the case needs none.
- The queue and an unassigned notification show only metadata and the client's name
  (``Purpose.LIST``). Reading the need requires ``Purpose.CASE_WORK``: "Assign to me" first
  makes the worker the case's responsible worker (omatyöntekijä) when it has none, or a
  member of its case team when it has one, and only then do they open the notification.

Functions take a session and flush; the view commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from math import ceil

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session, joinedload

from app.models import Case, CaseTeamMember, Client, Phase, ResponsibleWorker, WorkTaskReason
from app.models.intake import (
    Channel,
    Notification,
    NotificationPath,
    NotificationStatus,
    NotifierKind,
)
from app.services.cases import load_case_contexts
from app.services.fields import field
from consent.base import utcnow
from consent.decision import (
    HELSINKI,
    AccessRequest,
    Action,
    Actor,
    Purpose,
    decide,
    helsinki_day,
)
from consent.sections import DataScope
from sharing import blind_index
from sharing.gate import AccessGate
from sharing.keys import Keyring

PAGE_SIZE = 25


class IntakeError(ValueError):
    """Raised when a notification or a new client breaks a rule the form should have caught."""


@dataclass(frozen=True)
class NewClient:
    name: str
    identity_code: str | None
    prison_id: uuid.UUID | None = None
    conditional_release: date | None = None


@dataclass(frozen=True)
class NotificationFacts:
    received_at: datetime
    contacted_on: date
    notifier_kind: NotifierKind
    channel: Channel
    need: str
    path: NotificationPath
    notifier_name: str | None = None
    notifier_organisation_id: uuid.UUID | None = None
    no_consent_reason: str | None = None


@dataclass(frozen=True)
class QueueRow:
    notification: Notification
    client: Client
    case: Case


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    page: int
    pages: int
    total: int


def _end_of_day(at: datetime) -> datetime:
    midnight = datetime.combine(helsinki_day(at) + timedelta(days=1), time.min, HELSINKI)
    return midnight - timedelta(microseconds=1)


def may_do_case_work(session: Session, actor: Actor, client_id: uuid.UUID) -> bool:
    """Whether the gate would now let ``actor`` do case work on the client (nothing logged).

    For choosing what a page shows; the gate still decides, and logs, every read.
    """
    case = load_case_contexts(session, [client_id]).get(client_id)
    request = AccessRequest(actor, client_id, Action.READ, Purpose.CASE_WORK, utcnow())
    return decide(request, case).allowed


def record_intake_work_task(
    session: Session, gate: AccessGate, actor: Actor, case: Case, reason: str
) -> WorkTaskReason | None:
    """Record the intake work task that lets the receiving worker write, unless not needed."""
    if may_do_case_work(session, actor, case.client_id):
        return None
    task = WorkTaskReason(
        case_id=case.id,
        client_id=case.client_id,
        user_id=actor.user_id,
        reason_ct=b"",
        valid_until=_end_of_day(utcnow()),
    )
    session.add(task)
    session.flush()
    task.reason_ct = (
        gate.write_text(actor, field(task, "reason_ct"), reason, purpose=Purpose.CASE_WORK) or b""
    )
    return task


def open_case(session: Session, client: Client, county_id: uuid.UUID) -> Case:
    """A new case in phase NOTIFIED for a known client whose newest case is closed."""
    case = Case(client_id=client.id, county_id=county_id, phase=Phase.NOTIFIED)
    session.add(case)
    session.flush()
    return case


def create_client(
    session: Session,
    gate: AccessGate,
    keyring: Keyring,
    actor: Actor,
    new: NewClient,
    *,
    work_task_reason: str,
) -> tuple[Client, Case]:
    """Create a client and their case (phase NOTIFIED) in the actor's county, name and
    identity code sealed through the gate and indexed for search.

    :raises IntakeError: when the name is empty.
    """
    if not new.name.strip() or actor.organisation_id is None:
        raise IntakeError("a new client needs a name and a county")
    county_id = actor.organisation_id
    client = Client(county_id=county_id, name_ct=b"")
    session.add(client)
    case = Case(
        client_id=client.id,
        county_id=county_id,
        phase=Phase.NOTIFIED,
        prison_id=new.prison_id,
        conditional_release=new.conditional_release,
    )
    session.add(case)
    session.flush()
    record_intake_work_task(session, gate, actor, case, work_task_reason)
    name = new.name.strip()
    code = blind_index.normalise_identity_code(new.identity_code) if new.identity_code else None
    client.name_ct = (
        gate.write_text(
            actor, field(client, "name_ct", DataScope.NAME), name, purpose=Purpose.CASE_WORK
        )
        or b""
    )
    client.identity_code_ct = gate.write_text(
        actor, field(client, "identity_code_ct"), code or None, purpose=Purpose.CASE_WORK
    )
    blind_index.index_client(session, keyring, client.id, name, code)
    session.flush()
    return client, case


def record_notification(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    case: Case,
    facts: NotificationFacts,
    *,
    work_task_reason: str,
) -> Notification:
    """Record a notification about the case's client; it lands in the county's queue.

    :raises IntakeError: when the need is empty, or the no-consent path has no reason.
    """
    if not facts.need.strip():
        raise IntakeError("the need is required")
    reason = (facts.no_consent_reason or "").strip()
    if facts.path is NotificationPath.NO_CONSENT and not reason:
        raise IntakeError("a notification without consent needs its reason (SHL § 35)")
    record_intake_work_task(session, gate, actor, case, work_task_reason)
    notification = Notification(
        county_id=case.county_id,
        client_id=case.client_id,
        case_id=case.id,
        received_at=facts.received_at,
        contacted_on=facts.contacted_on,
        notifier_kind=facts.notifier_kind,
        notifier_organisation_id=facts.notifier_organisation_id,
        channel=facts.channel,
        need_ct=b"",
        path=facts.path,
        status=NotificationStatus.UNASSIGNED,
        recorded_by_id=actor.user_id,
        recorded_at=utcnow(),
    )
    session.add(notification)
    session.flush()

    def seal(column: str, text: str | None) -> bytes | None:
        return gate.write_text(
            actor, field(notification, column), text or None, purpose=Purpose.CASE_WORK
        )

    notification.need_ct = seal("need_ct", facts.need.strip()) or b""
    notification.notifier_name_ct = seal("notifier_name_ct", (facts.notifier_name or "").strip())
    if facts.path is NotificationPath.NO_CONSENT:
        notification.no_consent_reason_ct = seal("no_consent_reason_ct", reason)
    session.flush()
    return notification


def assign_to(session: Session, notification: Notification, user_id: uuid.UUID) -> bool:
    """Give an unassigned notification to the worker and give them the case.

    The worker becomes the responsible worker from today when the case has none, or joins
    its case team when it has another one; the case moves from NOTIFIED to ASSESSMENT.
    Returns False (changing nothing) when someone already took it.
    """
    at = utcnow()
    taken = session.execute(
        update(Notification)
        .where(
            Notification.id == notification.id,
            Notification.status == NotificationStatus.UNASSIGNED,
        )
        .values(status=NotificationStatus.ASSIGNED, assigned_to_id=user_id, assigned_at=at)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(notification)
    case = session.get_one(Case, notification.case_id)
    current = session.scalars(
        select(ResponsibleWorker).where(
            ResponsibleWorker.case_id == case.id, ResponsibleWorker.ends_on.is_(None)
        )
    ).all()
    if not current:
        session.add(
            ResponsibleWorker(
                case_id=case.id,
                worker_id=user_id,
                starts_on=helsinki_day(at),
                assigned_by_id=user_id,
                assigned_at=at,
            )
        )
    elif all(row.worker_id != user_id for row in current):
        in_team = session.scalar(
            select(CaseTeamMember.id).where(
                CaseTeamMember.case_id == case.id, CaseTeamMember.user_id == user_id
            )
        )
        if in_team is None:
            session.add(
                CaseTeamMember(case_id=case.id, user_id=user_id, added_by_id=user_id, added_at=at)
            )
    if case.phase is Phase.NOTIFIED:
        case.phase = Phase.ASSESSMENT
    session.flush()
    return True


def _queue_conditions(county_id: uuid.UUID) -> list[ColumnElement[bool]]:
    return [
        Notification.county_id == county_id,
        Notification.status == NotificationStatus.UNASSIGNED,
        Case.disposed_at.is_(None),
    ]


def unassigned_count(session: Session, county_id: uuid.UUID) -> int:
    """How many notifications wait in the county's intake queue (one query)."""
    return (
        session.scalar(
            select(func.count(Notification.id))
            .join(Case, Case.id == Notification.case_id)
            .where(*_queue_conditions(county_id))
        )
        or 0
    )


def intake_queue(
    session: Session, county_id: uuid.UUID, *, page: int = 1, per_page: int = PAGE_SIZE
) -> QueuePage:
    """The county's unassigned notifications, oldest first (two queries)."""
    total = unassigned_count(session, county_id)
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = session.execute(
        select(Notification, Client, Case)
        .join(Client, Client.id == Notification.client_id)
        .join(Case, Case.id == Notification.case_id)
        .options(joinedload(Notification.notifier_organisation))
        .where(*_queue_conditions(county_id))
        .order_by(Notification.received_at, Notification.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return QueuePage(
        rows=[QueueRow(n, client, case) for n, client, case in rows],
        page=page,
        pages=pages,
        total=total,
    )


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
