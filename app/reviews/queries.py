"""Reading a case's plan reviews, a page at a time, and the members who may take part."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.models import NetworkMember
from app.models.review import PlanReview, ReviewParticipant
from app.pagination import ListPage, paginate

PAGE_SIZE = 10


def review_page(
    session: Session, case_id: uuid.UUID, *, page: int = 1, per_page: int = PAGE_SIZE
) -> ListPage[PlanReview]:
    """The case's reviews, newest first, with participants and recorder (three queries)."""
    of_case = PlanReview.case_id == case_id
    return paginate(
        session,
        select(PlanReview)
        .where(of_case)
        .options(
            joinedload(PlanReview.recorded_by),
            selectinload(PlanReview.participants)
            .joinedload(ReviewParticipant.member)
            .joinedload(NetworkMember.organisation),
        )
        .order_by(PlanReview.held_on.desc(), PlanReview.recorded_at.desc(), PlanReview.id),
        page=page,
        per_page=per_page,
        count=select(func.count(PlanReview.id)).where(of_case),
    ).map(lambda row: row[0])


def network_members(session: Session, case_id: uuid.UUID) -> list[NetworkMember]:
    """Every member the case's network has had, with its organisation, oldest first."""
    return list(
        session.scalars(
            select(NetworkMember)
            .where(NetworkMember.case_id == case_id)
            .options(joinedload(NetworkMember.organisation))
            .order_by(NetworkMember.starts_on, NetworkMember.added_at, NetworkMember.id)
        )
    )
