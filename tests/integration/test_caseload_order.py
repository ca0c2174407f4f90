"""The caseload sorts and filters by the release day every page shows, in index order.

The release day is the start of probationary liberty when it comes before the conditional
release (``consent.status.release_day``); the list must not order by the conditional release
alone, and on SQLite it must read ``ix_cases_caseload`` instead of sorting in a temp B-tree.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from app.cases.queries import county_caseload
from app.models import OrgKind
from app.models.case import RELEASE_DAY_SQL, Case
from tests import factories


def test_the_list_orders_and_filters_by_the_release_day_shown(db: Session) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    today = date.today()
    # Leaves on probationary liberty in 10 days, although the conditional release is in 90.
    _, early = factories.client(db, county, name="Aikainen Aapo (fictional)", release_in_days=90)
    early.probation_start = today + timedelta(days=10)
    _, middle = factories.client(db, county, name="Keskimmäinen Kaisa", release_in_days=30)
    _, unknown = factories.client(db, county, name="Tuntematon Tero")
    unknown.conditional_release = None
    db.flush()

    listed = [row.case.id for row in county_caseload(db, county.id).rows]
    assert listed == [early.id, middle.id, unknown.id]
    assert early.release_day == today + timedelta(days=10)

    soon = county_caseload(db, county.id, release_from=today, release_to=today + timedelta(20))
    assert [row.case.id for row in soon.rows] == [early.id]


def test_the_index_holds_the_release_days_own_expression(db: Session) -> None:
    compiled = str(Case.release_day.expression.compile(compile_kwargs={"literal_binds": True}))
    assert " ".join(compiled.replace("cases.", "").split()) == " ".join(RELEASE_DAY_SQL.split())


def test_sqlite_reads_the_caseload_in_index_order(db: Session, sql_count: list[str]) -> None:
    if db.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's planner chooses by its statistics; SQLite's plan is fixed
    county = factories.organisation(db, OrgKind.COUNTY)
    factories.client(db, county)
    db.flush()
    sql_count.clear()
    county_caseload(db, county.id)
    [listing] = [s for s in sql_count if "ORDER BY" in s and "LIMIT" in s]
    # The plan does not depend on the values: any will do for the statement's parameters.
    found = db.connection().exec_driver_sql(
        f"EXPLAIN QUERY PLAN {listing}", (None,) * listing.count("?")
    )
    plan = " ".join(row[-1] for row in found)
    assert "ix_cases_caseload" in plan
    assert "TEMP B-TREE" not in plan
