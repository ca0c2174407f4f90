"""User accounts of every role."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.organisation import Organisation
from consent.base import Base, str_enum, utcnow
from consent.facts import ActorRole


class Role(enum.StrEnum):
    CASEWORKER = "caseworker"
    PARTNER = "partner"  # staff of a partner organisation
    CLIENT = "client"
    ADMIN = "admin"
    MANAGER = "manager"  # county management: the county's statistics, nothing of a client
    ANALYST = "analyst"  # a designated analyst: the same statistics
    DATA_PROTECTION = "data_protection"  # tietosuojavastaava: reviews the access log

    @property
    def actor_role(self) -> ActorRole:
        return ActorRole(self.value)


class User(Base):
    """A login. Staff belong to an organisation; a client user belongs to their client record.

    Its sign-ins are server-side sessions (``app.models.user_session``): ending them all at
    once (password change, deactivation) is ``app.accounts.commands.end_sessions``.
    ``password_must_change``: the password was set by an administrator, so it is good for
    one sign-in only, which must choose a new one before anything else.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'client') = (client_id IS NOT NULL)", name="client_user_has_client"
        ),
        CheckConstraint(
            "role IN ('client', 'admin', 'data_protection') OR organisation_id IS NOT NULL",
            name="staff_has_org",
        ),
    )

    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))  # staff only; empty for clients
    # How the network reaches a member of staff at work (a work phone or e-mail); staff only.
    work_contact: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role), index=True)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clients.id"), unique=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    password_must_change: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # The county whose administrator invited this partner organisation's staff member: that
    # county's administrators manage the account too (``app.staff.rules.may_manage``).
    invited_by_county_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    # An administrator or caseworker an administrator designated to review the access log
    # alongside the data-protection officer (``app.log_review.rules.may_review``).
    log_reviewer: Mapped[bool] = mapped_column(default=False)

    organisation: Mapped[Organisation | None] = relationship(
        lazy="joined", foreign_keys=[organisation_id]
    )

    # flask-login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # Flask-Login stores this in the cookie at ``login_user``; ``app.security.begin_session``
        # replaces it with the session's secret at once, and a user id alone signs nobody in.
        return str(self.id)
