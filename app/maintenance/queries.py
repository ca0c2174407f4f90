"""The administrator's list of upcoming disposals: closed cases whose disposal day
(``Case.disposal_on``) falls in the coming days. No client data: the case's short reference,
county, service task and disposal day only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Case, Organisation, ServiceTask
from app.pagination import ListPage, paginate

UPCOMING_DAYS = 90
PER_PAGE = 50


def case_reference(case_id: uuid.UUID) -> str:
    """A case's short reference for lists that must not name the client: its id's first
    eight hex digits (the county finds the case by it in its own register)."""
    return case_id.hex[:8].upper()


@dataclass(frozen=True)
class UpcomingDisposal:
    reference: str
    county: str
    service_task: ServiceTask
    disposal_on: date


def upcoming_disposals(
    session: Session,
    *,
    scope: uuid.UUID | None,
    today: date,
    page: int,
    days: int = UPCOMING_DAYS,
    per_page: int = PER_PAGE,
) -> ListPage[UpcomingDisposal]:
    """The cases due for disposal from ``today`` to ``days`` ahead, soonest first, of the
    county ``scope`` (None: every county), a page at a time (two statements)."""
    conditions = [
        Case.disposal_on >= today,
        Case.disposal_on <= today + timedelta(days=days),
        Case.disposed_at.is_(None),
    ]
    if scope is not None:
        conditions.append(Case.county_id == scope)
    query = (
        select(Case.id, Organisation.name, Case.service_task, Case.disposal_on)
        .join(Organisation, Organisation.id == Case.county_id)
        .where(*conditions)
        .order_by(Case.disposal_on, Case.id)
    )
    return paginate(session, query, page=page, per_page=per_page).map(
        lambda row: UpcomingDisposal(case_reference(row[0]), row[1], row[2], row[3])
    )
