"""The rules of a plan section, who may be named in it, and the differences between versions.

Pure: no database, no clock, no Flask. A broken rule is a ``SectionProblem`` code whose
message is the English source; the form, the page and the API translate it at the edge.
"""

from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from app.models import NetworkMember, PlanSection, PlanSectionVersion
from app.models.plan import AgreementState
from app.plan.content import SectionContent
from app.refusals import N_, Code
from consent.facts import Actor, ActorRole
from consent.sections import SectionKind
from consent.status import MembershipStatus, membership_status

TEXT_LIMIT = 4000


# -- what the worker enters ----------------------------------------------------------------


@dataclass(frozen=True)
class SectionInput:
    """One section as the worker entered it (or as a version stored it, once decrypted)."""

    goals: str = ""  # in the client's own words
    measures: str = ""  # agreed measures and services
    client_view: str = ""
    worker_view: str = ""
    agreement: AgreementState = AgreementState.DRAFT
    responsible_ids: frozenset[uuid.UUID] = frozenset()
    review_on: date | None = None

    def content(self) -> SectionContent:
        """The texts, as a version's ``content_ct`` seals them."""
        return SectionContent(self.goals, self.measures, self.client_view, self.worker_view)


EMPTY = SectionInput()


def stored_input(version: PlanSectionVersion | None, content: SectionContent) -> SectionInput:
    """A version back as input: its texts from its opened ``content`` and its coded facts."""
    if version is None:
        return EMPTY
    return SectionInput(
        goals=content.goals,
        measures=content.measures,
        client_view=content.client_view,
        worker_view=content.worker_view,
        agreement=version.agreement,
        responsible_ids=frozenset(r.member_id for r in version.responsibles),
        review_on=version.review_on,
    )


class SectionProblem(Code):
    """Why a section (or the plan's review date) cannot be saved as entered."""

    NO_GOALS = "no_goals", N_("Write the goals in the client's own words.")
    TOO_LONG = "too_long", N_("At most %(max)d characters.")
    NO_CLIENT_VIEW = (
        "no_client_view",
        N_("The client disagrees: write down the client's view in their own words."),
    )
    NO_WORKER_VIEW = "no_worker_view", N_("The client disagrees: write down the worker's view too.")
    NOT_IN_NETWORK = (
        "responsible_not_in_network",
        N_("Choose responsible members from the client's own network."),
    )
    REVIEW_IN_PAST = "review_in_past", N_("The review date cannot be in the past.")


# The values of the placeholders in the problems' messages.
MESSAGE_PARAMS: dict[str, object] = {"max": TEXT_LIMIT}


def review_date_problem(
    review_on: date | None, stored: date | None, today: date
) -> SectionProblem | None:
    """A new review date cannot be in the past (one already stored may stay as it is)."""
    if review_on is not None and review_on != stored and review_on < today:
        return SectionProblem.REVIEW_IN_PAST
    return None


def problems(
    data: SectionInput,
    *,
    allowed_members: Iterable[uuid.UUID],
    stored_review_on: date | None,
    today: date,
) -> dict[str, SectionProblem]:
    """The rules of a section, as {form field name: problem}; empty when the input is sound."""
    found: dict[str, SectionProblem] = {}
    if not data.goals.strip():
        found["goals"] = SectionProblem.NO_GOALS
    for name, text in data.content().texts().items():
        if len(text) > TEXT_LIMIT:
            found[name] = SectionProblem.TOO_LONG
    if data.agreement is AgreementState.DISAGREED:
        if not data.client_view.strip() and "client_view" not in found:
            found["client_view"] = SectionProblem.NO_CLIENT_VIEW
        if not data.worker_view.strip() and "worker_view" not in found:
            found["worker_view"] = SectionProblem.NO_WORKER_VIEW
    if not data.responsible_ids <= set(allowed_members):
        found["responsible"] = SectionProblem.NOT_IN_NETWORK
    if review := review_date_problem(data.review_on, stored_review_on, today):
        found["review_on"] = review
    return found


# -- who may be named ------------------------------------------------------------------------


def responsible_choices(
    members: Sequence[NetworkMember], named: Iterable[uuid.UUID], at: datetime
) -> list[NetworkMember]:
    """Members who may be named responsible: those not ended at ``at``, and any already named."""
    keep = set(named)
    return [
        m
        for m in members
        if membership_status(m.membership(), at) is not MembershipStatus.ENDED or m.id in keep
    ]


def active_members(members: Sequence[NetworkMember], at: datetime) -> list[NetworkMember]:
    """Members active in the network at ``at``: whose view a worker may preview."""
    return [m for m in members if membership_status(m.membership(), at) is MembershipStatus.ACTIVE]


def grantee_actor(member: NetworkMember) -> Actor:
    """The actor a network member reads as: its organisation's staff, or the person."""
    if member.organisation_id is not None:
        return Actor(ActorRole.PARTNER, organisation_id=member.organisation_id)
    return Actor(ActorRole.PERSON, member_id=member.id)


def in_order(sections: Iterable[PlanSection]) -> list[PlanSection]:
    """Sections in the order of their kinds."""
    order = {kind: i for i, kind in enumerate(SectionKind)}
    return sorted(sections, key=lambda s: order[s.kind])


# -- differences ---------------------------------------------------------------------------

Op = Literal["equal", "delete", "insert"]
_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Segment:
    """A run of text that both versions share (``equal``), or only the older or newer has."""

    op: Op
    text: str


def word_diff(old: str, new: str) -> list[Segment]:
    """The word-level differences from ``old`` to ``new`` (whitespace kept as it was)."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    segments: list[Segment] = []

    def add(op: Op, tokens: Sequence[str]) -> None:
        text = "".join(tokens)
        if not text:
            return
        if segments and segments[-1].op == op:
            segments[-1] = Segment(op, segments[-1].text + text)
        else:
            segments.append(Segment(op, text))

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", a[i1:i2])
        else:
            add("delete", a[i1:i2])
            add("insert", b[j1:j2])
    return segments


@dataclass(frozen=True)
class FieldChange:
    """How one field of a section differs between two versions.

    ``kind`` is ``text`` (``segments`` hold the word differences), ``value`` (``before``
    and ``after``) or ``members`` (``added`` and ``removed`` member ids).
    """

    name: str
    kind: Literal["text", "value", "members"]
    changed: bool
    segments: list[Segment] = field(default_factory=list)
    before: Any = None
    after: Any = None
    added: list[uuid.UUID] = field(default_factory=list)
    removed: list[uuid.UUID] = field(default_factory=list)
    kept: list[uuid.UUID] = field(default_factory=list)


def compare(before: SectionInput, after: SectionInput) -> list[FieldChange]:
    """Field by field, what changed from ``before`` to ``after`` (in the form's order)."""
    changes = [
        FieldChange(
            name,
            "text",
            getattr(before, name) != getattr(after, name),
            segments=word_diff(getattr(before, name), getattr(after, name)),
        )
        for name in ("goals", "measures")
    ]
    changes.append(
        FieldChange(
            "responsible",
            "members",
            before.responsible_ids != after.responsible_ids,
            added=sorted(after.responsible_ids - before.responsible_ids),
            removed=sorted(before.responsible_ids - after.responsible_ids),
            kept=sorted(before.responsible_ids & after.responsible_ids),
        )
    )
    changes += [
        FieldChange(
            name,
            "text",
            getattr(before, name) != getattr(after, name),
            segments=word_diff(getattr(before, name), getattr(after, name)),
        )
        for name in ("client_view", "worker_view")
    ]
    changes += [
        FieldChange(
            name,
            "value",
            getattr(before, name) != getattr(after, name),
            before=getattr(before, name),
            after=getattr(after, name),
        )
        for name in ("agreement", "review_on")
    ]
    return changes
