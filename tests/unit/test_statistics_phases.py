"""The phase rules of the statistics: where a case stood on a day, its stays, quarter ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.statistics import rules

CHANGES = [(date(2026, 3, 1), "assessment"), (date(2026, 5, 20), "network")]


def test_the_phase_on_a_day_follows_the_changes_up_to_that_day() -> None:
    opened = date(2026, 1, 10)
    assert rules.phase_at(opened, "notified", CHANGES, date(2026, 1, 9)) is None
    assert rules.phase_at(opened, "notified", CHANGES, date(2026, 2, 28)) == "notified"
    assert rules.phase_at(opened, "notified", CHANGES, date(2026, 3, 1)) == "assessment"
    assert rules.phase_at(opened, "notified", CHANGES, date(2026, 12, 31)) == "network"


def test_each_phase_left_is_a_stay_from_entering_to_leaving() -> None:
    stays = list(rules.phase_stays(date(2026, 1, 10), "notified", CHANGES))
    assert stays == [
        ("notified", date(2026, 1, 10), date(2026, 3, 1)),
        ("assessment", date(2026, 3, 1), date(2026, 5, 20)),
    ]  # the network phase is not left yet: no stay


def test_quarter_ends_stop_at_today() -> None:
    assert rules.quarter_ends(2025, date(2026, 5, 1))[-1] == ("2025-Q4", date(2025, 12, 31))
    assert rules.quarter_ends(2026, date(2026, 5, 1)) == (
        ("2026-Q1", date(2026, 3, 31)),
        ("2026-Q2", date(2026, 5, 1)),
    )


def test_the_local_day_is_helsinkis_across_the_clock_changes() -> None:
    # 22:30 UTC is already the next day in Helsinki, in winter (+2) and in summer (+3).
    assert rules.local_day(datetime(2026, 1, 15, 22, 30, tzinfo=UTC)) == date(2026, 1, 16)
    assert rules.local_day(datetime(2026, 7, 15, 20, 59, tzinfo=UTC)) == date(2026, 7, 15)
    assert rules.local_day(datetime(2026, 7, 15, 21, 0, tzinfo=UTC)) == date(2026, 7, 16)
    # The spring change (29 March 2026, 01:00 UTC): 21:30 UTC the day before is +2.
    assert rules.local_day(datetime(2026, 3, 28, 21, 30, tzinfo=UTC)) == date(2026, 3, 28)
    assert rules.local_day(datetime(2026, 3, 29, 21, 0, tzinfo=UTC)) == date(2026, 3, 30)
    assert rules.local_day(datetime(2026, 3, 29, 21, 0, tzinfo=UTC) - timedelta(seconds=1)) == (
        date(2026, 3, 29)
    )
