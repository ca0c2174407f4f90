"""Intake: creating clients, recording notifications and taking a case from the queue.

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

Commands take a Session and flush, never commit; they raise typed refusals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.cases.commands import record_work_task
from app.intake import identity_code
from app.intake.queries import may_do_case_work
from app.models import Case, CaseTeamMember, Client, Phase, ResponsibleWorker, WorkTaskReason
from app.models.intake import (
    Channel,
    Notification,
    NotificationPath,
    NotificationStatus,
    NotifierKind,
)
from app.refusals import N_, Conflict, NotFound, Refused
from consent.base import utcnow
from consent.facts import Actor, Purpose
from consent.status import helsinki_day
from sharing import blind_index
from sharing.fields import field_ref
from sharing.gate import AccessGate
from sharing.keys import Keyring


class NameMissing(Refused):
    """Raised when a new client has no name."""

    code = "name_missing"
    field = "name"
    message = N_("Enter the client's name, or search and choose an existing client.")


class NeedMissing(Refused):
    """Raised when a notification does not describe the need."""

    code = "need_missing"
    field = "need"
    message = N_("Describe the need.")


class NoConsentReasonMissing(Refused):
    """Raised when a notification without consent does not give its reason (SHL § 35)."""

    code = "no_consent_reason_missing"
    field = "no_consent_reason"
    message = N_(
        "Give the reason. Without consent, a notification is allowed only when the "
        "person manifestly cannot look after their own care, health or safety."
    )


class NoCounty(NotFound):
    """Raised when someone who belongs to no county would create a client."""

    code = "no_county"


class AlreadyTaken(Conflict):
    """Raised when assigning a notification that someone has already taken."""

    code = "already_taken"
    message = N_("This notification had already been taken.")


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


def record_intake_work_task(
    session: Session, gate: AccessGate, actor: Actor, case: Case, reason: str
) -> WorkTaskReason | None:
    """Record the intake work task that lets the receiving worker write, unless not needed."""
    if may_do_case_work(session, actor, case.client_id):
        return None
    return record_work_task(session, gate, actor, case, reason)


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

    :raises NameMissing: when the name is empty.
    :raises InvalidIdentityCode: when the identity code given is not a valid one.
    :raises NoCounty: when the actor belongs to no county.
    """
    name = new.name.strip()
    if not name:
        raise NameMissing()
    if actor.organisation_id is None:
        raise NoCounty()
    if new.identity_code:
        identity_code.parse(new.identity_code)
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
    code = blind_index.normalise_identity_code(new.identity_code) if new.identity_code else None
    client.name_ct = (
        gate.write_text(actor, field_ref(client, Client.name_ct), name, purpose=Purpose.CASE_WORK)
        or b""
    )
    client.identity_code_ct = gate.write_text(
        actor, field_ref(client, Client.identity_code_ct), code or None, purpose=Purpose.CASE_WORK
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

    :raises NeedMissing: when the need is empty.
    :raises NoConsentReasonMissing: when the no-consent path has no reason.
    """
    if not facts.need.strip():
        raise NeedMissing()
    reason = (facts.no_consent_reason or "").strip()
    if facts.path is NotificationPath.NO_CONSENT and not reason:
        raise NoConsentReasonMissing()
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

    gate.write_fields(
        actor,
        [
            (notification, Notification.need_ct, facts.need.strip()),
            (
                notification,
                Notification.notifier_name_ct,
                (facts.notifier_name or "").strip() or None,
            ),
            (
                notification,
                Notification.no_consent_reason_ct,
                reason if facts.path is NotificationPath.NO_CONSENT else None,
            ),
        ],
        purpose=Purpose.CASE_WORK,
    )
    session.flush()
    return notification


def assign_to(session: Session, notification: Notification, user_id: uuid.UUID) -> None:
    """Give an unassigned notification to the worker and give them the case.

    The worker becomes the responsible worker from today when the case has none, or joins
    its case team when it has another one; the case moves from NOTIFIED to ASSESSMENT.

    :raises AlreadyTaken: when someone already took it (nothing is changed).
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
    if taken.rowcount != 1:  # type: ignore[attr-defined]  # Result of an UPDATE is a CursorResult
        raise AlreadyTaken()
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
