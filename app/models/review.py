"""Follow-up: reviews of the client plan, each with its participants, notes and next date,
and an assessment of each plan goal with the client's own view of it (``ReviewGoal``).

Recording a review moves the plan's review date (``ClientPlan.review_on``), which drives
the reminders on the worker's dashboard. The notes and the participants written as text
are client data and stored only as ciphertext.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.network import NetworkMember
from app.models.user import User
from consent.base import Base, encrypted, str_enum, utcnow
from consent.sections import SectionKind


class GoalProgress(enum.StrEnum):
    """Where a plan goal stands at a review."""

    ACHIEVED = "achieved"
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"
    CHANGED = "changed"  # the goal itself was changed or replaced


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
    goals: Mapped[list[ReviewGoal]] = relationship(lazy="raise", order_by="ReviewGoal.position")


class ReviewParticipant(Base):
    """A network member who took part in a review."""

    __tablename__ = "plan_review_participants"
    __table_args__ = (UniqueConstraint("review_id", "member_id"),)

    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan_reviews.id"), index=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("network_members.id"), index=True)

    member: Mapped[NetworkMember] = relationship(lazy="raise")


class ReviewGoal(Base):
    """One plan goal (the goals of a written plan section) as a review assessed it.

    ``section_version`` is the version of the section whose goals were assessed; the
    client's view is client data, stored only as ciphertext (county-only, as the notes).
    """

    __tablename__ = "plan_review_goals"
    __table_args__ = (UniqueConstraint("review_id", "section_kind"),)

    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan_reviews.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    section_kind: Mapped[SectionKind] = mapped_column(str_enum(SectionKind))
    section_version: Mapped[int]
    position: Mapped[int]  # the plan's order of sections
    progress: Mapped[GoalProgress] = mapped_column(str_enum(GoalProgress))
    client_view_ct: Mapped[bytes | None] = encrypted()
