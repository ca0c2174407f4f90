"""Pure rules of the support network: which kinds join how, and which periods may coexist."""

from __future__ import annotations

from datetime import date, timedelta

from app.models import MemberKind, OrgKind
from consent.facts import Membership

PERSON_KINDS = (MemberKind.CLOSE_PERSON, MemberKind.PEER_EXPERT)
# An organisation joins the network as the kind of member its own kind implies.
MEMBER_KIND_OF: dict[OrgKind, MemberKind] = {
    OrgKind.PRISON: MemberKind.PRISON,
    OrgKind.PROBATION: MemberKind.PROBATION,
    OrgKind.PUBLIC_SERVICE: MemberKind.PUBLIC_SERVICE,
    OrgKind.NGO: MemberKind.NGO,
    OrgKind.PEER_SUPPORT: MemberKind.PEER_EXPERT,
    OrgKind.OTHER: MemberKind.OTHER,
}


def ends_before_start(starts_on: date, ends_on: date | None) -> bool:
    """Whether a period of whole days would end before it starts (``None``: open-ended)."""
    return ends_on is not None and ends_on < starts_on


def overlaps(other: Membership, starts_on: date, ends_on: date | None) -> bool:
    """Whether ``other``'s period shares a day with the new one.

    A membership ended by hand ended at an instant on its last day, so a new one may
    start on that day.
    """
    other_end = other.ends_on
    if other.ended_at is not None and other_end is not None:
        other_end -= timedelta(days=1)
        if other_end < other.starts_on:  # ended on (or before) its first day
            return False
    starts_before_other_ends = other_end is None or starts_on <= other_end
    ends_after_other_starts = ends_on is None or other.starts_on <= ends_on
    return starts_before_other_ends and ends_after_other_starts
