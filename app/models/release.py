"""The release-day checklist (nivelvaihe): services secured across the release transition.

Generated items carry a task code (translated in the UI) and due dates derived from the
case's dates; custom items carry an encrypted title. Notes and the reason an item is not
needed are client data, encrypted too. Nothing is deleted: a removed item keeps who
removed it and when, and generation never brings it back.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ColumnElement, ForeignKey, Index, and_, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.network import NetworkMember
from app.models.user import User
from consent.base import Base, encrypted, str_enum, utcnow


class ReleaseTask(enum.StrEnum):
    """A continuity task the checklist generates, by area (DOMAIN.md, requirement 11)."""

    HOUSING_APPLICATION = "housing_application"
    KELA_SOCIAL_ASSISTANCE = "kela_social_assistance"  # perustoimeentulotuki
    BANK_ACCOUNT = "bank_account"
    IDENTITY_CARD = "identity_card"
    HEALTH_CARE = "health_care"
    SUBSTANCE_SERVICES = "substance_services"
    DEBT_ADVICE = "debt_advice"
    WORK_OR_STUDY = "work_or_study"
    FIRST_MEETING = "first_meeting"
    PROBATION_PLANNING = "probation_planning"  # valvotun koevapauden suunnittelu


class ItemState(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    NOT_NEEDED = "not_needed"
    NOT_POSSIBLE = "not_possible"  # the responsible member reports it cannot be done


OPEN_ITEM = f"state = '{ItemState.OPEN.value}' AND removed_at IS NULL"
"""An item still to do, in SQL: what the partial index of due items holds. A query reaches
that index only with these very terms, the state written out rather than bound (SQLite
cannot tell what a bound value will be when it plans): ``ChecklistItem.is_open``."""


class ChecklistItem(Base):
    """One task of a case's release-day checklist: who sees to it and by when.

    ``task`` is set for a generated item (one per case and task, removed or not) and
    empty for a custom one, which has ``title_ct`` instead. The responsible is a network
    member or a county worker, never both.
    """

    __tablename__ = "release_checklist_items"
    __table_args__ = (
        Index(
            "uq_release_checklist_items_generated",
            "case_id",
            "task",
            unique=True,
            sqlite_where=text("task IS NOT NULL"),
            postgresql_where=text("task IS NOT NULL"),
        ),
        # What is overdue (a partner's reminders): the open items by due day. Partial, so
        # that a query of done items (the statistics) never takes it for a narrow one.
        Index(
            "ix_release_checklist_items_open_due",
            "due_on",
            sqlite_where=text(OPEN_ITEM),
            postgresql_where=text(OPEN_ITEM),
        ),
        CheckConstraint("task IS NOT NULL OR title_ct IS NOT NULL", name="task_or_title"),
        CheckConstraint(
            "responsible_member_id IS NULL OR responsible_user_id IS NULL",
            name="one_responsible",
        ),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    task: Mapped[ReleaseTask | None] = mapped_column(str_enum(ReleaseTask))
    title_ct: Mapped[bytes | None] = encrypted()
    note_ct: Mapped[bytes | None] = encrypted()
    opens_on: Mapped[date | None]  # not to be started before (probationary-liberty planning)
    due_on: Mapped[date | None] = mapped_column(index=True)
    # A due date the worker set stays when the checklist is generated again.
    due_set_by_hand: Mapped[bool] = mapped_column(default=False)
    responsible_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("network_members.id")
    )
    responsible_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[ItemState] = mapped_column(str_enum(ItemState), default=ItemState.OPEN)
    not_needed_reason_ct: Mapped[bytes | None] = encrypted()
    state_changed_at: Mapped[datetime | None]  # done or found not needed: when, by whom
    state_changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None]
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime | None]
    removed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    responsible_member: Mapped[NetworkMember | None] = relationship(lazy="raise")
    responsible_user: Mapped[User | None] = relationship(
        foreign_keys=[responsible_user_id], lazy="raise"
    )
    state_changed_by: Mapped[User | None] = relationship(
        foreign_keys=[state_changed_by_id], lazy="raise"
    )
    added_by: Mapped[User | None] = relationship(foreign_keys=[added_by_id], lazy="raise")
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id], lazy="raise")
    removed_by: Mapped[User | None] = relationship(foreign_keys=[removed_by_id], lazy="raise")

    @classmethod
    def is_open(cls) -> ColumnElement[bool]:
        """``OPEN_ITEM`` in a query, its state written out: a query that may use the index."""
        return and_(
            cls.state == literal_column(f"'{ItemState.OPEN.value}'"), cls.removed_at.is_(None)
        )
