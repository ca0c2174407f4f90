"""Tables owned by ``sharing``: wrapped data keys (seals and the access log come with consent)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, utcnow


class DataKey(Base):
    """A data key, stored only wrapped under a master key.

    ``scope`` is ``client`` for the client's basic data and ``section:<kind>``
    for a plan section. A retired generation still decrypts old ciphertexts;
    a destroyed one (``wrapped`` is NULL) never will again: crypto-shredding.
    """

    __tablename__ = "data_keys"
    __table_args__ = (UniqueConstraint("client_id", "scope", "generation"),)

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    scope: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int]
    master_key_id: Mapped[str] = mapped_column(String(64), index=True)
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
    destroyed_at: Mapped[datetime | None]
