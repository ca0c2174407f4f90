"""Plans other organisations keep for the client, referenced here and never copied.

A Rise sentence plan or a health care plan stays with its owner; Tukiverkko records
only that it exists: its type, its owner, its dates and an optional identifier, so the
network knows what to coordinate with (DOMAIN.md, requirement 10).
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.organisation import Organisation
from app.models.user import User
from consent.base import Base, encrypted, str_enum, utcnow


class ParallelPlanKind(enum.StrEnum):
    SENTENCE_PLAN = "sentence_plan"  # Rise: rangaistusajan suunnitelma
    RELEASE_PLAN = "release_plan"  # Rise: vapautumissuunnitelma
    PROBATIONARY_LIBERTY_PLAN = "probationary_liberty_plan"  # koevapauden suunnitelma
    SUPERVISION_PLAN = "supervision_plan"  # valvontasuunnitelma
    HEALTH_CARE_PLAN = "health_care_plan"  # hoitosuunnitelma
    EMPLOYMENT_PLAN = "employment_plan"  # työllistymissuunnitelma
    OTHER = "other"


class ParallelPlan(Base):
    """A reference to another organisation's plan for the client.

    The owner is an organisation of the directory or, failing that, a name written by
    the worker (encrypted: it may name a person). The identifier is encrypted too.
    """

    __tablename__ = "parallel_plans"
    __table_args__ = (
        CheckConstraint(
            "organisation_id IS NOT NULL OR owner_name_ct IS NOT NULL", name="has_owner"
        ),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    kind: Mapped[ParallelPlanKind] = mapped_column(str_enum(ParallelPlanKind))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    owner_name_ct: Mapped[bytes | None] = encrypted()
    reference_ct: Mapped[bytes | None] = encrypted()
    made_on: Mapped[date | None]
    review_on: Mapped[date | None]
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    ended_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation | None] = relationship(lazy="raise")
    added_by: Mapped[User | None] = relationship(foreign_keys=[added_by_id], lazy="raise")
    ended_by: Mapped[User | None] = relationship(foreign_keys=[ended_by_id], lazy="raise")
