"""Recording a review of the client plan.

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

from app.models import Case, NetworkMember
from app.models.review import PlanReview, ReviewParticipant
from app.plan.commands import set_review_date
from app.refusals import Refused
from app.reviews.rules import ReviewProblem, problems
from consent.base import utcnow
from consent.facts import Actor, Purpose
from sharing.fields import field_ref
from sharing.gate import AccessGate


class ReviewRefused(Refused):
    """Raised when a review breaks the rules of recording one (``errors`` says which)."""

    code = "review_refused"


@dataclass(frozen=True)
class ReviewFacts:
    held_on: date
    client_took_part: bool
    member_ids: frozenset[uuid.UUID]
    other_participants: str | None
    notes: str | None
    next_review_on: date | None


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
        ``held_on`` or is in the past, or a participant is not a member of the case's network.
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
    review.other_participants_ct, review.notes_ct = gate.write_texts(
        actor,
        [
            (field_ref(review, PlanReview.other_participants_ct), _text(facts.other_participants)),
            (field_ref(review, PlanReview.notes_ct), _text(facts.notes)),
        ],
        purpose=Purpose.CASE_WORK,
    )
    session.add(review)
    session.add_all(
        ReviewParticipant(review_id=review.id, member_id=member_id)
        for member_id in sorted(facts.member_ids)
    )
    session.flush()
    if newest is None or facts.held_on >= newest:
        # Through the plan's own command: the plan is created when missing, and the change
        # of date is kept in the plan's review-date history.
        set_review_date(
            session, case=case, actor=actor, review_on=facts.next_review_on, today=today
        )
    return review


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None
