"""Which updates the county may receive from a network member (``update_block``)."""

from __future__ import annotations

import pytest

from app.models.flows import FlowDirection
from app.models.network import MemberKind
from app.partner_work.rules import UpdateBlock, update_block

FROM, TO, BOTH = FlowDirection.FROM_MEMBER, FlowDirection.TO_MEMBER, FlowDirection.BOTH


@pytest.mark.parametrize(
    ("kinds", "directions", "obtain", "expected"),
    [
        # No flow from the member agreed: refused whoever it is, consent or not.
        ([MemberKind.PUBLIC_SERVICE], [], True, UpdateBlock.NO_FLOW),
        ([MemberKind.PUBLIC_SERVICE], [TO], True, UpdateBlock.NO_FLOW),  # county → Kela only
        ([MemberKind.PROBATION], [TO], False, UpdateBlock.NO_FLOW),
        # A flow from the member, and the client's consent to obtain: received.
        ([MemberKind.PUBLIC_SERVICE], [FROM], True, None),
        ([MemberKind.NGO], [TO, BOTH], True, None),
        # A flow but no obtain-consent: only prison and probation inform under their statutes.
        ([MemberKind.PUBLIC_SERVICE], [FROM], False, UpdateBlock.NO_CONSENT),
        ([MemberKind.NGO], [BOTH], False, UpdateBlock.NO_CONSENT),
        ([MemberKind.PROBATION], [FROM], False, None),
        ([MemberKind.PRISON], [BOTH], False, None),
    ],
)
def test_an_update_needs_an_incoming_flow_and_where_the_law_asks_a_consent(
    kinds: list[MemberKind],
    directions: list[FlowDirection],
    obtain: bool,
    expected: UpdateBlock | None,
) -> None:
    assert update_block(kinds, directions, obtain) is expected
