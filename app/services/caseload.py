"""The caseworker's list of the county's clients, paginated, in a fixed number of queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from math import ceil

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.models import Case, Client, Phase, ResponsibleWorker, User

PAGE_SIZE = 25


@dataclass(frozen=True)
class CaseRow:
    client: Client
    case: Case
    responsible_worker: User | None


@dataclass(frozen=True)
class Page:
    rows: list[CaseRow]
    page: int
    pages: int
    total: int


def county_caseload(
    session: Session,
    county_id: uuid.UUID,
    *,
    phase: Phase | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> Page:
    """Open and closed (not disposed) cases of a county, soonest release first (two queries)."""
    worker = aliased(User)
    current = aliased(ResponsibleWorker)
    # A case past retention has had its keys destroyed: nothing of it can be shown.
    conditions = [Case.county_id == county_id, Case.disposed_at.is_(None)]
    if phase is not None:
        conditions.append(Case.phase == phase)
    total = session.scalar(select(func.count(Case.id)).where(*conditions)) or 0
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
    result = session.execute(
        select(Client, Case, worker)
        .join(Case, Case.client_id == Client.id)
        .outerjoin(current, (current.case_id == Case.id) & current.ends_on.is_(None))
        .outerjoin(worker, worker.id == current.worker_id)
        .where(*conditions)
        .order_by(Case.conditional_release.is_(None), Case.conditional_release, Case.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    rows = [CaseRow(client, case, user) for client, case, user in result]
    return Page(rows=rows, page=page, pages=pages, total=total)
