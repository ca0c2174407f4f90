"""The national pooled statistics: counties join by their setting, the managers and analysts
of joined counties see the pool (page, CSV, API), small counts and what a county could
subtract its own from are hidden, and the statements do not grow with the clients."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.i18n import helsinki_today
from app.models import Organisation, OrgKind, Role, User
from app.statistics import national
from tests import factories
from tests.conftest import api_token, csrf_token, login
from tests.integration.test_statistics import NAME, released_clients


def joined_county(
    db: Session, name: str, by_quarter: tuple[int, int, int, int], year: int
) -> Organisation:
    """A county that joined, with ``by_quarter[q]`` clients released in quarter q + 1."""
    county = factories.organisation(db, OrgKind.COUNTY, name=name)
    worker = factories.user(db, Role.CASEWORKER, county)
    for quarter, clients in enumerate(by_quarter):
        released_clients(db, county, worker, clients, date(year, 3 * quarter + 2, 10))
    national.set_national(db, county.id, True, by=None)
    return county


def test_managers_of_joined_counties_see_the_pool_with_what_could_be_subtracted_hidden(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    year = helsinki_today().year - 1  # every quarter of it is past
    first = joined_county(db, "Alue A (fictional)", (8, 5, 5, 5), year)
    joined_county(db, "Alue B (fictional)", (2, 5, 5, 5), year)
    joined_county(db, "Alue C (fictional)", (1, 5, 5, 5), year)
    outside = factories.organisation(db, OrgKind.COUNTY, name="Alue D (fictional)")
    released_clients(
        db, outside, factories.user(db, Role.CASEWORKER, outside), 6, date(year, 2, 10)
    )
    manager = factories.user(db, Role.MANAGER, first)
    analyst = factories.user(db, Role.ANALYST, first)
    stranger = factories.user(db, Role.MANAGER, outside)
    db.commit()
    data = national.national_report(db, year, helsinki_today(), 5)
    release = {s.key: s for s in data.sections}["release"]
    housing = [release.table.cell("housing", c).text(5) for c in release.table.columns]
    # The pool: 11, 15, 15, 15, year 56; none is small. But county A's reader would take
    # away its own 8 and learn that B and C had 3 in the first quarter: so that cell is
    # hidden, as "x" (not "< 5": it is not small), and one more with it so the year cannot
    # give it back. No county row: B's 2 and C's 1 do not pass.
    assert housing[0] == "x" and housing.count("x") == 2
    assert [v for v in housing if v != "x"] in (["15", "15", "56"], ["15", "15", "15"])
    assert "housing" not in release.by_county

    body = client.get(
        f"/api/v1/statistics/national?year={year}", headers=api_token(client, analyst.username)
    )
    assert body.status_code == 200
    assert body.json["counties"] == [
        "Alue A (fictional)",
        "Alue B (fictional)",
        "Alue C (fictional)",
    ]
    rows = {(r["table"], r["indicator"], r["county"]): r for r in body.json["rows"]}
    assert list(rows[("release", "housing", None)]["values"].values()) == housing
    assert NAME not in body.get_data(as_text=True)
    refused = client.get(
        f"/api/v1/statistics/national?year={year}", headers=api_token(client, stranger.username)
    )
    assert refused.status_code == 403

    login(client, manager.username)
    page = client.get(f"/statistics/national?year={year}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Alue A (fictional), Alue B (fictional), Alue C (fictional)" in html
    assert "Alue D" not in html and NAME not in html and "/caseworker/clients/" not in html
    assert "of which" not in html  # no indicator where B and C pass in every quarter
    download = client.get(f"/statistics/national.csv?year={year}")
    csv_rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert csv_rows[0] == ["table", "indicator", "county", *data.columns]
    assert ["release", "housing", "", *housing] in csv_rows
    client.post("/logout", data={"csrf_token": csrf_token(client, "/statistics/national")})
    login(client, stranger.username)
    told = client.get("/statistics/national", headers={"Accept-Language": "en"})
    assert "Your county has not joined the national statistics" in told.get_data(as_text=True)
    assert client.get("/statistics/national.csv").status_code == 403


def test_county_rows_are_shown_where_every_one_of_them_passes(
    client: FlaskClient, db: Session
) -> None:
    year = helsinki_today().year - 1
    first = joined_county(db, "Alue A (fictional)", (5, 5, 5, 6), year)
    joined_county(db, "Alue B (fictional)", (5, 5, 5, 5), year)
    joined_county(db, "Alue C (fictional)", (5, 5, 5, 5), year)
    manager = factories.user(db, Role.MANAGER, first)
    db.commit()
    data = national.national_report(db, year, helsinki_today(), 5)
    release = {s.key: s for s in data.sections}["release"]
    pooled = [release.table.cell("housing", c).text(5) for c in release.table.columns]
    assert pooled == ["15", "15", "15", "16", "61"]
    assert release.by_county["housing"] == [
        ("Alue A (fictional)", [5, 5, 5, 6, 21]),
        ("Alue B (fictional)", [5, 5, 5, 5, 20]),
        ("Alue C (fictional)", [5, 5, 5, 5, 20]),
    ]
    assert "health" not in release.by_county  # no one's health task was done: zeros
    login(client, manager.username)
    html = client.get(
        f"/statistics/national?year={year}", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "of which Alue B (fictional)" in html


def test_fewer_than_the_minimum_counties_show_nothing(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    year = helsinki_today().year
    first = joined_county(db, "Alue A (fictional)", (9, 0, 0, 0), year)
    joined_county(db, "Alue B (fictional)", (9, 0, 0, 0), year)
    manager = factories.user(db, Role.MANAGER, first)
    db.commit()
    data = national.national_report(db, year, helsinki_today(), 5)
    assert data.sections == () and not data.enough
    login(client, manager.username)
    html = client.get("/statistics/national", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Figures are pooled once at least 3 counties have joined." in html


def test_the_pool_runs_the_same_statements_for_any_number_of_clients(
    db: Session, sql_count: list[str]
) -> None:
    year = helsinki_today().year
    counties = [joined_county(db, f"Alue {n} (fictional)", (1, 0, 0, 0), year) for n in "ABC"]
    counted = []
    for clients in (1, 10):
        for county in counties:
            released_clients(
                db, county, factories.user(db, Role.CASEWORKER, county), clients, date(year, 2, 1)
            )
        sql_count.clear()
        national.national_report(db, year, helsinki_today(), 5)
        counted.append(len(sql_count))
    assert counted[0] == counted[1] == 1 + 16 * len(counties)


def test_a_county_administrator_joins_and_leaves_in_the_county_settings(
    client: FlaskClient, db: Session
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    admin: User = factories.user(db, Role.ADMIN, county)
    db.commit()
    login(client, admin.username)
    form = client.get("/admin/settings", headers={"Accept-Language": "en"})
    assert "National statistics" in form.get_data(as_text=True)
    token = csrf_token(client, "/admin/settings")
    for choice, joined in (("yes", True), ("no", False)):
        saved = client.post(
            "/admin/settings",
            data={
                "csrf_token": token,
                "log_request_detail": "role_and_date",
                "national_statistics": choice,
            },
        )
        assert saved.status_code == 302
        db.expire_all()
        assert national.has_joined(db, county.id) is joined
