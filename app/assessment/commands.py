"""Saving the service-need assessment (SHL § 36) and marking it completed.

The worker edits one assessment per case. A save writes only the parts that changed
(each encrypted field is re-sealed only when its text changed, so the access log
records real writes) and appends an ``AssessmentVersion`` with who, when, which
parts changed and an encrypted snapshot of the whole assessment as it now stands.
A version row (rather than an event per field) keeps the history readable as "what
the assessment said on that day" with one ciphertext per save.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import InstrumentedAttribute, Session

from app.assessment.rules import (
    FACTORS,
    AssessmentInput,
    AssessmentProblem,
    changes,
    problems,
    snapshot_json,
)
from app.cases.commands import change_phase
from app.models import Case, NetworkMember, Phase
from app.models.assessment import (
    Assessment,
    AssessmentFactor,
    AssessmentNeed,
    AssessmentParticipant,
    AssessmentVersion,
    VersionKind,
)
from app.refusals import N_, Refused, Stale
from consent.base import Base, utcnow
from consent.facts import Actor, Purpose
from consent.sections import SectionKind
from sharing.fields import field_ref
from sharing.gate import AccessGate

# A text to seal into a row's declared ciphertext column.
Write = tuple[Base, InstrumentedAttribute[Any], str | None]


class AssessmentRefused(Refused):
    """Raised when a save breaks the assessment's rules (``errors`` says which, per field)."""

    code = "assessment_refused"
    message = N_("Check the assessment.")


class StaleAssessment(Stale):
    """Raised when someone else saved the assessment after the form was opened."""

    code = "stale_assessment"
    message = N_(
        "Someone else saved this assessment while you were editing it. Your input is "
        "kept below: compare it with the summary, then save again."
    )


class StaleCompletion(StaleAssessment):
    """Raised when someone else saved the assessment after the page marking it done was opened."""

    code = "stale_completion"
    message = N_(
        "Someone else saved this assessment meanwhile. Check the summary, then mark it "
        "completed again."
    )


class NotCompletable(Refused):
    """Raised when the assessment has not started (or starts later), or is already completed."""

    code = "not_completable"
    message = N_(
        "Only an assessment that has started and is not yet completed can be marked "
        "completed. Record the start date first."
    )


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
    :raises AssessmentRefused: when the input breaks a rule or names a stranger as participant.
    :raises AccessDenied: when the actor may not write this client's data.
    """
    current_version = assessment.version if assessment else 0
    if seen_version != current_version:
        raise StaleAssessment()
    found = problems(after, today)
    if found:
        raise AssessmentRefused(errors=found)
    own = {m.id for m in members if m.case_id == case.id}
    if not after.participant_ids <= own:
        raise AssessmentRefused(errors={"participants": AssessmentProblem.NOT_IN_NETWORK})
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
    writes: list[Write] = []  # sealed together below: one decision, one entry

    assessment.contact_on = after.contact_on
    assessment.urgency_assessed_on = after.urgency_assessed_on
    assessment.urgency = after.urgency
    assessment.started_on = after.started_on
    assessment.completed_on = after.completed_on
    assessment.responsible_worker_needed = after.responsible_worker_needed
    assessment.client_took_part = after.client_took_part
    if before.no_worker_reason != after.no_worker_reason:
        writes.append((assessment, Assessment.no_worker_reason_ct, after.no_worker_reason))
    if before.other_participants != after.other_participants:
        writes.append((assessment, Assessment.other_participants_ct, after.other_participants))

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
            writes.append((row, AssessmentNeed.client_view_ct, new.client_view))
        if old.professional_view != new.professional_view:
            writes.append((row, AssessmentNeed.professional_view_ct, new.professional_view))

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
            writes.append((factor_row, AssessmentFactor.note_ct, new_f.note))

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

    :raises StaleCompletion: when the assessment's version is no longer ``seen_version``.
    :raises NotCompletable: when it has not started, starts later or is already completed.
    """
    if seen_version != assessment.version:
        raise StaleCompletion()
    if assessment.started_on is None or assessment.completed_on is not None:
        raise NotCompletable()
    if assessment.started_on > today:
        raise NotCompletable()
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


def _seal_all(gate: AccessGate, actor: Actor, writes: list[Write]) -> None:
    """Encrypt every changed text in one gate call and store each ciphertext on its row."""
    gate.write_fields(
        actor,
        [(row, column, text or None) for row, column, text in writes],
        purpose=Purpose.CASE_WORK,
    )


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
        actor,
        field_ref(version, AssessmentVersion.snapshot_ct),
        snapshot_json(data),
        purpose=Purpose.CASE_WORK,
    )
    assert snapshot is not None  # a non-empty text always seals
    version.snapshot_ct = snapshot
    session.add(version)
