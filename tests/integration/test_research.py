"""Research extracts: an approval recorded and ended through the pages, the extract made only
by the analyst it names while it is valid, coded facts under per-study pseudonyms, and each
included client's own log saying their information was used in the study."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.i18n import helsinki_today
from app.models import Organisation, OrgKind, Role, User
from app.models.research import ResearchApproval, ResearchExtract
from app.research import commands as research
from app.research.queries import COLUMNS
from app.security import current_keyring
from consent.base import utcnow
from consent.decision import Reason
from sharing.access_log import AccessLogEntry
from tests import factories
from tests.conftest import csrf_token, login
from tests.integration.test_statistics import NAME, released_clients

IDENTITY = "010190-900P"  # every factory client's identity code
MONTH = re.compile(r"^\d{4}-\d{2}$")


def approval_of(
    app: Flask, db: Session, by: User, analyst: User, *, name: str = "Vapautuvien polut"
) -> ResearchApproval:
    today = helsinki_today()
    with app.test_request_context():
        keyring = current_keyring()
    return research.approve(
        db,
        keyring,
        by,
        requester_id=analyst.id,
        study_name=name,
        permit_reference="THL/1234/14.02.00/2026",
        valid_from=today,
        expires_on=today + timedelta(days=90),
        today=today,
    )


def extract_of(app: Flask, db: Session, approval: ResearchApproval, analyst: User) -> list[str]:
    with app.test_request_context():
        keyring = current_keyring()
    made = research.extract(db, keyring, approval, analyst, today=helsinki_today(), now=utcnow())
    return [row[0] for row in made.rows]


def test_an_approved_study_gets_coded_facts_and_each_client_sees_it_on_their_log(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY, name="Kuvitteellinen hyvinvointialue")
    admin = factories.user(db, Role.ADMIN, county)
    analyst = factories.user(db, Role.ANALYST, county)
    worker = factories.user(db, Role.CASEWORKER, county)
    year = helsinki_today().year
    cases = released_clients(db, county, worker, 3, date(year, 1, 10))
    own = factories.county_case(db, county=county, name="Kuvitteellinen Kalle")
    own_user = factories.user(db, Role.CLIENT, client=own.client)
    other = factories.organisation(db, OrgKind.COUNTY)
    released_clients(db, other, factories.user(db, Role.CASEWORKER, other), 2, date(year, 1, 10))
    db.commit()

    login(client, admin.username)
    today = helsinki_today()
    form = {
        "csrf_token": csrf_token(client, "/research/new"),
        "study_name": "Vapautuvien polut",
        "permit_reference": "THL/1234/14.02.00/2026",
        "requester": str(analyst.id),
        "valid_from": today.isoformat(),
        "expires_on": (today - timedelta(days=1)).isoformat(),
    }
    refused = client.post("/research/new", data=form, headers={"Accept-Language": "en"})
    assert refused.status_code == 400
    assert "The last day cannot be before the first." in refused.get_data(as_text=True)
    form["expires_on"] = (today + timedelta(days=60)).isoformat()
    assert client.post("/research/new", data=form).status_code == 302
    approval = db.scalars(select(ResearchApproval)).one()
    assert approval.county_id == county.id and approval.key_wrapped is not None
    assert approval.approved_by_id == admin.id
    client.post("/logout", data={"csrf_token": csrf_token(client, "/research/")})

    login(client, analyst.username)
    page = client.get("/research/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Vapautuvien polut" in page and "Make the extract (CSV)" in page
    download = client.post(
        f"/research/{approval.id}/extract",
        data={"csrf_token": csrf_token(client, "/research/")},
    )
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Cache-Control"] == "no-store"
    text = download.get_data(as_text=True)
    table = list(csv.DictReader(io.StringIO(text)))
    assert tuple(table[0].keys()) == COLUMNS
    assert len(table) == 4  # the county's four clients, none of the other county's
    for case in [*cases, own.case]:
        assert str(case.client_id) not in text and case.client_id.hex not in text
    assert NAME not in text and "Kuvitteellinen Kalle" not in text and IDENTITY not in text
    released = [r for r in table if r["release_month"]]
    assert len(released) == 3
    assert {r["release_month"] for r in released} == {f"{year}-01"}
    assert all(r["release_housing"] == "1" and r["release_health"] == "0" for r in released)
    assert all(MONTH.match(r["assessment_month"]) for r in released)
    assert len({r["pseudonym"] for r in table}) == 4
    assert db.scalars(select(ResearchExtract)).one().clients == 4

    entries = db.scalars(
        select(AccessLogEntry).where(AccessLogEntry.reason == Reason.ALLOWED_RESEARCH.value)
    ).all()
    assert {e.client_id for e in entries} == {c.client_id for c in [*cases, own.case]}
    assert {e.basis_id for e in entries} == {approval.id}
    client.post("/logout", data={"csrf_token": csrf_token(client, "/research/")})

    login(client, own_user.username)
    for language, used, study in (
        ("en", "Used in research", "The approved study Vapautuvien polut"),
        ("fi", "Käytetty tutkimuksessa", "Hyväksytty tutkimus Vapautuvien polut"),
        ("sv", "Använt i forskning", "Den godkända studien Vapautuvien polut"),
    ):
        log = client.get("/my/log", headers={"Accept-Language": language})
        html = log.get_data(as_text=True)
        assert used in html and study in html, language
    client.post("/logout", data={"csrf_token": csrf_token(client, "/my/log")})

    login(client, admin.username)
    ended = client.post(
        f"/research/{approval.id}/end", data={"csrf_token": csrf_token(client, "/research/")}
    )
    assert ended.status_code == 302
    db.expire_all()
    approval = db.scalars(select(ResearchApproval)).one()
    assert approval.ended_at is not None and approval.key_wrapped is None


def test_two_studies_cannot_link_their_pseudonyms_and_one_study_keeps_its_own(
    app: Flask, db: Session
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    dpo = factories.user(db, Role.DATA_PROTECTION)
    analyst = factories.user(db, Role.ANALYST, county)
    worker = factories.user(db, Role.CASEWORKER, county)
    released_clients(db, county, worker, 5, helsinki_today() - timedelta(days=3))
    first = approval_of(app, db, dpo, analyst, name="Ensimmäinen")
    second = approval_of(app, db, dpo, analyst, name="Toinen")
    one = extract_of(app, db, first, analyst)
    again = extract_of(app, db, first, analyst)
    other = extract_of(app, db, second, analyst)
    assert len(one) == len(other) == 5
    assert sorted(one) == sorted(again)  # stable within a study
    assert not set(one) & set(other)  # nothing in common between studies


def test_only_the_named_analyst_while_the_approval_is_valid(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    admin = factories.user(db, Role.ADMIN, county)
    analyst = factories.user(db, Role.ANALYST, county)
    colleague = factories.user(db, Role.ANALYST, county)
    foreign_admin = factories.user(db, Role.ADMIN, factories.organisation(db, OrgKind.COUNTY))
    approval = approval_of(app, db, admin, analyst)
    db.commit()
    login(client, colleague.username)
    assert "Vapautuvien polut" not in client.get("/research/").get_data(as_text=True)
    token = csrf_token(client, "/research/")
    assert (
        client.post(f"/research/{approval.id}/extract", data={"csrf_token": token})
    ).status_code == 404
    client.post("/logout", data={"csrf_token": token})
    login(client, foreign_admin.username)
    token = csrf_token(client, "/research/")
    assert client.post(f"/research/{approval.id}/end", data={"csrf_token": token}).status_code == (
        404
    )
    client.post("/logout", data={"csrf_token": token})
    waiting = db.get(ResearchApproval, approval.id)
    assert waiting is not None
    waiting.valid_from = helsinki_today() + timedelta(days=1)
    db.commit()
    login(client, analyst.username)
    token = csrf_token(client, "/research/")
    early = client.post(
        f"/research/{approval.id}/extract",
        data={"csrf_token": token},
        headers={"Accept-Language": "en"},
        follow_redirects=True,
    )
    assert "The approval is not valid today" in early.get_data(as_text=True)
    assert db.scalars(select(ResearchExtract)).all() == []


def test_the_extract_runs_the_same_statements_for_any_number_of_clients(
    app: Flask, db: Session, sql_count: list[str]
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    admin = factories.user(db, Role.ADMIN, county)
    analyst = factories.user(db, Role.ANALYST, county)
    worker = factories.user(db, Role.CASEWORKER, county)
    approval = approval_of(app, db, admin, analyst)
    counted = []
    for clients in (1, 12):
        released_clients(db, county, worker, clients, helsinki_today() - timedelta(days=3))
        db.flush()
        sql_count.clear()
        extract_of(app, db, approval, analyst)
        counted.append(len(sql_count))
    assert counted[0] == counted[1]


def test_an_approval_names_an_analyst_of_a_county_the_approver_may_record(
    app: Flask, db: Session
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    other: Organisation = factories.organisation(db, OrgKind.COUNTY)
    admin = factories.user(db, Role.ADMIN, county)
    theirs = factories.user(db, Role.ANALYST, other)
    try:
        approval_of(app, db, admin, theirs)
    except research.RequesterInvalid:
        pass
    else:
        raise AssertionError("a county's administrator recorded another county's study")


def test_rotation_rewraps_a_study_key_and_the_study_keeps_its_pseudonyms(
    app: Flask, db: Session
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    admin = factories.user(db, Role.ADMIN, county)
    analyst = factories.user(db, Role.ANALYST, county)
    released_clients(db, county, factories.user(db, Role.CASEWORKER, county), 2, helsinki_today())
    approval = approval_of(app, db, admin, analyst)
    before = extract_of(app, db, approval, analyst)
    with app.test_request_context():
        rotated = current_keyring().with_new_active_key()
    assert research.rewrap_study_keys(db, rotated) == 1
    assert approval.key_master_id == rotated.active_id
    assert research.wrapped_study_counts(db) == {rotated.active_id: 1}
    made = research.extract(db, rotated, approval, analyst, today=helsinki_today(), now=utcnow())
    assert sorted(r[0] for r in made.rows) == sorted(before)
