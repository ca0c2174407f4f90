"""Who administers which staff account, and which role fits which organisation. Pure.

An administrator's *scope* (``app.directory.rules.Scope``) is their county's id, or ``None``
for an administrator of the whole service. A county's administrator manages only their own
county's workers (caseworkers and administrators of the county) and the partner
organisations' staff they invited themselves; the service's administrator manages every
staff account. Clients' sign-ins are their worker's (``app.web.caseworker.portal_access``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from app.directory.rules import Scope
from app.models.organisation import OrgKind
from app.models.user import Role
from app.refusals import N_, Code

INVITATION_LIFETIME = timedelta(days=7)
"""How long an invitation link works: long enough to pass on and use, short enough to lapse."""


@dataclass(frozen=True)
class AccountFacts:
    """What the scope rule reads of an account."""

    role: Role
    organisation_id: uuid.UUID | None
    invited_by_county_id: uuid.UUID | None


def may_manage(scope: Scope, account: AccountFacts) -> bool:
    """Whether an administrator of ``scope`` may manage this staff account."""
    if account.role is Role.CLIENT:
        return False
    if scope is None:
        return True
    return account.organisation_id == scope or (
        account.role is Role.PARTNER and account.invited_by_county_id == scope
    )


class AssignmentCode(Code):
    NOT_STAFF = "not_staff", N_("Choose a staff role.")
    NEEDS_COUNTY = "needs_county", N_("A caseworker works for a county: choose a county.")
    NEEDS_PARTNER = (
        "needs_partner",
        N_("Partner staff work for an organisation other than a county."),
    )
    NEEDS_ORGANISATION = "needs_organisation", N_("Choose the organisation.")
    OWN_COUNTY_ONLY = (
        "own_county_only",
        N_("You manage only your own county's workers: choose your county."),
    )
    INACTIVE = "inactive_organisation", N_("The organisation is inactive.")


@dataclass(frozen=True)
class OrganisationFacts:
    """What the assignment rule reads of the organisation chosen for an account."""

    id: uuid.UUID
    kind: OrgKind
    active: bool


def assignment_code(
    scope: Scope, role: Role, organisation: OrganisationFacts | None
) -> AssignmentCode | None:
    """Why ``role`` in ``organisation`` is not an assignment an administrator of ``scope``
    may make, or ``None``: caseworkers work for a county, partner staff for another
    organisation, and a county's administrator assigns their own county or invites partners.
    """
    if role is Role.CLIENT:
        return AssignmentCode.NOT_STAFF
    if organisation is None:
        if role in (Role.ADMIN, Role.DATA_PROTECTION) and scope is None:
            return None  # an administrator (a data-protection officer) of the whole service
        return AssignmentCode.NEEDS_ORGANISATION
    if not organisation.active:
        return AssignmentCode.INACTIVE
    if role is Role.PARTNER:
        return AssignmentCode.NEEDS_PARTNER if organisation.kind is OrgKind.COUNTY else None
    if organisation.kind is not OrgKind.COUNTY:
        return AssignmentCode.NEEDS_COUNTY
    if scope is not None and organisation.id != scope:
        return AssignmentCode.OWN_COUNTY_ONLY
    return None


def may_manage_client(scope: Scope, case_counties: set[uuid.UUID]) -> bool:
    """Whether an administrator of ``scope`` may lock, unlock or re-issue the sign-in of a
    client whose cases are in ``case_counties``: the service's any, a county's its own."""
    return scope is None or scope in case_counties
