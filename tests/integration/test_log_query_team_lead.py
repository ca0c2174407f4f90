"""A client's question about the responsible worker's own access goes to the worker's team
lead or deputy, and never reaches the worker; every question has a short reference."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.client_log import commands as client_log
from app.client_log import rules
from app.client_log.queries import addressed_to
from app.dashboard import queries as dashboard
from app.models import CaseTeamMember, Organisation, OrgKind, Role, User
from app.models.log_query import LogQuery
from app.models.plan import PlanSectionVersion
from app.models.team_lead import TeamLead
from app.refusals import Refused
from app.security import new_gate
from consent.facts import Purpose
from consent.sections import SectionKind
from sharing.access_log import AccessLogEntry
from sharing.fields import sealed
from tests import factories
from tests.conftest import csrf_token, login
from tests.integration.test_log_queries_worker import ask, partner_read, query_path
from tests.integration.test_log_queries_worker import world as world  # the fixture
from tests.integration.test_portal_consents import World, text_of, today

DASHBOARD_LIST = "/caseworker/dashboard/log-queries"


def lead_of(db: Session, w: World) -> User:
    """A colleague of the county, named the responsible worker's team lead."""
    county = db.get(Organisation, w.worker.organisation_id)
    lead = factories.user(db, Role.CASEWORKER, county)
    client_log.set_team_lead(db, w.worker, lead, by=None)
    db.commit()
    return lead


def worker_read(db: Session, w: World, *, assisted: bool = False) -> AccessLogEntry:
    """The responsible worker reads the housing section (or, ``assisted``, the client reads
    it at the office with the worker at the terminal)."""
    actor = (
        replace(factories.actor(w.user), assisted_by=w.worker.id) if assisted else w.worker_actor
    )
    purpose = Purpose.OWN_DATA if assisted else Purpose.CASE_WORK
    version = w.versions[SectionKind.HOUSING]
    new_gate().read_texts(actor, [sealed(version, PlanSectionVersion.content_ct)], purpose=purpose)
    db.commit()
    entry = db.scalars(
        select(AccessLogEntry)
        .where(AccessLogEntry.client_id == w.client.id, AccessLogEntry.scope == "section:housing")
        .order_by(AccessLogEntry.seq.desc())
    ).first()
    assert entry is not None and w.worker.id in (entry.actor_user_id, entry.assisted_by_user_id)
    return entry


def waiting(db: Session, user: User) -> list[str]:
    county_id = user.organisation_id
    assert county_id is not None
    rows = dashboard.log_queries(db, user.id, county_id).rows
    assert dashboard.counts(db, user.id, county_id, today()).log_queries == len(rows)
    return [row.query.reference for row in rows]


@pytest.mark.parametrize("assisted", [False, True], ids=["worker read", "worker at terminal"])
def test_a_question_about_the_workers_own_access_goes_to_the_team_lead_only(
    client: FlaskClient, db: Session, world: World, assisted: bool
) -> None:
    lead = lead_of(db, world)
    query = ask(db, world, worker_read(db, world, assisted=assisted))
    other = ask(db, world, partner_read(db, world))  # about the housing office: the worker's
    unasked = worker_read(db, world, assisted=assisted).id  # the same again, not asked about

    assert waiting(db, world.worker) == [other.reference]
    assert waiting(db, lead) == [query.reference]
    addressee = addressed_to(db, world.case.id, db.get(AccessLogEntry, query.entry_id))
    assert addressee.about_worker and addressee.answerer is not None
    assert addressee.answerer.id == lead.id
    paths = (query_path(world, query), query_path(world, other))
    own, others = paths
    reference, other_reference = query.reference, other.reference
    client_path = f"/caseworker/clients/{world.client.id}/log-queries"
    lead_name, lead_username = lead.display_name, lead.username

    # On the worker's pages the question does not exist: not listed, not openable, not answerable.
    login(client, world.worker.username)
    listed = text_of(client.get(client_path))
    assert other_reference in listed and reference not in listed
    assert client.get(own).status_code == 404
    token = csrf_token(client, others)
    refused = client.post(own, data={"csrf_token": token, "answer": "Se olin minä (fictional)"})
    assert refused.status_code == 404
    assert (
        db.scalars(select(LogQuery).where(LogQuery.reference == reference)).one().status == "open"
    )
    board = text_of(client.get(DASHBOARD_LIST))
    assert other_reference in board and reference not in board
    client.post("/logout", data={"csrf_token": csrf_token(client, "/caseworker/")})

    # The team lead sees it on their dashboard; to open the client they record a work task.
    login(client, lead_username)
    board = text_of(client.get(DASHBOARD_LIST))
    assert reference in board and other_reference not in board
    assert client.get(own).status_code == 403  # the work-task page: a logged, recorded reason
    client.post("/logout", data={"csrf_token": csrf_token(client, "/caseworker/")})

    # The client is told who looks into it, and that their worker does not.
    login(client, world.user.username)
    asking = text_of(client.get(f"/my/log/{unasked}/query"))
    assert "your question goes to the person who leads their work" in asking
    done = text_of(client.get(f"/my/log/queries/{query.id}"))
    assert reference in done and lead_name in done
    assert "your responsible worker does not look into it" in done


def test_the_team_lead_answers_once_on_the_case(
    client: FlaskClient, db: Session, world: World
) -> None:
    lead = lead_of(db, world)
    query = ask(db, world, worker_read(db, world))
    db.add(CaseTeamMember(case_id=world.case.id, user_id=lead.id))
    db.commit()
    path = query_path(world, query)
    login(client, lead.username)
    page = text_of(client.get(path))
    assert query.reference in page and "responsible worker's own access" in page
    sent = client.post(
        path, data={"csrf_token": csrf_token(client, path), "answer": "Tarkistettu (fictional)"}
    )
    assert sent.status_code == 302
    assert db.scalars(select(LogQuery)).one().resolved_by_id == lead.id


def test_without_a_team_lead_the_question_reaches_nobody_rather_than_the_worker(
    client: FlaskClient, db: Session, world: World
) -> None:
    query = ask(db, world, worker_read(db, world))
    assert waiting(db, world.worker) == []
    login(client, world.user.username)
    done = text_of(client.get(f"/my/log/queries/{query.id}"))
    assert "The person who leads the work of your responsible worker" in done
    assert world.worker.display_name not in done.split("Who looks into it")[1].split("</dd>")[0]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/my/")})

    # The administrator is told, where the team lead is named; once named, the lead has it.
    admin = factories.user(db, Role.ADMIN)
    county = db.get(Organisation, world.worker.organisation_id)
    lead = factories.user(db, Role.CASEWORKER, county)
    db.commit()
    login(client, admin.username)
    page = text_of(client.get(f"/admin/users/{world.worker.id}"))
    assert "1 client's question about this worker's own use" in page
    post = f"/admin/users/{world.worker.id}/team-lead"
    token = csrf_token(client, f"/admin/users/{world.worker.id}")
    assert client.post(post, data={"csrf_token": token, "lead": lead.id}).status_code == 302
    assert "own use of their information wait" not in text_of(
        client.get(f"/admin/users/{world.worker.id}")
    )
    assert waiting(db, lead) == [query.reference]
    assert waiting(db, world.worker) == []


def test_a_question_about_someone_else_stays_with_the_responsible_worker(
    db: Session, world: World
) -> None:
    lead = lead_of(db, world)
    query = ask(db, world, partner_read(db, world))
    assert waiting(db, world.worker) == [query.reference]
    assert waiting(db, lead) == []


def test_references_are_short_unambiguous_and_unique(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ask(db, world, partner_read(db, world))
    assert re.fullmatch(r"LQ-[23456789ABCDEFGHJKMNPQRTVWXY]{4}", first.reference)
    # A random source that first gives the taken reference: the next free one is used.
    picks = iter([first.reference, "LQ-3333"])
    monkeypatch.setattr(rules, "reference", lambda length=4: next(picks))
    assert client_log.new_reference(db) == "LQ-3333"


def test_only_a_caseworker_of_the_same_county_can_be_named(db: Session, world: World) -> None:
    county = db.get(Organisation, world.worker.organisation_id)
    other_county = factories.organisation(db, OrgKind.COUNTY, "Kuvitteellinen toinen kunta")
    refused = [
        factories.user(db, Role.CASEWORKER, other_county),
        factories.user(db, Role.PARTNER, factories.organisation(db, OrgKind.NGO)),
        world.worker,
    ]
    for person in refused:
        with pytest.raises(Refused) as raised:
            client_log.set_team_lead(db, world.worker, person, by=None)
        assert raised.value.code == "team_lead_not_a_colleague"
    lead = factories.user(db, Role.CASEWORKER, county)
    client_log.set_team_lead(db, world.worker, lead, by=None)
    client_log.set_team_lead(db, world.worker, lead, by=None)  # again: still one row
    assert db.scalars(select(TeamLead.lead_id)).all() == [lead.id]
    client_log.set_team_lead(db, world.worker, None, by=None)
    assert db.scalars(select(TeamLead)).all() == []


def test_an_administrator_names_the_team_lead_on_the_account_page(
    client: FlaskClient, db: Session, world: World
) -> None:
    county = db.get(Organisation, world.worker.organisation_id)
    lead = factories.user(db, Role.CASEWORKER, county)
    stranger = factories.user(db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY))
    admin = factories.user(db, Role.ADMIN)
    db.commit()
    page_path = f"/admin/users/{world.worker.id}"
    post_path = f"{page_path}/team-lead"
    lead_id, stranger_id, stranger_name = lead.id, stranger.id, stranger.display_name
    login(client, admin.username)
    page = client.get(page_path).get_data(as_text=True)
    assert "Team lead or deputy" in page and lead.display_name in page
    assert stranger_name not in page  # another county's worker is not offered
    sent = client.post(
        post_path, data={"csrf_token": csrf_token(client, page_path), "lead": lead_id}
    )
    assert sent.status_code == 302
    assert db.scalars(select(TeamLead.lead_id)).all() == [lead_id]
    assert re.search(
        rf'<option selected value="{lead_id}"', client.get(page_path).get_data(as_text=True)
    )
    tampered = client.post(
        post_path, data={"csrf_token": csrf_token(client, page_path), "lead": stranger_id}
    )
    assert tampered.status_code == 302
    assert "Choose another active social worker" in client.get(page_path).get_data(as_text=True)
    assert db.scalars(select(TeamLead.lead_id)).all() == [lead_id]
    garbage = client.post(
        post_path, data={"csrf_token": csrf_token(client, page_path), "lead": "x"}
    )
    assert garbage.status_code == 302
    # A partner's or an administrator's account has no such field, and cannot be posted to.
    assert "Team lead or deputy" not in client.get(f"/admin/users/{admin.id}").get_data(
        as_text=True
    )
    assert (
        client.post(
            f"/admin/users/{admin.id}/team-lead",
            data={"csrf_token": csrf_token(client, page_path), "lead": ""},
        ).status_code
        == 404
    )
