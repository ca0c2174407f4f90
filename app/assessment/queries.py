"""Reading the service-need assessment: as it stands, one version of it, and its history.

The assessment's encrypted fields and the members' names are opened in one batched gate
read, so a page runs a fixed number of queries.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.assessment.rules import (
    EMPTY,
    FACTORS,
    FACTORS_BY_CODE,
    AssessmentInput,
    FactorInput,
    NeedInput,
    parse_snapshot,
)
from app.models import NetworkMember
from app.models.assessment import (
    Assessment,
    AssessmentFactor,
    AssessmentNeed,
    AssessmentVersion,
)
from app.models.intake import Notification
from app.pagination import ListPage, paginate
from consent.facts import Actor, Purpose
from consent.sections import SectionKind
from sharing.fields import Sealed, sealed
from sharing.gate import AccessGate

VERSIONS_PER_PAGE = 10


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
        sealed(assessment, Assessment.no_worker_reason_ct),
        sealed(assessment, Assessment.other_participants_ct),
        *(
            pair
            for need in _needs_in_order(assessment)
            for pair in (
                sealed(need, AssessmentNeed.client_view_ct),
                sealed(need, AssessmentNeed.professional_view_ct),
            )
        ),
        *(sealed(factor, AssessmentFactor.note_ct) for factor in _factors_in_order(assessment)),
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


def _names(members: Sequence[NetworkMember], texts: Sequence[str | None]) -> dict[uuid.UUID, str]:
    """Each member's name: its organisation's, or the person's opened from ``texts``."""
    return {
        m.id: m.organisation.name if m.organisation else texts[i] or ""
        for i, m in enumerate(members)
    }


@dataclass(frozen=True)
class AssessmentRead:
    """The assessment as it stands, the case's members and their names (one gate read)."""

    assessment: Assessment | None
    members: list[NetworkMember]
    names: dict[uuid.UUID, str]  # member → organisation or person name
    stored: AssessmentInput


def read_assessment(
    session: Session, gate: AccessGate, actor: Actor, case_id: uuid.UUID, *, for_update: bool
) -> AssessmentRead:
    """The case's assessment opened, with the members' names, in one batched gate read.

    ``for_update`` locks the assessment row, so saves run one at a time.

    :raises AccessDenied: when the actor may not read the case.
    """
    assessment = load_assessment(session, case_id, for_update=for_update)
    members = case_members(session, case_id)
    fields = [sealed(m, NetworkMember.person_name_ct) for m in members] + sealed_fields(assessment)
    texts = gate.read_texts(actor, fields, purpose=Purpose.CASE_WORK) if fields else []
    return AssessmentRead(
        assessment,
        members,
        _names(members, texts),
        stored_input(assessment, texts[len(members) :]),
    )


@dataclass(frozen=True)
class VersionRead:
    """One version of the assessment, its snapshot opened, and the members' names."""

    version: AssessmentVersion
    data: AssessmentInput
    names: dict[uuid.UUID, str]


def read_version(
    session: Session, gate: AccessGate, actor: Actor, case_id: uuid.UUID, number: int
) -> VersionRead | None:
    """The assessment as one save left it (``None`` when there is no such version).

    :raises AccessDenied: when the actor may not read the case.
    """
    version = session.scalar(
        select(AssessmentVersion)
        .join(Assessment, Assessment.id == AssessmentVersion.assessment_id)
        .where(Assessment.case_id == case_id, AssessmentVersion.version == number)
        .options(joinedload(AssessmentVersion.author))
    )
    if version is None:
        return None
    members = case_members(session, case_id)
    texts = gate.read_texts(
        actor,
        [
            *(sealed(m, NetworkMember.person_name_ct) for m in members),
            sealed(version, AssessmentVersion.snapshot_ct),
        ],
        purpose=Purpose.CASE_WORK,
    )
    snapshot = texts[-1]
    assert snapshot is not None  # every version seals a non-empty snapshot
    return VersionRead(version, parse_snapshot(snapshot), _names(members, texts))


def versions_page(
    session: Session, assessment: Assessment | None, page: int, per_page: int = VERSIONS_PER_PAGE
) -> ListPage[AssessmentVersion]:
    """One page of the version history, newest first (two queries, none without assessment)."""
    if assessment is None:
        return ListPage([], 1, 1, 0)
    of_this = AssessmentVersion.assessment_id == assessment.id
    return paginate(
        session,
        select(AssessmentVersion)
        .where(of_this)
        .options(joinedload(AssessmentVersion.author))
        .order_by(AssessmentVersion.version.desc()),
        page=page,
        per_page=per_page,
        count=select(func.count(AssessmentVersion.id)).where(of_this),
    ).map(lambda row: row[0])


def first_contact_on(session: Session, case_id: uuid.UUID) -> date | None:
    """The day the first contact or notification of the case reached social services."""
    return session.scalar(
        select(func.min(Notification.contacted_on)).where(Notification.case_id == case_id)
    )
