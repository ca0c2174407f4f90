"""The responsible worker answers a client's "I don't recognise this" query about their log."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.client_log import commands as client_log
from app.dashboard import queries as dashboard
from app.models import Case, CaseTeamMember, Organisation, OrgKind, Role, User
from app.models.log_query import LogQuery, LogQueryStatus
from app.models.plan import PlanSectionVersion
from app.security import new_gate
from consent.base import utcnow
from consent.facts import Actor, ActorRole, Purpose
from consent.sections import SectionKind
from sharing.access_log import AccessLogEntry
from sharing.fields import sealed
from tests import factories
from tests.conftest import api_token, csrf_token, login
from tests.integration.test_dashboard import listed_total, numbers
from tests.integration.test_portal_consents import (
    COOP,
    PURPOSE,
    World,
    grant,
    make_world,
    reads,
    text_of,
    today,
    write_section,
)

NOTE = "En tunne tätä asuntotoimistoa (fictional)"
ANSWER = "Asuntotoimisto valmistelee vuokrasopimustasi suostumuksesi nojalla (fictional)"
DASHBOARD_LIST = "/caseworker/dashboard/log-queries"


@pytest.fixture
def world(db: Session) -> World:
    w = make_world(db)
    grant(db, w, w.housing, SectionKind.HOUSING)
    db.commit()
    return w


def client_actor(w: World) -> Actor:
    return factories.actor(w.user)


def partner_read(db: Session, w: World) -> AccessLogEntry:
    """The housing office reads the housing section on the client's consent."""
    reads(w.housing_staff, w, SectionKind.HOUSING)
    db.commit()
    entry = db.scalars(
        select(AccessLogEntry)
        .where(
            AccessLogEntry.client_id == w.client.id,
            AccessLogEntry.actor_user_id == w.housing_staff.user_id,
            AccessLogEntry.scope == "section:housing",
        )
        .order_by(AccessLogEntry.seq.desc())
    ).first()
    assert entry is not None
    return entry


def ask(db: Session, w: World, entry: AccessLogEntry, note: str | None = NOTE) -> LogQuery:
    query = client_log.open_query(
        db, new_gate(), client_actor(w), case=w.case, entry=entry, note=note
    )
    db.commit()
    return query


def query_path(w: World, query: LogQuery) -> str:
    return f"/caseworker/clients/{w.client.id}/log-queries/{query.id}"


def answer(client: FlaskClient, path: str, text: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, path), "answer": text})


def test_a_query_reaches_the_responsible_workers_dashboard_and_no_one_elses(
    client: FlaskClient, db: Session, world: World
) -> None:
    county_id = world.worker.organisation_id
    colleague = factories.user(db, Role.CASEWORKER, db.get(Organisation, county_id))
    db.add(CaseTeamMember(case_id=world.case.id, user_id=colleague.id))  # team, not addressee
    query = ask(db, world, partner_read(db, world))
    case_id, colleague_name = world.case.id, colleague.username

    assert dashboard.counts(db, world.worker.id, county_id, today()).log_queries == 1
    (row,) = dashboard.log_queries(db, world.worker.id, county_id).rows
    assert (row.query.id, row.entry.id, row.client.id) == (
        query.id,
        query.entry_id,
        query.client_id,
    )
    assert dashboard.counts(db, colleague.id, county_id, today()).log_queries == 0
    assert dashboard.log_queries(db, colleague.id, county_id).rows == []

    login(client, world.worker.username)
    shown = numbers(client.get("/caseworker/").get_data(as_text=True))
    assert shown[DASHBOARD_LIST] == 1
    listing = client.get(DASHBOARD_LIST)
    assert listing.status_code == 200
    page = text_of(listing)
    assert listed_total(listing.get_data(as_text=True)) == 1
    assert "Kuvitteellinen Kalle" in page  # the client's name, read through the gate
    assert f"Asuntotoimisto {case_id}" in page and "Looked at: Housing" in page
    assert query_path(world, query) in listing.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/caseworker/")})

    login(client, colleague_name)
    assert numbers(client.get("/caseworker/").get_data(as_text=True))[DASHBOARD_LIST] == 0
    assert "Kuvitteellinen Kalle" not in text_of(client.get(DASHBOARD_LIST))


def test_the_worker_sees_the_entry_in_full_and_answers_encrypted_and_the_client_reads_it(
    client: FlaskClient, db: Session, world: World
) -> None:
    entry = partner_read(db, world)
    query = ask(db, world, entry)
    staff = db.get(User, world.housing_staff.user_id)
    assert staff is not None
    staff_name, query_id, client_id = staff.display_name, query.id, world.client.id
    reference = query.reference
    worker_id, worker_name, county_id = (
        world.worker.id,
        world.worker.display_name,
        world.worker.organisation_id,
    )
    path = query_path(world, query)

    login(client, world.worker.username)
    page = text_of(client.get(path))
    assert NOTE in page  # the client's note, through the gate
    assert staff_name in page  # who looked, though the client is not shown staff names
    assert "Cooperation in the client's support network" in page  # the purpose
    assert "The client's consent" in page and "Allowed" in page
    assert "Your consent" in page  # and as the client reads it
    assert reference in page  # the short reference (the id stays in the links only)

    empty = answer(client, path, "   ")
    assert empty.status_code == 400 and "Write the answer." in text_of(empty)
    long = answer(client, path, "x" * 4001)
    assert long.status_code == 400
    assert "The answer can be at most 4000 characters long." in text_of(long)
    assert "x" * 4001 in long.get_data(as_text=True)  # what was typed is kept
    db.expire_all()
    assert db.get(LogQuery, query_id).status is LogQueryStatus.OPEN

    done = answer(client, path, ANSWER)
    assert done.status_code == 302 and done.headers["Location"].endswith(path)
    db.expire_all()
    stored = db.get(LogQuery, query_id)
    assert stored.status is LogQueryStatus.ANSWERED and stored.resolved_by_id == worker_id
    assert stored.resolved_at is not None
    assert stored.answer_ct and ANSWER.encode() not in stored.answer_ct
    opened = new_gate().read_texts(
        client_actor(world), [sealed(stored, LogQuery.answer_ct)], purpose=Purpose.OWN_DATA
    )
    assert opened == [ANSWER]
    shown = text_of(client.get(path))
    assert ANSWER in shown and "Answered" in shown and "Send the answer" not in shown
    assert dashboard.counts(db, worker_id, county_id, today()).log_queries == 0
    client.post("/logout", data={"csrf_token": csrf_token(client, "/caseworker/")})

    login(client, world.user.username)
    mine = text_of(client.get(f"/my/log/queries/{query_id}"))
    assert "The answer" in mine and ANSWER in mine and worker_name in mine
    assert "Your question has been sent." not in mine
    assert "Your worker has answered" in text_of(client.get("/my/log"))
    headers = api_token(client, world.user.username)
    items = client.get(f"/api/v1/clients/{client_id}/access-log", headers=headers).json["items"]
    (asked,) = [item for item in items if item["query"] is not None]
    assert asked["query"]["answer"] == ANSWER and asked["query"]["status"] == "answered"
    assert asked["query"]["answered_at"] and asked["open_query_id"] is None
    assert asked["query"]["reference"] == reference


def test_answering_a_query_that_is_not_open_is_refused(
    client: FlaskClient, db: Session, world: World
) -> None:
    query = ask(db, world, partner_read(db, world))
    worker_actor = world.worker_actor
    client_log.answer_query(db, new_gate(), worker_actor, query, ANSWER)
    db.commit()
    with pytest.raises(client_log.QueryNotOpen):
        client_log.answer_query(db, new_gate(), worker_actor, query, "Toinen vastaus")
    db.rollback()
    query_id, path = query.id, query_path(world, query)

    login(client, world.worker.username)
    again = answer(client, path, "Toinen vastaus (fictional)")
    assert again.status_code == 409
    assert "This question has already been answered" in text_of(again)
    assert ANSWER in text_of(again)  # the answer given stays, and is shown
    db.expire_all()
    stored = db.get(LogQuery, query_id)
    texts = new_gate().read_texts(
        worker_actor, [sealed(stored, LogQuery.answer_ct)], purpose=Purpose.CASE_WORK
    )
    assert texts == [ANSWER]


def test_a_worker_of_another_county_gets_404_and_a_colleague_without_a_relationship_403(
    client: FlaskClient, db: Session, world: World
) -> None:
    query = ask(db, world, partner_read(db, world))
    county = db.get(Organisation, world.worker.organisation_id)
    colleague = factories.user(db, Role.CASEWORKER, county)
    stranger = factories.user(db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY))
    db.commit()
    path, query_id = query_path(world, query), query.id
    listing = f"/caseworker/clients/{world.client.id}/log-queries"

    login(client, stranger.username)
    assert client.get(path).status_code == 404
    assert client.get(listing).status_code == 404
    token = csrf_token(client, "/caseworker/")
    assert client.post(path, data={"csrf_token": token, "answer": "x"}).status_code == 404
    client.post("/logout", data={"csrf_token": token})

    login(client, colleague.username)
    refused = client.get(path)
    assert refused.status_code == 403 and "Reason needed" in text_of(refused)
    assert NOTE not in text_of(refused)
    token = csrf_token(client, "/caseworker/")
    assert client.post(path, data={"csrf_token": token, "answer": "x"}).status_code == 403
    db.expire_all()
    assert db.get(LogQuery, query_id).status is LogQueryStatus.OPEN


def test_a_query_of_another_client_is_not_found_under_this_one(
    client: FlaskClient, db: Session, world: World
) -> None:
    query = ask(db, world, partner_read(db, world))
    other, _ = factories.client(
        db, db.get(Organisation, world.worker.organisation_id), worker=world.worker
    )
    db.commit()
    login(client, world.worker.username)
    assert client.get(f"/caseworker/clients/{other.id}/log-queries/{query.id}").status_code == 404
    missing = f"/caseworker/clients/{world.client.id}/log-queries/{uuid.uuid4()}"
    assert client.get(missing).status_code == 404


def test_the_clients_queries_open_and_answered_are_listed_on_the_record(
    client: FlaskClient, db: Session, world: World
) -> None:
    entry = partner_read(db, world)
    first = ask(db, world, entry)
    client_log.answer_query(db, new_gate(), world.worker_actor, first, ANSWER)
    db.commit()
    officer = factories.user(db, Role.PARTNER, factories.organisation(db, OrgKind.PRISON))
    helped = replace(client_actor(world), assisted_by=officer.id)
    second = client_log.open_query(  # asked again after the answer, with staff helping
        db, new_gate(), helped, case=world.case, entry=entry, note=None
    )
    db.commit()
    officer_name = officer.display_name
    paths = query_path(world, first), query_path(world, second)
    overview, listing = (
        f"/caseworker/clients/{world.client.id}",
        f"/caseworker/clients/{world.client.id}/log-queries",
    )
    login(client, world.worker.username)
    assert listing in client.get(overview).get_data(as_text=True)
    body = client.get(listing).get_data(as_text=True)
    assert all(path in body for path in paths)
    page = text_of(client.get(listing))
    assert "2 questions" in page and "Answered" in page and "Waiting for an answer" in page
    second_page = text_of(client.get(paths[1]))
    assert "No message." in second_page
    assert f"Staff helped at the terminal: {officer_name}" in second_page


def test_a_work_task_entry_shows_the_reason_the_colleague_recorded(
    client: FlaskClient, db: Session, world: World
) -> None:
    county = db.get(Organisation, world.worker.organisation_id)
    colleague = factories.user(db, Role.CASEWORKER, county)
    db.commit()
    colleague_name, reason = colleague.username, "Päivystys: asiakas soitti (fictional)"
    login(client, colleague_name)
    overview = f"/caseworker/clients/{world.client.id}"
    recorded = client.post(
        f"/caseworker/clients/{world.client.id}/work-task",
        data={"csrf_token": csrf_token(client, "/caseworker/"), "reason": reason},
    )
    assert recorded.status_code == 302
    assert client.get(overview).status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/caseworker/")})
    entry = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == world.client.id,
            AccessLogEntry.actor_user_id == colleague.id,
            AccessLogEntry.basis_kind == "work_task",
        )
    ).first()
    assert entry is not None
    query = ask(db, world, entry)

    login(client, world.worker.username)
    page = text_of(client.get(query_path(world, query)))
    assert "A recorded work task" in page and reason in page
    assert colleague.display_name in page


def test_a_closed_cases_query_is_still_answered_until_the_record_is_disposed_of(
    client: FlaskClient, db: Session, world: World
) -> None:
    entry = partner_read(db, world)
    query = ask(db, world, entry)
    world.case.closed_at = utcnow()
    db.commit()
    path, query_id, county_id = query_path(world, query), query.id, world.worker.organisation_id
    assert dashboard.counts(db, world.worker.id, county_id, today()).log_queries == 1
    login(client, world.worker.username)
    page = client.get(path)
    assert page.status_code == 200 and NOTE in text_of(page)
    assert 'method="post" action="/caseworker/clients/' in page.get_data(as_text=True)
    assert answer(client, path, ANSWER).status_code == 302
    db.expire_all()
    assert db.get(LogQuery, query_id).status is LogQueryStatus.ANSWERED
    assert dashboard.counts(db, world.worker.id, county_id, today()).log_queries == 0

    ask(db, world, entry, note="Vielä yksi kysymys (fictional)")
    assert dashboard.counts(db, world.worker.id, county_id, today()).log_queries == 1
    db.get(Case, world.case.id).disposed_at = utcnow()  # retention over: nothing to answer from
    db.commit()
    assert dashboard.counts(db, world.worker.id, county_id, today()).log_queries == 0


def asking_client(db: Session, county: Organisation, worker: User, n: int) -> None:
    """A client of ``worker`` who asks about a close person's read of their plan."""
    record, case = factories.client(db, county, name=f"Kuvitteellinen Kysyjä {n}", worker=worker)
    user = factories.user(db, Role.CLIENT, client=record)
    actor = factories.actor(worker)
    person = factories.person_member(
        db,
        actor,
        case,
        f"Läheinen Kuvitteellinen {n}",
        role="Sisar",
        starts_on=today() - timedelta(days=5),
    )
    person.confidentiality_committed_on = today()
    version = write_section(db, actor, case, SectionKind.HOUSING, "Asunto (fictional)")
    factories.consent(db, actor, case, person, SectionKind.HOUSING, purpose_text=PURPOSE)
    db.commit()
    as_person = Actor(ActorRole.PERSON, member_id=person.id)
    new_gate().read_texts(as_person, [sealed(version, PlanSectionVersion.content_ct)], purpose=COOP)
    entry = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == record.id, AccessLogEntry.member_id == person.id
        )
    ).one()
    as_client = factories.actor(user)
    client_log.open_query(db, new_gate(), as_client, case=case, entry=entry, note=None)
    db.commit()


def test_the_dashboard_list_runs_a_fixed_number_of_queries(
    client: FlaskClient, db: Session, world: World, sql_count: list[str]
) -> None:
    county = db.get(Organisation, world.worker.organisation_id)
    asking_client(db, county, world.worker, 0)
    ask(db, world, partner_read(db, world))
    login(client, world.worker.username)

    def count(path: str) -> int:
        sql_count.clear()
        assert client.get(path).status_code == 200
        return len(sql_count)

    few = count(DASHBOARD_LIST), count("/caseworker/")
    for n in range(1, 5):
        asking_client(db, county, world.worker, n)
    assert (count(DASHBOARD_LIST), count("/caseworker/")) == few
    page = text_of(client.get(DASHBOARD_LIST))
    assert "6 questions" in page
    assert "Läheinen Kuvitteellinen 4" in page and "Close person" in page
    assert numbers(client.get("/caseworker/").get_data(as_text=True))[DASHBOARD_LIST] == 6
    listing = f"/caseworker/clients/{world.client.id}/log-queries"
    few_on_record = count(listing)
    for _ in range(3):
        ask(db, world, partner_read(db, world))
    assert count(listing) == few_on_record
    assert "4 questions" in text_of(client.get(listing))
