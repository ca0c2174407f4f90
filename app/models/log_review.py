"""Flags of the log review that a reviewer has looked into: who, when, and their note.

The flags themselves are not stored: ``app.log_review.rules.flags`` finds them in the access
log whenever a period is reviewed, and names each by its kind and the log entry that shows
it. A row here says that one was reviewed. The note is the reviewer's own words about what
they found, for the county's self-supervision; the form asks for no client data in it.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, str_enum, utcnow


class FlagKind(enum.StrEnum):
    MANY_CLIENTS = "many_clients"  # many different clients opened in a short time
    OUTSIDE_HOURS = "outside_hours"  # a read in the evening, at night, at a weekend or holiday
    CLOSED_CASE = "closed_case"  # a read of a client whose case had closed
    DENIED = "denied"  # an attempt the gate refused
    WORK_TASKS = "work_tasks"  # a work task given as the reason again and again


class FlagReview(Base):
    """One flag marked reviewed (at most once: a second review is refused)."""

    __tablename__ = "log_flag_reviews"
    __table_args__ = (UniqueConstraint("kind", "entry_id"),)

    kind: Mapped[FlagKind] = mapped_column(str_enum(FlagKind))
    entry_id: Mapped[uuid.UUID]  # the access-log entry that shows it (no key: the log stands alone)
    client_id: Mapped[uuid.UUID] = mapped_column(index=True)  # the entry's client
    note: Mapped[str] = mapped_column(String(1000))
    reviewed_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)
