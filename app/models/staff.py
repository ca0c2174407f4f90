"""Administering staff accounts: invitations to set up an account, and what was done to one.

An invitation is a one-time link an administrator passes on to a new staff member: only the
SHA-256 digest of its token is stored (``app.issued_secrets``). It works once, until
``expires_at``; accepting it sets the account's password (``app.staff.commands``).

``AccountEvent`` is the account's own history, shown on its administration page: each
invitation, password reset, second-factor reset, deactivation and change of role or
organisation, by whom and when. The same events go to the security log
(``app.security_log``), which the page cannot read back.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, str_enum, utcnow


class StaffInvitation(Base):
    """A one-time, expiring link with which an invited staff member chooses their password."""

    __tablename__ = "staff_invitations"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the token, hex
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]  # replaced by a newer invitation


class AccountAction(enum.StrEnum):
    INVITED = "invited"
    INVITATION_ACCEPTED = "invitation_accepted"
    CHANGED = "changed"  # role, organisation or name
    PASSWORD_SET = "password_set"  # noqa: S105  (an event's name, not a secret)
    SECOND_FACTOR_RESET = "second_factor_reset"
    DEACTIVATED = "deactivated"
    REACTIVATED = "reactivated"
    SIGN_IN_LOCKED = "sign_in_locked"  # a client's sign-in, by their worker or an administrator
    SIGN_IN_UNLOCKED = "sign_in_unlocked"


class AccountEvent(Base):
    """One administrative action on an account (never a secret)."""

    __tablename__ = "account_events"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[AccountAction] = mapped_column(str_enum(AccountAction))
    by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))  # None: a command line
    at: Mapped[datetime] = mapped_column(default=utcnow)
    detail: Mapped[str] = mapped_column(String(200), default="")  # e.g. "caseworker → partner"
