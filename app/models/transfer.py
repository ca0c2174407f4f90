"""County transfers: a client's case handed over to the county that is now their home county.

The record of a transfer is the sending county's to keep after the case has gone (with its
own access-log entries): who proposed it, why, who answered and how, and which consents
ended with it (``consent.transfer``). Reasons are codes, so no client text is stored here.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.organisation import Organisation
from app.models.user import User
from consent.base import Base, str_enum, utcnow


class TransferState(enum.StrEnum):
    """Proposed, then answered once: accepted or declined by the receiving county, or
    withdrawn by the sending one before an answer (``app.transfer.rules``)."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class TransferReason(enum.StrEnum):
    """Why the sending county proposes the transfer."""

    MOVED = "moved"  # the client's home county (kotikunta) changed
    MOVING_ON_RELEASE = "moving_on_release"  # the client settles there on release
    CLIENT_REQUEST = "client_request"  # at the client's request, with a reason to live there


class DeclineReason(enum.StrEnum):
    """Why the receiving county declines."""

    NOT_RESIDENT = "not_resident"  # the client's home county is not this county
    NEEDS_INFORMATION = "needs_information"  # the counties must agree on more first
    OTHER_COUNTY = "other_county"  # another county is responsible


class CountyTransfer(Base):
    """One proposal to move a client's case from one county to another, and its answer."""

    __tablename__ = "county_transfers"
    __table_args__ = (
        # At most one unanswered proposal per case.
        Index(
            "uq_county_transfers_proposed",
            "case_id",
            unique=True,
            sqlite_where=text("state = 'proposed'"),
            postgresql_where=text("state = 'proposed'"),
        ),
        # The receiving county's list of proposals waiting for an answer.
        Index("ix_county_transfers_to_state", "to_county_id", "state"),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    from_county_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    to_county_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    state: Mapped[TransferState] = mapped_column(
        str_enum(TransferState), default=TransferState.PROPOSED
    )
    reason: Mapped[TransferReason] = mapped_column(str_enum(TransferReason))
    proposed_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]
    decline_reason: Mapped[DeclineReason | None] = mapped_column(str_enum(DeclineReason))
    # On acceptance: the ids of the consents that ended with the transfer (``consent.transfer``).
    ended_consent_ids: Mapped[list[str]] = mapped_column(JSON, default=list)

    from_county: Mapped[Organisation] = relationship(foreign_keys=[from_county_id], lazy="raise")
    to_county: Mapped[Organisation] = relationship(foreign_keys=[to_county_id], lazy="raise")
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id], lazy="raise")
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id], lazy="raise")


class TransferAnswerNotice(Base):
    """Tells the sending case's responsible worker that the receiving county answered a
    transfer (accepted or declined): a dashboard item until the worker acknowledges it."""

    __tablename__ = "transfer_answer_notices"
    __table_args__ = (
        # The worker's unacknowledged answers (the dashboard's count and list).
        Index("ix_transfer_answer_notices_user_seen", "user_id", "seen_at"),
    )

    transfer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("county_transfers.id"), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime | None]

    transfer: Mapped[CountyTransfer] = relationship(lazy="raise")
