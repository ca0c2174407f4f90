"""The statistics page, its CSV and JSON: scope, suppression, no client, fixed statements."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.i18n import helsinki_today
from app.models import Organisation, OrgKind, Role, User
from app.models.assessment import Assessment
from app.models.case import Case
from app.models.release import ChecklistItem, ItemState, ReleaseTask
from app.statistics.queries import Report, report
from tests import factories
from tests.conftest import api_token, login

NAME = "Kuvitteellinen Tilastoasiakas"


def released_clients(
    db: Session, county: Organisation, worker: User, clients: int, released_on: date
) -> list[Case]:
    """``clients`` clients of ``worker``, assessed a month before release, released on
    ``released_on`` with housing arranged the day before."""
    cases = []
    for n in range(clients):
        record, case = factories.client(db, county, name=f"{NAME} {n}", worker=worker)
        case.probation_start = released_on
        db.add(
            Assessment(
                case_id=case.id, client_id=record.id, started_on=released_on - timedelta(days=30)
            )
        )
        db.add(
            ChecklistItem(
                case_id=case.id,
                client_id=record.id,
                task=ReleaseTask.HOUSING_APPLICATION,
                state=ItemState.DONE,
                state_changed_at=datetime.combine(
                    released_on - timedelta(days=1), time(9), tzinfo=UTC
                ),
            )
        )
        cases.append(case)
    db.flush()
    return cases


def test_the_report_runs_the_same_statements_for_any_number_of_clients(
    db: Session, sql_count: list[str]
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    worker = factories.user(db, Role.CASEWORKER, county)
    today = helsinki_today()
    counted = []
    for clients in (1, 12):
        released_clients(db, county, worker, clients, today - timedelta(days=3))
        sql_count.clear()
        report(db, county.id, today.year, today, 5)
        counted.append(len(sql_count))
    assert counted[0] == counted[1] == 16  # one per kind of fact


def test_managers_see_their_county_suppressed_and_no_client(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    worker = factories.user(db, Role.CASEWORKER, county)
    manager = factories.user(db, Role.MANAGER, county)
    today = helsinki_today()
    year = today.year
    released_clients(db, county, worker, 7, date(year, 2, 10))
    released_clients(db, county, worker, 6, date(year, 5, 10))
    released_clients(db, county, worker, 2, date(year, 8, 10))
    other = factories.organisation(db, OrgKind.COUNTY)
    released_clients(db, other, factories.user(db, Role.CASEWORKER, other), 9, date(year, 2, 10))
    db.commit()
    login(client, manager.username)
    page = client.get(f"/statistics/?year={year}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert NAME not in html and "/caseworker/clients/" not in html
    assert html.count("<svg") == 3 and "Statistics of the county" in html
    assert "Release-day outcomes by quarter" in html
    assert "&lt; 5" in html  # the third quarter's two releases
    data = report(db, county.id, year, today, 5)
    release = {s.key: s for s in data.sections}["release"].table
    row = [release.cell("housing", c).text(5) for c in release.columns]
    # 7 + 6 + (< 5) + (< 5) = 15: with the first two quarters shown, the two small ones
    # would add up to 2, so the first quarter is hidden too (it then lies in 5..9).
    assert row == ["x", "6", "< 5", "< 5", "15"]
    shares = {s.indicator.key: s for s in data.shares}
    assert shares["assessed_before_release"].by_column[f"{year}-Q1"] is None  # 7 of 7: 0 did not
    download = client.get(f"/statistics/statistics.csv?year={year}")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    housing = next(row for row in table if row[1] == "housing")
    assert housing[2:7] == row
    assert NAME not in download.get_data(as_text=True)
    assert client.get(f"/statistics/?year={year + 1}").status_code == 404


def test_the_api_gives_the_same_tables_to_managers_only(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    worker = factories.user(db, Role.CASEWORKER, county)
    analyst = factories.user(db, Role.ANALYST, county)
    year = helsinki_today().year
    released_clients(db, county, worker, 8, date(year, 2, 10))
    db.commit()
    body = client.get(
        f"/api/v1/statistics?year={year}", headers=api_token(client, analyst.username)
    )
    assert body.status_code == 200
    rows = {(r["table"], r["indicator"]): r for r in body.json["rows"]}
    assert rows[("release", "housing")]["values"][f"{year}-Q1"] == "8"
    assert rows[("release", "housing")]["values"][f"{year}-Q2"] == "< 5"
    assert NAME not in body.get_data(as_text=True)
    refused = client.get("/api/v1/statistics", headers=api_token(client, worker.username))
    assert refused.status_code == 403
    assert (
        client.get("/api/v1/statistics?year=1999", headers=api_token(client, analyst.username))
    ).status_code == 422


def test_a_caseworker_sees_only_their_own_caseload(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    mine = factories.user(db, Role.CASEWORKER, county)
    theirs = factories.user(db, Role.CASEWORKER, county)
    year = helsinki_today().year
    released_clients(db, county, mine, 5, date(year, 2, 10))
    released_clients(db, county, theirs, 9, date(year, 2, 10))
    db.commit()
    login(client, mine.username)
    page = client.get(f"/statistics/?year={year}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Statistics of my caseload" in page.get_data(as_text=True)
    today = helsinki_today()
    own = report(db, county.id, year, today, 5, worker_id=mine.id)
    whole = report(db, county.id, year, today, 5)

    def housing(data: Report) -> list[str]:
        table = {s.key: s for s in data.sections}["release"].table
        return [table.cell("housing", c).text(5) for c in table.columns]

    assert "5" in housing(own) and "14" not in housing(own)
    assert "14" in housing(whole)
