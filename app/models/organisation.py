"""Organisations: counties, Rise units, public services, NGOs and peer-support organisations."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, str_enum, utcnow


class OrgKind(enum.StrEnum):
    COUNTY = "county"  # hyvinvointialue: organises social care and owns cases
    PRISON = "prison"
    PROBATION = "probation"  # yhdyskuntaseuraamustoimisto
    PUBLIC_SERVICE = "public_service"  # e.g. Kela, municipal housing
    NGO = "ngo"  # järjestö
    PEER_SUPPORT = "peer_support"  # kokemusasiantuntijat
    OTHER = "other"

    @property
    def is_authority(self) -> bool:
        """Authorities may receive statutory disclosures; the others only consented ones."""
        return self in {OrgKind.COUNTY, OrgKind.PRISON, OrgKind.PROBATION, OrgKind.PUBLIC_SERVICE}

    @property
    def sends_care_notifications(self) -> bool:
        """Prison and probation staff notify a client's county of a need for social care
        themselves (SHL § 35), from their own pages or their systems."""
        return self in {OrgKind.PRISON, OrgKind.PROBATION}


class Organisation(Base):
    __tablename__ = "organisations"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind), index=True)
    municipality: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
