"""The client's log request: started by the worker or the client, answered with a printable
document from the access log (in the client's language, with the county's detail), or
refused in writing with reasons, within 30 days (extendable once); tracked on the
responsible worker's dashboard, overdue ones marked; everything through the gate and logged."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.i18n import helsinki_today
from app.log_requests import commands
from app.models import Organisation, Role, User
from app.models.log_request import CountySetting, LogDetail, LogRequest, LogRequestState
from app.plan.content import SectionContent
from app.security import new_gate
from consent.sections import SectionKind
from sharing.access_log import AccessLogEntry
from tests import factories
from tests.conftest import IsolatedClient, csrf_token, login


@dataclass
class World:
    base: factories.CountyCase
    client_user: User
    admin: User

    @property
    def record(self) -> str:
        return f"/caseworker/clients/{self.base.client.id}/log-requests"


@pytest.fixture
def world(db: Session) -> World:
    base = factories.county_case(db, name="Kuvitteellinen Kaisa")
    client_user = factories.user(db, Role.CLIENT, client=base.client)
    client_user.locale = "sv"
    factories.plan_section(
        db, base.actor, base.case, SectionKind.HOUSING, SectionContent(goals="Koti")
    )
    admin = factories.user(db, Role.ADMIN, base.county)
    db.commit()
    return World(base, client_user, admin)


def browser(app: Flask, user: User, language: str = "en") -> FlaskClient:
    b = IsolatedClient(app, app.response_class, use_cookies=True)
    b.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    login(b, user.username)
    return b


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def start_as_worker(b: FlaskClient, world: World) -> LogRequest:
    page = text(b.get(world.record))
    assert 'value="sv" selected' in page or re.search(r'<option selected[^>]*value="sv"', page)
    today = helsinki_today()
    response = b.post(
        world.record,
        data={
            "csrf_token": csrf_token(b, world.record),
            "language": "sv",
            "period_from": (today - timedelta(days=730)).isoformat(),
            "period_to": today.isoformat(),
        },
    )
    assert response.status_code == 302, text(response)
    return response


def only_request(db: Session) -> LogRequest:
    db.expire_all()
    return db.scalars(select(LogRequest)).one()


def post_action(b: FlaskClient, path: str, action: str, **fields: str):  # type: ignore[no-untyped-def]
    token = csrf_token(b, path)
    data = {f"{action}-csrf_token": token, "action": action}
    data |= {f"{action}-{name}": value for name, value in fields.items()}
    return b.post(path, data=data)


def test_the_worker_starts_a_request_and_the_dashboard_tracks_it(
    app: Flask, db: Session, world: World
) -> None:
    worker = browser(app, world.base.worker)
    start_as_worker(worker, world)
    request = only_request(db)
    assert request.state is LogRequestState.PENDING and request.language == "sv"
    assert request.due_on == helsinki_today() + timedelta(days=30)
    assert not request.by_client and request.requested_by_id == world.base.worker.id
    home = text(worker.get("/caseworker/"))
    assert "1</strong> log request from a client waiting for an answer" in home
    listed = text(worker.get("/caseworker/dashboard/log-requests"))
    assert request.reference in listed and "Kuvitteellinen Kaisa" in listed
    assert "Overdue" not in listed
    # The client sees the state on their own pages.
    mine = text(browser(app, world.client_user).get("/my/log-requests"))
    assert request.reference in mine and "Väntar på svar" in mine  # the client reads Swedish
    # Starting it was recorded in the client's access log, through the gate.
    written = db.scalar(
        select(func.count(AccessLogEntry.id)).where(
            AccessLogEntry.client_id == world.base.client.id,
            AccessLogEntry.actor_user_id == world.base.worker.id,
            AccessLogEntry.action == "write",
            AccessLogEntry.scope == "basic",
        )
    )
    assert written and written >= 1


def test_an_overdue_request_stands_out(app: Flask, db: Session, world: World) -> None:
    request = commands.start_request(
        db, new_gate(), world.base.actor, case=world.base.case, language="fi"
    )
    request.due_on = helsinki_today() - timedelta(days=1)
    db.commit()
    worker = browser(app, world.base.worker)
    assert "1 overdue" in text(worker.get("/caseworker/"))
    listed = text(worker.get("/caseworker/dashboard/log-requests"))
    assert 'class="overdue"' in listed and "Overdue" in listed


def test_the_client_starts_one_and_reads_the_answer_in_their_language(
    app: Flask, db: Session, world: World
) -> None:
    client = browser(app, world.client_user)
    path = "/my/log-requests"
    form = text(client.get(path))
    assert "<script" not in form
    today = helsinki_today()
    data = {
        "csrf_token": csrf_token(client, path),
        "language": "sv",
        "period_from": (today - timedelta(days=30)).isoformat(),
        "period_to": today.isoformat(),
    }
    sent = client.post(path, data=data)
    assert sent.status_code == 302
    again = client.post(path, data=data | {"csrf_token": csrf_token(client, path)})
    assert again.headers["Location"] == sent.headers["Location"]  # the pending one, not a second
    request = only_request(db)
    assert request.by_client
    waiting = text(client.get(sent.headers["Location"]))
    assert request.reference in waiting and "Väntar på svar" in waiting
    # The worker answers; the document is the log of the period, in Swedish.
    worker = browser(app, world.base.worker)
    detail = f"{world.record}/{request.id}"
    assert post_action(worker, detail, "answer").status_code == 302
    request = only_request(db)
    assert request.state is LogRequestState.ANSWERED
    assert request.detail is LogDetail.ROLE_AND_DATE
    document = text(client.get(f"/my/log-requests/{request.id}"))
    assert '<html lang="sv">' in document
    assert "<script" not in document and request.reference in document
    assert world.base.county.name in document
    assert "Kuvitteellinen Kaisa" in document  # the client's own name heads it
    assert world.base.worker.display_name not in document  # by default: organisation and role
    # A second answer changes nothing (409) and the worker's preview is the same document.
    assert post_action(worker, detail, "answer").status_code == 409


def test_the_countys_setting_shows_names_and_exact_times(
    app: Flask, db: Session, world: World
) -> None:
    admin = browser(app, world.admin)
    settings = text(admin.get("/admin/settings"))
    assert 'value="role_and_date" checked' in settings or re.search(
        r'checked[^>]*value="role_and_date"', settings
    )
    saved = admin.post(
        "/admin/settings",
        data={
            "csrf_token": csrf_token(admin, "/admin/settings"),
            "log_request_detail": "names_and_times",
        },
    )
    assert saved.status_code == 302
    stored = db.scalars(select(CountySetting)).one()
    assert stored.county_id == world.base.county.id
    assert stored.log_request_detail is LogDetail.NAMES_AND_TIMES
    bad = admin.post(
        "/admin/settings",
        data={"csrf_token": csrf_token(admin, "/admin/settings"), "log_request_detail": "x"},
    )
    assert bad.status_code == 400
    request = commands.start_request(
        db, new_gate(), world.base.actor, case=world.base.case, language="en"
    )
    db.commit()
    worker = browser(app, world.base.worker)
    assert post_action(worker, f"{world.record}/{request.id}", "answer").status_code == 302
    document = text(browser(app, world.client_user).get(f"/my/log-requests/{request.id}"))
    assert world.base.worker.display_name in document
    assert "Times are shown to the minute." in document
    # An administrator of the whole service has no county to set.
    everyone = browser(app, factories.user(db, Role.ADMIN))
    db.commit()
    assert "A county's own administrator sets them." in text(everyone.get("/admin/settings"))


def test_a_refusal_needs_reasons_and_the_client_reads_them(
    app: Flask, db: Session, world: World
) -> None:
    request = commands.start_request(
        db, new_gate(), world.base.actor, case=world.base.case, language="fi"
    )
    db.commit()
    worker = browser(app, world.base.worker)
    detail = f"{world.record}/{request.id}"
    empty = post_action(worker, detail, "refuse", reason="  ")
    assert empty.status_code == 400 and "Write down the reasons." in text(empty)
    refused = post_action(worker, detail, "refuse", reason="Pyyntö on ilmeisen perusteeton.")
    assert refused.status_code == 302
    request = only_request(db)
    assert request.state is LogRequestState.REFUSED
    assert request.refusal_reason_ct and b"perusteeton" not in request.refusal_reason_ct
    page = text(browser(app, world.client_user, "fi").get(f"/my/log-requests/{request.id}"))
    assert "Pyyntö on ilmeisen perusteeton." in page and '<html lang="fi">' in page


def test_the_time_limit_is_extended_once_with_reasons(
    app: Flask, db: Session, world: World
) -> None:
    request = commands.start_request(
        db, new_gate(), world.base.actor, case=world.base.case, language="en"
    )
    db.commit()
    due = request.due_on
    worker = browser(app, world.base.worker)
    detail = f"{world.record}/{request.id}"
    extended = post_action(worker, detail, "extend", reason="Paljon pyyntöjä (fictional).")
    assert extended.status_code == 302
    request = only_request(db)
    assert request.due_on == due + timedelta(days=60) and request.extended_at is not None
    assert "Extend the time limit" not in text(worker.get(detail))  # once only
    with pytest.raises(commands.AlreadyExtended):
        commands.extend(db, new_gate(), world.base.actor, request, "Taas")
    mine = text(browser(app, world.client_user).get(f"/my/log-requests/{request.id}"))
    assert "Paljon pyyntöjä (fictional)." in mine


def test_the_document_covers_the_period_up_to_the_answer(db: Session, world: World) -> None:
    from app.client_log.queries import grouped_log_page
    from app.log_requests import rules

    request = commands.start_request(
        db, new_gate(), world.base.actor, case=world.base.case, language="fi"
    )
    commands.answer(db, new_gate(), world.base.actor, request, LogDetail.ROLE_AND_DATE)
    db.commit()
    bounds = rules.period_bounds(request.period_from, request.period_to, request.answered_at)
    before = grouped_log_page(db, world.base.client.id, period=bounds).explained.total
    factories.plan_section(
        db, world.base.actor, world.base.case, SectionKind.HEALTH, SectionContent(goals="Myöh.")
    )  # later
    db.commit()
    assert grouped_log_page(db, world.base.client.id, period=bounds).explained.total == before
    assert before >= 1


def test_invalid_periods_and_languages_are_refused(db: Session, world: World) -> None:
    today = helsinki_today()
    with pytest.raises(commands.PeriodInvalid):
        commands.start_request(
            db,
            new_gate(),
            world.base.actor,
            case=world.base.case,
            language="fi",
            period=(today, today - timedelta(days=1)),
        )
    with pytest.raises(commands.PeriodInvalid):
        commands.start_request(
            db,
            new_gate(),
            world.base.actor,
            case=world.base.case,
            language="fi",
            period=(today, today + timedelta(days=1)),
        )
    with pytest.raises(commands.LanguageInvalid):
        commands.start_request(
            db, new_gate(), world.base.actor, case=world.base.case, language="de"
        )


def test_another_countys_worker_and_another_client_cannot_reach_it(
    app: Flask, db: Session, world: World
) -> None:
    request = commands.start_request(
        db, new_gate(), world.base.actor, case=world.base.case, language="fi"
    )
    other = factories.county_case(db, name="Kuvitteellinen Vieras")
    other_client = factories.user(db, Role.CLIENT, client=other.client)
    db.commit()
    assert browser(app, other_client).get(f"/my/log-requests/{request.id}").status_code == 404
    foreign = browser(app, other.worker)
    assert foreign.get(f"{world.record}/{request.id}").status_code == 404


def test_the_dashboard_list_runs_the_same_statements_for_more_requests(
    app: Flask, db: Session, world: World, sql_count: list[str]
) -> None:
    worker = browser(app, world.base.worker)
    county = db.get(Organisation, world.base.county.id)

    def statements() -> int:
        worker.get("/caseworker/dashboard/log-requests")
        sql_count.clear()
        assert worker.get("/caseworker/dashboard/log-requests").status_code == 200
        return len(sql_count)

    commands.start_request(db, new_gate(), world.base.actor, case=world.base.case, language="fi")
    db.commit()
    few = statements()
    for n in range(4):
        _, case = factories.client(db, county, name=f"Kuvitteellinen {n}", worker=world.base.worker)
        commands.start_request(db, new_gate(), world.base.actor, case=case, language="fi")
    db.commit()
    assert statements() == few
