"""Read models of cases: each client's newest case, the county's caseload, a case's phase
history, key dates, responsible workers and team (a fixed number of queries each)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased, joinedload

from app.models import Case, CaseTeamMember, Client, Phase, ResponsibleWorker, Role, User
from app.models.case import PhaseChange, ReleaseDatesChange
from app.models.parallel_plan import ParallelPlan
from app.pagination import ListPage, paginate

PAGE_SIZE = 25


def latest_cases(session: Session, client_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Case]:
    """Each client's newest case, in one query."""
    if not client_ids:
        return {}
    rows = session.scalars(
        select(Case).where(Case.client_id.in_(client_ids)).order_by(Case.opened_at)
    ).all()
    return {case.client_id: case for case in rows}  # later (newer) rows win


# -- the caseload -------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    client: Client
    case: Case
    responsible_worker: User | None


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
) -> ListPage[CaseRow]:
    """Open and closed (not disposed) cases of a county, soonest release day first (two
    queries; ``Case.release_on``, the day every page shows, in ``ix_cases_caseload`` order).

    ``release_from`` and ``release_to`` keep the cases whose release day falls between them
    (inclusive; a case without the date is left out), and
    ``responsible_id`` those whose current responsible worker that user is. A page past the
    last is the last page.
    """
    worker = aliased(User)
    current = aliased(ResponsibleWorker)
    # A case past retention has had its keys destroyed: nothing of it can be shown.
    conditions = [Case.county_id == county_id, Case.disposed_at.is_(None)]
    if phase is not None:
        conditions.append(Case.phase == phase)
    if release_from is not None:
        conditions.append(Case.release_on >= release_from)
    if release_to is not None:
        conditions.append(Case.release_on <= release_to)
    if responsible_id is not None:
        conditions.append(
            exists().where(
                ResponsibleWorker.case_id == Case.id,
                ResponsibleWorker.ends_on.is_(None),
                ResponsibleWorker.worker_id == responsible_id,
            )
        )
    rows = paginate(
        session,
        select(Client, Case, worker)
        .join(Case, Case.client_id == Client.id)
        .outerjoin(current, (current.case_id == Case.id) & current.ends_on.is_(None))
        .outerjoin(worker, worker.id == current.worker_id)
        .where(*conditions)
        .order_by(Case.release_on.is_(None), Case.release_on, Case.id),
        page=page,
        per_page=per_page,
        count=select(func.count(Case.id)).where(*conditions),
    )
    return rows.map(lambda row: CaseRow(row[0], row[1], row[2]))


# -- the phases and key dates -------------------------------------------------------------


def phase_changes(session: Session, case_id: uuid.UUID) -> list[PhaseChange]:
    """The case's phase changes, oldest first, with who made them (one query)."""
    return list(
        session.scalars(
            select(PhaseChange)
            .where(PhaseChange.case_id == case_id)
            .options(joinedload(PhaseChange.changed_by))
            .order_by(PhaseChange.changed_at, PhaseChange.id)
        )
    )


def last_release_dates_change(session: Session, case_id: uuid.UUID) -> ReleaseDatesChange | None:
    """Who last saved the key dates and when (one query)."""
    return session.scalars(
        select(ReleaseDatesChange)
        .where(ReleaseDatesChange.case_id == case_id)
        .options(joinedload(ReleaseDatesChange.changed_by))
        .order_by(ReleaseDatesChange.changed_at.desc(), ReleaseDatesChange.id)
        .limit(1)
    ).first()


# -- the responsible worker and the team --------------------------------------------------


def county_caseworkers(session: Session, county_id: uuid.UUID) -> list[User]:
    """The county's active caseworkers by name: who may be appointed or join the team."""
    return list(
        session.scalars(
            select(User)
            .where(
                User.organisation_id == county_id,
                User.role == Role.CASEWORKER,
                User.active.is_(True),
            )
            .order_by(User.display_name, User.id)
        )
    )


def appointments(session: Session, case_id: uuid.UUID) -> list[ResponsibleWorker]:
    """Every appointment of the case, newest first, with the worker and who appointed them."""
    return list(
        session.scalars(
            select(ResponsibleWorker)
            .where(ResponsibleWorker.case_id == case_id)
            .options(
                joinedload(ResponsibleWorker.worker), joinedload(ResponsibleWorker.assigned_by)
            )
            .order_by(
                ResponsibleWorker.starts_on.desc(),
                ResponsibleWorker.assigned_at.desc(),
                ResponsibleWorker.id,
            )
        )
    )


@dataclass(frozen=True)
class Team:
    """The case team: who is in it now, and who was (newest removal first)."""

    current: list[CaseTeamMember]
    former: list[CaseTeamMember]

    @property
    def current_ids(self) -> set[uuid.UUID]:
        return {member.user_id for member in self.current}


def team(session: Session, case_id: uuid.UUID) -> Team:
    """The case's team members, current and former, with their users (one query)."""
    rows = session.scalars(
        select(CaseTeamMember)
        .where(CaseTeamMember.case_id == case_id)
        .options(joinedload(CaseTeamMember.user), joinedload(CaseTeamMember.removed_by))
        .order_by(CaseTeamMember.added_at, CaseTeamMember.id)
    ).all()
    former = [row for row in rows if row.removed_at is not None]
    # Every removed_at in ``former`` is set (filtered above); mypy cannot carry that into the key.
    former.sort(key=lambda row: row.removed_at, reverse=True)  # type: ignore[arg-type,return-value]
    return Team([row for row in rows if row.removed_at is None], former)


# -- parallel plans of other organisations ------------------------------------------------


def parallel_plans(session: Session, case_id: uuid.UUID) -> list[ParallelPlan]:
    """The case's parallel plans: in force first (soonest review first), then ended ones
    (one query)."""
    rows = session.scalars(
        select(ParallelPlan)
        .where(ParallelPlan.case_id == case_id)
        .options(joinedload(ParallelPlan.organisation), joinedload(ParallelPlan.ended_by))
        .order_by(ParallelPlan.added_at, ParallelPlan.id)
    ).all()
    return sorted(rows, key=lambda p: (p.ended_at is not None, p.review_on or date.max))
