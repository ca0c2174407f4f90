"""Organisations: counties, Rise units, public services, NGOs and peer-support organisations.

The directory (``app.directory``): an organisation either spans counties (Kela, the Criminal
Sanctions Agency's prisons and probation offices, national NGOs: ``county_id`` is NULL) or
is local to one county (``county_id``). Its contact details are what the network and the
client see; ``business_id`` is its Y-tunnus. An inactive organisation joins no network,
and deactivating it ended its memberships (``app.directory.commands``).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.engine.default import DefaultExecutionContext
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
        """Whether an organisation of this kind is an authority unless the directory says
        otherwise (``Organisation.authority``)."""
        return self in {OrgKind.COUNTY, OrgKind.PRISON, OrgKind.PROBATION, OrgKind.PUBLIC_SERVICE}

    @property
    def sends_care_notifications(self) -> bool:
        """Prison and probation staff notify a client's county of a need for social care
        themselves (SHL § 35), from their own pages or their systems."""
        return self in {OrgKind.PRISON, OrgKind.PROBATION}

    @property
    def may_be_authority(self) -> bool:
        """NGOs and peer-support organisations are never authorities, whatever is recorded."""
        return self not in {OrgKind.NGO, OrgKind.PEER_SUPPORT}

    @property
    def always_authority(self) -> bool:
        """Counties, prisons and probation offices are always authorities."""
        return self in {OrgKind.COUNTY, OrgKind.PRISON, OrgKind.PROBATION}


def _default_authority(context: DefaultExecutionContext) -> bool:
    """An organisation inserted without ``authority`` is one as its kind says."""
    parameters = context.get_current_parameters()  # type: ignore[no-untyped-call]  # unannotated in SQLAlchemy
    return OrgKind(parameters["kind"]).is_authority


class Organisation(Base):
    __tablename__ = "organisations"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind), index=True)
    municipality: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The county a local organisation belongs to; NULL: it spans counties (or is a county).
    county_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # May receive statutory disclosures (read through ``is_authority``).
    authority: Mapped[bool] = mapped_column(default=_default_authority)
    business_id: Mapped[str | None] = mapped_column(String(9), unique=True)  # Y-tunnus 1234567-8
    # Contact details the network and the client see.
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True, index=True)
    deactivated_at: Mapped[datetime | None]

    @property
    def is_authority(self) -> bool:
        """Whether it may receive statutory disclosures: recorded as an authority, and of a
        kind that may be one (an NGO or a peer-support organisation never is)."""
        recorded = self.kind.is_authority if self.authority is None else self.authority
        return recorded and self.kind.may_be_authority
