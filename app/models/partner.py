"""What partner organisations send back, and what they are told when sharing with them ends."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.organisation import Organisation
from app.models.user import User
from consent.base import Base, encrypted, str_enum, utcnow
from consent.models import Consent


class PartnerUpdateKind(enum.StrEnum):
    """What an update from a partner is about (the incoming direction of the flow agreement)."""

    RELEASE_DATE_CHANGED = "release_date_changed"  # prison or probation: a new release date
    HOUSING_OFFER = "housing_offer"
    BENEFIT_DECISION = "benefit_decision"  # Kela or the county: a benefit granted or refused
    DECISION_MADE = "decision_made"  # a service or housing decision
    APPOINTMENT_KEPT = "appointment_kept"
    APPOINTMENT_MISSED = "appointment_missed"
    CONTACT_LOST = "contact_lost"
    CONCERN = "concern"
    OTHER = "other"  # free text
    # Written by ``report_task``, never chosen: the responsible member's word on its task.
    TASK_DONE = "task_done"
    TASK_NOT_POSSIBLE = "task_not_possible"


TASK_REPORTS = frozenset({PartnerUpdateKind.TASK_DONE, PartnerUpdateKind.TASK_NOT_POSSIBLE})
"""The kinds only a checklist task's report makes (a partner cannot send them as updates)."""


class PartnerUpdate(Base):
    """An update from a partner's staff to the client's responsible worker.

    The text is county data once received: it is stored under the client's
    county-only scope, so the sender cannot read it back (nor can other partners).
    It is part of the client's record: the worker acknowledges it (by whom and when is
    kept). A report on a release-checklist task names the item.
    """

    __tablename__ = "partner_updates"
    __table_args__ = (
        Index("ix_partner_updates_case_created", "case_id", "created_at"),
        CheckConstraint(
            "(acknowledged_at IS NULL) = (acknowledged_by_id IS NULL)",
            name="acknowledged_by_someone",
        ),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("network_members.id"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[PartnerUpdateKind] = mapped_column(str_enum(PartnerUpdateKind))
    text_ct: Mapped[bytes | None] = encrypted()
    # The plan sections the client's obtain-consent covered for this kind when it was
    # received (``app.partner_work.rules.UpdateCover.received_under``), which the worker sees;
    # NULL: sent by prison or probation under their own statutes, a task's report, or
    # received before this was kept.
    sections: Mapped[list[str] | None] = mapped_column(JSON)
    checklist_item_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("release_checklist_items.id"), index=True
    )
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship(lazy="raise")
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="raise")


class NoticeReason(enum.StrEnum):
    """Why sharing under a consent ended before its last day (a planned end needs no notice)."""

    REVOKED = "revoked"  # the client withdrew the consent
    MEMBERSHIP_ENDED = "membership_ended"  # the worker ended the organisation's membership
    CASE_CLOSED = "case_closed"  # the case was closed, which ends all sharing
    DISCLOSURE_ENDED = "disclosure_ended"  # the worker ended a statutory disclosure early
    TRANSFERRED = "transferred"  # the client's case moved to another county (``consent.transfer``)


class RevocationNotice(Base):
    """Tells an organisation that sharing with it under a consent or a statutory disclosure
    ended early (revoked, the disclosure ended, its membership ended, or the case closed); it
    confirms that it keeps no copy, and the client sees whether it has."""

    __tablename__ = "revocation_notices"
    __table_args__ = (
        UniqueConstraint("consent_id", "organisation_id"),
        UniqueConstraint("disclosure_id", "organisation_id"),
        CheckConstraint(
            "(confirmed_at IS NULL) = (confirmed_by_id IS NULL)", name="confirmed_by_someone"
        ),
        CheckConstraint("(consent_id IS NULL) <> (disclosure_id IS NULL)", name="one_basis"),
    )

    # What sharing was based on: a consent, or a statutory disclosure (exactly one).
    consent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consents.id"))
    disclosure_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("statutory_disclosures.id"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    reason: Mapped[NoticeReason] = mapped_column(
        str_enum(NoticeReason), default=NoticeReason.REVOKED, server_default="revoked"
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship(lazy="raise")
    consent: Mapped[Consent | None] = relationship(lazy="raise")


OPEN_ENDED = date.max
"""``SharePeriod.last_day`` of a sharing with no last day (sorts after every real one)."""

NO_END = datetime(9999, 12, 31, tzinfo=UTC)
"""``SharePeriod.ends_at`` of a period that lasts as long as the present facts stand."""


class SharePeriod(Base):
    """A stretch of time in which an organisation may read something of a client: the
    partner's list of shared clients, kept by ``app.partner_work.shares`` from the facts the
    access decision reads whenever they change (never the basis of a decision).

    Open ends are stored as far-off values rather than NULL, so "shared now" is two plain
    ranges an index answers.
    """

    __tablename__ = "share_periods"
    __table_args__ = (
        # How many are shared now: the organisation's periods that have not ended.
        Index("ix_share_periods_current", "organisation_id", "ends_at", "starts_at"),
        # The partner's list: soonest last day first, the period's bounds in the index too.
        Index(
            "ix_share_periods_list",
            "organisation_id",
            "last_day",
            "client_id",
            "starts_at",
            "ends_at",
        ),
    )

    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]  # NO_END: for as long as the present facts stand
    last_day: Mapped[date]  # the last day it stays shared on these facts; OPEN_ENDED if none
