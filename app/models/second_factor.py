"""Staff's second factor: a TOTP secret (stored only wrapped), recovery codes (only hashed), and
the half-finished sign-ins waiting for a code."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, utcnow


class SecondFactor(Base):
    """A TOTP authenticator of a user: at most one in force and one being set up.

    The secret is wrapped under the active master key (``sharing.keys.seal_account_secret``),
    never stored in clear. ``last_used_step`` is the newest 30-second step a code was accepted
    for: a code of that step or an earlier one is refused, so a code works once.
    """

    __tablename__ = "second_factors"
    __table_args__ = (UniqueConstraint("user_id", "active"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    active: Mapped[bool] = mapped_column(default=False)  # False: set up, not confirmed yet
    master_key_id: Mapped[str] = mapped_column(String(64), index=True)
    secret_wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    last_used_step: Mapped[int | None]


class RecoveryCode(Base):
    """One of a user's ten one-time recovery codes, stored as an argon2 hash."""

    __tablename__ = "recovery_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class SignInChallenge(Base):
    """A sign-in whose password was right, waiting for the second factor's code.

    The browser holds a random token; only its SHA-256 digest is stored. It lives a few
    minutes and is deleted when the code is accepted, so it signs in once.
    """

    __tablename__ = "sign_in_challenges"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
