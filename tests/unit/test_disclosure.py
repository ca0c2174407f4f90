"""Disclosure control: no suppressed count can be recomputed from what a table publishes.

The reader (``tests/disclosure_reader.py``) is a general exact linear program over every
published equation of the table (each year the sum of its quarters) with every bound a
reader knows ("< 5": 0..4; a hidden count: at least 5); it is checked here against brute
force, then set on tables the disclosure rules protect, built from small populations.
"""

from __future__ import annotations

import itertools
from datetime import date
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from app.models.release import ReleaseTask
from app.statistics import rules
from app.statistics.disclosure import YEAR, CountTable, Published, Shown, protect, quartiles, share
from tests.disclosure_reader import System, feasible_range

QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
ROWS = ("notified", "assessed", "released")


def populations() -> st.SearchStrategy[list[tuple[str, int]]]:
    """Clients, each with the indicators that happened to them and in which quarter."""
    client = st.lists(
        st.tuples(st.sampled_from(ROWS), st.integers(0, len(QUARTERS) - 1)),
        max_size=len(ROWS),
        unique_by=lambda event: event[0],
    )
    return st.lists(client, max_size=40).map(lambda clients: [e for c in clients for e in c])


def table_of(events: list[tuple[str, int]]) -> CountTable:
    counts: dict[tuple[str, str], int] = {}
    for row, quarter in events:
        key = (row, QUARTERS[quarter])
        counts[key] = counts.get(key, 0) + 1
    return CountTable(ROWS, QUARTERS, counts)


def true_value(table: CountTable, row: str, column: str) -> int:
    quarters = QUARTERS if column == YEAR else (column,)
    return sum(table.counts.get((row, q), 0) for q in quarters)


def reader_system(published: Published) -> tuple[System, dict[tuple[str, str], int]]:
    """Everything published, as a reader's linear system over the suppressed cells."""
    t = published.threshold
    unknown = [k for k, c in published.cells.items() if c.shown is not Shown.VALUE]
    index = {k: i for i, k in enumerate(unknown)}
    equations = []
    for row in published.rows:
        coefficients: dict[int, Fraction] = {}
        constant = Fraction(0)
        for column in published.columns:
            sign = -1 if column == YEAR else 1
            cell = published.cell(row, column)
            if cell.shown is Shown.VALUE:
                assert cell.value is not None
                constant -= sign * cell.value
            else:
                coefficients[index[(row, column)]] = Fraction(sign)
        if coefficients:
            equations.append((coefficients, constant))
    small = [published.cells[k].shown is Shown.SMALL for k in unknown]
    lower = [Fraction(0) if s else Fraction(t) for s in small]
    upper: list[Fraction | None] = [Fraction(t - 1) if s else None for s in small]
    return System(len(unknown), equations, lower, upper), index


@settings(max_examples=60, deadline=None)
@given(populations(), st.integers(2, 6))
def test_no_suppressed_count_can_be_recomputed(events: list[tuple[str, int]], t: int) -> None:
    table = table_of(events)
    published = protect(table, t)
    system, index = reader_system(published)
    for key, i in index.items():
        bounds = feasible_range(system, i)
        assert bounds is not None  # the true table satisfies what is published
        low, high = bounds
        value = true_value(table, *key)
        assert low <= value and (high is None or value <= high)
        if published.cells[key].shown is Shown.SMALL:
            assert value < t
            assert (low, high) == (0, t - 1), key  # nothing beyond "< t"
        else:
            assert high is None or high - low >= t - 1, key
    for key, cell in published.cells.items():
        if cell.shown is Shown.VALUE:
            assert cell.value == true_value(table, *key) and cell.value >= t


def test_a_single_small_quarter_hides_another_so_the_year_does_not_give_it_away() -> None:
    table = CountTable(
        ("notified",),
        QUARTERS,
        {("notified", QUARTERS[0]): 2, **{("notified", q): 9 for q in QUARTERS[1:]}},
    )
    published = protect(table)
    shown = [published.cell("notified", c).shown for c in published.columns]
    assert shown[0] is Shown.SMALL
    assert shown.count(Shown.HIDDEN) >= 1
    assert published.cell("notified", QUARTERS[0]).text(5) == "< 5"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 4), min_size=2, max_size=4),
    st.lists(st.tuples(st.integers(0, 2), st.booleans()), min_size=1, max_size=3),
)
def test_the_reader_agrees_with_brute_force(
    values: list[int], bounded: list[tuple[int, bool]]
) -> None:
    """The exact reader finds the same range as trying every integer point (small boxes)."""
    n = len(values)
    total = sum(values)
    # x_0 + ... + x_{n-1} = total, some variables capped at 4, others at 0..total.
    upper: list[Fraction | None] = [Fraction(4) if i % 2 else None for i in range(n)]
    lower = [
        Fraction(min(values[i], b)) if flag else Fraction(0)
        for i, (b, flag) in zip(range(n), itertools.cycle(bounded), strict=False)
    ]
    system = System(n, [({i: Fraction(1) for i in range(n)}, Fraction(total))], lower, upper)
    caps = [int(u) if u is not None else total for u in upper]
    points = [
        p
        for p in itertools.product(*(range(int(lower[i]), caps[i] + 1) for i in range(n)))
        if sum(p) == total
    ]
    for i in range(n):
        bounds = feasible_range(system, i)
        assert bounds is not None and points
        assert bounds == (min(p[i] for p in points), max(p[i] for p in points))


def test_shares_hide_small_counts_and_round_small_denominators() -> None:
    assert share(3, 40) is None  # the numerator is small
    assert share(37, 40) is None  # so is its complement: 3 did not
    assert share(4, 4) is None
    assert share(13, 40) == 30  # 32.5 % rounded to 5 points
    assert share(333, 1000) == 33


def test_quartiles_need_enough_clients() -> None:
    assert quartiles([1, 2, 3, 4]) is None
    assert quartiles([1, 2, 3, 4, 5]) == (2.0, 3.0, 4.0)
    assert quartiles([1, 2, 3], threshold=3) == (1.5, 2.0, 2.5)


def test_indicator_rules_count_quarters_days_and_outcomes() -> None:
    counts: dict[tuple[str, str], int] = {}
    rules.tally([date(2026, 3, 31), date(2026, 4, 1), date(2025, 12, 31), None], 2026, counts, "n")
    assert counts == {("n", "2026-Q1"): 1, ("n", "2026-Q2"): 1}
    days = rules.durations_by_quarter(
        [(date(2026, 1, 1), date(2026, 1, 11)), (date(2026, 5, 1), date(2026, 4, 1))], 2026
    )
    assert days == {"2026-Q1": [10], "year": [10]}  # an end before its start is not counted
    assert rules.outcome_met("health", frozenset({ReleaseTask.SUBSTANCE_SERVICES}))
    assert not rules.outcome_met("identity_bank", frozenset({ReleaseTask.IDENTITY_CARD}))
    reviews = [
        (date(2026, 3, 1), date(2026, 6, 1)),
        (date(2026, 1, 1), date(2026, 3, 1)),
        (date(2026, 6, 2), None),
    ]
    assert list(rules.reviews_on_time(reviews)) == [
        (date(2026, 1, 1), None),
        (date(2026, 3, 1), True),
        (date(2026, 6, 2), False),
    ]
