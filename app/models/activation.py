"""One-time activation codes with which a client without e-ID sets up their own sign-in.

A code has two parts: a short *selector* stored in clear (it finds the row, so wrong
attempts can be counted against that one code) and a *verifier* stored only as an
argon2 hash. The full code is shown once, to the worker who issued it.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, utcnow


class CodeState(enum.StrEnum):
    LIVE = "live"
    USED = "used"
    EXPIRED = "expired"
    LOCKED = "locked"  # too many wrong attempts
    CANCELLED = "cancelled"  # by a worker, or replaced by a newer code


class ActivationCode(Base):
    """A single-use, short-lived code issued by the client's worker."""

    __tablename__ = "activation_codes"

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    selector: Mapped[str] = mapped_column(String(16), unique=True)
    verifier_hash: Mapped[str] = mapped_column(String(200))
    issued_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))  # set up with it
    cancelled_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    def state(self, at: datetime) -> CodeState:
        if self.used_at is not None:
            return CodeState.USED
        if self.cancelled_at is not None:
            return CodeState.CANCELLED
        if self.locked_at is not None:
            return CodeState.LOCKED
        if at >= self.expires_at:
            return CodeState.EXPIRED
        return CodeState.LIVE
