"""Appointments and network meetings with the client (issue 17): when, where, who, and history.

Everything here is a coded fact in clear (times, channel, the place as an organisation of the
directory, the purpose as a code, participants as network memberships or county staff): no
free text is stored, so nothing in these tables is client content to seal. A free-text place
or note could name a clinic or a topic that a participant may not see; the codes cannot.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.network import NetworkMember
from app.models.organisation import Organisation
from app.models.user import User
from consent.base import Base, str_enum, utcnow


class AppointmentChannel(enum.StrEnum):
    FACE_TO_FACE = "face_to_face"
    VIDEO = "video"
    PHONE = "phone"


class AppointmentPurpose(enum.StrEnum):
    """What the meeting is for, in words every participant may read (no plan area named)."""

    APPOINTMENT = "appointment"  # the client and the worker
    NETWORK_MEETING = "network_meeting"  # verkostopalaveri
    PLAN_REVIEW = "plan_review"
    RELEASE_PLANNING = "release_planning"


class AppointmentState(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    HELD = "held"  # recorded as a contact


class ChangeReason(enum.StrEnum):
    """Why an appointment was rescheduled or cancelled (coded: no free text to seal)."""

    CLIENT_ASKED = "client_asked"
    CLIENT_UNWELL = "client_unwell"
    WORKER_UNAVAILABLE = "worker_unavailable"
    PARTICIPANT_UNAVAILABLE = "participant_unavailable"
    CIRCUMSTANCES_CHANGED = "circumstances_changed"
    OTHER = "other"
    # Set by the service, never chosen by a worker: the case or the membership ended.
    CASE_CLOSED = "case_closed"
    CASE_TRANSFERRED = "case_transferred"
    MEMBERSHIP_ENDED = "membership_ended"


# What a worker may give as the reason of a move or a cancellation (forms and the API).
WORKER_REASONS = (
    ChangeReason.CLIENT_ASKED,
    ChangeReason.CLIENT_UNWELL,
    ChangeReason.WORKER_UNAVAILABLE,
    ChangeReason.PARTICIPANT_UNAVAILABLE,
    ChangeReason.CIRCUMSTANCES_CHANGED,
    ChangeReason.OTHER,
)


class ClientAsk(enum.StrEnum):
    """What the client asks of an appointment from "My appointments"."""

    MOVE = "move"
    CANCEL = "cancel"


class ClientAskReason(enum.StrEnum):
    """Why the client asks (coded: the client writes no free text here)."""

    UNWELL = "unwell"
    CLASH = "clash"  # another appointment, work, a visit, the prison's schedule
    TRAVEL = "travel"  # cannot get there
    OTHER = "other"


class ClientPreference(enum.StrEnum):
    """The client's optional short choice of a new time when asking to move."""

    MORNING = "morning"
    AFTERNOON = "afternoon"
    NEXT_WEEK = "next_week"


class AppointmentEventKind(enum.StrEnum):
    BOOKED = "booked"
    CONFIRMED = "confirmed"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    HELD = "held"
    ASKED_MOVE = "asked_move"  # the client asked to move it
    ASKED_CANCEL = "asked_cancel"  # the client asked to cancel it
    PARTICIPANT_REMOVED = "participant_removed"  # a membership ended before the meeting


class Appointment(Base):
    """One appointment or network meeting of a case, stored as UTC instants.

    ``sequence`` is the iCalendar SEQUENCE: it grows with every reschedule and the
    cancellation, so a calendar that imported the ``.ics`` replaces its copy (the UID,
    built from ``id``, never changes).
    """

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(
            "(ask IS NULL) = (ask_reason IS NULL) AND (ask IS NULL) = (asked_at IS NULL)",
            name="ask_complete",
        ),
        Index("ix_appointments_case_starts", "case_id", "starts_at"),
        Index("ix_appointments_client_starts", "client_id", "starts_at"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    channel: Mapped[AppointmentChannel] = mapped_column(str_enum(AppointmentChannel))
    place_organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    purpose: Mapped[AppointmentPurpose] = mapped_column(str_enum(AppointmentPurpose))
    state: Mapped[AppointmentState] = mapped_column(
        str_enum(AppointmentState), default=AppointmentState.BOOKED
    )
    confirmed_at: Mapped[datetime | None]  # the client's confirmation of the current time
    sequence: Mapped[int] = mapped_column(default=0)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id"))
    booked_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    booked_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The client's open request to move or cancel (all four or none), answered (cleared)
    # when the worker moves or cancels the appointment.
    ask: Mapped[ClientAsk | None] = mapped_column(str_enum(ClientAsk))
    ask_reason: Mapped[ClientAskReason | None] = mapped_column(str_enum(ClientAskReason))
    ask_preference: Mapped[ClientPreference | None] = mapped_column(str_enum(ClientPreference))
    asked_at: Mapped[datetime | None]

    place: Mapped[Organisation | None] = relationship(lazy="raise")

    @property
    def uid(self) -> str:
        """The iCalendar UID: stable across reschedules, naming nobody."""
        return f"{self.id}@tukiverkko"


class AppointmentParticipant(Base):
    """A participant besides the client: a network member (organisation or person) or a
    member of the county's staff."""

    __tablename__ = "appointment_participants"
    __table_args__ = (
        CheckConstraint("(member_id IS NULL) <> (user_id IS NULL)", name="member_or_staff"),
        CheckConstraint("organisation_id IS NULL OR member_id IS NOT NULL", name="member_org"),
        # An organisation's meetings are found from its own participations, whatever the
        # number of appointments in the country (a national partner is in most networks).
        Index("ix_appointment_participants_organisation", "organisation_id", "appointment_id"),
    )

    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointments.id"), index=True)
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("network_members.id"), index=True
    )
    # The member's organisation (a membership never changes organisation), None for a person
    # or staff: copied here so the organisation's meetings are one index range.
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)

    member: Mapped[NetworkMember | None] = relationship(lazy="raise")
    user: Mapped[User | None] = relationship(lazy="raise")


class AppointmentEvent(Base):
    """The appointment's history (append-only): each booking, confirmation, new time,
    cancellation and holding, with the times it left and the coded reason."""

    __tablename__ = "appointment_events"

    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointments.id"), index=True)
    kind: Mapped[AppointmentEventKind] = mapped_column(str_enum(AppointmentEventKind))
    reason: Mapped[ChangeReason | None] = mapped_column(str_enum(ChangeReason))
    starts_at: Mapped[datetime]  # the time in force after the event
    ends_at: Mapped[datetime]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
