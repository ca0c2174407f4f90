"""The caseworker's list of the county's clients, paginated, in a fixed number of queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from math import ceil

from sqlalchemy import exists, func, select
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
    release_from: date | None = None,
    release_to: date | None = None,
    responsible_id: uuid.UUID | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    clamp: bool = True,
) -> Page:
    """Open and closed (not disposed) cases of a county, soonest release first (two queries).

    ``release_from`` and ``release_to`` keep the cases whose expected conditional release
    falls between them (inclusive; a case without the date is left out), and
    ``responsible_id`` those whose current responsible worker that user is. A page past the
    last is the last page, or (``clamp=False``) empty.
    """
    worker = aliased(User)
    current = aliased(ResponsibleWorker)
    # A case past retention has had its keys destroyed: nothing of it can be shown.
    conditions = [Case.county_id == county_id, Case.disposed_at.is_(None)]
    if phase is not None:
        conditions.append(Case.phase == phase)
    if release_from is not None:
        conditions.append(Case.conditional_release >= release_from)
    if release_to is not None:
        conditions.append(Case.conditional_release <= release_to)
    if responsible_id is not None:
        conditions.append(
            exists().where(
                ResponsibleWorker.case_id == Case.id,
                ResponsibleWorker.ends_on.is_(None),
                ResponsibleWorker.worker_id == responsible_id,
            )
        )
    total = session.scalar(select(func.count(Case.id)).where(*conditions)) or 0
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages) if clamp else max(1, page)
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
