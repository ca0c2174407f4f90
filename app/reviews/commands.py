"""Follow-up: recording reviews of the client plan and the review reminders.

Recording a review sets the plan's review date to the next review agreed, through
``app.services.plan.set_review_date`` (which creates an empty plan when there is none yet
and keeps the date's history), so the dashboard's reminder moves with it. A review
recorded afterwards for a meeting earlier than the newest one does not move the date.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date
from math import ceil

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.models import Case, NetworkMember
from app.models.review import PlanReview, ReviewParticipant
from app.services import plan as plan_service
from app.services.fields import field
from consent.base import utcnow
from consent.decision import Actor, Purpose
from sharing.gate import AccessGate

# A review is brought up this many days before its date, and stays up once it is past.
REMINDER_DAYS = 14
PAGE_SIZE = 10


class ReviewStatus(enum.StrEnum):
    OVERDUE = "overdue"
    DUE = "due"  # within the reminder period
    SCHEDULED = "scheduled"  # further away
    NOT_SCHEDULED = "not_scheduled"


def review_status(review_on: date | None, today: date) -> ReviewStatus:
    """Where a plan's review date stands today (the dashboard reminds of OVERDUE and DUE)."""
    if review_on is None:
        return ReviewStatus.NOT_SCHEDULED
    if review_on < today:
        return ReviewStatus.OVERDUE
    if (review_on - today).days <= REMINDER_DAYS:
        return ReviewStatus.DUE
    return ReviewStatus.SCHEDULED


class ReviewError(ValueError):
    """Raised when a review breaks one of the rules of recording one."""


class HeldInFuture(ReviewError):
    """Raised when the review is said to have been held after today."""


class NextNotLater(ReviewError):
    """Raised when the next review is not after this one, or is already past."""


class NotAMember(ReviewError):
    """Raised when a participant is not a member of the client's network."""


@dataclass(frozen=True)
class ReviewFacts:
    held_on: date
    client_took_part: bool
    member_ids: frozenset[uuid.UUID]
    other_participants: str | None
    notes: str | None
    next_review_on: date | None


def next_review_fits(held_on: date, next_review_on: date | None, today: date) -> bool:
    """Whether the next review date may be recorded: none, or after this one and not past."""
    return next_review_on is None or (next_review_on > held_on and next_review_on >= today)


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

    :raises HeldInFuture: when ``held_on`` is after today.
    :raises NextNotLater: when the next date is not after ``held_on`` or is in the past.
    :raises NotAMember: when a participant is not a member of the case's network.
    """
    if facts.held_on > today:
        raise HeldInFuture(facts.held_on)
    if not next_review_fits(facts.held_on, facts.next_review_on, today):
        raise NextNotLater(facts.next_review_on)
    if facts.member_ids:
        known = set(
            session.scalars(
                select(NetworkMember.id).where(
                    NetworkMember.case_id == case.id, NetworkMember.id.in_(facts.member_ids)
                )
            )
        )
        if known != facts.member_ids:
            raise NotAMember(facts.member_ids - known)
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
            (field(review, "other_participants_ct"), _text(facts.other_participants)),
            (field(review, "notes_ct"), _text(facts.notes)),
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
        # Through the plan's own service: the plan is created when missing, and the change
        # of date is kept in the plan's review-date history.
        plan_service.set_review_date(
            session, case=case, actor=actor, review_on=facts.next_review_on, today=today
        )
    return review


@dataclass(frozen=True)
class ReviewPage:
    rows: list[PlanReview]
    page: int
    pages: int
    total: int


def review_page(
    session: Session, case_id: uuid.UUID, *, page: int = 1, per_page: int = PAGE_SIZE
) -> ReviewPage:
    """The case's reviews, newest first, with participants and recorder (four queries)."""
    total = (
        session.scalar(select(func.count(PlanReview.id)).where(PlanReview.case_id == case_id)) or 0
    )
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = session.scalars(
        select(PlanReview)
        .where(PlanReview.case_id == case_id)
        .options(
            joinedload(PlanReview.recorded_by),
            selectinload(PlanReview.participants)
            .joinedload(ReviewParticipant.member)
            .joinedload(NetworkMember.organisation),
        )
        .order_by(PlanReview.held_on.desc(), PlanReview.recorded_at.desc(), PlanReview.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return ReviewPage(rows=list(rows), page=page, pages=pages, total=total)


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None
