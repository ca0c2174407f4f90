"""The responsible worker (omatyöntekijä, SHL § 42) with a dated history, and the case team.

The open appointment (``ends_on`` empty) is the current one: the access decision reads
it, so appointing someone gives them access and ends the predecessor's at once. Team
members are removed by marking the row, which keeps who worked on the case and when.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.models import Case, CaseTeamMember, ResponsibleWorker, Role, User
from consent.base import utcnow


class AppointmentProblem(enum.StrEnum):
    """Why an appointment cannot be made."""

    NOT_A_COLLEAGUE = "not_a_colleague"  # not an active caseworker of the case's county
    ALREADY_CURRENT = "already_current"
    BEFORE_CURRENT_START = "before_current_start"
    IN_FUTURE = "in_future"


class AppointmentError(ValueError):
    """Raised when an appointment breaks a rule; ``problem`` says which."""

    def __init__(self, problem: AppointmentProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


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


def current_appointment(history: list[ResponsibleWorker]) -> ResponsibleWorker | None:
    """The open appointment of a case's history, if any."""
    return next((row for row in history if row.ends_on is None), None)


def appointment_problem(
    history: list[ResponsibleWorker], worker: User | None, starts_on: date, today: date
) -> AppointmentProblem | None:
    """What is wrong with appointing ``worker`` from ``starts_on`` (``None`` when nothing).

    ``worker`` is ``None`` when the chosen user is not a caseworker of the county.
    """
    if worker is None:
        return AppointmentProblem.NOT_A_COLLEAGUE
    # Future appointments would end the current worker's access before the day comes.
    if starts_on > today:
        return AppointmentProblem.IN_FUTURE
    latest = history[0] if history else None
    current = current_appointment(history)
    if current is not None and current.worker_id == worker.id:
        return AppointmentProblem.ALREADY_CURRENT
    if latest is not None and starts_on < latest.starts_on:
        return AppointmentProblem.BEFORE_CURRENT_START
    return None


def appoint(
    session: Session,
    case: Case,
    worker: User | None,
    starts_on: date,
    by_id: uuid.UUID | None,
    today: date,
) -> ResponsibleWorker:
    """Appoint ``worker`` as the case's responsible worker from ``starts_on``.

    The current appointment ends the day before (on the day itself a same-day
    correction leaves it with no day in effect, which the history shows).

    :raises AppointmentError: when ``appointment_problem`` names a problem.
    """
    if worker is not None and (
        worker.organisation_id != case.county_id or worker.role is not Role.CASEWORKER
    ):
        worker = None
    history = appointments(session, case.id)
    if problem := appointment_problem(history, worker, starts_on, today):
        raise AppointmentError(problem)
    assert worker is not None
    for row in history:
        if row.ends_on is None:
            row.ends_on = starts_on - timedelta(days=1)
    appointment = ResponsibleWorker(
        case_id=case.id,
        worker_id=worker.id,
        starts_on=starts_on,
        assigned_by_id=by_id,
        assigned_at=utcnow(),
    )
    session.add(appointment)
    session.flush()
    return appointment


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
    former.sort(key=lambda row: row.removed_at, reverse=True)  # type: ignore[arg-type,return-value]
    return Team([row for row in rows if row.removed_at is None], former)


def add_team_member(
    session: Session, case: Case, user: User, by_id: uuid.UUID | None
) -> CaseTeamMember:
    """Add a colleague of the case's county to the team.

    :raises ValueError: when they are not a caseworker of the county or already in the team.
    """
    if user.organisation_id != case.county_id or user.role is not Role.CASEWORKER:
        raise ValueError("only caseworkers of the case's county join its team")
    already = session.scalar(
        select(CaseTeamMember.id).where(
            CaseTeamMember.case_id == case.id,
            CaseTeamMember.user_id == user.id,
            CaseTeamMember.removed_at.is_(None),
        )
    )
    if already is not None:
        raise ValueError("already in the team")
    member = CaseTeamMember(case_id=case.id, user_id=user.id, added_by_id=by_id, added_at=utcnow())
    session.add(member)
    session.flush()
    return member


def remove_team_member(
    session: Session, case: Case, member_id: uuid.UUID, by_id: uuid.UUID | None
) -> CaseTeamMember | None:
    """End a team membership (the row stays as history); ``None`` when there is no such
    current member of this case."""
    member = session.scalar(
        select(CaseTeamMember).where(
            CaseTeamMember.id == member_id,
            CaseTeamMember.case_id == case.id,
            CaseTeamMember.removed_at.is_(None),
        )
    )
    if member is None:
        return None
    member.removed_at = utcnow()
    member.removed_by_id = by_id
    session.flush()
    return member
