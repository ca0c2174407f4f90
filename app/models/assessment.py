"""The multi-agency service-need assessment (monitoimijainen palvelutarpeen arviointi, SHL § 36).

One assessment per case, edited in place; every save appends an immutable
``AssessmentVersion`` holding an encrypted snapshot of the whole assessment, its
author and time, so earlier content can still be read. Free text (the client's own
view, the professional assessment, notes, other participants, the reason no
responsible worker is needed) is ciphertext (``*_ct``) sealed by the access gate.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.network import NetworkMember
from app.models.user import User
from consent.base import Base, encrypted, str_enum, utcnow
from consent.sections import SectionKind


class Urgency(enum.StrEnum):
    """Outcome of the urgency assessment that SHL § 36 requires at once on contact."""

    URGENT = "urgent"
    NOT_URGENT = "not_urgent"


class NeedLevel(enum.StrEnum):
    """How much support an area of life needs, in the worker's assessment."""

    NONE = "none"
    SOME = "some"
    SIGNIFICANT = "significant"


class VersionKind(enum.StrEnum):
    CREATED = "created"
    SAVED = "saved"
    COMPLETED = "completed"


class Assessment(Base):
    """A case's service-need assessment: dates, participants, needs and desistance factors."""

    __tablename__ = "assessments"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), unique=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    # Helsinki calendar days.
    contact_on: Mapped[date | None]  # yhteydenotto / ilmoitus received
    urgency_assessed_on: Mapped[date | None]
    urgency: Mapped[Urgency | None] = mapped_column(str_enum(Urgency))
    started_on: Mapped[date | None]
    completed_on: Mapped[date | None]
    responsible_worker_needed: Mapped[bool | None]  # omatyöntekijä (SHL § 42)
    no_worker_reason_ct: Mapped[bytes | None] = encrypted()
    client_took_part: Mapped[bool | None]
    other_participants_ct: Mapped[bytes | None] = encrypted()
    version: Mapped[int] = mapped_column(default=0)  # the newest AssessmentVersion
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id], lazy="raise")
    participants: Mapped[list[AssessmentParticipant]] = relationship(
        lazy="raise", cascade="all, delete-orphan"
    )
    needs: Mapped[list[AssessmentNeed]] = relationship(lazy="raise", cascade="all, delete-orphan")
    factors: Mapped[list[AssessmentFactor]] = relationship(
        lazy="raise", cascade="all, delete-orphan"
    )


class AssessmentParticipant(Base):
    """A network member who took part in the assessment (multi-agency cooperation, SHL § 41)."""

    __tablename__ = "assessment_participants"
    __table_args__ = (UniqueConstraint("assessment_id", "member_id"),)

    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id"), index=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("network_members.id"), index=True)
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[NetworkMember] = relationship(lazy="raise")


class AssessmentNeed(Base):
    """One area of life: the need, the client's view in their own words, the worker's view.

    Both views are kept even where they differ (SHL § 36, Client Act § 7).
    """

    __tablename__ = "assessment_needs"
    __table_args__ = (UniqueConstraint("assessment_id", "area"),)

    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"))
    area: Mapped[SectionKind] = mapped_column(str_enum(SectionKind))
    level: Mapped[NeedLevel | None] = mapped_column(str_enum(NeedLevel))
    client_view_ct: Mapped[bytes | None] = encrypted()
    professional_view_ct: Mapped[bytes | None] = encrypted()


class AssessmentFactor(Base):
    """The worker's note against one desistance factor of the model (codes in the service)."""

    __tablename__ = "assessment_factors"
    __table_args__ = (UniqueConstraint("assessment_id", "code"),)

    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"))
    code: Mapped[str] = mapped_column(String(40))
    addressed: Mapped[bool] = mapped_column(default=False)
    note_ct: Mapped[bytes | None] = encrypted()


class AssessmentVersion(Base):
    """One save of the assessment, never changed: who, when, what changed, and a snapshot.

    ``changed`` lists the codes of the parts that changed (``dates``, ``area:housing``,
    ``factor:sobriety``…) in clear; the content itself is only in ``snapshot_ct``.
    """

    __tablename__ = "assessment_versions"
    __table_args__ = (UniqueConstraint("assessment_id", "version"),)

    assessment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessments.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"))
    version: Mapped[int]
    kind: Mapped[VersionKind] = mapped_column(str_enum(VersionKind))
    changed: Mapped[str] = mapped_column(String(2000), default="")
    snapshot_ct: Mapped[bytes] = encrypted()
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="raise")
