"""Gathering the case facts the access decision needs (the gate's ``CaseLoader``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Case, CaseTeamMember, ResponsibleWorker, WorkTaskReason
from consent.decision import CaseContext, WorkTask


def latest_cases(session: Session, client_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Case]:
    """Each client's newest case, in one query."""
    if not client_ids:
        return {}
    rows = session.scalars(
        select(Case).where(Case.client_id.in_(client_ids)).order_by(Case.opened_at)
    ).all()
    return {case.client_id: case for case in rows}  # later (newer) rows win


def load_case_contexts(
    session: Session, client_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CaseContext]:
    """The ``CaseContext`` of each client's newest case: four queries, whatever the count."""
    cases = latest_cases(session, client_ids)
    case_ids = [case.id for case in cases.values()]
    workers = {
        row.case_id: row.worker_id
        for row in session.scalars(
            select(ResponsibleWorker).where(
                ResponsibleWorker.case_id.in_(case_ids), ResponsibleWorker.ends_on.is_(None)
            )
        )
    }
    teams: dict[uuid.UUID, set[uuid.UUID]] = {}
    for member in session.scalars(
        select(CaseTeamMember).where(CaseTeamMember.case_id.in_(case_ids))
    ):
        teams.setdefault(member.case_id, set()).add(member.user_id)
    tasks: dict[uuid.UUID, list[WorkTask]] = {}
    for reason in session.scalars(
        select(WorkTaskReason).where(WorkTaskReason.case_id.in_(case_ids))
    ):
        tasks.setdefault(reason.case_id, []).append(
            WorkTask(reason.id, reason.user_id, reason.valid_until)
        )
    return {
        client_id: CaseContext(
            client_id=client_id,
            county_id=case.county_id,
            responsible_worker_id=workers.get(case.id),
            team_ids=frozenset(teams.get(case.id, ())),
            work_tasks=tuple(tasks.get(case.id, ())),
        )
        for client_id, case in cases.items()
    }
