"""Consent receipts: what the client keeps of each change to one of their consents.

A receipt is written when the client grants, narrows, extends or revokes a consent in
the portal or the API, and when a worker records a consent the client gave in writing or
orally, or a withdrawal at the client's request (``created_by_id`` is then the worker).
Its JSON (the Kantara Consent Receipt fields) names the member, the sections and the
purpose in the client's words, so it is client data and is stored only as ciphertext
(``json_ct``, the county-only basic scope, written and read through the access gate).
The coded facts (which consent, which change, when, by whom) are in clear so that the
list of receipts can be ordered and counted without decrypting.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, encrypted, str_enum, utcnow


class ReceiptAction(enum.StrEnum):
    """The change a receipt is for."""

    GRANT = "grant"
    NARROW = "narrow"  # fewer sections or an earlier last day: a new consent replaces the old
    EXTEND = "extend"  # more sections or a later last day: a new consent replaces the old
    REVOKE = "revoke"
    TRANSFERRED = "transferred"  # ended because the case moved to another county


class ConsentReceipt(Base):
    """One change of one consent, by the client or recorded by a worker, with the receipt
    the client can keep."""

    __tablename__ = "consent_receipts"
    __table_args__ = (Index("ix_consent_receipts_client_created", "client_id", "created_at"),)

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"))
    # The consent the change produced (grant, narrow, extend) or ended (revoke).
    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consents.id"), index=True)
    # For narrow and extend: the consent the new one replaced.
    previous_consent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consents.id"))
    action: Mapped[ReceiptAction] = mapped_column(str_enum(ReceiptAction))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Staff at the terminal in a staff-assisted session.
    assisted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    json_ct: Mapped[bytes] = encrypted()
