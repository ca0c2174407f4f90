"""Reading a case's plan reviews, a page at a time, and the members who may take part."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.models import ClientPlan, NetworkMember, PlanSection, PlanSectionVersion
from app.models.review import PlanReview, ReviewParticipant
from app.pagination import ListPage, paginate
from consent.sections import SectionKind

PAGE_SIZE = 10


def review_page(
    session: Session, case_id: uuid.UUID, *, page: int = 1, per_page: int = PAGE_SIZE
) -> ListPage[PlanReview]:
    """The case's reviews, newest first, with participants, goals and recorder (four queries)."""
    of_case = PlanReview.case_id == case_id
    return paginate(
        session,
        select(PlanReview)
        .where(of_case)
        .options(
            joinedload(PlanReview.recorded_by),
            selectinload(PlanReview.goals),
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


def latest_review(session: Session, case_id: uuid.UUID) -> PlanReview | None:
    """The case's newest review with its goals (two queries), or None before the first."""
    return session.scalar(
        select(PlanReview)
        .where(PlanReview.case_id == case_id)
        .options(selectinload(PlanReview.goals))
        .order_by(PlanReview.held_on.desc(), PlanReview.recorded_at.desc(), PlanReview.id)
        .limit(1)
    )


def plan_goals(session: Session, case_id: uuid.UUID) -> list[PlanSectionVersion]:
    """The current version of each written plan section (its goals), in the plan's order
    (one query); a review assesses these."""
    versions = session.scalars(
        select(PlanSectionVersion)
        .join(PlanSection, PlanSection.id == PlanSectionVersion.section_id)
        .join(ClientPlan, ClientPlan.id == PlanSection.plan_id)
        .where(
            ClientPlan.case_id == case_id,
            PlanSectionVersion.version == PlanSection.current_version,
        )
    ).all()
    order = list(SectionKind)
    return sorted(versions, key=lambda v: order.index(v.kind))
