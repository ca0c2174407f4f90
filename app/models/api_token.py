"""Bearer tokens of the JSON API: short-lived, revocable, stored only as a digest."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, utcnow


class ApiToken(Base):
    """One issued token. The secret itself is shown once and never stored.

    ``session_token`` is the user's session token when the token was issued: rotating
    it (password change, deactivation) ends the user's API tokens with their sessions.
    """

    __tablename__ = "api_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the secret, hex
    session_token: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
