"""Changing a case: its phase, its key release dates, its responsible worker and its team,
the parallel plans of other organisations it refers to, and the work-task reason that lets
a colleague work on it for the day.

The responsible worker (omatyöntekijä, SHL § 42) has a dated history: the open
appointment (``ends_on`` empty) is the current one, and the access decision reads it, so
appointing someone gives them access and ends the predecessor's at once. Team members are
removed by marking the row, which keeps who worked on the case and when.

Commands take a Session, flush and never commit; they raise typed refusals.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases.queries import appointments
from app.cases.rules import (
    APPOINTMENT_FIELD,
    PROBLEM_FIELD,
    AppointmentProblem,
    DateProblem,
    appointment_problem,
    earliest_probation_start,
    parallel_plan_problems,
    release_date_problems,
)
from app.consents.commands import mark_out_of_step
from app.models import (
    Case,
    CaseTeamMember,
    Phase,
    ResponsibleWorker,
    Role,
    User,
    WorkTaskReason,
)
from app.models.case import PhaseChange, ReleaseDatesChange
from app.models.parallel_plan import ParallelPlan, ParallelPlanKind
from app.refusals import N_, Code, Conflict, NotFound, Refused
from consent.base import utcnow
from consent.facts import Actor, Purpose
from consent.status import HELSINKI, helsinki_day
from sharing.fields import field_ref
from sharing.gate import AccessGate


class CaseClosed(Conflict):
    """Raised when moving a closed case to another phase."""

    code = "case_closed"
    field = "phase"
    message = N_("A closed case cannot be moved to another phase.")


class NotAPhaseChange(Refused):
    """Raised when the phase asked for is the current one, or closing (its own procedure)."""

    code = "not_a_phase_change"
    field = "phase"
    message = N_("Choose one of the phases listed.")


class ReleaseDatesRefused(Refused):
    """Raised when the key dates break a rule of ``release_date_problems``."""

    code = "release_dates"


class AppointmentRefused(Refused):
    """Raised when an appointment breaks a rule; ``problem`` says which."""

    code = "appointment"

    def __init__(self, problem: AppointmentProblem, latest_start: date | None) -> None:
        super().__init__(
            errors={APPOINTMENT_FIELD[problem]: problem}, params={"date": latest_start or "–"}
        )
        self.problem = problem


class NotAColleague(Refused):
    """Raised when adding someone to the team who is not a caseworker of the case's county,
    or is in the team already."""

    code = "not_a_colleague"
    field = "user"
    message = N_("Choose one of the colleagues listed.")


class NotInTeam(NotFound):
    """Raised when removing someone who is not a current member of the case's team."""

    code = "not_in_team"


class ParallelPlanRefused(Refused):
    """Raised when a parallel plan's reference breaks a rule of ``parallel_plan_problems``."""

    code = "parallel_plan"


class NoOpenParallelPlan(NotFound):
    """Raised when ending a parallel plan that is not an open plan of the case."""

    code = "no_open_parallel_plan"


def change_phase(
    session: Session, case: Case, phase: Phase, by_id: uuid.UUID | None
) -> PhaseChange:
    """Move the case to ``phase`` and record who did it and when.

    Closing a case is its own procedure (retention, seals), so not a phase change here.

    :raises CaseClosed: when the case is closed.
    :raises NotAPhaseChange: when ``phase`` is the current phase or ``Phase.CLOSED``.
    """
    if case.phase is Phase.CLOSED or case.closed_at is not None:
        raise CaseClosed()
    if phase is Phase.CLOSED or phase == case.phase:
        raise NotAPhaseChange()
    change = PhaseChange(case_id=case.id, from_phase=case.phase, phase=phase, changed_by_id=by_id)
    session.add(change)
    case.phase = phase
    session.flush()
    return change


def save_release_dates(
    session: Session,
    case: Case,
    by_id: uuid.UUID | None,
    *,
    sentence_start: date | None,
    conditional_release: date | None,
    probation_start: date | None,
    probation_end: date | None,
) -> ReleaseDatesChange | None:
    """Set the case's key dates and record the change; ``None`` when nothing changed.

    :raises ReleaseDatesRefused: when the dates break a rule of ``release_date_problems``
        (the first problem of each field).
    """
    dates = {
        "sentence_start": sentence_start,
        "conditional_release": conditional_release,
        "probation_start": probation_start,
        "probation_end": probation_end,
    }
    if problems := release_date_problems(**dates):
        errors: dict[str, Code] = {}
        for problem in problems:
            errors.setdefault(PROBLEM_FIELD[problem], problem)
        params: dict[str, object] = {}
        if DateProblem.PROBATION_TOO_EARLY in problems and conditional_release is not None:
            params["date"] = earliest_probation_start(conditional_release)
        raise ReleaseDatesRefused(errors=errors, params=params)
    if all(getattr(case, name) == value for name, value in dates.items()):
        return None
    for name, value in dates.items():
        setattr(case, name, value)
    change = ReleaseDatesChange(case_id=case.id, changed_by_id=by_id, **dates)
    session.add(change)
    session.flush()
    # Consents whose period came from the timeline are listed to re-confirm, never moved.
    mark_out_of_step(session, case, utcnow())
    return change


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

    :raises AppointmentRefused: when ``appointment_problem`` names a problem (its
        ``date`` parameter is the day the latest appointment started).
    """
    if worker is not None and (
        worker.organisation_id != case.county_id or worker.role is not Role.CASEWORKER
    ):
        worker = None
    history = appointments(session, case.id)
    if problem := appointment_problem(history, worker, starts_on, today):
        raise AppointmentRefused(problem, history[0].starts_on if history else None)
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


def add_team_member(
    session: Session, case: Case, user: User, by_id: uuid.UUID | None
) -> CaseTeamMember:
    """Add a colleague of the case's county to the team.

    :raises NotAColleague: when they are not a caseworker of the county or already in the
        team.
    """
    if user.organisation_id != case.county_id or user.role is not Role.CASEWORKER:
        raise NotAColleague()
    already = session.scalar(
        select(CaseTeamMember.id).where(
            CaseTeamMember.case_id == case.id,
            CaseTeamMember.user_id == user.id,
            CaseTeamMember.removed_at.is_(None),
        )
    )
    if already is not None:
        raise NotAColleague()
    member = CaseTeamMember(case_id=case.id, user_id=user.id, added_by_id=by_id, added_at=utcnow())
    session.add(member)
    session.flush()
    return member


def remove_team_member(
    session: Session, case: Case, member_id: uuid.UUID, by_id: uuid.UUID | None
) -> CaseTeamMember:
    """End a team membership (the row stays as history).

    :raises NotInTeam: when there is no such current member of this case's team.
    """
    member = session.scalar(
        select(CaseTeamMember).where(
            CaseTeamMember.id == member_id,
            CaseTeamMember.case_id == case.id,
            CaseTeamMember.removed_at.is_(None),
        )
    )
    if member is None:
        raise NotInTeam()
    member.removed_at = utcnow()
    member.removed_by_id = by_id
    session.flush()
    return member


# -- a colleague without a relationship ---------------------------------------------------


def end_of_day(at: datetime) -> datetime:
    """The last instant of ``at``'s Helsinki day: until when a work-task reason is valid."""
    midnight = datetime.combine(helsinki_day(at) + timedelta(days=1), time.min, HELSINKI)
    return midnight - timedelta(microseconds=1)


def record_work_task(
    session: Session, gate: AccessGate, actor: Actor, case: Case, reason: str
) -> WorkTaskReason:
    """Record why a colleague of the county works on the case: it lets them do case work
    until the end of today (the access decision reads it), and the reason is sealed.

    :raises AccessDenied: when the gate refuses the write.
    """
    task = WorkTaskReason(
        case_id=case.id,
        client_id=case.client_id,
        user_id=actor.user_id,
        reason_ct=b"",
        valid_until=end_of_day(utcnow()),
    )
    session.add(task)
    session.flush()
    task.reason_ct = (
        gate.write_text(
            actor, field_ref(task, WorkTaskReason.reason_ct), reason, purpose=Purpose.CASE_WORK
        )
        or b""
    )
    return task


# -- parallel plans of other organisations ------------------------------------------------


def record_parallel_plan(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    case: Case,
    *,
    kind: ParallelPlanKind,
    organisation_id: uuid.UUID | None,
    owner_name: str | None,
    reference: str | None,
    made_on: date | None,
    review_on: date | None,
) -> ParallelPlan:
    """Record that another organisation keeps a plan for the client (a reference, not its
    content): its owner, identifier and dates, the owner's name and the identifier sealed.

    :raises ParallelPlanRefused: when ``parallel_plan_problems`` names a problem.
    :raises AccessDenied: when the actor may not write this client's case.
    """
    if problems := parallel_plan_problems(
        organisation_id is not None, owner_name, made_on, review_on
    ):
        raise ParallelPlanRefused(errors=problems)
    plan = ParallelPlan(
        case_id=case.id,
        client_id=case.client_id,
        kind=kind,
        organisation_id=organisation_id,
        made_on=made_on,
        review_on=review_on,
        added_by_id=actor.user_id,
        added_at=utcnow(),
    )
    # Seal before adding: a flush of a plan without its owner would break the table's check.
    gate.write_fields(
        actor,
        [
            (plan, column, text)
            for column, text in (
                (ParallelPlan.owner_name_ct, (owner_name or "").strip()),
                (ParallelPlan.reference_ct, (reference or "").strip()),
            )
            if text
        ],
        purpose=Purpose.CASE_WORK,
    )
    session.add(plan)
    session.flush()
    return plan


def end_parallel_plan(
    session: Session, case: Case, plan_id: uuid.UUID, by_id: uuid.UUID | None
) -> ParallelPlan:
    """Mark a parallel plan of the case ended, by whom and when.

    :raises NoOpenParallelPlan: when the case has no such plan not yet ended.
    """
    plan = session.scalar(
        select(ParallelPlan).where(
            ParallelPlan.id == plan_id,
            ParallelPlan.case_id == case.id,
            ParallelPlan.ended_at.is_(None),
        )
    )
    if plan is None:
        raise NoOpenParallelPlan()
    plan.ended_at = utcnow()
    plan.ended_by_id = by_id
    session.flush()
    return plan
