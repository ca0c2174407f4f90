"""Disclosure control for published count tables: pure rules, no database, no Flask.

A table holds counts by indicator or category (rows) and quarter (columns), with the year
as a column (the sum of its quarters, so the quarterly and the yearly table are one linked
system). No total over rows is published. The rules:

- a count under the threshold (``Settings.statistics_threshold``, 5 by default), zero
  included, is shown as "< 5" (primary suppression); a reader then knows it lies in 0..4;
- complementary suppression: as long as arithmetic on what is published (each row's
  sum, with the bounds a reader knows: 0..4 for "< 5", at least 5 for a hidden count)
  narrows a "< 5" cell to less than 0..4, or pins any hidden count to a range narrower
  than the threshold, one more published count of its row is hidden (the smallest that
  makes the row safe, else the smallest). The check is exact (``reader_range``), so what
  is published never lets a reader recompute a hidden count, across quarters and year
  (the property test checks it with a general linear-programming reader,
  ``tests/disclosure_reader.py``);
- a share is shown only when neither its numerator, nor its denominator, nor their
  difference is under the threshold, and rounded to 5 percentage points when the
  denominator is under 100 (to the whole point otherwise);
- a median or quartile only over at least the threshold number of clients.

A snapshot table (clients in each phase at each quarter's end, ``protect_snapshot``) has
no year column and no row equation, but its columns are linked to the flows: a quarter's
total over the phases, minus the previous quarter's, is the clients who came in minus
those who left. So each column hides at least one count of at least the threshold (the
smallest), which leaves every column's total without an upper bound; a column with no
count that large is withheld whole ("–"), for the same reason.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

YEAR = "year"
DEFAULT_THRESHOLD = 5
SMALL_DENOMINATOR = 100


class Shown(enum.StrEnum):
    VALUE = "value"
    SMALL = "small"  # under the threshold: "< 5"
    HIDDEN = "hidden"  # hidden so that a small count cannot be recomputed
    WITHHELD = "withheld"  # a snapshot column not published at all: anything from 0 up


@dataclass(frozen=True)
class Cell:
    shown: Shown
    value: int | None  # None unless shown

    def text(self, threshold: int) -> str:
        if self.shown is Shown.SMALL:
            return f"< {threshold}"
        if self.shown is Shown.HIDDEN:
            return "x"
        if self.shown is Shown.WITHHELD:
            return "–"
        return str(self.value)


@dataclass(frozen=True)
class CountTable:
    """Counts by row (one indicator or category each) and quarter of one year.

    No total over rows is published with a table (nor elsewhere for the same rows): each
    row is then one equation (its year is the sum of its quarters), checked exactly.
    """

    rows: tuple[str, ...]
    quarters: tuple[str, ...]
    counts: Mapping[tuple[str, str], int]


@dataclass(frozen=True)
class Published:
    """What may be shown of a ``CountTable``: cells by (row, column), year and total included."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]  # the quarters, then YEAR
    cells: Mapping[tuple[str, str], Cell]
    threshold: int

    def cell(self, row: str, column: str) -> Cell:
        return self.cells[(row, column)]


def _rows(table: CountTable) -> list[tuple[str, list[int]]]:
    """Each row's quarterly counts followed by its year (their sum)."""
    result = []
    for row in table.rows:
        quarters = [table.counts.get((row, q), 0) for q in table.quarters]
        result.append((row, [*quarters, sum(quarters)]))
    return result


Bounds = tuple[int, int | None]


def reader_range(
    values: Sequence[int], hidden: set[int], primary: set[int], cell: int, t: int
) -> Bounds:
    """What a reader can infer of hidden ``cell`` of one row (quarters, then their sum).

    The row is one equation, ``q1 + ... + qk - year = 0``, over boxes (0..t-1 for "< t",
    at least t for a hidden count, the value itself when shown): the exact range of one
    variable is the equation's remainder over the others' box, clipped to its own box.
    """
    last = len(values) - 1

    def sign(i: int) -> int:
        return -1 if i == last else 1

    def box(i: int) -> Bounds:
        if i not in hidden:
            return values[i], values[i]
        return (0, t - 1) if i in primary else (t, None)

    low_rest, high_rest = 0, 0
    unbounded_high = unbounded_low = False
    for i in range(len(values)):
        if i == cell:
            continue
        lo, hi = box(i)
        a = -sign(i) * sign(cell)  # x_cell = sum(a_i * x_i)
        if a > 0:
            low_rest += lo
            if hi is None:
                unbounded_high = True
            else:
                high_rest += hi
        else:
            if hi is None:
                unbounded_low = True
            else:
                low_rest -= hi
            high_rest -= lo
    own_lo, own_hi = box(cell)
    low = own_lo if unbounded_low else max(own_lo, low_rest)
    if unbounded_high:
        return low, own_hi
    return low, high_rest if own_hi is None else min(own_hi, high_rest)


def _failing(values: Sequence[int], hidden: set[int], primary: set[int], t: int) -> int | None:
    """A hidden cell of the row arithmetic narrows too far, or None when all are safe."""
    for cell in sorted(hidden):
        low, high = reader_range(values, hidden, primary, cell, t)
        if cell in primary:
            if low > 0 or high is None or high < t - 1:
                return cell
        elif high is not None and high - low < t - 1:
            return cell
    return None


def protect(table: CountTable, threshold: int = DEFAULT_THRESHOLD) -> Published:
    """The table with small counts suppressed and enough others hidden to protect them."""
    cells: dict[tuple[str, str], Cell] = {}
    columns = (*table.quarters, YEAR)
    for row, values in _rows(table):
        primary = {i for i, v in enumerate(values) if v < threshold}
        hidden = set(primary)
        while _failing(values, hidden, primary, threshold) is not None:
            candidates = [i for i in range(len(values)) if i not in hidden]
            if not candidates:
                break
            candidates.sort(key=lambda i: (values[i], i))
            hidden.add(
                next(
                    (
                        i
                        for i in candidates
                        if _failing(values, hidden | {i}, primary, threshold) is None
                    ),
                    candidates[0],
                )
            )
        for i, column in enumerate(columns):
            cells[(row, column)] = (
                Cell(Shown.SMALL, None)
                if i in primary
                else Cell(Shown.HIDDEN, None)
                if i in hidden
                else Cell(Shown.VALUE, values[i])
            )
    return Published(table.rows, columns, cells, threshold)


def protect_snapshot(table: CountTable, threshold: int = DEFAULT_THRESHOLD) -> Published:
    """A snapshot (no year column): small counts suppressed, and in each column the
    smallest count of at least the threshold hidden too; a column without one is withheld."""
    cells: dict[tuple[str, str], Cell] = {}
    for column in table.quarters:
        values = {row: table.counts.get((row, column), 0) for row in table.rows}
        large = sorted((v, row) for row, v in values.items() if v >= threshold)
        for row, value in values.items():
            if not large:
                cells[(row, column)] = Cell(Shown.WITHHELD, None)
            elif value < threshold:
                cells[(row, column)] = Cell(Shown.SMALL, None)
            elif row == large[0][1]:
                cells[(row, column)] = Cell(Shown.HIDDEN, None)
            else:
                cells[(row, column)] = Cell(Shown.VALUE, value)
    return Published(table.rows, table.quarters, cells, threshold)


def share(numerator: int, denominator: int, threshold: int = DEFAULT_THRESHOLD) -> int | None:
    """A percentage safe to show, or None (too few, or it would reveal a small count)."""
    if min(numerator, denominator, denominator - numerator) < threshold:
        return None
    percent = Fraction(100 * numerator, denominator)
    if denominator < SMALL_DENOMINATOR:
        return round(percent / 5) * 5
    return round(percent)


def quartiles(
    values: Sequence[int], threshold: int = DEFAULT_THRESHOLD
) -> tuple[float, float, float] | None:
    """The lower quartile, median and upper quartile, or None over fewer than ``threshold``."""
    if len(values) < threshold:
        return None
    ordered = sorted(values)

    def at(p: Fraction) -> float:
        position = p * (len(ordered) - 1)
        below = int(position)
        above = min(below + 1, len(ordered) - 1)
        return float(ordered[below] + (ordered[above] - ordered[below]) * (position - below))

    return at(Fraction(1, 4)), at(Fraction(1, 2)), at(Fraction(3, 4))
