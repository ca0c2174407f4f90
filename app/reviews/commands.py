"""Recording a review of the client plan, with an assessment of each plan goal.

Each goal assessed is a written section of the plan (its goals); the review keeps where the
goal stands, which version of the section was assessed, and the client's own view of it
(sealed like the notes).

Recording a review sets the plan's review date to the next review agreed, through
``app.plan.commands.set_review_date`` (which creates an empty plan when there is none yet
and keeps the date's history), so the dashboard's reminder moves with it. A review
recorded afterwards for a meeting earlier than the newest one does not move the date.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Case, ClientPlan, NetworkMember, PlanSection
from app.models.review import GoalProgress, PlanReview, ReviewGoal, ReviewParticipant
from app.plan.commands import set_review_date
from app.refusals import Refused
from app.reviews.rules import ReviewProblem, problems
from consent.base import utcnow
from consent.facts import Actor, Purpose
from consent.sections import SectionKind
from sharing.fields import field_ref
from sharing.gate import AccessGate


class ReviewRefused(Refused):
    """Raised when a review breaks the rules of recording one (``errors`` says which)."""

    code = "review_refused"


@dataclass(frozen=True)
class GoalAssessment:
    """Where one plan goal stands at the review, and the client's own view of it."""

    section: SectionKind
    progress: GoalProgress
    client_view: str | None = None


@dataclass(frozen=True)
class ReviewFacts:
    held_on: date
    client_took_part: bool
    member_ids: frozenset[uuid.UUID]
    other_participants: str | None
    notes: str | None
    next_review_on: date | None
    goals: tuple[GoalAssessment, ...] = ()


def record_review(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    case: Case,
    facts: ReviewFacts,
    *,
    today: date,
) -> PlanReview:
    """Record a review and, when it is the newest, set the plan's review date to the next.

    :raises ReviewRefused: when ``held_on`` is after today, the next date is not after
        ``held_on`` or is in the past, a participant is not a member of the case's network,
        or a goal assessed is not a written section of the plan (or is assessed twice).
    """
    found = problems(facts.held_on, facts.next_review_on, today)
    if found:
        raise ReviewRefused(errors=found)
    if facts.member_ids:
        known = set(
            session.scalars(
                select(NetworkMember.id).where(
                    NetworkMember.case_id == case.id, NetworkMember.id.in_(facts.member_ids)
                )
            )
        )
        if known != facts.member_ids:
            raise ReviewRefused(errors={"members": ReviewProblem.NOT_A_MEMBER})
    versions = _written_sections(session, case) if facts.goals else {}
    assessed = [g.section for g in facts.goals]
    if len(set(assessed)) != len(assessed) or not set(assessed) <= set(versions):
        raise ReviewRefused(errors={"goals": ReviewProblem.NOT_A_GOAL})
    newest = session.scalar(
        select(func.max(PlanReview.held_on)).where(PlanReview.case_id == case.id)
    )
    review = PlanReview(
        case_id=case.id,
        client_id=case.client_id,
        held_on=facts.held_on,
        client_took_part=facts.client_took_part,
        next_review_on=facts.next_review_on,
        recorded_by_id=actor.user_id,
        recorded_at=utcnow(),
    )
    order = list(SectionKind)
    goals = [
        ReviewGoal(
            review_id=review.id,
            client_id=case.client_id,
            section_kind=goal.section,
            section_version=versions[goal.section],
            position=order.index(goal.section),
            progress=goal.progress,
        )
        for goal in facts.goals
    ]
    # One gate write for the review's texts and every goal's view: one decision, one entry.
    sealed_texts = gate.write_texts(
        actor,
        [
            (field_ref(review, PlanReview.other_participants_ct), _text(facts.other_participants)),
            (field_ref(review, PlanReview.notes_ct), _text(facts.notes)),
            *(
                (field_ref(row, ReviewGoal.client_view_ct), _text(goal.client_view))
                for row, goal in zip(goals, facts.goals, strict=True)
            ),
        ],
        purpose=Purpose.CASE_WORK,
    )
    review.other_participants_ct, review.notes_ct = sealed_texts[:2]
    for row, view in zip(goals, sealed_texts[2:], strict=True):
        row.client_view_ct = view
    session.add(review)
    session.add_all(
        ReviewParticipant(review_id=review.id, member_id=member_id)
        for member_id in sorted(facts.member_ids)
    )
    session.add_all(goals)
    session.flush()
    if newest is None or facts.held_on >= newest:
        # Through the plan's own command: the plan is created when missing, and the change
        # of date is kept in the plan's review-date history.
        set_review_date(
            session, case=case, actor=actor, review_on=facts.next_review_on, today=today
        )
    return review


def _written_sections(session: Session, case: Case) -> dict[SectionKind, int]:
    """The plan's written sections (their goals) and each one's current version."""
    rows = session.execute(
        select(PlanSection.kind, PlanSection.current_version)
        .join(ClientPlan, ClientPlan.id == PlanSection.plan_id)
        .where(ClientPlan.case_id == case.id, PlanSection.current_version > 0)
    ).all()
    return {SectionKind(kind): version for kind, version in rows}


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None
