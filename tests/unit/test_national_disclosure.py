"""The national pooled table: no suppressed count of the pool, or of the other counties,
can be recomputed, by a reader outside or by one who knows their own county's counts.

Counties' small populations are generated; the pooled table and the per-county breakdown
(``app.statistics.national``) are read with the exact linear-programming reader
(``tests/disclosure_reader.py``): each row's quarters sum to its year; a hidden pooled
cell ("x") bounds nothing but 0..∞. A reader of a joined county subtracts their own
counts from every shown pooled cell, so what they learn of the other counties is the same
system over the others' counts.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from app.statistics.disclosure import YEAR, CountTable, Published, Shown
from app.statistics.national import breakdown, pool
from tests.disclosure_reader import System, feasible_range
from tests.unit.test_disclosure import QUARTERS, ROWS, populations, table_of


def values(table: CountTable, row: str) -> dict[str, int]:
    quarters = {q: table.counts.get((row, q), 0) for q in QUARTERS}
    return {**quarters, YEAR: sum(quarters.values())}


def minus(a: CountTable, b: CountTable) -> CountTable:
    keys = {(r, q) for r in ROWS for q in QUARTERS}
    return CountTable(ROWS, QUARTERS, {k: a.counts.get(k, 0) - b.counts.get(k, 0) for k in keys})


def summed(tables: list[CountTable]) -> CountTable:
    keys = {(r, q) for r in ROWS for q in QUARTERS}
    return CountTable(ROWS, QUARTERS, {k: sum(t.counts.get(k, 0) for t in tables) for k in keys})


def check_reader(published: Published, truth: CountTable, known: CountTable | None) -> None:
    """What a reader infers of ``truth`` (the pool, or the pool minus ``known``, their own
    county) from ``published``: every hidden cell's range holds the truth and is at least
    ``threshold - 1`` wide."""
    t = published.threshold
    hidden = [k for k, c in published.cells.items() if c.shown is not Shown.VALUE]
    index = {k: i for i, k in enumerate(hidden)}
    equations = []
    for row in ROWS:
        coefficients: dict[int, Fraction] = {}
        constant = Fraction(0)
        own = values(known, row) if known is not None else None
        for column in published.columns:
            sign = -1 if column == YEAR else 1
            cell = published.cell(row, column)
            if cell.shown is Shown.VALUE:
                assert cell.value is not None
                seen = cell.value - (own[column] if own is not None else 0)
                constant -= sign * seen
            else:
                coefficients[index[(row, column)]] = Fraction(sign)
        if coefficients:
            equations.append((coefficients, constant))
    system = System(len(hidden), equations, [Fraction(0)] * len(hidden), [None] * len(hidden))
    for key, i in index.items():
        bounds = feasible_range(system, i)
        assert bounds is not None
        low, high = bounds
        true = values(truth, key[0])[key[1]]
        assert low <= true and (high is None or true <= high), key
        assert high is None or high - low >= t - 1, key


@settings(max_examples=40, deadline=None)
@given(st.lists(populations(), min_size=3, max_size=4), st.integers(2, 5))
def test_no_small_count_of_the_pool_or_another_county_can_be_recomputed(
    counties: list[list[tuple[str, int]]], t: int
) -> None:
    tables = [table_of(events) for events in counties]
    total = summed(tables)
    published = pool(tables, t)
    for key, cell in published.cells.items():
        if cell.shown is Shown.VALUE:
            assert cell.value == values(total, key[0])[key[1]] and cell.value >= t
    check_reader(published, total, None)
    for own in tables:
        check_reader(published, minus(total, own), own)
    names = [f"county {n}" for n in range(len(tables))]
    shown = breakdown(tables, names, t)
    for row, county_rows in shown.items():
        # County rows only where every cell passes, so nothing of the pooled row is hidden
        # and the county rows add up to what the pooled row shows.
        assert all(v >= t for _, vs in county_rows for v in vs)
        for n, column in enumerate(published.columns):
            cell = published.cell(row, column)
            assert cell.shown is Shown.VALUE
            assert cell.value == sum(vs[n] for _, vs in county_rows)
    for row in ROWS:
        if row not in shown:
            assert any(values(t_, row)[c] < t for t_ in tables for c in published.columns)


def test_a_county_alone_with_a_small_rest_hides_the_cell() -> None:
    """A pooled count of 40 where two of the three counties together had 3: the third
    county's reader would learn the others' 3 by subtraction, so the cell is hidden."""
    q1 = QUARTERS[0]

    def one(n: int, later: int) -> CountTable:
        counts = {("notified", q1): n, **{("notified", q): later for q in QUARTERS[1:]}}
        return CountTable(("notified",), QUARTERS, counts)

    tables = [one(37, 10), one(2, 10), one(1, 10)]
    published = pool(tables, 5)
    assert published.cell("notified", q1).shown is Shown.HIDDEN
    assert published.cell("notified", q1).text(5) == "x"  # not "< 5": it is not small
    assert breakdown(tables, ["a", "b", "c"], 5) == {}
    rich = [one(9, 10), one(8, 10), one(7, 10)]
    assert pool(rich, 5).cell("notified", YEAR).value == 24 + 90
    assert breakdown(rich, ["a", "b", "c"], 5)["notified"][0] == ("a", [9, 10, 10, 10, 39])
