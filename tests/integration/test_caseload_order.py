"""The caseload sorts and filters by the release day every page shows, in index order.

The release day is the start of probationary liberty when it comes before the conditional
release (``consent.status.release_day``). ``cases.release_on`` holds it, set by the one rule
whenever either date is set (``Case._keep_release_on``); the list orders and filters by that
column and, on SQLite, reads ``ix_cases_caseload`` instead of sorting in a temp B-tree.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases import commands as cases
from app.cases.queries import county_caseload
from app.i18n import helsinki_today
from app.intake import commands as intake
from app.models import Case, OrgKind, Role
from app.models.transfer import TransferReason
from app.security import new_gate
from app.transfer import commands as transfer
from consent.status import release_day
from tests import factories

TODAY = helsinki_today()


def stored(db: Session) -> list[tuple[date | None, date | None]]:
    """Every case's ``release_on`` as the database holds it, with the rule's day beside it."""
    db.flush()
    rows = db.execute(
        select(Case.release_on, Case.conditional_release, Case.probation_start).execution_options(
            populate_existing=True
        )
    ).all()
    return [
        (row.release_on, release_day(row.conditional_release, row.probation_start)) for row in rows
    ]


def kept(db: Session) -> bool:
    return all(column == rule for column, rule in stored(db))


def test_the_list_orders_and_filters_by_the_release_day_shown(db: Session) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    # Leaves on probationary liberty in 10 days, although the conditional release is in 90.
    _, early = factories.client(db, county, name="Aikainen Aapo (fictional)", release_in_days=90)
    early.probation_start = TODAY + timedelta(days=10)
    _, middle = factories.client(db, county, name="Keskimmäinen Kaisa", release_in_days=30)
    _, unknown = factories.client(db, county, name="Tuntematon Tero")
    unknown.conditional_release = None
    db.flush()

    listed = [row.case.id for row in county_caseload(db, county.id).rows]
    assert listed == [early.id, middle.id, unknown.id]
    assert early.release_day == early.release_on == TODAY + timedelta(days=10)
    assert kept(db)

    soon = county_caseload(db, county.id, release_from=TODAY, release_to=TODAY + timedelta(20))
    assert [row.case.id for row in soon.rows] == [early.id]
    later = county_caseload(db, county.id, release_from=TODAY + timedelta(days=11))
    assert [row.case.id for row in later.rows] == [middle.id]


def test_every_date_change_keeps_the_column_to_the_rule(db: Session) -> None:
    base = factories.county_case(db, release_in_days=200)
    case = base.case
    assert case.release_on == TODAY + timedelta(days=200) and kept(db)

    def save(conditional: int | None, probation: int | None) -> None:
        cases.save_release_dates(
            db,
            case,
            base.worker.id,
            sentence_start=None,
            conditional_release=None if conditional is None else TODAY + timedelta(conditional),
            probation_start=None if probation is None else TODAY + timedelta(probation),
            probation_end=None,
        )
        assert kept(db)

    save(200, 100)  # probationary liberty before the conditional release: its start
    assert case.release_day == TODAY + timedelta(days=100)
    save(120, 100)  # the conditional release moves; probationary liberty still first
    assert case.release_day == TODAY + timedelta(days=100)
    save(120, None)  # probationary liberty cancelled: the conditional release again
    assert case.release_day == TODAY + timedelta(days=120)
    save(None, None)
    assert case.release_day is None
    assert [column for column, _ in stored(db)] == [None]

    # Created at intake, with or without a date, and reopened.
    client, created = intake.create_client(
        db,
        new_gate(),
        factories.keyring_of(),
        base.actor,
        intake.NewClient(
            name="Kuvitteellinen Uusi", identity_code=None, conditional_release=TODAY + timedelta(9)
        ),
        work_task_reason="Vastaanotto (fictional)",
    )
    assert created.release_on == TODAY + timedelta(days=9) and kept(db)
    reopened = intake.open_case(db, client, created.county_id)
    assert reopened.release_on is None and kept(db)


def test_a_transfer_keeps_the_day_and_the_receiving_caseload_orders_by_it(db: Session) -> None:
    base = factories.county_case(db, release_in_days=150)
    cases.save_release_dates(
        db,
        base.case,
        base.worker.id,
        sentence_start=None,
        conditional_release=TODAY + timedelta(days=150),
        probation_start=TODAY + timedelta(days=70),
        probation_end=None,
    )
    receiving = factories.organisation(db, OrgKind.COUNTY)
    worker = factories.user(db, Role.CASEWORKER, receiving)
    _, theirs = factories.client(db, receiving, release_in_days=100)
    made = transfer.propose_transfer(
        db,
        new_gate(),
        base.actor,
        case=base.case,
        to_county_id=receiving.id,
        reason=TransferReason.MOVED,
    )
    transfer.accept_transfer(db, new_gate(), factories.actor(worker), transfer=made, worker=worker)
    assert kept(db)
    assert base.case.release_on == TODAY + timedelta(days=70)
    listed = [row.case.id for row in county_caseload(db, receiving.id).rows]
    assert listed == [base.case.id, theirs.id]  # day 70 before day 100


def test_sqlite_reads_the_caseload_in_index_order(db: Session, sql_count: list[str]) -> None:
    if db.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's planner chooses by its statistics; SQLite's plan is fixed
    county = factories.organisation(db, OrgKind.COUNTY)
    factories.client(db, county)
    db.flush()
    for filters in ({}, {"release_from": TODAY, "release_to": TODAY + timedelta(days=30)}):
        sql_count.clear()
        county_caseload(db, county.id, **filters)  # type: ignore[arg-type]
        [listing] = [s for s in sql_count if "ORDER BY" in s and "LIMIT" in s]
        # The plan does not depend on the values: any will do for the statement's parameters.
        found = db.connection().exec_driver_sql(
            f"EXPLAIN QUERY PLAN {listing}", (None,) * listing.count("?")
        )
        plan = " ".join(row[-1] for row in found)
        assert "ix_cases_caseload" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
