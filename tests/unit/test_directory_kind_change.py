"""When an organisation's kind or authority flag may change (``kind_change_block``)."""

from __future__ import annotations

import pytest

from app.directory.rules import (
    KindChangeBlock,
    NetworkPlace,
    OrganisationFacts,
    kind_change_block,
    kind_change_logged,
)
from app.models import OrgKind

NOWHERE = NetworkPlace(networks=0, uncommitted=0, disclosures=0)


def facts(kind: OrgKind, authority: bool) -> OrganisationFacts:
    return OrganisationFacts(
        name="Esimerkki (fictional)", kind=kind, authority=authority, county_id=None, business_id=""
    )


@pytest.mark.parametrize(
    ("kind", "is_authority", "to", "place", "expected"),
    [
        # In no network, with nothing disclosed: anything the directory's rules allow.
        (OrgKind.PUBLIC_SERVICE, True, facts(OrgKind.NGO, False), NOWHERE, None),
        # A member's kind is fixed when it joins.
        (
            OrgKind.PUBLIC_SERVICE,
            True,
            facts(OrgKind.OTHER, True),
            NetworkPlace(3, 0, 0),
            (KindChangeBlock.KIND_HAS_MEMBERS, 3),
        ),
        # Details other than the kind change freely in networks.
        (OrgKind.NGO, False, facts(OrgKind.NGO, False), NetworkPlace(3, 0, 0), None),
        # Stays an authority while it receives statutory disclosures …
        (
            OrgKind.PUBLIC_SERVICE,
            True,
            facts(OrgKind.PUBLIC_SERVICE, False),
            NetworkPlace(2, 2, 1),
            (KindChangeBlock.AUTHORITY_HAS_DISCLOSURES, 1),
        ),
        # … or has members without a confidentiality commitment.
        (
            OrgKind.PUBLIC_SERVICE,
            True,
            facts(OrgKind.PUBLIC_SERVICE, False),
            NetworkPlace(2, 1, 0),
            (KindChangeBlock.AUTHORITY_MEMBERS_UNCOMMITTED, 1),
        ),
        (
            OrgKind.PUBLIC_SERVICE,
            True,
            facts(OrgKind.PUBLIC_SERVICE, False),
            NetworkPlace(2, 0, 0),
            None,
        ),
        # Becoming an authority breaks nothing.
        (
            OrgKind.PUBLIC_SERVICE,
            False,
            facts(OrgKind.PUBLIC_SERVICE, True),
            NetworkPlace(2, 2, 0),
            None,
        ),
    ],
)
def test_a_change_waits_for_what_it_would_break(
    kind: OrgKind,
    is_authority: bool,
    to: OrganisationFacts,
    place: NetworkPlace,
    expected: tuple[KindChangeBlock, int] | None,
) -> None:
    assert (
        kind_change_block(kind=kind, is_authority=is_authority, facts=to, place=place) == expected
    )


def test_only_a_change_of_kind_or_authority_is_logged_as_one() -> None:
    assert kind_change_logged((OrgKind.NGO, False), (OrgKind.NGO, False)) == {}
    assert kind_change_logged((OrgKind.OTHER, True), (OrgKind.OTHER, False)) == {
        "organisation_kind_was": "other",
        "organisation_kind": "other",
        "authority_was": True,
        "authority": False,
    }
