"""The client plan (asiakassuunnitelma) with versioned, encrypted sections."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, LargeBinary, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consent.base import Base, str_enum, utcnow
from consent.sections import SectionKind


class ClientPlan(Base):
    __tablename__ = "client_plans"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), unique=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    review_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    sections: Mapped[list[PlanSection]] = relationship(lazy="raise", order_by="PlanSection.kind")


class PlanSection(Base):
    """One section of the plan; its content lives in append-only versions."""

    __tablename__ = "plan_sections"
    __table_args__ = (UniqueConstraint("plan_id", "kind"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client_plans.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    kind: Mapped[SectionKind] = mapped_column(str_enum(SectionKind))
    current_version: Mapped[int] = mapped_column(default=0)


class PlanSectionVersion(Base):
    """An immutable version of a section: encrypted content, its author and time."""

    __tablename__ = "plan_section_versions"
    __table_args__ = (UniqueConstraint("section_id", "version"),)

    section_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan_sections.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"))
    version: Mapped[int]
    content_ct: Mapped[bytes] = mapped_column(LargeBinary)
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
