"""County transfer's pure rules: the state machine, who sees what at each state (held to the
access decision itself), and what becomes of each consent."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from app.models.transfer import TransferState
from app.transfer.rules import (
    Act,
    ProposalProblem,
    Side,
    next_state,
    owner,
    proposal_problem,
    recognises_client,
    side_of,
)
from consent.decision import Reason, decide
from consent.facts import (
    AccessRequest,
    Action,
    Actor,
    ActorRole,
    CaseContext,
    Direction,
    FactsNeeded,
    Purpose,
)
from consent.sections import DataScope, SectionKind
from consent.transfer import TransferFate, consent_fate

A, B, C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
CLIENT = uuid.uuid4()
AT = datetime(2026, 12, 7, 10, tzinfo=UTC)
WORKER = {Side.SENDING: uuid.uuid4(), Side.RECEIVING: uuid.uuid4(), Side.NEITHER: uuid.uuid4()}
COUNTY = {Side.SENDING: A, Side.RECEIVING: B, Side.NEITHER: C}


# -- the state machine ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "act", "side", "expected"),
    [
        (s, a, d, e)
        for s, a, d in itertools.product(TransferState, Act, Side)
        for e in [
            {
                (Act.ACCEPT, Side.RECEIVING): TransferState.ACCEPTED,
                (Act.DECLINE, Side.RECEIVING): TransferState.DECLINED,
                (Act.WITHDRAW, Side.SENDING): TransferState.WITHDRAWN,
            }.get((a, d))
            if s is TransferState.PROPOSED
            else None
        ]
    ],
)
def test_only_a_proposal_is_answered_and_only_by_its_side(
    state: TransferState, act: Act, side: Side, expected: TransferState | None
) -> None:
    assert next_state(state, act, side) is expected


def test_sides() -> None:
    assert side_of(A, A, B) is Side.SENDING
    assert side_of(B, A, B) is Side.RECEIVING
    assert side_of(C, A, B) is Side.NEITHER
    assert side_of(None, A, B) is Side.NEITHER


def test_the_receiving_county_must_be_another_county() -> None:
    assert proposal_problem(A, None, False) is ProposalProblem.NOT_A_COUNTY
    assert proposal_problem(A, B, False) is ProposalProblem.NOT_A_COUNTY
    assert proposal_problem(A, A, True) is ProposalProblem.SAME_COUNTY
    assert proposal_problem(A, B, True) is None


# -- who sees what, held to decide -----------------------------------------------------------


def facts_at(state: TransferState) -> CaseContext:
    """The case facts as ``app.cases.facts`` gathers them at each state of one transfer from
    A to B, with each side's worker responsible in their own county's eyes (the owner's is
    the responsible worker; the others' relationship does not count elsewhere)."""
    owning = B if state is TransferState.ACCEPTED else A
    side = Side.RECEIVING if owning == B else Side.SENDING
    return CaseContext(
        client_id=CLIENT,
        county_id=owning,
        responsible_worker_id=WORKER[side],
        team_ids=frozenset(WORKER.values()),  # as if all were in the team: county decides
        transfer_to=B if state is TransferState.PROPOSED else None,
    )


def asks(side: Side, state: TransferState, purpose: Purpose, scope: DataScope, action=Action.READ):  # type: ignore[no-untyped-def]
    actor = Actor(ActorRole.CASEWORKER, user_id=WORKER[side], organisation_id=COUNTY[side])
    return decide(AccessRequest(actor, CLIENT, action, purpose, AT, scope), facts_at(state))


@pytest.mark.parametrize(("state", "side"), list(itertools.product(TransferState, Side)))
def test_the_rules_in_words_say_what_the_gate_decides(state: TransferState, side: Side) -> None:
    listed = asks(side, state, Purpose.LIST, DataScope.NAME)
    assert listed.allowed is recognises_client(state, side)
    case_work = asks(side, state, Purpose.CASE_WORK, DataScope.BASIC)
    assert case_work.allowed is owner(state, side)
    section = asks(side, state, Purpose.CASE_WORK, SectionKind.HOUSING)
    assert section.allowed is owner(state, side)
    if not owner(state, side):
        assert case_work.reason is Reason.DENIED_OTHER_COUNTY


def test_a_proposal_lets_the_receiving_county_read_the_name_in_a_list_and_nothing_else() -> None:
    state, side = TransferState.PROPOSED, Side.RECEIVING
    assert asks(side, state, Purpose.LIST, DataScope.NAME).reason is (
        Reason.ALLOWED_TRANSFER_PROPOSED
    )
    for purpose, scope, action in [
        (Purpose.LIST, DataScope.NAME, Action.WRITE),
        (Purpose.LIST, DataScope.BASIC, Action.READ),
        (Purpose.CASE_WORK, DataScope.NAME, Action.READ),
        (Purpose.NETWORK_COOPERATION, DataScope.NAME, Action.READ),
        (Purpose.CASE_WORK, DataScope.BASIC, Action.WRITE),
    ]:
        assert not asks(side, state, purpose, scope, action).allowed
    # A partner organisation named like the receiving county gets nothing from a proposal.
    partner = Actor(ActorRole.PARTNER, user_id=uuid.uuid4(), organisation_id=B)
    request = AccessRequest(partner, CLIENT, Action.READ, Purpose.NETWORK_COOPERATION, AT)
    assert not decide(request, facts_at(state)).allowed


def test_the_proposal_survives_narrowing_of_the_facts() -> None:
    narrowed = facts_at(TransferState.PROPOSED).narrowed(FactsNeeded())
    assert narrowed.transfer_to == B


# -- consents ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "member_org", "fate"),
    [
        (Direction.DISCLOSE, C, TransferFate.CONTINUES),  # an organisation: the client's choice
        (Direction.DISCLOSE, None, TransferFate.CONTINUES),  # a close person
        (Direction.DISCLOSE, A, TransferFate.ENDS),  # the sending county as a grantee
        (Direction.DISCLOSE, B, TransferFate.ENDS),  # the receiving county owns the case now
        (Direction.OBTAIN, C, TransferFate.ENDS),  # the sending county was the recipient
        (Direction.OBTAIN, None, TransferFate.ENDS),
    ],
)
def test_what_each_consent_does_on_transfer(
    direction: Direction, member_org: uuid.UUID | None, fate: TransferFate
) -> None:
    assert consent_fate(direction, member_org, sending_county_id=A, receiving_county_id=B) is fate


def test_a_closed_case_shows_the_receiving_county_nothing() -> None:
    closed = replace(facts_at(TransferState.PROPOSED), closed_at=AT)
    actor = Actor(ActorRole.CASEWORKER, user_id=WORKER[Side.RECEIVING], organisation_id=B)
    request = AccessRequest(actor, CLIENT, Action.READ, Purpose.LIST, AT, DataScope.NAME)
    assert decide(request, closed).reason is Reason.DENIED_OTHER_COUNTY
