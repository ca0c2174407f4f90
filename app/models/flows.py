"""Information-flow agreements (tiedon kulku) with each network member, and a person's contact.

An agreement is made with the client: what flows between the county and a member, in
which direction, through which channel, and who informs whom of what and when. Ended
agreements are kept (marked ended), so the network's history stays readable.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, encrypted, str_enum, utcnow


class FlowDirection(enum.StrEnum):
    TO_MEMBER = "to_member"  # from the county to the member
    FROM_MEMBER = "from_member"  # from the member to the county
    BOTH = "both"


class FlowChannel(enum.StrEnum):
    PLATFORM = "platform"  # Tukiverkko itself
    PHONE = "phone"
    MEETING = "meeting"
    LETTER = "letter"


class FlowAgreement(Base):
    """One agreed information flow between the county and a network member."""

    __tablename__ = "flow_agreements"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("network_members.id"), index=True)
    direction: Mapped[FlowDirection] = mapped_column(str_enum(FlowDirection))
    channel: Mapped[FlowChannel] = mapped_column(str_enum(FlowChannel))
    subject_ct: Mapped[bytes | None] = encrypted()  # what flows
    practice_ct: Mapped[bytes | None] = encrypted()  # who informs whom, when
    agreed_on: Mapped[date]
    # The worker confirms the agreement was made with the client; never recorded without it.
    agreed_with_client: Mapped[bool]
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    ended_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class MemberContact(Base):
    """How to reach a person in the network (a close person or a peer expert), encrypted."""

    __tablename__ = "network_member_contacts"

    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("network_members.id"), unique=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    contact_ct: Mapped[bytes | None] = encrypted()
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
