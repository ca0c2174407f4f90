"""The rules of recording a plan review, as codes for the form to translate."""

from __future__ import annotations

from datetime import date

import pytest

from app.reviews.rules import ReviewProblem, problems

TODAY = date(2027, 1, 10)


@pytest.mark.parametrize(
    ("held_on", "next_on", "expected"),
    [
        (TODAY, None, {}),
        (TODAY, date(2027, 4, 10), {}),
        (date(2027, 1, 11), None, {"held_on": ReviewProblem.HELD_IN_FUTURE}),
        (TODAY, TODAY, {"next_review_on": ReviewProblem.NEXT_NOT_LATER}),
        (
            date(2027, 1, 11),
            date(2027, 1, 11),
            {
                "held_on": ReviewProblem.HELD_IN_FUTURE,
                "next_review_on": ReviewProblem.NEXT_NOT_LATER,
            },
        ),
    ],
)
def test_each_broken_rule_names_its_field(
    held_on: date, next_on: date | None, expected: dict[str, ReviewProblem]
) -> None:
    assert problems(held_on, next_on, TODAY) == expected


def test_every_problem_carries_its_english_message() -> None:
    assert all(problem.message.endswith(".") for problem in ReviewProblem)
