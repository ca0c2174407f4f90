"""The service-need assessment (SHL § 36): its rules, the desistance factors, and saving it.

The worker edits one assessment per case. A save writes only the parts that changed
(each encrypted field is re-sealed only when its text changed, so the access log
records real writes) and appends an ``AssessmentVersion`` with who, when, which
parts changed and an encrypted snapshot of the whole assessment as it now stands.
A version row (rather than an event per field) keeps the history readable as "what
the assessment said on that day" with one ciphertext per save.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.cases.commands import change_phase
from app.models import Case, NetworkMember, Phase
from app.models.assessment import (
    Assessment,
    AssessmentFactor,
    AssessmentNeed,
    AssessmentParticipant,
    AssessmentVersion,
    NeedLevel,
    Urgency,
    VersionKind,
)
from app.services.fields import field as field_ref
from app.services.fields import sealed
from consent.base import utcnow
from consent.decision import Actor, Purpose
from consent.sections import SectionKind
from sharing.gate import AccessGate, Sealed

TEXT_LIMIT = 4000


# -- the model's desistance factors (DOMAIN.md "Desistance") ------------------------------


@dataclass(frozen=True)
class DesistanceFactor:
    """A factor supporting desistance that the worker notes against; ``code`` is stored."""

    code: str
    group: str
    label: LazyString


FACTOR_GROUPS: dict[str, LazyString] = {
    "preconditions": _l("Preconditions of a crime-free life"),
    "inner_change": _l("Inner change"),
    "inclusion": _l("Inclusion"),
    "continuity": _l("Continuity across release"),
    "ways_of_working": _l("Support and ways of working"),
}

FACTORS: tuple[DesistanceFactor, ...] = (
    DesistanceFactor("sobriety", "preconditions", _l("Sobriety")),
    DesistanceFactor("close_relationships", "preconditions", _l("Close relationships")),
    DesistanceFactor("housing", "preconditions", _l("Housing")),
    DesistanceFactor("livelihood", "preconditions", _l("Livelihood")),
    DesistanceFactor("community", "inner_change", _l("Community and belonging")),
    DesistanceFactor(
        "meaningful_everyday", "inner_change", _l("A meaningful everyday life of one's own")
    ),
    DesistanceFactor("agency", "inner_change", _l("Participation, agency and self-efficacy")),
    DesistanceFactor("study_work", "inclusion", _l("Social inclusion, study and work")),
    DesistanceFactor(
        "digital_inclusion", "inclusion", _l("Digital inclusion and digital services")
    ),
    DesistanceFactor(
        "release_continuity", "continuity", _l("Continuity of services across release")
    ),
    DesistanceFactor(
        "probation_support", "continuity", _l("Support during supervised probationary liberty")
    ),
    DesistanceFactor(
        "trust_opportunities",
        "ways_of_working",
        _l("Trust in the client and creating opportunities"),
    ),
    DesistanceFactor(
        "relationship_work",
        "ways_of_working",
        _l("Relationship-based work: a confidential relationship and respectful encounter"),
    ),
    DesistanceFactor(
        "ngo_peer_support", "ways_of_working", _l("Support from NGOs and peer experts")
    ),
    DesistanceFactor("accessible_services", "ways_of_working", _l("Equal and accessible services")),
    DesistanceFactor("network_work", "ways_of_working", _l("Multi-agency network work")),
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


def problems(data: AssessmentInput, today: date) -> dict[str, LazyString]:
    """The rules across fields, as {form field name: message}; empty when the input is sound.

    Dates are Helsinki calendar days; an assessment records what has happened, so no
    date lies in the future.
    """
    found: dict[str, LazyString] = {}
    dates = {
        "contact_on": data.contact_on,
        "urgency_assessed_on": data.urgency_assessed_on,
        "started_on": data.started_on,
        "completed_on": data.completed_on,
    }
    for name, value in dates.items():
        if value is not None and value > today:
            found[name] = _l("The date cannot be in the future.")
    if data.contact_on is None:
        found["contact_on"] = _l("Give the date of the contact or notification.")
    if "urgency_assessed_on" not in found and data.urgency_assessed_on is not None:
        if data.contact_on is not None and data.urgency_assessed_on < data.contact_on:
            found["urgency_assessed_on"] = _l(
                "The urgency cannot be assessed before the contact date."
            )
        elif data.urgency is None:
            found["urgency"] = _l("Choose the outcome of the urgency assessment.")
    if data.urgency is not None and data.urgency_assessed_on is None:
        found["urgency_assessed_on"] = _l("Give the date the urgency was assessed.")
    if (
        "started_on" not in found
        and data.started_on is not None
        and data.contact_on is not None
        and data.started_on < data.contact_on
    ):
        found["started_on"] = _l("The assessment cannot start before the contact date.")
    if "completed_on" not in found and data.completed_on is not None:
        if data.started_on is None:
            found["completed_on"] = _l("Give the start date before the completion date.")
        elif data.completed_on < data.started_on:
            found["completed_on"] = _l("The completion date cannot be before the start date.")
    if data.responsible_worker_needed is False and not data.no_worker_reason.strip():
        found["no_worker_reason"] = _l("Give the reason no responsible worker is needed.")
    return found


# -- reading -------------------------------------------------------------------------------


def load_assessment(
    session: Session, case_id: uuid.UUID, *, for_update: bool = False
) -> Assessment | None:
    """The case's assessment with its parts (four queries, or one when there is none)."""
    query = (
        select(Assessment)
        .where(Assessment.case_id == case_id)
        .options(
            selectinload(Assessment.needs),
            selectinload(Assessment.factors),
            selectinload(Assessment.participants),
            selectinload(Assessment.updated_by),
        )
        .execution_options(populate_existing=True)
    )
    if for_update:
        query = query.with_for_update(of=Assessment)
    return session.scalars(query).one_or_none()


def case_members(session: Session, case_id: uuid.UUID) -> list[NetworkMember]:
    """Every network member the case has had, with its organisation (two queries)."""
    return list(
        session.scalars(
            select(NetworkMember)
            .where(NetworkMember.case_id == case_id)
            .options(selectinload(NetworkMember.organisation))
            .order_by(NetworkMember.starts_on, NetworkMember.id)
        )
    )


def is_current(member: NetworkMember, today: date) -> bool:
    """Still in the network: not ended by hand and not past its planned last day."""
    return member.ended_at is None and (member.ends_on is None or member.ends_on >= today)


def participant_choices(
    members: Sequence[NetworkMember], assessment: Assessment | None, today: date
) -> list[NetworkMember]:
    """Members who may be named as participants: current ones, and any already named."""
    named = {p.member_id for p in assessment.participants} if assessment else set()
    return [m for m in members if is_current(m, today) or m.id in named]


def _needs_in_order(assessment: Assessment) -> list[AssessmentNeed]:
    order = {kind: i for i, kind in enumerate(SectionKind)}
    return sorted(assessment.needs, key=lambda n: order[n.area])


def _factors_in_order(assessment: Assessment) -> list[AssessmentFactor]:
    known = [f for f in assessment.factors if f.code in FACTORS_BY_CODE]
    order = {f.code: i for i, f in enumerate(FACTORS)}
    return sorted(known, key=lambda f: order[f.code])


def sealed_fields(assessment: Assessment | None) -> list[Sealed]:
    """Every encrypted field of the assessment, in the order ``stored_input`` expects."""
    if assessment is None:
        return []
    return [
        sealed(assessment, "no_worker_reason_ct"),
        sealed(assessment, "other_participants_ct"),
        *(
            pair
            for need in _needs_in_order(assessment)
            for pair in (sealed(need, "client_view_ct"), sealed(need, "professional_view_ct"))
        ),
        *(sealed(factor, "note_ct") for factor in _factors_in_order(assessment)),
    ]


def stored_input(assessment: Assessment | None, texts: Sequence[str | None]) -> AssessmentInput:
    """The assessment as stored, from the texts ``read_texts`` opened for ``sealed_fields``."""
    if assessment is None:
        return EMPTY
    it = iter(texts)
    no_worker_reason, other_participants = next(it) or "", next(it) or ""
    needs = {
        need.area: NeedInput(need.level, next(it) or "", next(it) or "")
        for need in _needs_in_order(assessment)
    }
    factors = {
        factor.code: FactorInput(factor.addressed, next(it) or "")
        for factor in _factors_in_order(assessment)
    }
    return AssessmentInput(
        contact_on=assessment.contact_on,
        urgency_assessed_on=assessment.urgency_assessed_on,
        urgency=assessment.urgency,
        started_on=assessment.started_on,
        completed_on=assessment.completed_on,
        responsible_worker_needed=assessment.responsible_worker_needed,
        no_worker_reason=no_worker_reason,
        client_took_part=assessment.client_took_part,
        participant_ids=frozenset(p.member_id for p in assessment.participants),
        other_participants=other_participants,
        needs={k: v for k, v in needs.items() if not v.empty},
        factors={k: v for k, v in factors.items() if not v.empty},
    )


@dataclass(frozen=True)
class VersionsPage:
    rows: list[AssessmentVersion]
    page: int
    pages: int
    total: int


def versions_page(
    session: Session, assessment: Assessment | None, page: int, per_page: int = 10
) -> VersionsPage:
    """One page of the version history, newest first (two queries, none without assessment)."""
    if assessment is None:
        return VersionsPage([], 1, 1, 0)
    of_this = AssessmentVersion.assessment_id == assessment.id
    total = session.scalar(select(func.count(AssessmentVersion.id)).where(of_this)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.scalars(
        select(AssessmentVersion)
        .where(of_this)
        .options(joinedload(AssessmentVersion.author))
        .order_by(AssessmentVersion.version.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return VersionsPage(list(rows), page, pages, total)


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


# -- saving --------------------------------------------------------------------------------


class AssessmentError(Exception):
    """Raised when a save or completion breaks a rule the form should have caught."""


class StaleAssessment(AssessmentError):
    """Raised when someone else saved the assessment after the form was opened."""


def save_assessment(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    case: Case,
    assessment: Assessment | None,
    before: AssessmentInput,
    after: AssessmentInput,
    seen_version: int,
    members: Sequence[NetworkMember],
    today: date,
) -> tuple[Assessment, list[str]]:
    """Create or update the case's assessment; return it and the parts that changed.

    ``before`` is the stored assessment decrypted (``stored_input``); only changed
    encrypted fields are re-sealed. Nothing changed → no new version.

    :raises StaleAssessment: when the assessment's version is no longer ``seen_version``.
    :raises AssessmentError: when the input breaks a rule or names a stranger as participant.
    :raises AccessDenied: when the actor may not write this client's data.
    """
    current_version = assessment.version if assessment else 0
    if seen_version != current_version:
        raise StaleAssessment(f"seen version {seen_version}, stored {current_version}")
    if problems(after, today):
        raise AssessmentError("the input breaks the assessment's rules")
    own = {m.id for m in members if m.case_id == case.id}
    if not after.participant_ids <= own:
        raise AssessmentError("a participant is not a member of this client's network")
    changed = changes(before, after)
    if assessment is not None and not changed:
        return assessment, []
    now = utcnow()
    created = assessment is None
    if assessment is None:
        assessment = Assessment(
            case_id=case.id,
            client_id=case.client_id,
            version=0,
            created_by_id=actor.user_id,
            created_at=now,
        )
        # A new object's collections start empty; nothing is there to load.
        assessment.needs, assessment.factors, assessment.participants = [], [], []
        session.add(assessment)
    client_id = case.client_id
    writes: list[tuple[Any, str, str]] = []  # sealed together below: one decision, one entry

    assessment.contact_on = after.contact_on
    assessment.urgency_assessed_on = after.urgency_assessed_on
    assessment.urgency = after.urgency
    assessment.started_on = after.started_on
    assessment.completed_on = after.completed_on
    assessment.responsible_worker_needed = after.responsible_worker_needed
    assessment.client_took_part = after.client_took_part
    if before.no_worker_reason != after.no_worker_reason:
        writes.append((assessment, "no_worker_reason_ct", after.no_worker_reason))
    if before.other_participants != after.other_participants:
        writes.append((assessment, "other_participants_ct", after.other_participants))

    named = {p.member_id: p for p in assessment.participants}
    for member_id in sorted(after.participant_ids - named.keys()):
        assessment.participants.append(
            AssessmentParticipant(
                assessment_id=assessment.id, member_id=member_id, added_by_id=actor.user_id
            )
        )
    for member_id in named.keys() - after.participant_ids:
        assessment.participants.remove(named[member_id])

    needs = {n.area: n for n in assessment.needs}
    for area in SectionKind:
        old, new = before.need(area), after.need(area)
        if old == new and area in needs:
            continue
        if area not in needs:
            if new.empty:
                continue
            needs[area] = AssessmentNeed(
                assessment_id=assessment.id, client_id=client_id, area=area
            )
            assessment.needs.append(needs[area])
        row = needs[area]
        row.level = new.level
        if old.client_view != new.client_view:
            writes.append((row, "client_view_ct", new.client_view))
        if old.professional_view != new.professional_view:
            writes.append((row, "professional_view_ct", new.professional_view))

    factors = {f.code: f for f in assessment.factors}
    for factor in FACTORS:
        old_f, new_f = before.factor(factor.code), after.factor(factor.code)
        if old_f == new_f and factor.code in factors:
            continue
        if factor.code not in factors:
            if new_f.empty:
                continue
            factors[factor.code] = AssessmentFactor(
                assessment_id=assessment.id, client_id=client_id, code=factor.code
            )
            assessment.factors.append(factors[factor.code])
        factor_row = factors[factor.code]
        factor_row.addressed = new_f.addressed
        if old_f.note != new_f.note:
            writes.append((factor_row, "note_ct", new_f.note))

    _seal_all(gate, actor, writes)
    kind = VersionKind.CREATED if created else VersionKind.SAVED
    _append_version(session, gate, actor, assessment, kind, changed, after, now)
    if case.phase is Phase.NOTIFIED and after.started_on is not None and case.closed_at is None:
        change_phase(session, case, Phase.ASSESSMENT, actor.user_id)  # it has begun
    session.flush()
    return assessment, changed


def complete_assessment(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    case: Case,
    assessment: Assessment,
    stored: AssessmentInput,
    seen_version: int,
    today: date,
) -> bool:
    """Mark the assessment completed today; a case in ASSESSMENT moves on to NETWORK.

    Returns whether the case's phase moved.

    :raises StaleAssessment: when the assessment's version is no longer ``seen_version``.
    :raises AssessmentError: when it has no start date or is already completed.
    """
    if seen_version != assessment.version:
        raise StaleAssessment(f"seen version {seen_version}, stored {assessment.version}")
    if assessment.started_on is None or assessment.completed_on is not None:
        raise AssessmentError("only a started, open assessment can be completed")
    if assessment.started_on > today:
        raise AssessmentError("the assessment starts in the future")
    assessment.completed_on = today
    after = replace(stored, completed_on=today)
    _append_version(
        session, gate, actor, assessment, VersionKind.COMPLETED, ["dates"], after, utcnow()
    )
    moved = case.phase is Phase.ASSESSMENT and case.closed_at is None
    if moved:
        change_phase(session, case, Phase.NETWORK, actor.user_id)
    session.flush()
    return moved


def _seal_all(gate: AccessGate, actor: Actor, writes: list[tuple[Any, str, str]]) -> None:
    """Encrypt every changed text in one gate call and store each ciphertext on its row."""
    sealed = gate.write_texts(
        actor,
        [(field_ref(row, column), text or None) for row, column, text in writes],
        purpose=Purpose.CASE_WORK,
    )
    for (row, column, _), ciphertext in zip(writes, sealed, strict=True):
        setattr(row, column, ciphertext)


def _append_version(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    assessment: Assessment,
    kind: VersionKind,
    changed: list[str],
    data: AssessmentInput,
    now: datetime,
) -> None:
    assessment.version += 1
    assessment.updated_at = now
    assessment.updated_by_id = actor.user_id
    version = AssessmentVersion(
        assessment_id=assessment.id,
        client_id=assessment.client_id,
        version=assessment.version,
        kind=kind,
        changed=" ".join(changed),
        author_id=actor.user_id,
        created_at=now,
    )
    snapshot = gate.write_text(
        actor, field_ref(version, "snapshot_ct"), snapshot_json(data), purpose=Purpose.CASE_WORK
    )
    assert snapshot is not None  # a non-empty text always seals
    version.snapshot_ct = snapshot
    session.add(version)
