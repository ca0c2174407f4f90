"""The release-day checklist's rules: working days, the release day and the due dates."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from app.models.release import ReleaseTask
from app.release.holidays import (
    easter_sunday,
    finnish_holidays,
    is_working_day,
    working_day_on_or_after,
)
from app.release.rules import (
    Responsible,
    default_responsible,
    planned_tasks,
    probation_planning_opens,
    release_day,
)
from app.reviews.rules import ReviewStatus, next_review_fits, review_status
from consent.sections import SectionKind

R = ReleaseTask
RELEASE = date(2027, 5, 31)  # a Monday


def due(tasks, task):  # type: ignore[no-untyped-def]
    return next(t for t in tasks if t.task is task)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter_sunday(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_finnish_holidays_of_2026() -> None:
    assert finnish_holidays(2026) == {
        date(2026, 1, 1),
        date(2026, 1, 6),
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 1),
        date(2026, 5, 14),  # Ascension Day
        date(2026, 6, 19),  # Midsummer Eve (a Friday)
        date(2026, 12, 6),
        date(2026, 12, 24),
        date(2026, 12, 25),
        date(2026, 12, 26),
    }


@pytest.mark.parametrize(
    ("day", "first_working_day"),
    [
        (date(2026, 3, 11), date(2026, 3, 11)),  # a Wednesday: the day itself
        (date(2026, 3, 14), date(2026, 3, 16)),  # Saturday → Monday
        (date(2026, 3, 15), date(2026, 3, 16)),  # Sunday → Monday
        (date(2026, 4, 3), date(2026, 4, 7)),  # Good Friday → Tuesday after Easter Monday
        (date(2026, 12, 24), date(2026, 12, 28)),  # Christmas → Monday
        (date(2026, 6, 19), date(2026, 6, 22)),  # Midsummer Eve → Monday
        (date(2027, 1, 1), date(2027, 1, 4)),  # New Year's Day (a Friday), then a weekend
    ],
)
def test_first_meeting_on_release_day_or_the_next_working_day(
    day: date, first_working_day: date
) -> None:
    assert working_day_on_or_after(day) == first_working_day
    assert is_working_day(first_working_day)


@pytest.mark.parametrize(
    ("conditional_release", "probation_start", "expected"),
    [
        (RELEASE, None, RELEASE),
        (RELEASE, date(2027, 2, 1), date(2027, 2, 1)),  # leaves prison into probationary liberty
        (None, date(2027, 2, 1), date(2027, 2, 1)),
        (RELEASE, RELEASE, RELEASE),  # not before the release: the release counts
        (None, None, None),
    ],
)
def test_release_day_is_the_day_the_client_leaves_prison(
    conditional_release: date | None, probation_start: date | None, expected: date | None
) -> None:
    assert release_day(conditional_release, probation_start) == expected


def test_due_dates_count_back_from_the_conditional_release() -> None:
    tasks = planned_tasks(RELEASE, None)
    assert [t.task for t in tasks] == [
        R.HOUSING_APPLICATION,
        R.IDENTITY_CARD,
        R.DEBT_ADVICE,
        R.KELA_SOCIAL_ASSISTANCE,
        R.BANK_ACCOUNT,
        R.WORK_OR_STUDY,
        R.HEALTH_CARE,
        R.SUBSTANCE_SERVICES,
        R.FIRST_MEETING,
    ]  # no probationary-liberty task without a probationary liberty
    assert due(tasks, R.HOUSING_APPLICATION).due_on == date(2027, 2, 28)  # 3 months before
    assert due(tasks, R.IDENTITY_CARD).due_on == date(2027, 3, 31)
    assert due(tasks, R.KELA_SOCIAL_ASSISTANCE).due_on == date(2027, 4, 30)  # a month before
    assert due(tasks, R.BANK_ACCOUNT).due_on == date(2027, 4, 30)
    assert due(tasks, R.HEALTH_CARE).due_on == date(2027, 5, 17)  # two weeks before
    assert due(tasks, R.SUBSTANCE_SERVICES).due_on == date(2027, 5, 17)
    assert due(tasks, R.FIRST_MEETING).due_on == RELEASE  # a working day
    assert all(t.opens_on is None for t in tasks)


def test_first_meeting_moves_past_a_weekend_release() -> None:
    saturday = date(2027, 6, 5)
    assert due(planned_tasks(saturday, None), R.FIRST_MEETING).due_on == date(2027, 6, 7)


def test_probationary_liberty_moves_the_tasks_and_adds_its_planning() -> None:
    # Probationary liberty at the earliest allowed: six months before conditional release.
    probation = date(2026, 11, 30)
    tasks = planned_tasks(RELEASE, probation)
    planning = tasks[0]
    assert planning.task is R.PROBATION_PLANNING
    assert planning.opens_on == date(2026, 5, 31) == probation_planning_opens(RELEASE)
    assert planning.due_on == date(2026, 9, 30)  # two months before it starts
    # The client leaves prison on the first day of probationary liberty.
    assert due(tasks, R.HOUSING_APPLICATION).due_on == date(2026, 8, 30)
    assert due(tasks, R.KELA_SOCIAL_ASSISTANCE).due_on == date(2026, 10, 30)
    assert due(tasks, R.FIRST_MEETING).due_on == probation  # a Monday


def test_probation_planning_is_never_due_before_planning_may_start() -> None:
    # Dates that break the six-month rule (e.g. imported) still never put the planning
    # before the year before conditional release.
    tasks = planned_tasks(RELEASE, date(2026, 6, 15))
    assert tasks[0].due_on == tasks[0].opens_on == date(2026, 5, 31)


def test_missing_dates_give_tasks_without_due_dates() -> None:
    tasks = planned_tasks(None, None)
    assert len(tasks) == 9
    assert all(t.due_on is None and t.opens_on is None for t in tasks)
    probation_only = planned_tasks(None, date(2027, 2, 1))
    assert probation_only[0].task is R.PROBATION_PLANNING
    assert probation_only[0].due_on == date(2026, 12, 1)
    assert probation_only[0].opens_on is None  # unknown without the conditional release


def test_months_back_from_a_month_end_land_on_the_shorter_months_last_day() -> None:
    tasks = planned_tasks(date(2027, 5, 31), None)
    assert due(tasks, R.HOUSING_APPLICATION).due_on == date(2027, 2, 28)


@pytest.mark.parametrize(
    ("review_on", "status"),
    [
        (None, ReviewStatus.NOT_SCHEDULED),
        (date(2027, 1, 9), ReviewStatus.OVERDUE),
        (date(2027, 1, 10), ReviewStatus.DUE),  # today
        (date(2027, 1, 24), ReviewStatus.DUE),  # 14 days ahead
        (date(2027, 1, 25), ReviewStatus.SCHEDULED),
    ],
)
def test_review_status(review_on: date | None, status: ReviewStatus) -> None:
    assert review_status(review_on, date(2027, 1, 10)) is status


@pytest.mark.parametrize(
    ("held_on", "next_on", "fits"),
    [
        (date(2027, 1, 10), None, True),
        (date(2027, 1, 10), date(2027, 4, 10), True),
        (date(2027, 1, 10), date(2027, 1, 10), False),  # not after the review itself
        (date(2027, 1, 1), date(2027, 1, 5), False),  # already past today
        (date(2027, 1, 1), date(2027, 1, 10), True),  # today
    ],
)
def test_next_review_date(held_on: date, next_on: date | None, fits: bool) -> None:
    assert next_review_fits(held_on, next_on, date(2027, 1, 10)) is fits


def test_a_new_item_goes_to_whom_the_plan_names_else_probation_else_the_worker() -> None:
    housing, kela, probation, worker = (uuid.uuid4() for _ in range(4))
    plan = {SectionKind.HOUSING: [housing], SectionKind.LIVELIHOOD: [kela, housing]}
    assert default_responsible(R.HOUSING_APPLICATION, plan, probation, worker) == Responsible(
        member_id=housing
    )
    assert default_responsible(R.BANK_ACCOUNT, plan, probation, worker) == Responsible(
        member_id=kela
    )  # the first the plan names
    assert default_responsible(R.HEALTH_CARE, plan, probation, worker) == Responsible(
        user_id=worker
    )
    assert default_responsible(R.FIRST_MEETING, plan, probation, worker) == Responsible(
        user_id=worker
    )
    assert default_responsible(R.PROBATION_PLANNING, plan, probation, worker) == Responsible(
        member_id=probation
    )
    assert default_responsible(R.PROBATION_PLANNING, {}, None, None) == Responsible()
