"""The service-need assessment's rules, its desistance factors, change detection and snapshots.

Pure: no database, no clock, no Flask. A broken rule is an ``AssessmentProblem`` code whose
message is the English source; the form translates it. The factors and their groups are
codes here; their names are labels at the edge (``app/caseworker/assessment_forms.py``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.models import NetworkMember
from app.models.assessment import Assessment, NeedLevel, Urgency
from app.refusals import N_, Code
from consent.sections import SectionKind
from consent.status import MembershipStatus, membership_status

TEXT_LIMIT = 4000


# -- the model's desistance factors (DOMAIN.md "Desistance") ------------------------------


@dataclass(frozen=True)
class DesistanceFactor:
    """A factor supporting desistance that the worker notes against; ``code`` is stored."""

    code: str
    group: str


# The groups of the factors, in the order the pages show them.
FACTOR_GROUPS: tuple[str, ...] = (
    "preconditions",
    "inner_change",
    "inclusion",
    "continuity",
    "ways_of_working",
)

FACTORS: tuple[DesistanceFactor, ...] = (
    DesistanceFactor("sobriety", "preconditions"),
    DesistanceFactor("close_relationships", "preconditions"),
    DesistanceFactor("housing", "preconditions"),
    DesistanceFactor("livelihood", "preconditions"),
    DesistanceFactor("community", "inner_change"),
    DesistanceFactor("meaningful_everyday", "inner_change"),
    DesistanceFactor("agency", "inner_change"),
    DesistanceFactor("study_work", "inclusion"),
    DesistanceFactor("digital_inclusion", "inclusion"),
    DesistanceFactor("release_continuity", "continuity"),
    DesistanceFactor("probation_support", "continuity"),
    DesistanceFactor("trust_opportunities", "ways_of_working"),
    DesistanceFactor("relationship_work", "ways_of_working"),
    DesistanceFactor("ngo_peer_support", "ways_of_working"),
    DesistanceFactor("accessible_services", "ways_of_working"),
    DesistanceFactor("network_work", "ways_of_working"),
)
FACTORS_BY_CODE: dict[str, DesistanceFactor] = {f.code: f for f in FACTORS}


# -- what the worker enters ----------------------------------------------------------------


@dataclass(frozen=True)
class NeedInput:
    level: NeedLevel | None = None
    client_view: str = ""  # in the client's own words
    professional_view: str = ""

    @property
    def empty(self) -> bool:
        return self.level is None and not self.client_view and not self.professional_view


@dataclass(frozen=True)
class FactorInput:
    addressed: bool = False
    note: str = ""

    @property
    def empty(self) -> bool:
        return not self.addressed and not self.note


@dataclass(frozen=True)
class AssessmentInput:
    """The whole assessment as the worker entered it (or as stored, once decrypted)."""

    contact_on: date | None = None
    urgency_assessed_on: date | None = None
    urgency: Urgency | None = None
    started_on: date | None = None
    completed_on: date | None = None
    responsible_worker_needed: bool | None = None
    no_worker_reason: str = ""
    client_took_part: bool | None = None
    participant_ids: frozenset[uuid.UUID] = frozenset()
    other_participants: str = ""
    needs: Mapping[SectionKind, NeedInput] = field(default_factory=dict)
    factors: Mapping[str, FactorInput] = field(default_factory=dict)

    def need(self, area: SectionKind) -> NeedInput:
        return self.needs.get(area) or NeedInput()

    def factor(self, code: str) -> FactorInput:
        return self.factors.get(code) or FactorInput()


EMPTY = AssessmentInput()


class AssessmentProblem(Code):
    """Why an assessment cannot be saved as entered."""

    FUTURE_DATE = "future_date", N_("The date cannot be in the future.")
    NO_CONTACT_DATE = "no_contact_date", N_("Give the date of the contact or notification.")
    URGENCY_BEFORE_CONTACT = (
        "urgency_before_contact",
        N_("The urgency cannot be assessed before the contact date."),
    )
    NO_URGENCY = "no_urgency", N_("Choose the outcome of the urgency assessment.")
    NO_URGENCY_DATE = "no_urgency_date", N_("Give the date the urgency was assessed.")
    START_BEFORE_CONTACT = (
        "start_before_contact",
        N_("The assessment cannot start before the contact date."),
    )
    NO_START_DATE = "no_start_date", N_("Give the start date before the completion date.")
    COMPLETED_BEFORE_START = (
        "completed_before_start",
        N_("The completion date cannot be before the start date."),
    )
    NO_WORKER_REASON = "no_worker_reason", N_("Give the reason no responsible worker is needed.")
    NOT_IN_NETWORK = (
        "participant_not_in_network",
        N_("Choose participants from the client's own network."),
    )


def problems(data: AssessmentInput, today: date) -> dict[str, AssessmentProblem]:
    """The rules across fields, as {form field name: problem}; empty when the input is sound.

    Dates are Helsinki calendar days; an assessment records what has happened, so no
    date lies in the future.
    """
    found: dict[str, AssessmentProblem] = {}
    dates = {
        "contact_on": data.contact_on,
        "urgency_assessed_on": data.urgency_assessed_on,
        "started_on": data.started_on,
        "completed_on": data.completed_on,
    }
    for name, value in dates.items():
        if value is not None and value > today:
            found[name] = AssessmentProblem.FUTURE_DATE
    if data.contact_on is None:
        found["contact_on"] = AssessmentProblem.NO_CONTACT_DATE
    if "urgency_assessed_on" not in found and data.urgency_assessed_on is not None:
        if data.contact_on is not None and data.urgency_assessed_on < data.contact_on:
            found["urgency_assessed_on"] = AssessmentProblem.URGENCY_BEFORE_CONTACT
        elif data.urgency is None:
            found["urgency"] = AssessmentProblem.NO_URGENCY
    if data.urgency is not None and data.urgency_assessed_on is None:
        found["urgency_assessed_on"] = AssessmentProblem.NO_URGENCY_DATE
    if (
        "started_on" not in found
        and data.started_on is not None
        and data.contact_on is not None
        and data.started_on < data.contact_on
    ):
        found["started_on"] = AssessmentProblem.START_BEFORE_CONTACT
    if "completed_on" not in found and data.completed_on is not None:
        if data.started_on is None:
            found["completed_on"] = AssessmentProblem.NO_START_DATE
        elif data.completed_on < data.started_on:
            found["completed_on"] = AssessmentProblem.COMPLETED_BEFORE_START
    if data.responsible_worker_needed is False and not data.no_worker_reason.strip():
        found["no_worker_reason"] = AssessmentProblem.NO_WORKER_REASON
    return found


# -- who may be named ------------------------------------------------------------------------


def in_network(member: NetworkMember, at: datetime) -> bool:
    """Whether a member is still in the network at ``at`` (or joins it later): not ended."""
    return membership_status(member.membership(), at) is not MembershipStatus.ENDED


def participant_choices(
    members: Sequence[NetworkMember], assessment: Assessment | None, at: datetime
) -> list[NetworkMember]:
    """Members who may be named as participants: those in the network, and any already named."""
    named = {p.member_id for p in assessment.participants} if assessment else set()
    return [m for m in members if in_network(m, at) or m.id in named]


# -- changes and snapshots -----------------------------------------------------------------


def changes(before: AssessmentInput, after: AssessmentInput) -> list[str]:
    """Codes of the parts that differ: ``dates``, ``worker``, ``participants``, ``area:<kind>``,
    ``factor:<code>``; these are stored in clear, so they name parts, never content."""
    found = []
    if (
        before.contact_on,
        before.urgency_assessed_on,
        before.urgency,
        before.started_on,
        before.completed_on,
    ) != (
        after.contact_on,
        after.urgency_assessed_on,
        after.urgency,
        after.started_on,
        after.completed_on,
    ):
        found.append("dates")
    if (before.responsible_worker_needed, before.no_worker_reason) != (
        after.responsible_worker_needed,
        after.no_worker_reason,
    ):
        found.append("worker")
    if (before.participant_ids, before.other_participants, before.client_took_part) != (
        after.participant_ids,
        after.other_participants,
        after.client_took_part,
    ):
        found.append("participants")
    found += [f"area:{k.value}" for k in SectionKind if before.need(k) != after.need(k)]
    found += [f"factor:{f.code}" for f in FACTORS if before.factor(f.code) != after.factor(f.code)]
    return found


def snapshot_json(data: AssessmentInput) -> str:
    """The whole assessment as JSON, for the encrypted snapshot of a version."""

    def day(value: date | None) -> str | None:
        return value.isoformat() if value else None

    return json.dumps(
        {
            "contact_on": day(data.contact_on),
            "urgency_assessed_on": day(data.urgency_assessed_on),
            "urgency": data.urgency.value if data.urgency else None,
            "started_on": day(data.started_on),
            "completed_on": day(data.completed_on),
            "responsible_worker_needed": data.responsible_worker_needed,
            "no_worker_reason": data.no_worker_reason,
            "client_took_part": data.client_took_part,
            "participant_ids": sorted(str(i) for i in data.participant_ids),
            "other_participants": data.other_participants,
            "needs": {
                k.value: {
                    "level": n.level.value if n.level else None,
                    "client_view": n.client_view,
                    "professional_view": n.professional_view,
                }
                for k, n in data.needs.items()
                if not n.empty
            },
            "factors": {
                code: {"addressed": f.addressed, "note": f.note}
                for code, f in data.factors.items()
                if not f.empty
            },
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def parse_snapshot(text: str) -> AssessmentInput:
    """An assessment back from a version's snapshot."""
    raw: dict[str, Any] = json.loads(text)

    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    return AssessmentInput(
        contact_on=day(raw["contact_on"]),
        urgency_assessed_on=day(raw["urgency_assessed_on"]),
        urgency=Urgency(raw["urgency"]) if raw["urgency"] else None,
        started_on=day(raw["started_on"]),
        completed_on=day(raw["completed_on"]),
        responsible_worker_needed=raw["responsible_worker_needed"],
        no_worker_reason=raw["no_worker_reason"],
        client_took_part=raw["client_took_part"],
        participant_ids=frozenset(uuid.UUID(i) for i in raw["participant_ids"]),
        other_participants=raw["other_participants"],
        needs={
            SectionKind(k): NeedInput(
                NeedLevel(n["level"]) if n["level"] else None,
                n["client_view"],
                n["professional_view"],
            )
            for k, n in raw["needs"].items()
        },
        factors={
            code: FactorInput(f["addressed"], f["note"]) for code, f in raw["factors"].items()
        },
    )
