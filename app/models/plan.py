"""The client plan (asiakassuunnitelma, SHL § 39, 812/2000 § 7) with versioned, encrypted sections.

A plan has the sections the client needs (one per ``SectionKind``); a section's content
lives in append-only versions. Each version's texts (goals in the client's own words,
agreed measures, the client's and the worker's views) are one JSON ciphertext sealed
under the section's scope, so a consent for a section opens exactly that section's
texts. Coded facts (agreement state, review dates, who is responsible) are in clear so
lists and reminders can use them without decrypting.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.user import User
from consent.base import Base, encrypted_by_section, str_enum, utcnow
from consent.sections import SectionKind


class AgreementState(enum.StrEnum):
    """Where a section stands with the client; where they disagree both views are kept."""

    DRAFT = "draft"
    AGREED = "agreed"  # agreed with the client
    DISAGREED = "disagreed"  # the client disagrees, in whole or in part


class ClientPlan(Base):
    __tablename__ = "client_plans"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), unique=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    review_on: Mapped[date | None]  # the agreed review of the whole plan (Helsinki day)
    review_set_at: Mapped[datetime | None]
    review_set_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    sections: Mapped[list[PlanSection]] = relationship(lazy="raise", order_by="PlanSection.kind")
    review_set_by: Mapped[User | None] = relationship(foreign_keys=[review_set_by_id], lazy="raise")


class PlanReviewDate(Base):
    """The plan's review date as someone set it; the newest row equals ``ClientPlan.review_on``."""

    __tablename__ = "plan_review_dates"

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client_plans.id"), index=True)
    review_on: Mapped[date | None]
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    set_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class PlanSection(Base):
    """One section of the plan; its content lives in append-only versions."""

    __tablename__ = "plan_sections"
    __table_args__ = (UniqueConstraint("plan_id", "kind"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client_plans.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    kind: Mapped[SectionKind] = mapped_column(str_enum(SectionKind))
    current_version: Mapped[int] = mapped_column(default=0)


class PlanSectionVersion(Base):
    """An immutable version of a section: encrypted content, its author and time.

    ``content_ct`` is JSON ``{"goals", "measures", "client_view", "worker_view"}`` (all
    strings) sealed under the section's scope.
    """

    __tablename__ = "plan_section_versions"
    __table_args__ = (UniqueConstraint("section_id", "version"),)

    section_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plan_sections.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"))
    version: Mapped[int]
    content_ct: Mapped[bytes] = encrypted_by_section("kind")
    agreement: Mapped[AgreementState] = mapped_column(
        str_enum(AgreementState), default=AgreementState.DRAFT
    )
    review_on: Mapped[date | None]  # a review of this section, if earlier than the plan's
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The section's kind, which names the scope ``content_ct`` is sealed under.
    kind: Mapped[SectionKind] = mapped_column(str_enum(SectionKind))

    author: Mapped[User | None] = relationship(lazy="raise")
    responsibles: Mapped[list[PlanResponsible]] = relationship(
        lazy="raise", order_by="PlanResponsible.member_id"
    )


class PlanResponsible(Base):
    """A network member responsible for a section's measures, as one version names them."""

    __tablename__ = "plan_section_responsibles"
    __table_args__ = (UniqueConstraint("version_id", "member_id"),)

    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("plan_section_versions.id"), index=True
    )
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("network_members.id"), index=True)
