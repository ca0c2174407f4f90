"""Partners work their part: their checklist tasks, the release day, their plan goals and the
responsible worker; their updates into the client's record, checked against agreed flows."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.i18n import helsinki_today
from app.models import Case, Client, NetworkMember, Organisation, OrgKind, Role, User
from app.models.flows import FlowChannel, FlowDirection
from app.models.partner import PartnerUpdate, PartnerUpdateKind
from app.models.release import ChecklistItem, ItemState, ReleaseTask
from app.network import commands as network
from app.partner_work import commands as partner_commands
from app.plan.content import SectionContent
from app.release import commands as checklist
from app.security import new_gate
from consent import service as consent_service
from consent.base import utcnow
from consent.facts import Actor, Direction
from consent.models import Consent
from consent.sections import SectionKind
from sharing.access_log import AccessLogEntry
from tests import factories
from tests.conftest import CSRF, api_token, csrf_token, login

Row = TypeVar("Row", ChecklistItem, PartnerUpdate)
UNTIL = helsinki_today() + timedelta(days=90)
NOTE = "Hakemus jätetty 3.12. (fictional)"
PROBLEM = "application/problem+json"


@dataclass
class World:
    county: Organisation
    worker: User
    actor: Actor
    client: Client
    case: Case
    housing: factories.Partner  # housing and release transition shared; flow both ways
    kela: factories.Partner  # livelihood shared; only a county → Kela flow
    items: dict[ReleaseTask, ChecklistItem]


def flow(db: Session, actor: Actor, member: NetworkMember, direction: FlowDirection) -> None:
    network.add_flow(
        db,
        new_gate(),
        actor,
        member=member,
        direction=direction,
        channel=FlowChannel.PLATFORM,
        subject="Asumisen muutokset (fictional)",
        practice="Tukiverkossa viikon sisällä (fictional)",
        agreed_on=helsinki_today(),
        agreed_with_client=True,
    )


@pytest.fixture
def world(db: Session) -> World:
    county, worker, record, case = factories.county_case(db, name="Kuvitteellinen Kalle")
    worker.work_contact = "040 000 0000 (fictional)"
    actor = factories.actor(worker)
    housing = factories.partner(db, case, name="Kuvitteellinen asuntotoimisto")
    kela = factories.partner(db, case, name="Kuvitteellinen Kela")
    shares = (
        (housing, (SectionKind.HOUSING, SectionKind.RELEASE_TRANSITION)),
        (kela, (SectionKind.LIVELIHOOD,)),
    )
    for p, sections in shares:
        factories.consent(db, actor, case, p.member, *sections, valid_until=UNTIL)
    factories.agreed_updates(db, actor, case, housing.member)
    flow(db, actor, kela.member, FlowDirection.TO_MEMBER)
    factories.plan_section(
        db,
        actor,
        case,
        SectionKind.HOUSING,
        SectionContent(goals="Oma vuokra-asunto (fictional)"),
        responsible=(housing.member,),
    )
    factories.plan_section(  # not shared with the housing office: its goal stays hidden
        db,
        actor,
        case,
        SectionKind.HEALTH,
        SectionContent(goals="Korvaushoito jatkuu (fictional)"),
        responsible=(housing.member,),
    )
    checklist.generate(db, case, worker.id, utcnow())
    items = {
        i.task: i
        for i in db.scalars(select(ChecklistItem).where(ChecklistItem.case_id == case.id))
        if i.task
    }
    for task, p in ((ReleaseTask.HOUSING_APPLICATION, housing), (ReleaseTask.BANK_ACCOUNT, kela)):
        items[task].responsible_member_id, items[task].responsible_user_id = p.member.id, None
    db.commit()
    return World(county, worker, actor, record, case, housing, kela, items)


def reread(db: Session, row: Row) -> Row:
    """The row as stored now (a request ends the session the test's rows came from)."""
    found = db.get(type(row), row.id)
    assert found is not None
    return found


def partner_page(client: FlaskClient, w: World) -> str:
    response = client.get(f"/partner/clients/{w.client.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def report(client: FlaskClient, w: World, item: ChecklistItem, state: str, note: str = ""):  # type: ignore[no-untyped-def]
    prefix = f"task-{item.id}"
    return client.post(
        f"/partner/clients/{w.client.id}/tasks/{item.id}",
        data={
            "csrf_token": csrf_token(client, "/partner/"),
            f"{prefix}-state": state,
            f"{prefix}-note": note,
        },
    )


def send(client: FlaskClient, w: World, kind: str, text: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/partner/clients/{w.client.id}/updates",
        data={"csrf_token": csrf_token(client, "/partner/"), "kind": kind, "text": text},
    )


def sign_in_as(client: FlaskClient, user: User) -> None:
    """Sign out from whichever home page, and in as ``user``."""
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    token = CSRF.search(home)
    assert token is not None
    client.post("/logout", data={"csrf_token": token.group(1)})
    login(client, user.username)


# -- what a partner sees of its part -----------------------------------------------------------


def test_a_partner_sees_its_own_tasks_goals_release_day_and_worker(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.housing.staff.username)
    html = partner_page(client, world)
    assert "Your tasks on the release-day checklist" in html
    assert "Housing application" in html
    assert "Bank account and online banking codes" not in html  # Kela's task
    assert "Release day" in html  # the release transition is shared with it
    assert world.worker.display_name in html and "040 000 0000 (fictional)" in html
    goals = html.split("Plan goals your organisation is responsible for")[1].split("</section>")[0]
    assert "Oma vuokra-asunto (fictional)" in goals
    assert "Korvaushoito" not in html  # responsible, but the section is not shared
    # Reading the release day is logged for the client, as the partner.
    scopes = {
        e.scope
        for e in db.scalars(
            select(AccessLogEntry).where(
                AccessLogEntry.client_id == world.client.id,
                AccessLogEntry.organisation_id == world.housing.organisation.id,
            )
        )
    }
    assert {"name", "section:housing", "section:release_transition"} <= scopes

    sign_in_as(client, world.kela.staff)
    html = partner_page(client, world)
    assert "Bank account and online banking codes" in html
    assert "Housing application" not in html
    assert "Release day" not in html  # the release transition is not shared with Kela
    assert "do not name your organisation responsible" in html


# -- ticking a task ----------------------------------------------------------------------------


def test_a_partner_ticks_its_task_done_and_the_worker_sees_it_at_once(
    client: FlaskClient, db: Session, world: World
) -> None:
    item = world.items[ReleaseTask.HOUSING_APPLICATION]
    login(client, world.housing.staff.username)
    response = report(client, world, item, "done", NOTE)
    assert response.status_code == 302
    assert "The task&#39;s state was sent" in partner_page(client, world)
    item = reread(db, item)
    assert (item.state, item.state_changed_by_id) == (ItemState.DONE, world.housing.staff.id)
    update = db.scalars(
        select(PartnerUpdate).where(PartnerUpdate.checklist_item_id == item.id)
    ).one()
    assert (update.kind, update.organisation_id, update.member_id) == (
        PartnerUpdateKind.TASK_DONE,
        world.housing.organisation.id,
        world.housing.member.id,
    )
    assert update.text_ct and NOTE.encode() not in update.text_ct

    sign_in_as(client, world.worker)
    release = client.get(f"/caseworker/clients/{world.client.id}/release").get_data(as_text=True)
    row = release.split("Housing application")[1].split("</tr>")[0]
    assert "Done" in row and "Reported by Kuvitteellinen asuntotoimisto" in row and NOTE in row
    dashboard = client.get("/caseworker/").get_data(as_text=True)
    assert "Task done" in dashboard and NOTE in dashboard and "Not acknowledged" in dashboard
    # The worker acknowledges it from the checklist, and says who did and when.
    acknowledged = client.post(
        f"/caseworker/clients/{world.client.id}/updates/{update.id}/acknowledge",
        data={
            "csrf_token": csrf_token(client, f"/caseworker/clients/{world.client.id}/release"),
            "next": f"/caseworker/clients/{world.client.id}/release",
        },
    )
    assert acknowledged.headers["Location"] == f"/caseworker/clients/{world.client.id}/release"
    release = client.get(f"/caseworker/clients/{world.client.id}/release").get_data(as_text=True)
    assert f"by {world.worker.display_name}" in release.split("Housing application")[1]

    # The client sees it on their own page, in plain words.
    own = factories.user(db, Role.CLIENT, client=world.client)
    db.commit()
    sign_in_as(client, own)
    mine = client.get("/my/release").get_data(as_text=True)
    assert "Before you leave prison" in mine
    task = mine.split("Housing application")[1].split("</li>")[0]
    assert "Done" in task and "Kuvitteellinen asuntotoimisto" in task
    assert "Bank account and online banking codes" in mine and "Still to do" in mine


def test_a_report_is_refused_clearly_and_stores_nothing(
    client: FlaskClient, db: Session, world: World
) -> None:
    housing_task = world.items[ReleaseTask.HOUSING_APPLICATION]
    login(client, world.housing.staff.username)
    response = report(client, world, housing_task, "not_possible")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html and "Say why the task cannot be done." in html
    assert report(client, world, housing_task, "").status_code == 400
    # Another organisation's task, and a task of no checklist: the same not found.
    kela_task = world.items[ReleaseTask.BANK_ACCOUNT]
    assert report(client, world, kela_task, "done", NOTE).status_code == 404
    assert db.scalars(select(PartnerUpdate)).first() is None
    kela_task = reread(db, kela_task)
    assert kela_task.state is ItemState.OPEN

    assert (
        report(client, world, housing_task, "not_possible", "Ei asuntoja (fictional)").status_code
        == 302
    )
    housing_task = reread(db, housing_task)
    assert housing_task.state is ItemState.NOT_POSSIBLE
    assert report(client, world, housing_task, "done", NOTE).status_code == 409  # not open now
    assert len(db.scalars(select(PartnerUpdate)).all()) == 1


# -- updates into the record -------------------------------------------------------------------


def test_an_update_is_received_only_where_a_flow_from_the_member_is_agreed(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.kela.staff.username)  # only a county → Kela flow is agreed
    response = send(client, world, "benefit_decision", "Toimeentulotuki myönnetty (fictional)")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    summary = html.split('class="error-summary"')[1].split("</div>")[0]
    assert "no information flow from your organisation to the county has been agreed" in summary
    problem = client.post(
        f"/api/v1/clients/{world.client.id}/updates",
        json={"kind": "benefit_decision", "text": "Myönnetty (fictional)"},
        headers=api_token(client, world.kela.staff.username),
    )
    assert problem.status_code == 422 and problem.mimetype == PROBLEM
    assert [(e["pointer"], e["code"]) for e in problem.json["errors"]] == [
        ("#/kind", "no_flow_agreed")
    ]
    # A flow from Kela, but no consent to obtain from it: the law needs one.
    flow(db, world.actor, world.kela.member, FlowDirection.FROM_MEMBER)
    db.commit()
    response = send(client, world, "benefit_decision", "Toimeentulotuki myönnetty (fictional)")
    assert response.status_code == 400
    assert "the client has not consented to the county obtaining" in response.get_data(as_text=True)
    assert db.scalars(select(PartnerUpdate)).first() is None

    # Probation informs under its own statute: an agreed flow is enough.
    probation = factories.partner(db, world.case, OrgKind.PROBATION)
    factories.consent(
        db, world.actor, world.case, probation.member, SectionKind.PROBATIONARY_LIBERTY
    )
    flow(db, world.actor, probation.member, FlowDirection.BOTH)
    db.commit()
    sign_in_as(client, probation.staff)
    assert (
        send(client, world, "release_date_changed", "Koevapaus 15.1. (fictional)").status_code
        == 302
    )
    update = db.scalars(select(PartnerUpdate)).one()
    assert update.kind is PartnerUpdateKind.RELEASE_DATE_CHANGED


def test_an_update_is_received_only_where_the_obtain_consent_covers_its_kind(
    client: FlaskClient, db: Session, world: World
) -> None:
    # The housing office: a flow both ways, and the client's consent to the county obtaining
    # information from it about housing only.
    login(client, world.housing.staff.username)
    html = partner_page(client, world)
    form = html.split('id="update-heading"')[1].split("</section>")[0]
    assert "may get information from your organisation about: Housing." in form
    assert 'value="housing_offer"' in form and 'value="other"' in form
    assert 'value="benefit_decision"' not in form  # not offered: marked with the reason
    assert "Benefit decision: the client's consent does not cover Livelihood and Kela." in form

    response = send(client, world, "benefit_decision", "Toimeentulotuki myönnetty (fictional)")
    assert response.status_code == 400
    summary = response.get_data(as_text=True).split('class="error-summary"')[1].split("</div>")[0]
    assert "it is about Livelihood and Kela" in summary and "only about Housing" in summary
    problem = client.post(
        f"/api/v1/clients/{world.client.id}/updates",
        json={"kind": "benefit_decision", "text": "Myönnetty (fictional)"},
        headers=api_token(client, world.housing.staff.username),
    )
    assert problem.status_code == 422 and problem.mimetype == PROBLEM
    [error] = problem.json["errors"]
    assert (error["pointer"], error["code"]) == ("#/kind", "kind_not_covered")
    assert "about livelihood" in error["detail"] and "only about housing" in error["detail"]
    assert db.scalars(select(PartnerUpdate)).first() is None

    assert send(client, world, "housing_offer", "Asunto 1.3. alkaen (fictional)").status_code == 302
    assert send(client, world, "other", "Asumisneuvonta jatkuu (fictional)").status_code == 302
    received = {u.kind: u.sections for u in db.scalars(select(PartnerUpdate))}
    # What each was received under, for the worker: the covered sections it may be about.
    assert received == {
        PartnerUpdateKind.HOUSING_OFFER: ["housing"],
        PartnerUpdateKind.OTHER: ["housing"],
    }

    # Kela: the flow runs only from the county; nothing is offered, and the page says why.
    sign_in_as(client, world.kela.staff)
    html = partner_page(client, world)
    section = html.split('id="update-heading"')[1].split("</section>")[0]
    assert "<form" not in section and "no information flow from your organisation" in section

    sign_in_as(client, world.worker)
    listed = client.get(f"/caseworker/clients/{world.client.id}/updates").get_data(as_text=True)
    assert listed.count("consent to obtain information about: Housing") == 2


def test_a_revoked_obtain_consent_stops_covering_updates_at_once(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.housing.staff.username)
    assert "may get information from your organisation about: Housing." in partner_page(
        client, world
    )
    # The page's cover comes from the facts the process keeps under the client's facts
    # version: the revocation (a new version) must reach the very next request.
    [obtain] = db.scalars(
        select(Consent).where(
            Consent.member_id == world.housing.member.id, Consent.direction == Direction.OBTAIN
        )
    )
    consent_service.revoke(db, obtain, by_user_id=world.worker.id, at=utcnow())
    db.commit()
    form = partner_page(client, world).split('id="update-heading"')[1].split("</section>")[0]
    assert "may get information from your organisation about" not in form
    response = send(client, world, "housing_offer", "Asunto 1.3. alkaen (fictional)")
    assert response.status_code == 400
    assert "the client has not consented to the county obtaining" in response.get_data(as_text=True)
    assert db.scalars(select(PartnerUpdate)).first() is None


def test_the_worker_lists_filters_and_acknowledges_updates(
    client: FlaskClient, db: Session, world: World
) -> None:
    housing = world.housing.actor
    for kind, text in (
        (PartnerUpdateKind.HOUSING_OFFER, "Asunto tarjolla (fictional)"),
        (PartnerUpdateKind.APPOINTMENT_MISSED, "Ei saapunut (fictional)"),
    ):
        partner_commands.record_update(
            db, new_gate(), housing, client_id=world.client.id, kind=kind, text=text
        )
    db.commit()
    login(client, world.worker.username)
    path = f"/caseworker/clients/{world.client.id}/updates"
    html = client.get(path).get_data(as_text=True)
    assert "Asunto tarjolla (fictional)" in html and "Ei saapunut (fictional)" in html
    assert "Updates found: 2" in html
    overview = client.get(f"/caseworker/clients/{world.client.id}").get_data(as_text=True)
    assert "All updates from the network (2)" in overview and "Appointment missed" in overview

    html = client.get(path, query_string={"kind": "housing_offer"}).get_data(as_text=True)
    assert "Asunto tarjolla (fictional)" in html and "Ei saapunut" not in html
    by_housing = {"organisation": str(world.housing.organisation.id), "kind": ""}
    assert "Updates found: 2" in client.get(path, query_string=by_housing).get_data(as_text=True)
    # Kela has sent nothing, so it is no choice: the filters say so, and show everything.
    refused = client.get(path, query_string={"organisation": str(world.kela.organisation.id)})
    assert refused.status_code == 400
    assert "The filters were not applied." in refused.get_data(as_text=True)
    assert client.get(path, query_string={"kind": "gossip"}).status_code == 400

    offer = db.scalars(
        select(PartnerUpdate).where(PartnerUpdate.kind == PartnerUpdateKind.HOUSING_OFFER)
    ).one()
    token = csrf_token(client, path)
    ack = f"{path}/{offer.id}/acknowledge"
    assert client.post(ack, data={"csrf_token": token}).headers["Location"] == path
    assert "Update acknowledged." in client.get(path).get_data(as_text=True)
    client.post(ack, data={"csrf_token": token})
    assert "already acknowledged" in client.get(path).get_data(as_text=True)
    offer = reread(db, offer)
    assert offer.acknowledged_by_id == world.worker.id and offer.acknowledged_at is not None

    done = client.get(path, query_string={"acknowledged": "yes"}).get_data(as_text=True)
    assert "Asunto tarjolla (fictional)" in done and "Ei saapunut" not in done
    assert re.search(rf"Acknowledged .* by {re.escape(world.worker.display_name)}", done)
    waiting = client.get(path, query_string={"acknowledged": "no"}).get_data(as_text=True)
    assert "Ei saapunut (fictional)" in waiting and "Asunto tarjolla" not in waiting
    # Another client's update is not this record's.
    assert (
        client.post(f"{path}/{uuid.uuid4()}/acknowledge", data={"csrf_token": token}).status_code
        == 404
    )


# -- the API -----------------------------------------------------------------------------------


def test_a_partner_system_lists_and_reports_its_tasks(
    client: FlaskClient, db: Session, world: World
) -> None:
    housing = api_token(client, world.housing.staff.username)
    base = f"/api/v1/clients/{world.client.id}/tasks"
    listed = client.get(base, headers=housing)
    assert listed.status_code == 200, listed.get_data(as_text=True)
    body = listed.json
    assert body["release_day"] == world.case.conditional_release.isoformat()
    assert body["responsible_worker"] == {
        "name": world.worker.display_name,
        "work_contact": "040 000 0000 (fictional)",
    }
    assert body["responsible_sections"] == ["housing"]
    # Its own tasks only: the one assigned to it and those of the sections naming it.
    mine = {t["task"]: t for t in body["tasks"]}
    assert set(mine) == {"housing_application", "health_care", "substance_services"}
    task = mine["housing_application"]
    assert task["state"] == "open"

    kela = client.get(base, headers=api_token(client, world.kela.staff.username)).json
    assert kela["release_day"] is None
    assert [t["task"] for t in kela["tasks"]] == ["bank_account"]

    state = f"{base}/{task['id']}/state"
    missing = client.post(state, json={"state": "not_possible"}, headers=housing)
    assert missing.status_code == 422
    assert [e["pointer"] for e in missing.json["errors"]] == ["#/note"]
    wrong = client.post(state, json={"state": "not_needed"}, headers=housing)
    assert [e["pointer"] for e in wrong.json["errors"]] == ["#/state"]
    done = client.post(state, json={"state": "done", "note": NOTE}, headers=housing)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.json["state"] == "done" and done.json["state_changed_at"]
    assert client.post(state, json={"state": "done"}, headers=housing).status_code == 409
    other = f"{base}/{world.items[ReleaseTask.BANK_ACCOUNT].id}/state"
    assert client.post(other, json={"state": "done"}, headers=housing).status_code == 404

    (update,) = client.get(f"/api/v1/clients/{world.client.id}/updates", headers=housing).json[
        "items"
    ]
    assert (update["kind"], update["text"], update["acknowledged_at"]) == ("task_done", None, None)
    reserved = client.post(
        f"/api/v1/clients/{world.client.id}/updates",
        json={"kind": "task_done", "text": "x"},
        headers=housing,
    )
    assert [e["pointer"] for e in reserved.json["errors"]] == ["#/kind"]

    spec = client.get("/api/v1/openapi.json").json
    report_op = spec["paths"]["/api/v1/clients/{client_id}/tasks/{item_id}/state"]["post"]
    assert {"200", "404", "409", "422"} <= set(report_op["responses"])
    assert "get" in spec["paths"]["/api/v1/clients/{client_id}/tasks"]
    send_op = spec["paths"]["/api/v1/clients/{client_id}/updates"]["post"]
    assert "no_flow_agreed" in send_op["description"] and "422" in send_op["responses"]


# -- statement counts --------------------------------------------------------------------------


def test_the_updates_list_and_the_partners_page_run_the_same_statements_at_any_size(
    app: Flask, client: FlaskClient, db: Session, world: World, sql_count: list[str]
) -> None:
    """Neither page's statements grow with the updates, the tasks or their reports."""
    worker, partner = client, app.test_client()  # both isolated, as the fixture makes them
    login(worker, world.worker.username)
    login(partner, world.housing.staff.username)
    pages = (
        (worker, f"/caseworker/clients/{world.client.id}/updates"),
        (worker, f"/caseworker/clients/{world.client.id}/release"),
        (partner, f"/partner/clients/{world.client.id}"),
    )

    def statements() -> list[int]:
        counted = []
        for browser, path in pages:
            browser.get(path)
            sql_count.clear()
            assert browser.get(path).status_code == 200, path
            counted.append(len(sql_count))
        return counted

    def send(n: int) -> None:
        for i in range(n):
            partner_commands.record_update(
                db,
                new_gate(),
                world.housing.actor,
                client_id=world.client.id,
                kind=PartnerUpdateKind.CONCERN,
                text=f"Huoli {i} (fictional)",
            )
        db.commit()

    def report(*tasks: ReleaseTask) -> None:
        for task in tasks:
            partner_commands.report_task(
                db,
                new_gate(),
                world.housing.actor,
                client_id=world.client.id,
                item_id=world.items[task].id,
                state=ItemState.DONE,
                note=f"{task} (fictional)",
            )
        db.commit()

    send(1)
    report(ReleaseTask.HEALTH_CARE)
    few = statements()
    send(12)  # more than a page of the list
    report(ReleaseTask.SUBSTANCE_SERVICES, ReleaseTask.HOUSING_APPLICATION)
    assert statements() == few


def test_staff_set_their_work_contact_and_partners_see_it(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.worker.username)
    token = csrf_token(client, "/account")
    too_long = client.post(
        "/account/work-contact", data={"csrf_token": token, "work_contact": "0" * 201}
    )
    assert too_long.status_code == 400
    assert "At most 200 characters." in too_long.get_data(as_text=True)
    saved = client.post(
        "/account/work-contact",
        data={"csrf_token": token, "work_contact": " aino.tyo@example.invalid "},
    )
    assert saved.headers["Location"] == "/account"
    assert reread_user(db, world.worker).work_contact == "aino.tyo@example.invalid"

    sign_in_as(client, world.housing.staff)
    assert "aino.tyo@example.invalid" in partner_page(client, world)


def reread_user(db: Session, user: User) -> User:
    found = db.get(User, user.id)
    assert found is not None
    return found


def test_a_report_without_the_pages_csrf_token_is_refused(
    client: FlaskClient, db: Session, world: World
) -> None:
    item = world.items[ReleaseTask.HOUSING_APPLICATION]
    login(client, world.housing.staff.username)
    response = client.post(
        f"/partner/clients/{world.client.id}/tasks/{item.id}",
        data={f"task-{item.id}-state": "done", f"task-{item.id}-note": NOTE},
    )
    assert response.status_code == 400
    assert reread(db, item).state is ItemState.OPEN
