"""Retention: the service task chosen at intake and at closing sets the case's disposal day,
``flask maintenance run`` crypto-shreds the case on that stored day, and the administrator
sees the cases due in the coming 90 days without any client data."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cases.facts import load_case_contexts
from app.ending import commands as ending_service
from app.i18n import helsinki_today
from app.intake import commands as intake
from app.maintenance import commands as maintenance
from app.maintenance import retention
from app.maintenance.queries import case_reference
from app.models import Case, Organisation, OrgKind, Phase, Role, ServiceTask
from app.security import new_gate
from consent.base import utcnow
from consent.status import HELSINKI
from sharing.gate import AccessGate
from sharing.models import DataKey
from tests import factories
from tests.conftest import csrf_token, login


def _closed(db: Session, name: str, county: Organisation | None = None) -> factories.CountyCase:
    base = factories.county_case(db, name=name, county=county, phase=Phase.ENDING)
    ending_service.close_case(
        db,
        new_gate(),
        base.actor,
        case=base.case,
        summary="Suljettu (fictional)",
        early_reason="Muutti (fictional).",
        service_task=ServiceTask.SUBSTANCE_ABUSE,
        retention_override=2,
    )
    db.commit()
    return base


def test_closing_stores_the_disposal_day_and_maintenance_disposes_on_it(db: Session) -> None:
    base = _closed(db, "Kuvitteellinen Kaisa")
    case = db.get(Case, base.case.id)
    assert case is not None and case.closed_at is not None
    assert case.service_task is ServiceTask.SUBSTANCE_ABUSE
    assert case.disposal_on == retention.disposal_on(case.closed_at, ServiceTask.SUBSTANCE_ABUSE, 2)
    assert case.disposal_on.year == helsinki_today().year + 2
    keyring = factories.keyring_of()

    def run_at(at: datetime) -> int:
        later = AccessGate(db, keyring, load_case_contexts, clock=lambda: at)
        # No override at run time: the day stored at closing decides, not the table's 10 years.
        return maintenance.run(db, later, now=at, retention_years=None).cases_disposed

    assert case.disposal_on is not None
    assert (
        run_at(datetime.combine(case.disposal_on - timedelta(days=1), time(23, 50), HELSINKI)) == 0
    )
    assert db.get(Case, base.case.id).disposed_at is None
    assert run_at(datetime.combine(case.disposal_on, time(0, 10), HELSINKI)) == 1
    assert db.get(Case, base.case.id).disposed_at is not None
    live = db.scalar(
        select(func.count(DataKey.id)).where(
            DataKey.client_id == base.client.id, DataKey.wrapped.is_not(None)
        )
    )
    assert live == 0


def test_a_case_closed_before_the_day_was_stored_is_disposed_of_by_its_task(db: Session) -> None:
    base = _closed(db, "Kuvitteellinen Kerttu")
    case = db.get(Case, base.case.id)
    assert case is not None
    case.disposal_on = None  # as closed before this column existed
    case.closed_at = utcnow() - timedelta(days=365 * 10 + 5)
    db.commit()
    now = utcnow()
    later = AccessGate(db, factories.keyring_of(), load_case_contexts, clock=lambda: now)
    assert maintenance.run(db, later, now=now, retention_years=None).cases_disposed == 1


def test_the_worker_chooses_the_service_task_when_closing(client: FlaskClient, db: Session) -> None:
    base = factories.county_case(db, name="Kuvitteellinen Kalle", phase=Phase.ENDING)
    db.commit()
    login(client, base.worker.username)
    path = f"/caseworker/clients/{base.client.id}/ending/close"
    page = client.get(path).get_data(as_text=True)
    assert re.search(
        r'value="adult_social_work"[^>]*checked|checked[^>]*value="adult_social_work"', page
    )
    response = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "service_task": "substance_abuse",
            "summary": "Ei enää tarvetta (fictional).",
            "early_reason": "Muutti (fictional).",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    case = db.get(Case, base.case.id)
    db.refresh(case)
    assert case.service_task is ServiceTask.SUBSTANCE_ABUSE
    assert case.closed_at is not None
    assert case.disposal_on == retention.disposal_on(case.closed_at, ServiceTask.SUBSTANCE_ABUSE)


def test_a_new_case_opened_at_intake_takes_the_chosen_service_task(db: Session) -> None:
    base = factories.county_case(db, name="Kuvitteellinen Kari")
    client, case = intake.create_client(
        db,
        new_gate(),
        factories.keyring_of(),
        base.actor,
        intake.NewClient(
            name="Kuvitteellinen Uusi", identity_code=None, service_task=ServiceTask.SUBSTANCE_ABUSE
        ),
        work_task_reason="Vastaanotto (fictional)",
    )
    assert case.service_task is ServiceTask.SUBSTANCE_ABUSE
    reopened = intake.open_case(db, client, case.county_id, ServiceTask.SUBSTANCE_ABUSE)
    assert reopened.service_task is ServiceTask.SUBSTANCE_ABUSE


def test_the_admin_sees_the_own_countys_upcoming_disposals_without_client_data(
    app: Flask, db: Session, sql_count: list[str]
) -> None:
    own = _closed(db, "Kuvitteellinen Sisko")
    other = _closed(db, "Kuvitteellinen Vieras")
    county = db.get(Organisation, own.case.county_id)
    assert county is not None
    admin = factories.user(db, Role.ADMIN, county)
    service_admin = factories.user(db, Role.ADMIN)
    soon = helsinki_today() + timedelta(days=30)
    for base in (own, other):
        db.get(Case, base.case.id).disposal_on = soon
    far = _closed(db, "Kuvitteellinen Kaukana", county)
    db.get(Case, far.case.id).disposal_on = helsinki_today() + timedelta(days=91)
    db.commit()
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(browser, admin.username)
    page = browser.get("/admin/disposals").get_data(as_text=True)
    assert case_reference(own.case.id) in page
    assert case_reference(other.case.id) not in page  # another county's
    assert case_reference(far.case.id) not in page  # beyond 90 days
    assert "Substance-abuse work" in page and county.name in page
    assert "Kuvitteellinen" not in page and str(own.client.id) not in page
    everyone = app.test_client()
    login(everyone, service_admin.username)
    listed = everyone.get("/admin/disposals").get_data(as_text=True)
    assert case_reference(own.case.id) in listed and case_reference(other.case.id) in listed

    def statements() -> int:
        sql_count.clear()
        assert browser.get("/admin/disposals").status_code == 200
        return len(sql_count)

    few = statements()
    for n in range(5):
        more = _closed(db, f"Kuvitteellinen Lisä {n}", county)
        db.get(Case, more.case.id).disposal_on = soon
    db.commit()
    assert statements() == few == 3


def test_disposal_pages_fit_fifty_a_page(app: Flask, db: Session) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    admin = factories.user(db, Role.ADMIN, county)
    base = _closed(db, "Kuvitteellinen Sivu", county)
    db.get(Case, base.case.id).disposal_on = helsinki_today() + timedelta(days=1)
    db.commit()
    browser = app.test_client()
    login(browser, admin.username)
    page = browser.get("/admin/disposals?page=7").get_data(as_text=True)  # clamped to page 1
    assert case_reference(base.case.id) in page
