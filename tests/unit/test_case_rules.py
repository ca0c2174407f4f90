"""A case's pure rules: the key dates' problems and who may be appointed, answered in codes."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from app.cases.rules import (
    APPOINTMENT_FIELD,
    PROBLEM_FIELD,
    AppointmentProblem,
    DateProblem,
    ParallelPlanProblem,
    appointment_problem,
    current_appointment,
    earliest_probation_start,
    months_before,
    parallel_plan_problems,
    release_date_problems,
)
from app.models import ResponsibleWorker, Role, User

P = DateProblem
SENTENCE = date(2024, 9, 1)
RELEASE = date(2026, 8, 31)


@pytest.mark.parametrize(
    ("day", "months", "earlier"),
    [
        (date(2026, 8, 31), 6, date(2026, 2, 28)),  # February is shorter: its last day
        (date(2028, 8, 31), 6, date(2028, 2, 29)),  # a leap year
        (date(2026, 3, 15), 3, date(2025, 12, 15)),  # across the year
        (date(2026, 5, 31), 12, date(2025, 5, 31)),
    ],
)
def test_months_before_keeps_the_day_or_takes_the_months_last(
    day: date, months: int, earlier: date
) -> None:
    assert months_before(day, months) == earlier


@pytest.mark.parametrize(
    ("dates", "problems"),
    [
        ((None, None, None, None), []),
        ((SENTENCE, RELEASE, date(2026, 3, 1), date(2026, 8, 31)), []),
        ((SENTENCE, date(2024, 8, 31), None, None), [P.RELEASE_BEFORE_SENTENCE]),
        ((None, None, date(2026, 3, 1), None), [P.PROBATION_WITHOUT_RELEASE]),
        ((None, RELEASE, None, date(2026, 8, 1)), [P.PROBATION_END_WITHOUT_START]),
        ((None, RELEASE, date(2026, 2, 27), None), [P.PROBATION_TOO_EARLY]),
        ((None, RELEASE, RELEASE, None), [P.PROBATION_NOT_BEFORE_RELEASE]),
        ((date(2026, 4, 1), RELEASE, date(2026, 3, 1), None), [P.PROBATION_BEFORE_SENTENCE]),
        ((None, RELEASE, date(2026, 5, 1), date(2026, 4, 1)), [P.PROBATION_ENDS_BEFORE_START]),
        ((None, RELEASE, date(2026, 5, 1), date(2026, 9, 1)), [P.PROBATION_ENDS_AFTER_RELEASE]),
    ],
)
def test_release_date_problems(
    dates: tuple[date | None, date | None, date | None, date | None], problems: list[DateProblem]
) -> None:
    assert release_date_problems(*dates) == problems


def test_probation_may_start_six_months_before_the_release_at_the_earliest() -> None:
    earliest = earliest_probation_start(RELEASE)
    assert earliest == date(2026, 2, 28)
    assert release_date_problems(None, RELEASE, earliest, None) == []


def test_every_date_problem_is_a_code_with_a_field_and_an_english_message() -> None:
    fields = {"conditional_release", "probation_start", "probation_end"}
    for problem in DateProblem:
        assert PROBLEM_FIELD[problem] in fields
        assert problem == problem.value and problem.message.endswith(".")
    assert "%(date)s" in DateProblem.PROBATION_TOO_EARLY.message


def _worker() -> User:
    return User(id=uuid.uuid4(), role=Role.CASEWORKER, display_name="Työntekijä (fictional)")


def _appointment(worker: User, starts_on: date, ends_on: date | None = None) -> ResponsibleWorker:
    return ResponsibleWorker(worker_id=worker.id, starts_on=starts_on, ends_on=ends_on)


TODAY = date(2026, 3, 11)


def test_who_may_be_appointed_and_from_when() -> None:
    first, second = _worker(), _worker()
    history = [  # newest first
        _appointment(first, date(2026, 2, 1)),
        _appointment(second, date(2025, 1, 1), ends_on=date(2026, 1, 31)),
    ]
    assert current_appointment(history) is history[0]
    assert appointment_problem(history, second, TODAY, TODAY) is None
    assert appointment_problem(history, second, date(2026, 2, 1), TODAY) is None  # same day
    assert appointment_problem([], first, date(2020, 1, 1), TODAY) is None
    assert appointment_problem(history, None, TODAY, TODAY) is AppointmentProblem.NOT_A_COLLEAGUE
    assert appointment_problem(history, first, TODAY, TODAY) is AppointmentProblem.ALREADY_CURRENT
    assert (
        appointment_problem(history, second, date(2026, 1, 31), TODAY)
        is AppointmentProblem.BEFORE_CURRENT_START
    )
    assert (
        appointment_problem(history, second, date(2026, 3, 12), TODAY)
        is AppointmentProblem.IN_FUTURE
    )


def test_every_appointment_problem_names_its_field() -> None:
    for problem in AppointmentProblem:
        assert APPOINTMENT_FIELD[problem] in {"worker", "starts_on"}
        assert problem.message


@pytest.mark.parametrize(
    ("in_directory", "owner", "made_on", "review_on", "problems"),
    [
        (True, None, None, None, {}),
        (False, "Vankilan yksikkö", date(2026, 1, 1), date(2026, 1, 1), {}),
        (False, "  ", None, None, {"organisation": ParallelPlanProblem.OWNER_MISSING}),
        (True, "Vankilan yksikkö", None, None, {"owner_name": ParallelPlanProblem.OWNER_TWICE}),
        (
            True,
            None,
            date(2026, 2, 1),
            date(2026, 1, 31),
            {"review_on": ParallelPlanProblem.REVIEW_BEFORE_MADE},
        ),
    ],
)
def test_a_parallel_plan_has_one_owner_and_a_review_after_it_was_made(
    in_directory: bool,
    owner: str | None,
    made_on: date | None,
    review_on: date | None,
    problems: dict[str, ParallelPlanProblem],
) -> None:
    assert parallel_plan_problems(in_directory, owner, made_on, review_on) == problems
