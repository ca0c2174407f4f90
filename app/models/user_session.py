"""Server-side sign-in sessions: one row per sign-in, found by the digest of the cookie's id."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base


class UserSession(Base):
    """One sign-in of a user in one browser.

    The browser's cookie carries only a random 256-bit secret; this row stores its SHA-256
    ``digest`` (``app.issued_secrets``), so the table cannot be replayed as cookies. The
    session ends when the row is deleted: at sign-out, when the user ends it from their list
    or signs out everywhere, when the password changes or the account is deactivated, and
    once idle too long or past ``expires_at`` (its absolute lifetime).

    ``user_agent`` is a summary ("Firefox, Windows"), never the raw header.
    ``assisted_by_id`` is the staff member beside a client in a staff-assisted session.
    """

    __tablename__ = "user_sessions"

    digest: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the secret, hex
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    user_agent: Mapped[str] = mapped_column(String(100), default="")
    assisted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
