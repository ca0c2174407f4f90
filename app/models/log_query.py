"""A client's "I don't recognise this" query about one entry of their access log.

The client asks about an entry on their "who has looked at my information" page; the
query goes to the responsible worker (omatyöntekijä) of the client's case, who looks
into it and answers, or, when the entry records that worker's own access, to the worker's
team lead or designated deputy (``app.models.team_lead``). The client and the worker name
a query by its short ``reference`` (``LQ-7K3M``); the id stays internal. The client's
optional note and the worker's answer are client data and are stored only as ciphertext.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, encrypted, str_enum, utcnow


class LogQueryStatus(enum.StrEnum):
    OPEN = "open"  # waiting for the responsible worker
    ANSWERED = "answered"  # the worker has looked into it and told the client
    CLOSED = "closed"


class LogQuery(Base):
    """One query about one access-log entry, for the case's responsible worker."""

    __tablename__ = "log_queries"
    __table_args__ = (Index("ix_log_queries_case_status", "case_id", "status"),)

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    # "LQ-" and letters and digits no one mixes up on the phone (``app.client_log.rules``).
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    # The access-log entry asked about (the log is append-only, so the entry stays).
    # No foreign key: nothing may reference the append-only log in a way that blocks it.
    entry_id: Mapped[uuid.UUID] = mapped_column(index=True)
    note_ct: Mapped[bytes | None] = encrypted()
    # The worker's answer to the client (ciphertext, client data like the note).
    answer_ct: Mapped[bytes | None] = encrypted()
    status: Mapped[LogQueryStatus] = mapped_column(
        str_enum(LogQueryStatus), default=LogQueryStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    assisted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
