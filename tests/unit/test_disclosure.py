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
from app.statistics.disclosure import (
    YEAR,
    Cell,
    CountTable,
    Published,
    Shown,
    protect,
    protect_snapshot,
    quartiles,
    share,
)
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


# -- the phase snapshot, linked to the flows ----------------------------------------------

# Three phases keep the reader's linear programs small; the rule is the same for six.
PHASES = ("notified", "assessment", "network")
FLOWS = ("notified", "closed")


@st.composite
def careers(draw: st.DrawFn) -> list[tuple[int, int | None, list[int]]]:
    """Clients: the quarter they came in (-1: before the year), the quarter they left
    (closed, or None), and the phase (index) they were in at each quarter's end."""
    clients = []
    for _ in range(draw(st.integers(0, 16))):
        came = draw(st.integers(-1, 3))
        left = draw(st.one_of(st.none(), st.integers(max(came, 0), 3)))
        phase, phases = draw(st.integers(0, 1)), []
        for _quarter in range(4):
            phase = min(phase + draw(st.integers(0, 1)), len(PHASES) - 1)
            phases.append(phase)
        clients.append((came, left, phases))
    return clients


def snapshot_and_flows(
    clients: list[tuple[int, int | None, list[int]]],
) -> tuple[CountTable, CountTable]:
    stock: dict[tuple[str, str], int] = {}
    flows: dict[tuple[str, str], int] = {}
    for came, left, phases in clients:
        if came >= 0:
            flows[("notified", QUARTERS[came])] = flows.get(("notified", QUARTERS[came]), 0) + 1
        if left is not None:
            flows[("closed", QUARTERS[left])] = flows.get(("closed", QUARTERS[left]), 0) + 1
        for q in range(4):
            if came <= q and (left is None or q < left):
                key = (PHASES[phases[q]], QUARTERS[q])
                stock[key] = stock.get(key, 0) + 1
    return CountTable(PHASES, QUARTERS, stock), CountTable(FLOWS, QUARTERS, flows)


def bounds_of(cell: Cell, t: int) -> tuple[Fraction, Fraction | None] | None:
    """What a reader knows of a cell: None when it is shown."""
    if cell.shown is Shown.VALUE:
        return None
    if cell.shown is Shown.SMALL:
        return Fraction(0), Fraction(t - 1)
    if cell.shown is Shown.HIDDEN:
        return Fraction(t), None
    return Fraction(0), None  # withheld


@settings(max_examples=25, deadline=None)
@given(careers(), st.integers(2, 6))
def test_no_count_is_recomputed_from_the_phase_snapshot_and_the_flows(
    clients: list[tuple[int, int | None, list[int]]], t: int
) -> None:
    """The reader knows the flow table (each year the sum of its quarters), the snapshot,
    and that from one quarter's end to the next the clients in the phases change by those
    who came in minus those who left: no suppressed count of either table comes out."""
    stock, flows = snapshot_and_flows(clients)
    tables = {"stock": protect_snapshot(stock, t), "flows": protect(flows, t)}
    unknown = [
        (name, key)
        for name, published in tables.items()
        for key, cell in published.cells.items()
        if cell.shown is not Shown.VALUE
    ]
    index = {k: i for i, k in enumerate(unknown)}

    def term(name: str, key: tuple[str, str], sign: int, row: dict[int, Fraction]) -> Fraction:
        """Adds the cell to ``row`` when unknown; its value's contribution otherwise."""
        cell = tables[name].cells[key]
        if cell.shown is Shown.VALUE:
            assert cell.value is not None
            return Fraction(sign * cell.value)
        row[index[(name, key)]] = row.get(index[(name, key)], Fraction(0)) + sign
        return Fraction(0)

    equations: list[tuple[dict[int, Fraction], Fraction]] = []
    for flow in FLOWS:
        row: dict[int, Fraction] = {}
        known = sum(
            (term("flows", (flow, c), -1 if c == YEAR else 1, row) for c in (*QUARTERS, YEAR)),
            Fraction(0),
        )
        equations.append((row, -known))
    for q in range(1, 4):
        row = {}
        known = sum((term("stock", (p, QUARTERS[q]), 1, row) for p in PHASES), Fraction(0)) + sum(
            (term("stock", (p, QUARTERS[q - 1]), -1, row) for p in PHASES), Fraction(0)
        )
        known += term("flows", ("notified", QUARTERS[q]), -1, row)
        known += term("flows", ("closed", QUARTERS[q]), 1, row)
        equations.append((row, -known))
    equations = [(row, value) for row, value in equations if row]
    known_bounds = [bounds_of(tables[name].cells[key], t) for name, key in unknown]
    system = System(
        len(unknown),
        equations,
        [b[0] for b in known_bounds if b is not None],
        [b[1] for b in known_bounds if b is not None],
    )
    truth = {"stock": stock, "flows": flows}
    for (name, key), i in index.items():
        found = feasible_range(system, i)
        assert found is not None
        low, high = found
        table = truth[name]
        value = table.counts.get(key, 0) if name == "stock" else true_value(table, *key)
        assert low <= value and (high is None or value <= high)
        shown = tables[name].cells[key].shown
        if shown is Shown.SMALL:
            assert (low, high) == (0, t - 1), (name, key)
        elif shown is Shown.HIDDEN:
            assert high is None or high - low >= t - 1, (name, key)
        else:
            assert (low, high) == (0, None), (name, key)  # a withheld column says nothing


def test_the_snapshot_hides_one_more_count_per_quarter_and_withholds_a_quarter_of_small_ones() -> (
    None
):
    table = CountTable(
        ("notified", "assessment", "network"),
        QUARTERS[:2],
        {
            ("notified", QUARTERS[0]): 9,
            ("assessment", QUARTERS[0]): 6,
            ("network", QUARTERS[0]): 2,
            ("notified", QUARTERS[1]): 3,
        },
    )
    published = protect_snapshot(table)
    first = [published.cell(row, QUARTERS[0]) for row in table.rows]
    assert [c.shown for c in first] == [Shown.VALUE, Shown.HIDDEN, Shown.SMALL]
    assert first[0].value == 9
    assert {published.cell(row, QUARTERS[1]).text(5) for row in table.rows} == {"–"}
    assert published.columns == QUARTERS[:2]  # a snapshot has no year
