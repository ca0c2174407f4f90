"""One-time access links for close persons and peer experts who have no account.

A link is issued by a worker under a live consent of the client and names the plan
sections (at most those of the consent) and a last day (at most the consent's). Only
hashes are stored: of the link's token, of the short code passed on out of band, and
of the secret the browser holds once the code has bound the link to it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, utcnow


class PersonAccessGrant(Base):
    """A person member's access to named plan sections until a day, through one browser."""

    __tablename__ = "person_access_grants"

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("network_members.id"), index=True)
    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consents.id"), index=True)
    sections: Mapped[list[str]] = mapped_column(JSON)
    valid_until: Mapped[date]  # last day, Europe/Helsinki, inclusive
    # SHA-256 (hex) of the link's token: the token itself is shown to the worker once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # argon2id hash of the short code the worker passes on by phone or letter.
    code_hash: Mapped[str] = mapped_column(String(200))
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_at: Mapped[datetime | None]  # too many wrong codes: the link can no longer be bound
    # SHA-256 (hex) of the secret in the bound browser's cookie; NULL until first use.
    binding_hash: Mapped[str | None] = mapped_column(String(64))
    bound_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    issued_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]  # ended by the worker or the client: access ends at once
    ended_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
