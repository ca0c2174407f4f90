"""National pooled statistics: the indicators of every county that opted in, pooled.

A county joins by its administrator's setting (``CountySetting.national_statistics``,
``set_national``). The pooled view is for the managers and analysts of the counties that
joined (``may_see``): a county sharing its figures sees the pool, no one else. It shows
nothing until ``MIN_COUNTIES`` counties have joined.

Only the count tables are pooled (funnel, release-day outcomes, reviews, network,
consents, endings): a median or a share of the pool cannot be protected against a county
that subtracts its own clients without each county's detail, so they stay on each
county's own page.

Disclosure control of the pooled table (``pool``, pure). A reader of the national view
knows their own county's counts exactly, so for them the pool minus their county is
published too. So:

- a pooled cell is hidden when the pool itself needs it hidden (``protect``) or when, for
  any one county, the pool without that county needs it hidden (``protect`` on the
  others' table): then no reader, inside a joined county or outside, can recompute a
  small count of the pool or of the other counties from what is shown;
- every hidden pooled cell is shown as "x", small or not, so a reader learns nothing of
  its size (bounds 0..∞, weaker than a county page's "< 5": hiding more and saying less
  only widens what arithmetic can infer);
- the per-county breakdown of an indicator is shown only when every one of its cells (every
  county, every quarter and the year) is at least the threshold: then nothing of that row is
  hidden in the pool either (each county's share and the others' both pass), so the county
  rows and the pooled total never let a hidden cell be recomputed.

The property test (``tests/unit/test_national_disclosure.py``) checks both readers with the
linear-programming reader. Collusion of two joined counties is not defended against.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Organisation, Role
from app.models.log_request import CountySetting
from app.statistics.disclosure import YEAR, Cell, CountTable, Published, Shown, protect
from app.statistics.queries import report
from app.statistics.rules import Indicator
from consent.base import utcnow

MIN_COUNTIES = 3
READERS = (Role.MANAGER, Role.ANALYST)


def _row_values(table: CountTable, row: str) -> list[int]:
    quarters = [table.counts.get((row, q), 0) for q in table.quarters]
    return [*quarters, sum(quarters)]


def _hidden(table: CountTable, threshold: int) -> set[tuple[str, str]]:
    return {k for k, c in protect(table, threshold).cells.items() if c.shown is not Shown.VALUE}


def pool(tables: Sequence[CountTable], threshold: int) -> Published:
    """The counties' tables (same rows and quarters) pooled and protected as above."""
    rows, quarters = tables[0].rows, tables[0].quarters
    columns = (*quarters, YEAR)
    keys = [(r, q) for r in rows for q in quarters]
    pooled = CountTable(rows, quarters, {k: sum(t.counts.get(k, 0) for t in tables) for k in keys})
    hidden = _hidden(pooled, threshold)
    for table in tables:
        others = {k: pooled.counts[k] - table.counts.get(k, 0) for k in keys}
        hidden |= _hidden(CountTable(rows, quarters, others), threshold)
    cells: dict[tuple[str, str], Cell] = {}
    for row in rows:
        for column, value in zip(columns, _row_values(pooled, row), strict=True):
            cells[(row, column)] = (
                Cell(Shown.HIDDEN, None) if (row, column) in hidden else Cell(Shown.VALUE, value)
            )
    return Published(rows, columns, cells, threshold)


def breakdown(
    tables: Sequence[CountTable], names: Sequence[str], threshold: int
) -> dict[str, list[tuple[str, list[int]]]]:
    """Each row's per-county counts (quarters, then year), for the rows where every
    county's every cell is at least ``threshold``; other rows are left out."""
    shown: dict[str, list[tuple[str, list[int]]]] = {}
    for row in tables[0].rows:
        values = [_row_values(t, row) for t in tables]
        if all(v >= threshold for vs in values for v in vs):
            shown[row] = list(zip(names, values, strict=True))
    return shown


@dataclass(frozen=True)
class PooledSection:
    key: str
    indicators: tuple[Indicator, ...]
    table: Published
    by_county: dict[str, list[tuple[str, list[int]]]]  # indicator key → county rows, if shown


@dataclass(frozen=True)
class NationalReport:
    year: int
    columns: tuple[str, ...]
    threshold: int
    counties: tuple[str, ...]  # the counties that joined, by name
    sections: tuple[PooledSection, ...]  # empty while fewer than MIN_COUNTIES joined

    @property
    def enough(self) -> bool:
        return len(self.counties) >= MIN_COUNTIES


def joined(session: Session) -> list[tuple[uuid.UUID, str]]:
    """The counties that joined the national statistics, by name (one statement)."""
    return [
        (county_id, name)
        for county_id, name in session.execute(
            select(Organisation.id, Organisation.name)
            .join(CountySetting, CountySetting.county_id == Organisation.id)
            .where(CountySetting.national_statistics.is_(True))
            .order_by(Organisation.name, Organisation.id)
        )
    ]


def has_joined(session: Session, county_id: uuid.UUID) -> bool:
    return bool(
        session.scalar(
            select(CountySetting.national_statistics).where(CountySetting.county_id == county_id)
        )
    )


def may_see(role: Role, county_joined: bool) -> bool:
    """The pooled view: managers and analysts of a county that joined."""
    return role in READERS and county_joined


def national_report(session: Session, year: int, today: date, threshold: int) -> NationalReport:
    """The pooled count tables of ``year``: one statement, then each joined county's report
    (``report``'s sixteen each), whatever the number of clients.

    Only the count tables of events are pooled. The phase snapshot (clients in each phase at
    each quarter's end) is not: its quarters are linked by who came and went, which its own
    protection (``disclosure.protect_snapshot``) handles for one county, not for a pool that
    each county can subtract its own counts from."""
    counties = joined(session)
    names = tuple(name for _, name in counties)
    columns = (*(f"{year}-Q{q}" for q in range(1, 5)), YEAR)
    if len(counties) < MIN_COUNTIES:
        return NationalReport(year, columns, threshold, names, ())
    raws: list[dict[str, CountTable]] = []
    first = None
    for county_id, _ in counties:
        raw: dict[str, CountTable] = {}
        data = report(session, county_id, year, today, threshold, raw=raw)
        first = first or data
        raws.append(raw)
    assert first is not None
    sections = tuple(
        PooledSection(
            s.key,
            s.indicators,
            pool([r[s.key] for r in raws], threshold),
            breakdown([r[s.key] for r in raws], names, threshold),
        )
        for s in first.sections
        if s.key in raws[0]  # the phase snapshot is not pooled: see ``national_report``
    )
    return NationalReport(year, first.columns, threshold, names, sections)


def set_national(
    session: Session, county_id: uuid.UUID, join: bool, *, by: uuid.UUID | None
) -> CountySetting:
    """Join (or leave) the national statistics, by the county's administrator (flushes)."""
    setting = session.scalar(select(CountySetting).where(CountySetting.county_id == county_id))
    if setting is None:
        setting = CountySetting(county_id=county_id)
        session.add(setting)
    setting.national_statistics = join
    setting.updated_at = utcnow()
    setting.updated_by_id = by
    session.flush()
    return setting
