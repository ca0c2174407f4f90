"""The client's log request (Client Data Act 703/2023): who processed their information and
to whom it was disclosed, and the county's setting of how much detail the answer gives.

A worker (on the client's record) or the client (on their own pages) starts a request for a
period (two years back by default); the controller answers it within the statutory time
(``due_on``: 30 days from the request, extendable once by a reasoned decision) with a
printable document built from the access log, or refuses it in writing with reasons. The
answer is not a copy: the access log is append-only, so the document is the log's entries of
the period up to ``answered_at``, said with the detail recorded on the request when it was
answered (``detail``). Free text (the extension's and the refusal's reasons) is client data
and stored only as ciphertext.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, encrypted, str_enum, utcnow


class LogDetail(enum.StrEnum):
    """How much a log request's answer says about who processed the information."""

    ROLE_AND_DATE = "role_and_date"  # organisation, role and day (the default)
    NAMES_AND_TIMES = "names_and_times"  # also staff names and exact times


class LogRequestState(enum.StrEnum):
    PENDING = "pending"  # waiting for the controller's answer
    ANSWERED = "answered"  # the document is ready for the client
    REFUSED = "refused"  # refused in writing, with reasons


class CountySetting(Base):
    """A county's own settings, edited by the county's administrator."""

    __tablename__ = "county_settings"

    county_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), unique=True)
    log_request_detail: Mapped[LogDetail] = mapped_column(
        str_enum(LogDetail), default=LogDetail.ROLE_AND_DATE
    )
    # The county's indicators join the national pooled statistics (``app.statistics.national``).
    national_statistics: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class LogRequest(Base):
    """One client's request for the log of their information over a period."""

    __tablename__ = "log_requests"
    __table_args__ = (Index("ix_log_requests_case_state", "case_id", "state"),)

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    county_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    # "LR-" and letters and digits no one mixes up on the phone (``app.client_log.rules``).
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    period_from: Mapped[date]
    period_to: Mapped[date]
    language: Mapped[str] = mapped_column(String(8))  # the document's: fi, sv or en
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    by_client: Mapped[bool] = mapped_column(default=False)  # started on the client's pages
    due_on: Mapped[date]  # the statutory deadline (extended: the new one)
    extended_at: Mapped[datetime | None]
    extended_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    extension_reason_ct: Mapped[bytes | None] = encrypted()
    state: Mapped[LogRequestState] = mapped_column(
        str_enum(LogRequestState), default=LogRequestState.PENDING
    )
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    detail: Mapped[LogDetail | None] = mapped_column(str_enum(LogDetail))  # as answered
    refusal_reason_ct: Mapped[bytes | None] = encrypted()
