"""Intake: creating clients, recording notifications and taking a case from the queue.

Access design (SHL § 35; the gate's rule that a colleague without a relationship may list
names but not open a case):

- Recording is a work task. The worker who receives a notification has no relationship to
  the client yet, so ``record_intake_work_task`` records a work-task reason for them (valid to
  the end of the day, like any work task) before anything is encrypted; the gate then allows
  the writes and logs them with that basis. A worker who already works on the case needs none.
- Prison and probation staff send a notification themselves (``send_staff_notification``).
  They have no right to the county's data: the system seals what they wrote on their behalf
  (the log names their user and organisation), and what they see back is the state of what
  they sent (``app.intake.rules.sent_state``), never the case.
- The queue and an unassigned notification show only metadata and the client's name
  (``Purpose.LIST``). Reading the need requires ``Purpose.CASE_WORK``: a worker who opens it
  to decide on it records an intake work task ("Read the notification"), logged like any.
- Then three explicit steps, each its own command: taking the notification (``take``),
  appointing the responsible worker (``appoint_responsible_worker``), and starting the
  service-need assessment (``start_assessment``).

Commands take a Session and flush, never commit; they raise typed refusals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.cases.commands import appoint, change_phase, record_work_task
from app.cases.queries import latest_cases
from app.intake import identity_code
from app.intake.queries import may_do_case_work
from app.intake.search import client_with_identity_code
from app.models import (
    Case,
    Client,
    Organisation,
    OrgKind,
    Phase,
    ResponsibleWorker,
    ServiceTask,
    User,
    WorkTaskReason,
)
from app.models.intake import (
    Channel,
    ConsentManner,
    Notification,
    NotificationPath,
    NotificationStatus,
    NotifierKind,
)
from app.refusals import N_, Conflict, NotFound, Refused
from consent.base import utcnow
from consent.facts import Actor, ActorRole, Purpose
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


class ConsentMannerMissing(Refused):
    """Raised when a notification on the consent path does not say how consent was given."""

    code = "consent_manner_missing"
    field = "consent_manner"
    message = N_("Choose how the person gave their consent.")


class CountyMissing(Refused):
    """Raised when a staff notification names no county, or one that is not a county."""

    code = "county_missing"
    field = "county_id"
    message = N_("Choose the client's county.")


class ContactInFuture(Refused):
    """Raised when the day of contact is after today."""

    code = "contact_in_future"
    field = "contacted_on"
    message = N_("The date cannot be in the future.")


class NotANotifier(NotFound):
    """Raised when someone not on the staff of a prison or probation office would send."""

    code = "not_a_notifier"


class NotYours(Conflict):
    """Raised when a step after taking is asked of a notification someone else took."""

    code = "not_yours"
    message = N_("Take the notification first: only the worker who took it does this.")


class AssessmentAlreadyStarted(Conflict):
    """Raised when starting the assessment of a case that is past the notified phase."""

    code = "assessment_already_started"
    message = N_("The case is already past intake.")


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
    service_task: ServiceTask = ServiceTask.ADULT_SOCIAL_WORK


@dataclass(frozen=True)
class StaffNotification:
    """What prison or probation staff send about a person to the person's county."""

    county_id: uuid.UUID | None
    name: str
    identity_code: str | None
    need: str
    path: NotificationPath
    consent_manner: ConsentManner | None = None
    no_consent_reason: str | None = None
    contacted_on: date | None = None  # today when not given
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
    consent_manner: ConsentManner | None = None


def record_intake_work_task(
    session: Session, gate: AccessGate, actor: Actor, case: Case, reason: str
) -> WorkTaskReason | None:
    """Record the intake work task that lets the receiving worker write, unless not needed."""
    if may_do_case_work(session, actor, case.client_id):
        return None
    return record_work_task(session, gate, actor, case, reason)


def open_case(
    session: Session,
    client: Client,
    county_id: uuid.UUID,
    service_task: ServiceTask = ServiceTask.ADULT_SOCIAL_WORK,
) -> Case:
    """A new case in phase NOTIFIED for a known client whose newest case is closed, in the
    service task the worker chose (it sets the retention period once the case closes)."""
    case = Case(
        client_id=client.id, county_id=county_id, phase=Phase.NOTIFIED, service_task=service_task
    )
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
        service_task=new.service_task,
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
    _check_facts(facts)
    record_intake_work_task(session, gate, actor, case, work_task_reason)
    return _add_notification(session, gate, actor, case, facts)


def _check_facts(facts: NotificationFacts) -> None:
    if not facts.need.strip():
        raise NeedMissing()
    if facts.path is NotificationPath.NO_CONSENT and not (facts.no_consent_reason or "").strip():
        raise NoConsentReasonMissing()


def _add_notification(
    session: Session, gate: AccessGate, writer: Actor, case: Case, facts: NotificationFacts
) -> Notification:
    """The notification row, its texts sealed by ``writer`` (flushes)."""
    assert writer.user_id is not None  # someone signed in records every notification
    no_consent = facts.path is NotificationPath.NO_CONSENT
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
        consent_manner=None if no_consent else facts.consent_manner,
        status=NotificationStatus.UNASSIGNED,
        recorded_by_id=writer.user_id,
        recorded_at=utcnow(),
    )
    session.add(notification)
    session.flush()

    gate.write_fields(
        writer,
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
                (facts.no_consent_reason or "").strip() if no_consent else None,
            ),
        ],
        purpose=Purpose.CASE_WORK,
    )
    session.flush()
    return notification


# -- prison and probation staff send a notification themselves ---------------------------


def on_behalf_of(actor: Actor) -> Actor:
    """The system sealing what prison or probation staff wrote into the county's record.

    Staff of another authority may notify (SHL § 35) but never read the county's data,
    so the decision is not theirs to pass: the system seals, and its log entries carry
    the sender's user and organisation, so the client sees who it was.
    """
    return Actor(ActorRole.SYSTEM, user_id=actor.user_id, organisation_id=actor.organisation_id)


def send_staff_notification(
    session: Session,
    gate: AccessGate,
    keyring: Keyring,
    actor: Actor,
    sent: StaffNotification,
    *,
    notifier_name: str,
) -> Notification:
    """Send a notification from prison or probation staff to the person's county.

    A client of that county with the same identity code gets the notification on their
    newest case (a closed case gives way to a new one); otherwise a new client is
    created, as a worker recording it would. The answer is the same either way: the
    sender learns nothing of the county's clients.

    :raises NotANotifier: when the actor is not staff of a prison or probation office.
    :raises CountyMissing: when ``county_id`` is not a county.
    :raises NameMissing: when the name is empty.
    :raises InvalidIdentityCode: when an identity code given is not a valid one.
    :raises NeedMissing: when the need is empty.
    :raises ConsentMannerMissing: when the consent path does not say how consent was given.
    :raises NoConsentReasonMissing: when the no-consent path has no reason.
    :raises ContactInFuture: when the day of contact is after today.
    """
    organisation = (
        session.get(Organisation, actor.organisation_id) if actor.organisation_id else None
    )
    if (
        actor.role is not ActorRole.PARTNER
        or actor.user_id is None
        or organisation is None
        or not organisation.kind.sends_care_notifications
    ):
        raise NotANotifier()
    county = session.get(Organisation, sent.county_id) if sent.county_id else None
    if county is None or county.kind is not OrgKind.COUNTY:
        raise CountyMissing()
    name = sent.name.strip()
    if not name:
        raise NameMissing()
    code = (sent.identity_code or "").strip() or None
    if code:
        identity_code.parse(code)
    now = utcnow()
    contacted_on = sent.contacted_on or helsinki_day(now)
    if contacted_on > helsinki_day(now):
        raise ContactInFuture()
    prison = organisation.kind is OrgKind.PRISON
    facts = NotificationFacts(
        received_at=now,
        contacted_on=contacted_on,
        notifier_kind=NotifierKind.PRISON_STAFF if prison else NotifierKind.PROBATION_STAFF,
        channel=Channel.E_FORM,
        need=sent.need,
        path=sent.path,
        notifier_name=notifier_name,
        notifier_organisation_id=organisation.id,
        no_consent_reason=sent.no_consent_reason,
        consent_manner=sent.consent_manner,
    )
    _check_facts(facts)
    if sent.path is NotificationPath.CONSENT and sent.consent_manner is None:
        raise ConsentMannerMissing()
    writer = on_behalf_of(actor)
    case = _known_case(session, keyring, county.id, code)
    if case is None:
        case = _new_client(session, gate, keyring, writer, county.id, name, code)
        if prison:
            case.prison_id = organisation.id
        else:
            case.probation_office_id = organisation.id
        case.conditional_release = sent.conditional_release
    return _add_notification(session, gate, writer, case, facts)


def _known_case(
    session: Session, keyring: Keyring, county_id: uuid.UUID, code: str | None
) -> Case | None:
    """The case a notification about the county's known client goes to, or None."""
    client = client_with_identity_code(session, keyring, county_id, code) if code else None
    case = latest_cases(session, [client.id]).get(client.id) if client else None
    if client is None or case is None or case.disposed_at is not None:
        return None
    if case.closed_at is not None:  # a new notification opens a new case
        return open_case(session, client, county_id)
    return case


def _new_client(
    session: Session,
    gate: AccessGate,
    keyring: Keyring,
    writer: Actor,
    county_id: uuid.UUID,
    name: str,
    code: str | None,
) -> Case:
    client = Client(county_id=county_id, name_ct=b"")
    session.add(client)
    case = Case(client_id=client.id, county_id=county_id, phase=Phase.NOTIFIED)
    session.add(case)
    session.flush()
    normalised = blind_index.normalise_identity_code(code) if code else None
    gate.write_fields(
        writer,
        [(client, Client.name_ct, name), (client, Client.identity_code_ct, normalised)],
        purpose=Purpose.CASE_WORK,
    )
    blind_index.index_client(session, keyring, client.id, name, normalised)
    session.flush()
    return case


# -- the receiving worker: read, take, appoint, start --------------------------------------


def take(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    notification: Notification,
    *,
    work_task_reason: str,
) -> None:
    """Take an unassigned notification: it is the actor's to handle from now on.

    Nothing else changes: appointing the responsible worker and starting the assessment
    are steps of their own. A worker without a relationship to the case gets an intake
    work task for today (``work_task_reason``), so they can read what they took.

    :raises AlreadyTaken: when someone already took it (nothing is changed).
    """
    assert actor.user_id is not None
    taken = session.execute(
        update(Notification)
        .where(
            Notification.id == notification.id,
            Notification.status == NotificationStatus.UNASSIGNED,
        )
        .values(
            status=NotificationStatus.ASSIGNED, assigned_to_id=actor.user_id, assigned_at=utcnow()
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]  # Result of an UPDATE is a CursorResult
        raise AlreadyTaken()
    session.refresh(notification)
    case = session.get_one(Case, notification.case_id)
    record_intake_work_task(session, gate, actor, case, work_task_reason)
    session.flush()


def _taken_by(session: Session, notification: Notification, user_id: uuid.UUID | None) -> Case:
    """The notification's case, when ``user_id`` took the notification."""
    if notification.status is not NotificationStatus.ASSIGNED or (
        notification.assigned_to_id != user_id
    ):
        raise NotYours()
    return session.get_one(Case, notification.case_id)


def appoint_responsible_worker(
    session: Session, actor: Actor, notification: Notification, worker: User | None
) -> ResponsibleWorker:
    """Appoint the client's responsible worker (omatyöntekijä) from today, as the worker
    who took the notification.

    :raises NotYours: unless the actor took the notification.
    :raises AppointmentRefused: when the worker is not a caseworker of the county, or is
        the current one already (``app.cases.rules.appointment_problem``).
    """
    case = _taken_by(session, notification, actor.user_id)
    today = helsinki_day(utcnow())
    return appoint(session, case, worker, today, actor.user_id, today)


def start_assessment(session: Session, actor: Actor, notification: Notification) -> None:
    """Move the case from intake to the service-need assessment, as the worker who took it.

    :raises NotYours: unless the actor took the notification.
    :raises AssessmentAlreadyStarted: when the case is past the notified phase.
    :raises CaseClosed: when the case is closed.
    """
    case = _taken_by(session, notification, actor.user_id)
    if case.phase is not Phase.NOTIFIED:
        raise AssessmentAlreadyStarted()
    change_phase(session, case, Phase.ASSESSMENT, actor.user_id)
