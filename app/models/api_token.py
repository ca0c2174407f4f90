"""Bearer tokens of the JSON API: short-lived, revocable, stored only as a digest."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, utcnow


class ApiToken(Base):
    """One issued token. The secret itself is shown once and never stored.

    It ends with the user's sessions when they all end at once (password change,
    deactivation, signing out everywhere: ``app.accounts.commands.end_sessions``).
    """

    __tablename__ = "api_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the secret, hex
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
