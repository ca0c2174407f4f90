"""The transfer's state machine and who may see what at each state (pure).

::

    proposed ──accept (receiving county)──▶ accepted
        │ ────decline (receiving county)──▶ declined
        └──────withdraw (sending county)──▶ withdrawn

Every answer is final; a declined or withdrawn transfer may be followed by a new proposal.
What each side may read is decided by the access gate (``consent.decide``): these rules
say the same in words the pages and the tests use, and the unit tests hold the two together.
"""

from __future__ import annotations

import enum
import uuid

from app.models.transfer import TransferState
from app.refusals import N_, Code


class Act(enum.StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    WITHDRAW = "withdraw"


class Side(enum.StrEnum):
    """Where a county's staff stand towards one transfer."""

    SENDING = "sending"
    RECEIVING = "receiving"
    NEITHER = "neither"


ANSWER: dict[Act, TransferState] = {
    Act.ACCEPT: TransferState.ACCEPTED,
    Act.DECLINE: TransferState.DECLINED,
    Act.WITHDRAW: TransferState.WITHDRAWN,
}
ACTED_BY: dict[Act, Side] = {
    Act.ACCEPT: Side.RECEIVING,
    Act.DECLINE: Side.RECEIVING,
    Act.WITHDRAW: Side.SENDING,
}


def side_of(
    organisation_id: uuid.UUID | None, from_county_id: uuid.UUID, to_county_id: uuid.UUID
) -> Side:
    if organisation_id == from_county_id:
        return Side.SENDING
    if organisation_id == to_county_id:
        return Side.RECEIVING
    return Side.NEITHER


def next_state(state: TransferState, act: Act, side: Side) -> TransferState | None:
    """The state ``act`` by ``side`` leads to, or ``None`` when it may not be done now."""
    if state is not TransferState.PROPOSED or ACTED_BY[act] is not side:
        return None
    return ANSWER[act]


def owner(state: TransferState, side: Side) -> bool:
    """Whether ``side`` owns the case (its staff with a relationship read it) at ``state``."""
    if state is TransferState.ACCEPTED:
        return side is Side.RECEIVING
    return side is Side.SENDING


def recognises_client(state: TransferState, side: Side) -> bool:
    """Whether ``side``'s staff may read the client's name in a list at ``state``: the owner,
    and the receiving county while a proposal waits for its answer."""
    return owner(state, side) or (state is TransferState.PROPOSED and side is Side.RECEIVING)


class ProposalProblem(Code):
    """What is wrong with a proposal's receiving county."""

    NOT_A_COUNTY = "not_a_county", N_("Choose the county the client is moving to.")
    SAME_COUNTY = "same_county", N_("The case is already in this county: choose another one.")


def proposal_problem(
    owning_county_id: uuid.UUID, to_county_id: uuid.UUID | None, to_is_county: bool
) -> ProposalProblem | None:
    if to_county_id is None or not to_is_county:
        return ProposalProblem.NOT_A_COUNTY
    if to_county_id == owning_county_id:
        return ProposalProblem.SAME_COUNTY
    return None
