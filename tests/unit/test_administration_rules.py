"""The pure rules of administration: who manages which account and organisation, which role
fits which organisation, what an organisation may be (authority, county, Y-tunnus)."""

from __future__ import annotations

import uuid

import pytest

from app.directory.rules import (
    OrganisationCode,
    OrganisationFacts,
    business_id,
    may_manage_organisation,
    organisation_codes,
)
from app.models.organisation import OrgKind
from app.models.user import Role
from app.staff.rules import (
    AccountFacts,
    AssignmentCode,
    assignment_code,
    may_manage,
    may_manage_client,
)
from app.staff.rules import (
    OrganisationFacts as Placement,
)

COUNTY = uuid.uuid4()
OTHER = uuid.uuid4()
NGO = uuid.uuid4()


@pytest.mark.parametrize(
    ("scope", "account", "expected"),
    [
        (None, AccountFacts(Role.CASEWORKER, OTHER, None), True),  # the service's: every one
        (None, AccountFacts(Role.ADMIN, None, None), True),
        (None, AccountFacts(Role.CLIENT, None, None), False),  # a client's is their worker's
        (COUNTY, AccountFacts(Role.CASEWORKER, COUNTY, None), True),  # own county's worker
        (COUNTY, AccountFacts(Role.ADMIN, COUNTY, None), True),
        (COUNTY, AccountFacts(Role.CASEWORKER, OTHER, None), False),  # another county's
        (COUNTY, AccountFacts(Role.ADMIN, None, None), False),  # the service's administrator
        (COUNTY, AccountFacts(Role.PARTNER, NGO, COUNTY), True),  # a partner it invited
        (COUNTY, AccountFacts(Role.PARTNER, NGO, OTHER), False),  # invited by another county
        (COUNTY, AccountFacts(Role.PARTNER, NGO, None), False),  # invited by the service
        (COUNTY, AccountFacts(Role.CASEWORKER, OTHER, COUNTY), False),  # only partners so
    ],
)
def test_a_countys_administrator_manages_its_workers_and_the_partners_it_invited(
    scope: uuid.UUID | None, account: AccountFacts, expected: bool
) -> None:
    assert may_manage(scope, account) is expected


def _at(kind: OrgKind, org: uuid.UUID = COUNTY, active: bool = True) -> Placement:
    return Placement(org, kind, active)


@pytest.mark.parametrize(
    ("scope", "role", "organisation", "expected"),
    [
        (None, Role.ADMIN, None, None),
        (COUNTY, Role.ADMIN, None, AssignmentCode.NEEDS_ORGANISATION),
        (None, Role.CASEWORKER, None, AssignmentCode.NEEDS_ORGANISATION),
        (None, Role.CLIENT, _at(OrgKind.COUNTY), AssignmentCode.NOT_STAFF),
        (None, Role.CASEWORKER, _at(OrgKind.NGO, NGO), AssignmentCode.NEEDS_COUNTY),
        (None, Role.PARTNER, _at(OrgKind.COUNTY), AssignmentCode.NEEDS_PARTNER),
        (COUNTY, Role.CASEWORKER, _at(OrgKind.COUNTY), None),
        (COUNTY, Role.ADMIN, _at(OrgKind.COUNTY), None),
        (COUNTY, Role.CASEWORKER, _at(OrgKind.COUNTY, OTHER), AssignmentCode.OWN_COUNTY_ONLY),
        (COUNTY, Role.PARTNER, _at(OrgKind.PRISON, NGO), None),  # invites partner staff
        (None, Role.PARTNER, _at(OrgKind.NGO, NGO, active=False), AssignmentCode.INACTIVE),
    ],
)
def test_roles_fit_organisations_and_scopes(
    scope: uuid.UUID | None,
    role: Role,
    organisation: Placement | None,
    expected: AssignmentCode | None,
) -> None:
    assert assignment_code(scope, role, organisation) is expected


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("0109862-8", "0109862-8"),
        ("  0109862-8 ", "0109862-8"),
        ("01098628", "0109862-8"),
        ("0109862-7", None),  # wrong check digit
        ("FI01098628", "0109862-8"),  # as in its VAT number
        ("abc", None),
        ("", ""),
    ],
)
def test_a_business_id_is_checked_by_its_check_digit(text: str, stored: str | None) -> None:
    assert business_id(text) == stored


def _org(kind: OrgKind, **changes: object) -> OrganisationFacts:
    values: dict[str, object] = {
        "name": "Testi (fictional)",
        "kind": kind,
        "authority": kind.is_authority,
        "county_id": None,
        "business_id": "",
    }
    return OrganisationFacts(**(values | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("facts", "scope", "expected"),
    [
        (_org(OrgKind.PUBLIC_SERVICE), None, {}),
        (_org(OrgKind.PUBLIC_SERVICE, authority=False), None, {}),  # e.g. a housing company
        (_org(OrgKind.NGO, authority=True), None, {"authority": OrganisationCode.NEVER_AUTHORITY}),
        (
            _org(OrgKind.PEER_SUPPORT, authority=True),
            None,
            {"authority": OrganisationCode.NEVER_AUTHORITY},
        ),
        (
            _org(OrgKind.PROBATION, authority=False),
            None,
            {"authority": OrganisationCode.ALWAYS_AUTHORITY},
        ),
        (_org(OrgKind.NGO, name=" "), None, {"name": OrganisationCode.NAME_MISSING}),
        (
            _org(OrgKind.NGO, business_id="0109862-7"),
            None,
            {"business_id": OrganisationCode.BUSINESS_ID_INVALID},
        ),
        (
            _org(OrgKind.COUNTY, county_id=OTHER),
            None,
            {"county_id": OrganisationCode.COUNTY_NOT_LOCAL},
        ),
        (_org(OrgKind.NGO, county_id=COUNTY), COUNTY, {}),  # a county's local organisation
        (_org(OrgKind.NGO), COUNTY, {"county_id": OrganisationCode.OUTSIDE_SCOPE}),  # national
        (_org(OrgKind.NGO, county_id=OTHER), COUNTY, {"county_id": OrganisationCode.OUTSIDE_SCOPE}),
        (_org(OrgKind.COUNTY), COUNTY, {"county_id": OrganisationCode.OUTSIDE_SCOPE}),
    ],
)
def test_what_an_organisation_may_be(
    facts: OrganisationFacts, scope: uuid.UUID | None, expected: dict[str, OrganisationCode]
) -> None:
    assert organisation_codes(facts, scope) == expected


def test_who_manages_an_organisation_and_a_clients_sign_in() -> None:
    mine = uuid.uuid4()
    assert may_manage_organisation(None, organisation_id=mine, county_id=None)
    assert may_manage_organisation(COUNTY, organisation_id=mine, county_id=COUNTY)
    assert may_manage_organisation(COUNTY, organisation_id=COUNTY, county_id=None)  # itself
    assert not may_manage_organisation(COUNTY, organisation_id=mine, county_id=None)
    assert not may_manage_organisation(COUNTY, organisation_id=mine, county_id=OTHER)
    assert may_manage_client(None, set())
    assert may_manage_client(COUNTY, {OTHER, COUNTY})
    assert not may_manage_client(COUNTY, {OTHER})
    assert not may_manage_client(COUNTY, set())


def test_ngos_and_peer_support_are_never_authorities_whatever_is_recorded() -> None:
    from app.models.organisation import Organisation

    for kind in OrgKind:
        organisation = Organisation(name="x", kind=kind, authority=True)
        assert organisation.is_authority is kind.may_be_authority
        assert Organisation(name="y", kind=kind).is_authority is kind.is_authority
