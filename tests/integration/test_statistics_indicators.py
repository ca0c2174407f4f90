"""The indicators by phase, the health contact within 21 days, the desistance factors at
assessment and at closing, and the endings by how they ended: counted from coded facts."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, time, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.i18n import helsinki_today
from app.models import Case, Organisation, OrgKind, Phase, Role
from app.models.assessment import Assessment, AssessmentFactor
from app.models.case import PhaseChange
from app.models.ending import CaseClosure, ClosureFactor, ServiceEnding
from app.models.release import ChecklistItem, ItemState, ReleaseTask
from app.statistics import export
from app.statistics.disclosure import Shown
from app.statistics.queries import Report, report
from tests import factories
from tests.conftest import csrf_token, login

NAME = "Kuvitteellinen Vaiheasiakas"


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=UTC)


def row(data: Report, section: str, indicator: str) -> list[str]:
    table = {s.key: s for s in data.sections}[section].table
    return [table.cell(indicator, c).text(data.threshold) for c in table.columns]


def test_clients_by_phase_at_quarter_ends_and_days_in_each_phase(db: Session) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    year = helsinki_today().year - 1
    # Nine opened in January; six moved to the assessment on 1 May, three of them on to
    # the network on 1 August; the other three stayed notified all year.
    for n in range(9):
        _, case = factories.client(db, county, name=f"{NAME} {n}", phase=Phase.NOTIFIED)
        case.opened_at = at(date(year, 1, 15))
        if n < 6:
            db.add(
                PhaseChange(
                    case_id=case.id,
                    from_phase=Phase.NOTIFIED,
                    phase=Phase.ASSESSMENT,
                    changed_at=at(date(year, 5, 1)),
                )
            )
            case.phase = Phase.ASSESSMENT
        if n < 3:
            db.add(
                PhaseChange(
                    case_id=case.id,
                    from_phase=Phase.ASSESSMENT,
                    phase=Phase.NETWORK,
                    changed_at=at(date(year, 8, 1)),
                )
            )
            case.phase = Phase.NETWORK
    db.flush()
    data = report(db, county.id, year, helsinki_today(), 5)
    # Q1: nine notified, the quarter's only count of five or more: hidden, so the quarter's
    # total is not known. Q2: six in assessment hidden the same way, three notified.
    # Q3 and Q4: three in each phase: no count reaches five, so the quarter is withheld.
    assert row(data, "phases", "notified") == ["x", "< 5", "–", "–"]
    assert row(data, "phases", "assessment") == ["< 5", "x", "–", "–"]
    phases = {s.key: s for s in data.sections}["phases"].table
    assert phases.columns == tuple(f"{year}-Q{q}" for q in range(1, 5))
    assert phases.cell("assessment", f"{year}-Q2").shown is Shown.HIDDEN
    assert phases.cell("notified", f"{year}-Q2").shown is Shown.SMALL
    assert {phases.cell(p, f"{year}-Q3").text(5) for p in phases.rows} == {"–"}
    # The CSV puts each value under its own column: the snapshot has no year.
    lines = list(csv.reader(io.StringIO(export.as_csv(data))))
    notified = next(line for line in lines if line[:2] == ["phases", "notified"])
    assert notified[2:7] == ["x", "< 5", "–", "–", ""]
    days = {s.indicator.key: s.by_column for s in data.phase_days}
    # Six left the notification phase on 1 May, after 106 days.
    assert days["notified"][f"{year}-Q2"] == (106.0, 106.0, 106.0)
    assert days["assessment"][f"{year}-Q3"] is None  # three only


def released(db: Session, county: Organisation, released_on: date, task_done: date) -> Case:
    record, case = factories.client(db, county, name=NAME)
    case.probation_start = released_on
    db.add(
        ChecklistItem(
            case_id=case.id,
            client_id=record.id,
            task=ReleaseTask.SUBSTANCE_SERVICES,
            state=ItemState.DONE,
            state_changed_at=at(task_done),
        )
    )
    return case


def test_health_contact_within_21_days_of_release(db: Session) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    year = helsinki_today().year - 1
    day = date(year, 2, 10)
    for _ in range(6):
        released(db, county, day, day + timedelta(days=10))  # after the day, within 21
    for _ in range(2):
        released(db, county, day, day + timedelta(days=30))  # too late
    released(db, county, day, day - timedelta(days=1))  # before the day: counts in both
    db.flush()
    data = report(db, county.id, year, helsinki_today(), 5)
    assert row(data, "release", "health_21_days")[0] == "7"
    assert row(data, "release", "health")[0] == "< 5"


def test_factors_at_assessment_and_at_closing_and_endings_by_how(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    base = factories.county_case(db, name=NAME, phase=Phase.ENDING)
    year = helsinki_today().year
    started = helsinki_today() - timedelta(days=1)
    assessment = Assessment(case_id=base.case.id, client_id=base.client.id, started_on=started)
    db.add(assessment)
    db.flush()
    for code in ("sobriety", "housing"):
        db.add(AssessmentFactor(assessment_id=assessment.id, client_id=base.client.id, code=code))
    manager = factories.user(db, Role.MANAGER, base.county)
    ngo = factories.organisation(db, OrgKind.NGO)
    member = factories.org_member(
        db, base.actor, base.case, ngo.id, role="Tukihenkilö", starts_on=started
    )
    db.commit()
    login(client, base.worker.username)
    path = f"/caseworker/clients/{base.client.id}/ending/close"
    page = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Desistance factors in place at closing" in page
    assert re.search(r'type="checkbox"[^>]*value="sobriety"|value="sobriety"[^>]*checkbox', page)
    form = {
        "csrf_token": csrf_token(client, path),
        "summary": "Ei enää tarvetta (fictional).",
        "early_reason": "Muutti (fictional).",
    }
    refused = client.post(path, data={**form, "factors": ["sobriety", "invented"]})
    assert refused.status_code == 400
    assert db.scalar(select(CaseClosure).where(CaseClosure.case_id == base.case.id)) is None
    closed = client.post(
        path, data={**form, "factors": ["sobriety", "agency"], "end_with_case": str(member.id)}
    )
    assert closed.status_code == 302, closed.get_data(as_text=True)
    closure = db.scalar(select(CaseClosure).where(CaseClosure.case_id == base.case.id))
    assert closure is not None
    codes = db.scalars(select(ClosureFactor.code).where(ClosureFactor.closure_id == closure.id))
    assert sorted(codes) == ["agency", "sobriety"]
    data = report(db, base.county.id, year, helsinki_today(), 1)  # threshold 1: "< 1" is 0
    assert row(data, "factors_assessment", "sobriety")[-1] == "1"
    assert row(data, "factors_assessment", "agency")[-1] == "< 1"
    assert row(data, "factors_closing", "agency")[-1] == "1"
    assert row(data, "factors_closing", "housing")[-1] == "< 1"
    endings = db.scalars(select(ServiceEnding).where(ServiceEnding.case_id == base.case.id)).all()
    assert [e.member_id for e in endings if e.ended_with_case] == [member.id]
    assert row(data, "endings", "ended_with_case")[-1] == "1"
    assert row(data, "endings", "ended_agreed")[-1] == "< 1"
    reader = app.test_client()
    login(reader, manager.username)
    html = reader.get("/statistics/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Desistance factors recorded at the assessment" in html
    assert "Clients by phase at the end of each quarter" in html
    assert NAME not in html
