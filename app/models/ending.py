"""Ending: each service ended with the client, and the case closed (DOMAIN.md, process step 7).

The client's view, the worker's assessment, what continues after and the closing summary
are ciphertext sealed by the access gate; these classes never decrypt.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.user import User
from consent.base import Base, encrypted, utcnow


class ServiceEnding(Base):
    """The end of one service: a network member's part, or a parallel service (its plan).

    Assessed with the client: their own view in their own words, the worker's assessment,
    whether the client agreed, and what continues after. A member's ending ends the
    membership unless the worker chose to keep it (``membership_kept``, e.g. an NGO that
    continues voluntarily). A service the worker ended with the case's closure, without
    an assessment of its own, has ``ended_with_case`` and no texts.

    One ending per member and per parallel plan (NULLs are distinct in unique constraints).
    """

    __tablename__ = "service_endings"
    __table_args__ = (
        CheckConstraint(
            "(member_id IS NULL) <> (parallel_plan_id IS NULL)", name="member_or_parallel_plan"
        ),
        CheckConstraint(
            "ended_with_case OR (client_view_ct IS NOT NULL AND worker_assessment_ct IS NOT NULL"
            " AND client_agreed IS NOT NULL)",
            name="assessed_or_ended_with_case",
        ),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("network_members.id"), unique=True
    )
    parallel_plan_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("parallel_plans.id"), unique=True
    )
    ended_on: Mapped[date]  # Helsinki calendar day the service ended
    client_view_ct: Mapped[bytes | None] = encrypted()  # in the client's words
    worker_assessment_ct: Mapped[bytes | None] = encrypted()
    client_agreed: Mapped[bool | None]  # None only when ended with the case unassessed
    continues_ct: Mapped[bytes | None] = encrypted()  # what continues after
    membership_kept: Mapped[bool] = mapped_column(default=False)
    ended_with_case: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    recorded_by: Mapped[User | None] = relationship(lazy="raise")


class CaseClosure(Base):
    """The case closed when no multi-agency work is needed: who, when, and why (encrypted).

    Closing ends every open membership and all sharing at once (the client's key seals
    are removed in the same transaction) and starts the retention clock: the case's
    service task and ``Case.closed_at`` set the disposal date (app.maintenance.retention).
    """

    __tablename__ = "case_closures"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), unique=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    closed_at: Mapped[datetime]  # equals Case.closed_at
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    summary_ct: Mapped[bytes] = encrypted()  # the reason and a summary
    # Why the case closed before the release day or with checklist tasks open (the warning's
    # answer); empty when closing warned of nothing.
    early_reason_ct: Mapped[bytes | None] = encrypted()
    memberships_ended: Mapped[int] = mapped_column(default=0)
    seals_removed: Mapped[int] = mapped_column(default=0)

    closed_by: Mapped[User | None] = relationship(lazy="raise")


class ClosureFactor(Base):
    """A desistance factor the worker recorded as in place when the case closed: a coded
    choice (codes in ``app.assessment.rules.FACTORS``), counted by the statistics next to
    the factors the assessment recorded."""

    __tablename__ = "closure_factors"
    __table_args__ = (UniqueConstraint("closure_id", "code"),)

    closure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_closures.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
