"""Which updates the county may receive from a network member (``update_block``,
``UpdateCover``): an agreed flow from the member and, except from prison and probation, an
obtain-consent covering what the update's kind is about."""

from __future__ import annotations

import pytest

from app.models.flows import FlowDirection
from app.models.network import MemberKind
from app.models.partner import TASK_REPORTS, PartnerUpdateKind
from app.partner_work.rules import (
    UPDATE_SECTIONS,
    UpdateBlock,
    UpdateCover,
    sections_carried,
    update_block,
)
from consent.sections import SectionKind

FROM, TO, BOTH = FlowDirection.FROM_MEMBER, FlowDirection.TO_MEMBER, FlowDirection.BOTH
HOUSING, LIVELIHOOD = SectionKind.HOUSING, SectionKind.LIVELIHOOD
K = PartnerUpdateKind


@pytest.mark.parametrize(
    ("kinds", "directions", "obtain", "expected"),
    [
        # No flow from the member agreed: refused whoever it is, consent or not.
        ([MemberKind.PUBLIC_SERVICE], [], [HOUSING], UpdateBlock.NO_FLOW),
        ([MemberKind.PUBLIC_SERVICE], [TO], [HOUSING], UpdateBlock.NO_FLOW),  # county → Kela
        ([MemberKind.PROBATION], [TO], [], UpdateBlock.NO_FLOW),
        # A flow from the member, and the client's consent to obtain: received.
        ([MemberKind.PUBLIC_SERVICE], [FROM], [HOUSING], None),
        ([MemberKind.NGO], [TO, BOTH], [LIVELIHOOD], None),
        # A flow but no obtain-consent: only prison and probation inform under their statutes.
        ([MemberKind.PUBLIC_SERVICE], [FROM], [], UpdateBlock.NO_CONSENT),
        ([MemberKind.NGO], [BOTH], [], UpdateBlock.NO_CONSENT),
        ([MemberKind.PROBATION], [FROM], [], None),
        ([MemberKind.PRISON], [BOTH], [], None),
    ],
)
def test_an_update_needs_an_incoming_flow_and_where_the_law_asks_a_consent(
    kinds: list[MemberKind],
    directions: list[FlowDirection],
    obtain: list[SectionKind],
    expected: UpdateBlock | None,
) -> None:
    assert update_block(kinds, directions, obtain) is expected


@pytest.mark.parametrize(
    ("kind", "obtain", "expected"),
    [
        (K.HOUSING_OFFER, [HOUSING], None),
        (K.HOUSING_OFFER, [LIVELIHOOD], UpdateBlock.NOT_COVERED),
        (K.BENEFIT_DECISION, [LIVELIHOOD], None),
        (K.BENEFIT_DECISION, [HOUSING], UpdateBlock.NOT_COVERED),
        (K.RELEASE_DATE_CHANGED, [SectionKind.PROBATIONARY_LIBERTY], None),
        (K.RELEASE_DATE_CHANGED, [SectionKind.RELEASE_TRANSITION, HOUSING], None),
        (K.RELEASE_DATE_CHANGED, [HOUSING], UpdateBlock.NOT_COVERED),
        # The sender's own dealings with the client: any section it is agreed to tell about.
        (K.APPOINTMENT_MISSED, [HOUSING], None),
        (K.OTHER, [SectionKind.EVERYDAY_LIFE], None),
        (K.OTHER, [], UpdateBlock.NO_CONSENT),
    ],
)
def test_the_obtain_consent_must_cover_what_the_kind_is_about(
    kind: PartnerUpdateKind, obtain: list[SectionKind], expected: UpdateBlock | None
) -> None:
    assert update_block([MemberKind.PUBLIC_SERVICE], [FROM], obtain, kind) is expected


def test_prison_and_probation_send_every_kind_without_an_obtain_consent() -> None:
    for member in (MemberKind.PRISON, MemberKind.PROBATION):
        cover = UpdateCover(frozenset({member}), frozenset({FROM}), frozenset())
        assert cover.statutory and cover.covered == list(SectionKind)
        assert set(cover.blocks().values()) == {None}


def test_the_form_offers_only_what_the_cover_allows() -> None:
    cover = UpdateCover(
        frozenset({MemberKind.PUBLIC_SERVICE}), frozenset({BOTH}), frozenset({HOUSING})
    )
    blocks = cover.blocks()
    assert blocks[K.HOUSING_OFFER] is None and blocks[K.OTHER] is None
    assert blocks[K.BENEFIT_DECISION] is UpdateBlock.NOT_COVERED
    assert cover.covered == [HOUSING]
    assert sections_carried(K.BENEFIT_DECISION) == (LIVELIHOOD,)
    assert sections_carried(K.OTHER) == tuple(SectionKind)


def test_every_kind_a_partner_chooses_says_what_it_is_about() -> None:
    assert set(UPDATE_SECTIONS) == set(PartnerUpdateKind) - TASK_REPORTS
