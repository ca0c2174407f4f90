"""The rules of the organisation directory. Pure: no database, no clock.

Who manages what: an administrator's *scope* is their own organisation's id (a county's
administrator) or ``None`` (an administrator of the whole service). A county's
administrator manages the organisations local to their county; organisations that span
counties (Kela, prisons, national NGOs) and the counties themselves are the service's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from stdnum.exceptions import ValidationError
from stdnum.fi import ytunnus

from app.models.organisation import OrgKind
from app.refusals import N_, Code

Scope = uuid.UUID | None
"""An administrator's reach: their county's id, or ``None`` for the whole service."""


class OrganisationCode(Code):
    NAME_MISSING = "name_missing", N_("Type the organisation's name.")
    NEVER_AUTHORITY = (
        "never_authority",
        N_("An NGO or a peer-support organisation is never an authority."),
    )
    ALWAYS_AUTHORITY = (
        "always_authority",
        N_("A county, a prison or a probation office is always an authority."),
    )
    BUSINESS_ID_INVALID = (
        "business_id_invalid",
        N_("This is not a valid business id (Y-tunnus): check its digits, e.g. 0109862-8."),
    )
    COUNTY_NOT_LOCAL = "county_not_local", N_("A county does not belong to another county.")
    OUTSIDE_SCOPE = (
        "outside_scope",
        N_("You manage only the organisations of your own county."),
    )


@dataclass(frozen=True)
class OrganisationFacts:
    """What an administrator types about an organisation."""

    name: str
    kind: OrgKind
    authority: bool
    county_id: uuid.UUID | None  # None: spans counties
    business_id: str
    municipality: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""


def business_id(text: str) -> str | None:
    """The Y-tunnus as stored (``1234567-8``), ``""`` for none typed, or ``None`` when invalid.

    The check digit is verified by python-stdnum (``stdnum.fi.ytunnus``).
    """
    if not text.strip():
        return ""
    try:
        return str(ytunnus.format(ytunnus.validate(text)))
    except ValidationError:
        return None


def organisation_codes(facts: OrganisationFacts, scope: Scope) -> dict[str, OrganisationCode]:
    """What is wrong with these facts, per field (empty: nothing)."""
    codes: dict[str, OrganisationCode] = {}
    if not facts.name.strip():
        codes["name"] = OrganisationCode.NAME_MISSING
    if facts.authority and not facts.kind.may_be_authority:
        codes["authority"] = OrganisationCode.NEVER_AUTHORITY
    elif not facts.authority and facts.kind.always_authority:
        codes["authority"] = OrganisationCode.ALWAYS_AUTHORITY
    if business_id(facts.business_id) is None:
        codes["business_id"] = OrganisationCode.BUSINESS_ID_INVALID
    if facts.kind is OrgKind.COUNTY and facts.county_id is not None:
        codes["county_id"] = OrganisationCode.COUNTY_NOT_LOCAL
    elif scope is not None and (facts.kind is OrgKind.COUNTY or facts.county_id != scope):
        codes["county_id"] = OrganisationCode.OUTSIDE_SCOPE
    return codes


def may_manage_organisation(
    scope: Scope, *, organisation_id: uuid.UUID, county_id: uuid.UUID | None
) -> bool:
    """Whether an administrator of ``scope`` may edit or deactivate this organisation: the
    service's may any; a county's its own local ones (and edit its own county's details)."""
    return scope is None or county_id == scope or organisation_id == scope
