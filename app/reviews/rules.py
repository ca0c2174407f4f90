"""When a plan review is due, and the rules of recording one. Pure: no database, no clock."""

from __future__ import annotations

import enum
from datetime import date

from app.refusals import N_, Code

# A review is brought up this many days before its date, and stays up once it is past.
REMINDER_DAYS = 14


class ReviewStatus(enum.StrEnum):
    OVERDUE = "overdue"
    DUE = "due"  # within the reminder period
    SCHEDULED = "scheduled"  # further away
    NOT_SCHEDULED = "not_scheduled"


def review_status(review_on: date | None, today: date) -> ReviewStatus:
    """Where a plan's review date stands today (the dashboard reminds of OVERDUE and DUE)."""
    if review_on is None:
        return ReviewStatus.NOT_SCHEDULED
    if review_on < today:
        return ReviewStatus.OVERDUE
    if (review_on - today).days <= REMINDER_DAYS:
        return ReviewStatus.DUE
    return ReviewStatus.SCHEDULED


class ReviewProblem(Code):
    """Why a review cannot be recorded as entered."""

    HELD_IN_FUTURE = (
        "held_in_future",
        N_("Record a review once it has been held: the date is in the future."),
    )
    NEXT_NOT_LATER = (
        "next_not_later",
        N_("The next review must be after this one, and today at the earliest."),
    )
    NOT_A_MEMBER = "not_a_member", N_("Choose members of the client's network.")
    NOT_A_GOAL = "not_a_goal", N_("Assess only the goals written in the client's plan.")


def next_review_fits(held_on: date, next_review_on: date | None, today: date) -> bool:
    """Whether the next review date may be recorded: none, or after this one and not past."""
    return next_review_on is None or (next_review_on > held_on and next_review_on >= today)


def problems(held_on: date, next_review_on: date | None, today: date) -> dict[str, ReviewProblem]:
    """The rules of a review's dates, as {form field name: problem}; empty when they hold."""
    found: dict[str, ReviewProblem] = {}
    if held_on > today:
        found["held_on"] = ReviewProblem.HELD_IN_FUTURE
    if not next_review_fits(held_on, next_review_on, today):
        found["next_review_on"] = ReviewProblem.NEXT_NOT_LATER
    return found
