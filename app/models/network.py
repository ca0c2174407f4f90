"""The client's individual support network (yksilöllinen tukiverkosto)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.organisation import Organisation
from consent.base import Base, str_enum, utcnow


class MemberKind(enum.StrEnum):
    PUBLIC_SERVICE = "public_service"
    NGO = "ngo"
    PEER_EXPERT = "peer_expert"  # kokemusasiantuntija
    CLOSE_PERSON = "close_person"  # läheinen
    PRISON = "prison"
    PROBATION = "probation"
    OTHER = "other"


class NetworkMember(Base):
    """An organisation or a person in a client's network for a period.

    A person (close relative, peer expert) has an encrypted name and no organisation.
    """

    __tablename__ = "network_members"
    __table_args__ = (
        CheckConstraint(
            "organisation_id IS NOT NULL OR person_name_ct IS NOT NULL", name="org_or_person"
        ),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    kind: Mapped[MemberKind] = mapped_column(str_enum(MemberKind))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    person_name_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    role_ct: Mapped[bytes | None] = mapped_column(LargeBinary)  # role in the network, free text
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(lazy="raise")
