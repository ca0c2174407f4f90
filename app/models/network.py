"""The client's individual support network (yksilöllinen tukiverkosto)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.organisation import Organisation
from consent.base import Base, encrypted, str_enum, utcnow
from consent.facts import Membership


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
        # A case's network, or one organisation's place in it (the facts a partner's access
        # decision reads): without it SQLite walks every membership of a national partner.
        Index("ix_network_members_case_organisation", "case_id", "organisation_id"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    kind: Mapped[MemberKind] = mapped_column(str_enum(MemberKind))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    person_name_ct: Mapped[bytes | None] = encrypted()
    role_ct: Mapped[bytes | None] = encrypted()  # role in the network, free text
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]  # planned last day, inclusive
    ended_at: Mapped[datetime | None]  # ended by hand: access ends at this instant
    ended_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    end_reason_ct: Mapped[bytes | None] = encrypted()  # why it was ended by hand (confirmed)
    # Members who are not authorities (NGOs, peer experts, close persons) are bound by
    # a recorded confidentiality commitment before anything is shared with them.
    confidentiality_committed_on: Mapped[date | None]
    confidentiality_recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(lazy="raise")

    def membership(self) -> Membership:
        """The facts ``consent.status`` and ``consent.decide`` read about this membership."""
        return Membership(
            self.id,
            self.organisation_id,
            self.starts_on,
            self.ends_on,
            self.ended_at,
            self.added_at,
        )

    @property
    def needs_confidentiality_commitment(self) -> bool:
        """Authorities are bound by law; everyone else commits in writing first."""
        return self.organisation is None or not self.organisation.is_authority
