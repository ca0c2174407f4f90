"""The rules of the organisation directory. Pure: no database, no clock.

Who manages what: an administrator's *scope* is their own organisation's id (a county's
administrator) or ``None`` (an administrator of the whole service). A county's
administrator manages the organisations local to their county; organisations that span
counties (Kela, prisons, national NGOs) and the counties themselves are the service's.
"""

from __future__ import annotations

import enum
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


# -- changing the kind of an organisation that is in networks -------------------------------


@dataclass(frozen=True)
class NetworkPlace:
    """An organisation's place in clients' networks now: what a change of kind or of its
    authority flag would put in question."""

    networks: int  # cases in which it has a membership that has not ended
    uncommitted: int  # of those, cases whose membership has no confidentiality commitment
    disclosures: int  # statutory disclosures to it that have not ended or run out


class KindChangeBlock(enum.StrEnum):
    """Why an organisation's kind or authority flag cannot change now (``None``: it can)."""

    KIND_HAS_MEMBERS = "kind_has_members"
    AUTHORITY_HAS_DISCLOSURES = "authority_has_disclosures"
    AUTHORITY_MEMBERS_UNCOMMITTED = "authority_members_uncommitted"


def kind_change_block(
    *,
    kind: OrgKind,
    is_authority: bool,
    facts: OrganisationFacts,
    place: NetworkPlace,
) -> tuple[KindChangeBlock, int] | None:
    """Whether changing an organisation now of ``kind`` (``is_authority``) to ``facts`` would
    break the rules its memberships were made under, and how many records it would break.

    A member's kind is recorded when it joins (``app.network.rules.MEMBER_KIND_OF``): it
    decides whether prison and probation's statutory exemptions apply and whether a
    confidentiality commitment is needed, so an organisation in a network keeps its kind
    until those memberships end. Only an authority may receive a statutory disclosure, and
    a member that is not one must have committed to confidentiality before anything is
    shared: an organisation stops being an authority only once its disclosures have ended
    and every membership it keeps has a recorded commitment.
    """
    if facts.kind is not kind and place.networks:
        return KindChangeBlock.KIND_HAS_MEMBERS, place.networks
    stays_authority = facts.authority and facts.kind.may_be_authority
    if is_authority and not stays_authority:
        if place.disclosures:
            return KindChangeBlock.AUTHORITY_HAS_DISCLOSURES, place.disclosures
        if place.uncommitted:
            return KindChangeBlock.AUTHORITY_MEMBERS_UNCOMMITTED, place.uncommitted
    return None


def kind_change_logged(
    was: tuple[OrgKind, bool], now: tuple[OrgKind, bool]
) -> dict[str, str | bool]:
    """The security log's fields for a change of kind or authority (``(kind, is_authority)``
    before and after; empty: neither changed)."""
    if was == now:
        return {}
    return {
        "organisation_kind_was": was[0].value,
        "organisation_kind": now[0].value,
        "authority_was": was[1],
        "authority": now[1],
    }
