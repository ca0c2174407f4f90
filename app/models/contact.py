"""Every contact with the client, with its channel (DOMAIN.md, requirement 14)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.user import User
from consent.base import Base, encrypted, str_enum, utcnow


class ContactChannel(enum.StrEnum):
    FACE_TO_FACE = "face_to_face"
    VIDEO = "video"
    PHONE = "phone"
    MESSAGE = "message"
    LETTER = "letter"


class Contact(Base):
    """One contact between the worker and the client: when, how, and a short encrypted note.

    ``staff_assisted``: someone else's staff made the contact possible (e.g. a prison
    officer helped at the terminal or held the phone), which the client's log shows.
    """

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_case_when", "case_id", "occurred_at"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    occurred_at: Mapped[datetime]
    channel: Mapped[ContactChannel] = mapped_column(str_enum(ContactChannel))
    staff_assisted: Mapped[bool] = mapped_column(default=False)
    note_ct: Mapped[bytes | None] = encrypted()
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    recorded_by: Mapped[User | None] = relationship(lazy="raise")
