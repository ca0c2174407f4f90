"""Intake: contacts and notifications to social welfare (SHL 1301/2014 § 35) and their queue.

The notifier's name, the need described and the reason for a notification without consent
are ciphertext (``*_ct``) sealed by the access gate in the client's county-only scope.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.organisation import Organisation
from app.models.user import User
from consent.base import Base, encrypted, str_enum, utcnow


class NotifierKind(enum.StrEnum):
    """Who made the contact or notification."""

    CLIENT = "client"  # the person themselves
    REPRESENTATIVE = "representative"  # e.g. a guardian or a lawyer
    PRISON_STAFF = "prison_staff"
    PROBATION_STAFF = "probation_staff"
    OTHER_AUTHORITY = "other_authority"
    OTHER = "other"


class Channel(enum.StrEnum):
    PHONE = "phone"
    LETTER = "letter"
    MESSAGE = "message"  # secure message or e-mail
    FACE_TO_FACE = "face_to_face"
    VIDEO = "video"
    E_FORM = "e_form"  # electronic notification form


class NotificationPath(enum.StrEnum):
    """The lawful path of the notification (SHL § 35)."""

    CONSENT = "consent"  # with the person's consent
    # Without consent: only when the person manifestly cannot look after their own care,
    # health or safety; the reason is then recorded.
    NO_CONSENT = "no_consent"


class ConsentManner(enum.StrEnum):
    """How the person gave their consent to a notification on the consent path."""

    IN_WRITING = "in_writing"  # signed on paper
    ORALLY = "orally"  # said so to the notifier, who wrote it down
    ELECTRONICALLY = "electronically"  # e.g. a form in the prison's own system


class NotificationStatus(enum.StrEnum):
    UNASSIGNED = "unassigned"  # in the county's intake queue
    ASSIGNED = "assigned"  # a worker has taken it
    CLOSED_NO_ACTION = "closed_no_action"


class Notification(Base):
    """A contact or notification to the county's social welfare about one client."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_queue", "county_id", "status", "received_at"),)

    county_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    received_at: Mapped[datetime]
    contacted_on: Mapped[date]  # the day the notifier made contact (Helsinki)
    notifier_kind: Mapped[NotifierKind] = mapped_column(str_enum(NotifierKind))
    notifier_name_ct: Mapped[bytes | None] = encrypted()
    notifier_organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id")
    )
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    need_ct: Mapped[bytes] = encrypted()
    path: Mapped[NotificationPath] = mapped_column(str_enum(NotificationPath))
    no_consent_reason_ct: Mapped[bytes | None] = encrypted()
    # How consent was given (the consent path); recorded when prison or probation staff send.
    consent_manner: Mapped[ConsentManner | None] = mapped_column(str_enum(ConsentManner))
    status: Mapped[NotificationStatus] = mapped_column(
        str_enum(NotificationStatus), default=NotificationStatus.UNASSIGNED
    )
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_to_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_at: Mapped[datetime | None]

    notifier_organisation: Mapped[Organisation | None] = relationship(
        foreign_keys=[notifier_organisation_id], lazy="raise"
    )
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id], lazy="raise")
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id], lazy="raise")
