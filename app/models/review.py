"""Follow-up: reviews of the client plan, each with its participants, notes and next date.

Recording a review moves the plan's review date (``ClientPlan.review_on``), which drives
the reminders on the worker's dashboard. The notes and the participants written as text
are client data and stored only as ciphertext.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.network import NetworkMember
from app.models.user import User
from consent.base import Base, encrypted, utcnow


class PlanReview(Base):
    """A review of the client plan held with the client and the network."""

    __tablename__ = "plan_reviews"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    held_on: Mapped[date]
    client_took_part: Mapped[bool] = mapped_column(default=True)
    other_participants_ct: Mapped[bytes | None] = encrypted()  # free text
    notes_ct: Mapped[bytes | None] = encrypted()
    next_review_on: Mapped[date | None]  # empty: no further review agreed
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    recorded_by: Mapped[User | None] = relationship(lazy="raise")
    participants: Mapped[list[ReviewParticipant]] = relationship(lazy="raise")


class ReviewParticipant(Base):
    """A network member who took part in a review."""

    __tablename__ = "plan_review_participants"
    __table_args__ = (UniqueConstraint("review_id", "member_id"),)

    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan_reviews.id"), index=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("network_members.id"), index=True)

    member: Mapped[NetworkMember] = relationship(lazy="raise")
