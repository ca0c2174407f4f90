"""Closing a case warns before the release day and while release-checklist tasks are open."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.ending.rules import CloseWarning, close_warnings

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("release", "open_tasks", "expected"),
    [
        (None, 0, ()),  # release day unknown: nothing to compare with
        (TODAY - timedelta(days=1), 0, ()),
        (TODAY, 0, ()),  # released today
        (TODAY + timedelta(days=1), 0, (CloseWarning.BEFORE_RELEASE,)),
        (TODAY - timedelta(days=1), 2, (CloseWarning.OPEN_TASKS,)),
        (TODAY + timedelta(days=90), 1, (CloseWarning.BEFORE_RELEASE, CloseWarning.OPEN_TASKS)),
    ],
)
def test_close_warnings(
    release: date | None, open_tasks: int, expected: tuple[CloseWarning, ...]
) -> None:
    warned = close_warnings(TODAY, release, open_tasks)
    assert warned.warnings == expected
    assert warned.params == {"release": release or "–", "open": open_tasks}
