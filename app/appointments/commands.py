"""Booking, confirming, rescheduling, cancelling and holding appointments (issue 17).

The worker books from the client's case (the web page and the API call the same command);
the client confirms the time in force; a held appointment becomes a recorded contact through
``app.contacts.commands.record_contact`` in the same transaction. Every change leaves an
``AppointmentEvent`` and every change of time or state raises the iCalendar SEQUENCE. The
worker's acts go through the gate (``AccessGate.record``) once the input has passed its
rules, so they are decided and logged like any act on the client's case.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.appointments.queries import case_staff
from app.appointments.rules import (
    ASK_EVENTS,
    ask_preference,
    may_change,
    may_record_held,
    meeting_times,
)
from app.contacts.commands import record_contact
from app.models import Case, NetworkMember, User
from app.models.appointment import (
    Appointment,
    AppointmentChannel,
    AppointmentEvent,
    AppointmentEventKind,
    AppointmentParticipant,
    AppointmentPurpose,
    AppointmentState,
    ChangeReason,
    ClientAsk,
    ClientAskReason,
    ClientPreference,
)
from app.models.contact import Contact, ContactChannel
from app.refusals import N_, Conflict, Refused
from consent.facts import Action, Actor, Purpose
from consent.sections import DataScope
from consent.status import membership_active
from sharing.gate import AccessGate


class TimesRefused(Refused):
    """Raised when the day and times are not a future Helsinki time span (see the rules)."""

    code = "appointment_times"
    field = "start_time"
    message = N_("Check the day and the times.")


class PlaceRequired(Refused):
    """Raised when a face-to-face meeting has no place."""

    code = "place_required"
    field = "place"
    message = N_("Choose where the meeting is held.")


class PlaceNotAllowed(Refused):
    """Raised when the place is neither the county nor an organisation in the network."""

    code = "place_not_allowed"
    field = "place"
    message = N_("Choose the county or an organisation in the client's network as the place.")


class ParticipantNotInNetwork(Refused):
    """Raised when a participant is not an active member of the case's network."""

    code = "participant_not_in_network"
    field = "members"
    message = N_("Choose participants from the client's current network.")


class StaffNotOnCase(Refused):
    """Raised when a staff participant neither works on the case (its responsible worker or
    team) nor books the meeting."""

    code = "staff_not_on_case"
    field = "staff"
    message = N_("Choose staff who work on the client's case.")


class AppointmentClosed(Conflict):
    """Raised when a cancelled, held or already started appointment would be changed."""

    code = "appointment_closed"
    message = N_(
        "This appointment can no longer be changed: it has been cancelled or held, "
        "or it has already started."
    )


class NotYetHeld(Conflict):
    """Raised when an appointment that has not started (or is not booked) is recorded."""

    code = "appointment_not_held"
    message = N_("Only a booked appointment that has started can be recorded as a contact.")


def _times(day: date, start: time, end: time, now: datetime) -> tuple[datetime, datetime]:
    found = meeting_times(day, start, end, now=now)
    if isinstance(found, dict):
        raise TimesRefused(errors=found)
    return found


def _members(session: Session, case: Case, ids: Collection[uuid.UUID]) -> list[NetworkMember]:
    if not ids:
        return []
    members = list(
        session.scalars(
            select(NetworkMember).where(
                NetworkMember.id.in_(set(ids)), NetworkMember.case_id == case.id
            )
        )
    )
    return members


def _staff(
    session: Session, case: Case, ids: Collection[uuid.UUID], by_id: uuid.UUID | None
) -> list[User]:
    """The chosen staff among the case's responsible worker and team and the booker."""
    if not ids:
        return []
    return [u for u in case_staff(session, case.id, by_id) if u.id in ids]


def _event(
    session: Session,
    appointment: Appointment,
    kind: AppointmentEventKind,
    *,
    at: datetime,
    by_user_id: uuid.UUID | None,
    reason: ChangeReason | None = None,
) -> None:
    session.add(
        AppointmentEvent(
            appointment_id=appointment.id,
            kind=kind,
            reason=reason,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            at=at,
            by_user_id=by_user_id,
        )
    )


def _answered(appointment: Appointment) -> None:
    """The client's open request is answered by the move or the cancellation."""
    appointment.ask = None
    appointment.ask_reason = None
    appointment.ask_preference = None
    appointment.asked_at = None


def book_appointment(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    case: Case,
    *,
    day: date,
    start: time,
    end: time,
    channel: AppointmentChannel,
    purpose: AppointmentPurpose,
    place_organisation_id: uuid.UUID | None,
    member_ids: Collection[uuid.UUID],
    staff_ids: Collection[uuid.UUID],
    by_id: uuid.UUID | None,
    now: datetime,
) -> Appointment:
    """Book an appointment on the case at ``start``–``end`` Helsinki time on ``day``.

    With no staff chosen, the booking worker takes part.

    :raises TimesRefused: with per-field codes (nonexistent or ambiguous local time, end
        not after start, too long, in the past, too far ahead).
    :raises PlaceRequired, PlaceNotAllowed: about a face-to-face meeting's place.
    :raises ParticipantNotInNetwork, StaffNotOnCase: about the participants.
    :raises AccessDenied: when the actor may not work on the client's case.
    """
    starts_at, ends_at = _times(day, start, end, now)
    members = _members(session, case, member_ids)
    if len(members) != len(set(member_ids)) or not all(
        membership_active(m.membership(), now) for m in members
    ):
        raise ParticipantNotInNetwork()
    chosen_staff = set(staff_ids) or ({by_id} if by_id is not None else set())
    staff = _staff(session, case, chosen_staff, by_id)
    if len(staff) != len(chosen_staff):
        raise StaffNotOnCase()
    if channel is AppointmentChannel.FACE_TO_FACE:
        if place_organisation_id is None:
            raise PlaceRequired()
        allowed = {case.county_id} | {
            m.organisation_id
            for m in session.scalars(select(NetworkMember).where(NetworkMember.case_id == case.id))
            if m.organisation_id is not None and membership_active(m.membership(), now)
        }
        if place_organisation_id not in allowed:
            raise PlaceNotAllowed()
    else:
        place_organisation_id = None  # a call or a video link has no place to name
    gate.record(actor, case.client_id, Action.WRITE, Purpose.CASE_WORK, DataScope.BASIC)
    appointment = Appointment(
        case_id=case.id,
        client_id=case.client_id,
        starts_at=starts_at,
        ends_at=ends_at,
        channel=channel,
        purpose=purpose,
        place_organisation_id=place_organisation_id,
        state=AppointmentState.BOOKED,
        sequence=0,
        booked_by_id=by_id,
        booked_at=now,
    )
    session.add(appointment)
    session.flush()
    for member in members:
        session.add(
            AppointmentParticipant(
                appointment_id=appointment.id,
                member_id=member.id,
                organisation_id=member.organisation_id,
            )
        )
    for user in staff:
        session.add(AppointmentParticipant(appointment_id=appointment.id, user_id=user.id))
    _event(session, appointment, AppointmentEventKind.BOOKED, at=now, by_user_id=by_id)
    session.flush()
    return appointment


def reschedule_appointment(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    appointment: Appointment,
    *,
    day: date,
    start: time,
    end: time,
    reason: ChangeReason,
    by_id: uuid.UUID | None,
    now: datetime,
) -> Appointment:
    """Move the appointment to a new time; the client's confirmation is asked again.

    :raises AppointmentClosed: unless it is booked and has not started.
    :raises TimesRefused: as ``book_appointment``.
    """
    if not may_change(appointment.state, appointment.starts_at, now):
        raise AppointmentClosed()
    starts_at, ends_at = _times(day, start, end, now)
    gate.record(actor, appointment.client_id, Action.WRITE, Purpose.CASE_WORK, DataScope.BASIC)
    appointment.starts_at, appointment.ends_at = starts_at, ends_at
    appointment.confirmed_at = None
    appointment.sequence += 1
    _answered(appointment)
    _event(
        session,
        appointment,
        AppointmentEventKind.RESCHEDULED,
        at=now,
        by_user_id=by_id,
        reason=reason,
    )
    session.flush()
    return appointment


def cancel_appointment(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    appointment: Appointment,
    *,
    reason: ChangeReason,
    by_id: uuid.UUID | None,
    now: datetime,
) -> Appointment:
    """Cancel the appointment (its ``.ics`` then says STATUS:CANCELLED).

    :raises AppointmentClosed: unless it is booked and has not started.
    """
    if not may_change(appointment.state, appointment.starts_at, now):
        raise AppointmentClosed()
    gate.record(actor, appointment.client_id, Action.WRITE, Purpose.CASE_WORK, DataScope.BASIC)
    _cancel(session, appointment, reason=reason, by_id=by_id, now=now)
    session.flush()
    return appointment


def _cancel(
    session: Session,
    appointment: Appointment,
    *,
    reason: ChangeReason,
    by_id: uuid.UUID | None,
    now: datetime,
) -> None:
    """Cancelled, with its event and a higher SEQUENCE (the ``.ics`` says STATUS:CANCELLED)."""
    appointment.state = AppointmentState.CANCELLED
    appointment.sequence += 1
    _answered(appointment)
    _event(
        session,
        appointment,
        AppointmentEventKind.CANCELLED,
        at=now,
        by_user_id=by_id,
        reason=reason,
    )


def confirm_appointment(
    session: Session, appointment: Appointment, *, by_user_id: uuid.UUID, now: datetime
) -> bool:
    """The client confirms they will come at the time in force; False if already confirmed.

    The route lets only the appointment's own client here (``URL_ARGUMENTS``).

    :raises AppointmentClosed: unless it is booked and has not started.
    """
    if not may_change(appointment.state, appointment.starts_at, now):
        raise AppointmentClosed()
    if appointment.confirmed_at is not None:
        return False
    appointment.confirmed_at = now
    _event(session, appointment, AppointmentEventKind.CONFIRMED, at=now, by_user_id=by_user_id)
    session.flush()
    return True


def cancel_case_future(
    session: Session,
    case_id: uuid.UUID,
    *,
    reason: ChangeReason,
    by_id: uuid.UUID | None,
    now: datetime,
) -> int:
    """Cancel every booked appointment of the case that has not started, with ``reason``
    (``CASE_CLOSED``, ``CASE_TRANSFERRED``): each gets its CANCELLED event and a higher
    SEQUENCE, so its ``.ics`` says STATUS:CANCELLED. Returns how many (one query, then the
    writes at the flush).

    No gate call of its own: the caller (closing the case, accepting a transfer) is the
    act the gate decided and logged, in the same unit of work.
    """
    found = session.scalars(
        select(Appointment).where(
            Appointment.case_id == case_id,
            Appointment.state == AppointmentState.BOOKED,
            Appointment.starts_at > now,
        )
    ).all()
    for appointment in found:
        _cancel(session, appointment, reason=reason, by_id=by_id, now=now)
    session.flush()
    return len(found)


def remove_member_from_future(
    session: Session, member_id: uuid.UUID, *, by_id: uuid.UUID | None, now: datetime
) -> int:
    """Take an ended membership out of the booked appointments that have not started, each
    with a PARTICIPANT_REMOVED event (reason ``MEMBERSHIP_ENDED``); returns how many.

    The meeting itself stays: the client and the county's staff still take part, and the
    worker decides whether to move or cancel it. Its organisation no longer sees it (it
    takes part in nothing), and the ``.ics`` names no participant, so its SEQUENCE stays.
    """
    found = session.execute(
        select(AppointmentParticipant, Appointment)
        .join(Appointment, Appointment.id == AppointmentParticipant.appointment_id)
        .where(
            AppointmentParticipant.member_id == member_id,
            Appointment.state == AppointmentState.BOOKED,
            Appointment.starts_at > now,
        )
    ).all()
    for participant, appointment in found:
        session.delete(participant)
        _event(
            session,
            appointment,
            AppointmentEventKind.PARTICIPANT_REMOVED,
            at=now,
            by_user_id=by_id,
            reason=ChangeReason.MEMBERSHIP_ENDED,
        )
    session.flush()
    return len(found)


def ask_about_appointment(
    session: Session,
    appointment: Appointment,
    *,
    ask: ClientAsk,
    reason: ClientAskReason,
    preference: ClientPreference | None,
    by_user_id: uuid.UUID,
    now: datetime,
) -> Appointment:
    """The client asks the worker to move or cancel the appointment, with a coded reason
    and (moving) an optional choice of a new time. A new request replaces an open one; the
    worker answers by moving or cancelling, which clears it. Nothing changes in the
    calendar until then.

    The route lets only the appointment's own client here (``URL_ARGUMENTS``).

    :raises AppointmentClosed: unless it is booked and has not started.
    """
    if not may_change(appointment.state, appointment.starts_at, now):
        raise AppointmentClosed()
    appointment.ask = ask
    appointment.ask_reason = reason
    appointment.ask_preference = ask_preference(ask, preference)
    appointment.asked_at = now
    _event(session, appointment, ASK_EVENTS[ask], at=now, by_user_id=by_user_id)
    session.flush()
    return appointment


CONTACT_CHANNELS = {
    AppointmentChannel.FACE_TO_FACE: ContactChannel.FACE_TO_FACE,
    AppointmentChannel.VIDEO: ContactChannel.VIDEO,
    AppointmentChannel.PHONE: ContactChannel.PHONE,
}


def record_as_contact(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    appointment: Appointment,
    case: Case,
    *,
    staff_assisted: bool,
    note: str | None,
    by_id: uuid.UUID | None,
    now: datetime,
) -> Contact:
    """Mark the appointment held and record it as a contact at its start, in one step.

    :raises NotYetHeld: unless it is booked and has started.
    :raises AccessDenied: when the actor may not write the client's case.
    """
    if appointment.case_id != case.id or not may_record_held(
        appointment.state, appointment.starts_at, now
    ):
        raise NotYetHeld()
    contact = record_contact(
        session,
        gate,
        actor,
        case,
        occurred_at=appointment.starts_at,
        channel=CONTACT_CHANNELS[appointment.channel],
        staff_assisted=staff_assisted,
        note=note,
        by_id=by_id,
    )
    appointment.state = AppointmentState.HELD
    appointment.contact_id = contact.id
    _event(session, appointment, AppointmentEventKind.HELD, at=now, by_user_id=by_id)
    session.flush()
    return contact
