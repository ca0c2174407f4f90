"""The plan through the API: each role reads what its web page shows, caseworkers write with
ETags, and of two writers with the same ETag exactly one wins."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.i18n import helsinki_today
from app.models import (
    Case,
    CaseTeamMember,
    Client,
    NetworkMember,
    Organisation,
    OrgKind,
    PlanSection,
    PlanSectionVersion,
    Role,
    User,
)
from app.plan.content import SectionContent
from consent.base import utcnow
from consent.facts import Actor
from consent.sections import SectionKind
from sharing.access_log import AccessLogEntry
from tests import factories
from tests.conftest import api_token

TODAY = helsinki_today()
PROBLEM = "application/problem+json"
HOUSING_GOAL = "Oma asunto läheltä siskoa (fictional)"
HEALTH_GOAL = "Päihteetön arki (fictional, not shared)"


@dataclass
class World:
    county: Organisation
    worker: User
    actor: Actor
    record: Client
    case: Case
    housing: NetworkMember  # shared with: the housing section
    person: NetworkMember
    own: User  # the client's account
    partner: User  # housing staff
    outsider: User  # staff of an organisation never in the network
    colleague: User  # same county, no relationship
    foreign_worker: User  # another county

    def url(self, rest: str = "") -> str:
        return f"/api/v1/clients/{self.record.id}/plan{rest}"

    def section_url(self, kind: SectionKind) -> str:
        return self.url(f"/sections/{kind.value}")


def build_world(db: Session) -> World:
    """A client with two members, a housing section shared with housing, and a health
    section that is not shared with anyone."""
    base = factories.county_case(db, name="Kuvitteellinen Kalle")
    actor, case = base.actor, base.case
    housing_org = factories.organisation(db, OrgKind.PUBLIC_SERVICE, "Asumispalvelut (fictional)")
    start = TODAY - timedelta(days=10)
    housing = factories.org_member(
        db, actor, case, housing_org.id, role="Asumisneuvonta", starts_on=start
    )
    person = factories.person_member(
        db, actor, case, "Sisko Kuvitteellinen", role="Sisar", starts_on=start
    )
    factories.consent(db, actor, case, housing, SectionKind.HOUSING)
    other_county = factories.organisation(db, OrgKind.COUNTY)
    outsider_org = factories.organisation(db, OrgKind.PUBLIC_SERVICE, "Ulkopuolinen (fictional)")
    return World(
        base.county,
        base.worker,
        actor,
        base.client,
        case,
        housing,
        person,
        factories.user(db, Role.CLIENT, client=base.client),
        factories.user(db, Role.PARTNER, housing_org),
        factories.user(db, Role.PARTNER, outsider_org),
        factories.user(db, Role.CASEWORKER, base.county),
        factories.user(db, Role.CASEWORKER, other_county),
    )


@pytest.fixture
def world(db: Session) -> World:
    built = build_world(db)
    db.commit()
    return built


def save(
    db: Session,
    w: World,
    kind: SectionKind,
    *,
    responsible: tuple[NetworkMember, ...] = (),
    **texts: str,
) -> PlanSectionVersion:
    """Write a version of a section through the command, as the responsible worker."""
    content = SectionContent(**texts)
    return factories.plan_section(db, w.actor, w.case, kind, content, responsible=responsible)


@pytest.fixture
def written(db: Session, world: World) -> World:
    save(
        db,
        world,
        SectionKind.HOUSING,
        goals=HOUSING_GOAL,
        measures="Asuntohakemus maaliskuussa",
        responsible=(world.housing,),
    )
    save(db, world, SectionKind.HEALTH, goals=HEALTH_GOAL, worker_view="Hoito jatkuu")
    db.commit()
    return world


def body(**overrides: Any) -> dict[str, Any]:
    return {
        "goals": "Oma asunto (fictional)",
        "measures": "Hakemus (fictional)",
        "client_view": "",
        "worker_view": "",
        "agreement": "draft",
        "responsible": [],
        "review_on": None,
        **overrides,
    }


def problem(response, status: int) -> dict:  # type: ignore[no-untyped-def, type-arg]
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    found: dict = response.json  # type: ignore[type-arg]
    assert found["status"] == status
    return found


def headers_of(client: FlaskClient, user: User, **more: str) -> dict[str, str]:
    return api_token(client, user.username) | more


def versions(db: Session, w: World, kind: SectionKind) -> list[int]:
    return list(
        db.scalars(
            select(PlanSectionVersion.version)
            .join(PlanSection, PlanSection.id == PlanSectionVersion.section_id)
            .where(PlanSection.client_id == w.record.id, PlanSection.kind == kind)
            .order_by(PlanSectionVersion.version)
        )
    )


def etag(response) -> str:  # type: ignore[no-untyped-def]
    tag, weak = response.get_etag()
    assert tag and not weak
    return str(tag)


# -- reading, by role --------------------------------------------------------------------------


def test_the_caseworker_reads_every_section(client: FlaskClient, written: World) -> None:
    w = written
    response = client.get(w.url(), headers=headers_of(client, w.worker))
    assert response.status_code == 200
    sections = {s["kind"]: s for s in response.json["sections"]}
    assert list(sections) == ["housing", "health"]
    housing = sections["housing"]
    assert housing["goals"] == HOUSING_GOAL and housing["version"] == 1
    assert housing["responsible"] == [
        {"id": str(w.housing.id), "name": "Asumispalvelut (fictional)"}
    ]
    assert housing["agreement"] == "draft" and housing["updated_by"]["id"] == str(w.worker.id)
    assert sections["health"]["worker_view"] == "Hoito jatkuu"
    assert "shared_on" not in housing
    one = client.get(w.section_url(SectionKind.HOUSING), headers=headers_of(client, w.worker))
    assert etag(one) == housing["etag"] == one.json["etag"]


def test_the_client_reads_their_plan_as_my_plan_shows_it(
    client: FlaskClient, written: World
) -> None:
    w = written
    response = client.get(w.url(), headers=headers_of(client, w.own))
    sections = {s["kind"]: s for s in response.json["sections"]}
    assert sections["health"]["goals"] == HEALTH_GOAL
    assert sections["housing"]["responsible"] == [{"name": "Asumispalvelut (fictional)"}]
    assert response.json["review_on"] is None
    one = client.get(w.section_url(SectionKind.HEALTH), headers=headers_of(client, w.own))
    assert one.status_code == 200 and one.json["goals"] == HEALTH_GOAL


def test_a_partner_reads_only_what_is_shared_with_it(
    client: FlaskClient, db: Session, written: World
) -> None:
    w = written
    headers = headers_of(client, w.partner)
    response = client.get(w.url(), headers=headers)
    assert response.status_code == 200
    (housing,) = response.json["sections"]
    assert housing["kind"] == "housing" and housing["goals"] == HOUSING_GOAL
    assert housing["shared_on"][0]["kind"] == "consent"
    assert housing["shared_on"][0]["until"] is None
    assert "agreement" not in housing and "responsible" not in housing
    assert "review_on" not in response.json
    for kind in ("health", "relationships"):
        refused = client.get(w.section_url(SectionKind(kind)), headers=headers)
        assert HEALTH_GOAL not in refused.get_data(as_text=True)
        problem(refused, 404)
    assert HEALTH_GOAL not in response.get_data(as_text=True)
    assert "Hoito jatkuu" not in response.get_data(as_text=True)
    one = client.get(w.section_url(SectionKind.HOUSING), headers=headers)
    assert one.status_code == 200 and etag(one) == housing["etag"]
    # The refused attempt at the unshared section is in the client's log.
    refusals = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == w.record.id,
            AccessLogEntry.actor_user_id == w.partner.id,
            AccessLogEntry.allowed.is_(False),
        )
    ).all()
    assert {e.scope for e in refusals} >= {"section:health", "section:relationships"}


def test_a_shared_section_not_written_yet(client: FlaskClient, world: World) -> None:
    response = client.get(world.url(), headers=headers_of(client, world.partner))
    assert response.json["sections"][0] | {"shared_on": None} == {
        "kind": "housing",
        "version": None,
        "etag": None,
        "goals": "",
        "measures": "",
        "client_view": "",
        "worker_view": "",
        "updated_at": None,
        "shared_on": None,
    }
    for user in (world.partner, world.worker, world.own):
        problem(
            client.get(world.section_url(SectionKind.HOUSING), headers=headers_of(client, user)),
            404,
        )
    assert client.get(world.url(), headers=headers_of(client, world.worker)).json == {
        "review_on": None,
        "sections": [],
    }


def test_out_of_reach_is_404_and_a_colleague_without_relationship_403(
    client: FlaskClient, written: World
) -> None:
    w = written
    for user in (w.outsider, w.foreign_worker):
        for path in (w.url(), w.section_url(SectionKind.HOUSING)):
            response = client.get(path, headers=headers_of(client, user))
            assert HOUSING_GOAL not in response.get_data(as_text=True)
            problem(response, 404)
    problem(client.get(w.url(), headers=headers_of(client, w.colleague)), 403)


# -- writing -----------------------------------------------------------------------------------


def test_create_then_update_with_the_etag(client: FlaskClient, db: Session, world: World) -> None:
    w = world
    url = w.section_url(SectionKind.HOUSING)
    created = client.put(
        url,
        json=body(
            responsible=[str(w.housing.id)], review_on=(TODAY + timedelta(days=9)).isoformat()
        ),
        headers=headers_of(client, w.worker, **{"If-None-Match": "*"}),
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.json["version"] == 1 and created.json["etag"] == etag(created)
    assert created.json["responsible"] == [
        {"id": str(w.housing.id), "name": "Asumispalvelut (fictional)"}
    ]
    assert created.json["updated_by"]["id"] == str(w.worker.id)

    updated = client.put(
        url,
        json=body(goals="Oma asunto keväällä (fictional)", agreement="agreed"),
        headers=headers_of(client, w.worker, **{"If-Match": f'"{etag(created)}"'}),
    )
    assert updated.status_code == 200, updated.get_data(as_text=True)
    assert updated.json["version"] == 2 and etag(updated) != etag(created)
    assert updated.json["responsible"] == [] and updated.json["agreement"] == "agreed"
    stored = db.scalars(
        select(PlanSectionVersion).order_by(PlanSectionVersion.version.desc())
    ).first()
    assert stored is not None and stored.author_id == w.worker.id

    # The same body again saves nothing and answers the current version.
    again = client.put(
        url,
        json=body(goals="Oma asunto keväällä (fictional)", agreement="agreed"),
        headers=headers_of(client, w.worker, **{"If-Match": f'"{etag(updated)}"'}),
    )
    assert again.status_code == 200 and etag(again) == etag(updated)
    assert versions(db, w, SectionKind.HOUSING) == [1, 2]
    read = client.get(url, headers=headers_of(client, w.worker))
    assert read.json["goals"] == "Oma asunto keväällä (fictional)"
    assert etag(read) == etag(updated)

    # Every write is in the client's log, attributed to the worker.
    writes = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == w.record.id,
            AccessLogEntry.action == "write",
            AccessLogEntry.scope == "section:housing",
        )
    ).all()
    assert len(writes) == 2 and {e.actor_user_id for e in writes} == {w.worker.id}


def test_a_stale_or_missing_precondition_changes_nothing(
    client: FlaskClient, db: Session, written: World
) -> None:
    w = written
    url = w.section_url(SectionKind.HOUSING)
    current = etag(client.get(url, headers=headers_of(client, w.worker)))

    stale = client.put(
        url,
        json=body(),
        headers=headers_of(client, w.worker, **{"If-Match": '"not-the-current-one"'}),
    )
    assert problem(stale, 412)["type"].endswith("#problem-stale-version")
    assert etag(stale) == current
    missing = problem(client.put(url, json=body(), headers=headers_of(client, w.worker)), 428)
    assert missing["type"].endswith("#problem-precondition-required")
    exists = client.put(
        url, json=body(), headers=headers_of(client, w.worker, **{"If-None-Match": "*"})
    )
    problem(exists, 412)
    assert etag(exists) == current
    problem(
        client.put(
            w.section_url(SectionKind.OTHER), json=body(), headers=headers_of(client, w.worker)
        ),
        428,
    )
    problem(
        client.put(
            w.section_url(SectionKind.OTHER),
            json=body(),
            headers=headers_of(client, w.worker, **{"If-Match": f'"{current}"'}),
        ),
        412,
    )
    assert versions(db, w, SectionKind.HOUSING) == [1]
    assert versions(db, w, SectionKind.OTHER) == []
    assert client.get(url, headers=headers_of(client, w.worker)).json["goals"] == HOUSING_GOAL


def test_the_same_etag_twice_in_a_row_saves_once(
    client: FlaskClient, db: Session, written: World
) -> None:
    w = written
    url = w.section_url(SectionKind.HOUSING)
    headers = headers_of(client, w.worker)
    seen = etag(client.get(url, headers=headers))
    first = client.put(
        url, json=body(goals="Ensimmäinen (fictional)"), headers=headers | {"If-Match": seen}
    )
    second = client.put(
        url, json=body(goals="Toinen (fictional)"), headers=headers | {"If-Match": seen}
    )
    assert (first.status_code, second.status_code) == (200, 412)
    assert etag(second) == etag(first)
    assert versions(db, w, SectionKind.HOUSING) == [1, 2]
    assert client.get(url, headers=headers).json["goals"] == "Ensimmäinen (fictional)"


@pytest.mark.parametrize(
    ("overrides", "pointers"),
    [
        ({"goals": "   "}, ["#/goals"]),
        ({"goals": "x" * 4001}, ["#/goals"]),
        ({"agreement": "disagreed"}, ["#/client_view", "#/worker_view"]),
        ({"agreement": "maybe"}, ["#/agreement"]),
        ({"responsible": [str(uuid.uuid4())]}, ["#/responsible"]),
        ({"responsible": ["not-an-id"]}, ["#/responsible/0"]),
        ({"review_on": (TODAY - timedelta(days=1)).isoformat()}, ["#/review_on"]),
        ({"colour": "red"}, ["#/colour"]),
    ],
)
def test_an_invalid_section_is_422_with_pointers(
    client: FlaskClient,
    db: Session,
    world: World,
    overrides: dict[str, Any],
    pointers: list[str],
) -> None:
    response = client.put(
        world.section_url(SectionKind.HOUSING),
        json=body(**overrides),
        headers=headers_of(client, world.worker, **{"If-None-Match": "*"}),
    )
    found = problem(response, 422)
    assert sorted(e["pointer"] for e in found["errors"]) == pointers
    assert all(e["detail"] for e in found["errors"])
    assert versions(db, world, SectionKind.HOUSING) == []


def test_every_field_is_required(client: FlaskClient, world: World) -> None:
    response = client.put(
        world.section_url(SectionKind.HOUSING),
        json={"goals": "Oma asunto (fictional)"},
        headers=headers_of(client, world.worker, **{"If-None-Match": "*"}),
    )
    assert sorted(e["pointer"] for e in problem(response, 422)["errors"]) == [
        "#/agreement",
        "#/client_view",
        "#/measures",
        "#/responsible",
        "#/review_on",
        "#/worker_view",
    ]


def test_a_closed_case_cannot_be_written(client: FlaskClient, db: Session, written: World) -> None:
    w = written
    db.get(Case, w.case.id).closed_at = utcnow()  # type: ignore[union-attr]
    db.commit()
    url = w.section_url(SectionKind.HOUSING)
    current = etag(client.get(url, headers=headers_of(client, w.worker)))
    response = client.put(
        url, json=body(), headers=headers_of(client, w.worker, **{"If-Match": current})
    )
    assert problem(response, 409)["type"].endswith("#problem-conflict")
    assert versions(db, w, SectionKind.HOUSING) == [1]


@pytest.mark.parametrize("role", ["client", "partner"])
def test_only_caseworkers_write(
    client: FlaskClient, db: Session, written: World, role: str
) -> None:
    w = written
    user = w.own if role == "client" else w.partner
    url = w.section_url(SectionKind.HOUSING)
    current = etag(client.get(url, headers=headers_of(client, user)))
    problem(
        client.put(url, json=body(), headers=headers_of(client, user, **{"If-Match": current})), 403
    )
    assert versions(db, w, SectionKind.HOUSING) == [1]


def test_a_team_member_writes_too(client: FlaskClient, db: Session, written: World) -> None:
    w = written
    db.add(CaseTeamMember(case_id=w.case.id, user_id=w.colleague.id))
    db.commit()
    url = w.section_url(SectionKind.HOUSING)
    current = etag(client.get(url, headers=headers_of(client, w.colleague)))
    saved = client.put(
        url, json=body(), headers=headers_of(client, w.colleague, **{"If-Match": current})
    )
    assert saved.status_code == 200 and saved.json["updated_by"]["id"] == str(w.colleague.id)


# -- two writers at once, for real -------------------------------------------------------------


@pytest.mark.postgresql_only
@pytest.mark.parametrize("create", [False, True], ids=["update", "create"])
def test_two_writers_with_the_same_etag_one_wins(race_app: Flask, create: bool) -> None:
    from app.extensions import db as flask_db

    with race_app.app_context():
        w = build_world(flask_db.session)
        if not create:
            save(flask_db.session, w, SectionKind.HOUSING, goals=HOUSING_GOAL)
        flask_db.session.commit()
        username, client_id = w.worker.username, w.record.id
        flask_db.session.remove()

    setup = race_app.test_client()
    url = f"/api/v1/clients/{client_id}/plan/sections/housing"
    headers = api_token(setup, username)
    if create:
        precondition = {"If-None-Match": "*"}
    else:
        precondition = {"If-Match": etag(setup.get(url, headers=headers))}
    start = threading.Barrier(2)
    answers: dict[int, Any] = {}

    def write(n: int) -> None:
        browser = race_app.test_client()  # its own client, app context and connection
        start.wait(timeout=30)
        answers[n] = browser.put(
            url, json=body(goals=f"Kirjoittaja {n} (fictional)"), headers=headers | precondition
        )

    writers = [threading.Thread(target=write, args=(n,)) for n in (1, 2)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=60)
    statuses = sorted(a.status_code for a in answers.values())
    assert statuses == [201 if create else 200, 412], [
        a.get_data(as_text=True) for a in answers.values()
    ]
    winner = next(n for n, a in answers.items() if a.status_code < 300)
    loser = next(a for a in answers.values() if a.status_code == 412)
    assert loser.mimetype == PROBLEM

    with race_app.app_context():
        session = flask_db.session
        stored = session.execute(
            select(PlanSectionVersion.version, func.count())
            .join(PlanSection, PlanSection.id == PlanSectionVersion.section_id)
            .where(PlanSection.client_id == client_id)
            .group_by(PlanSectionVersion.version)
        ).all()
        assert stored == ([(1, 1)] if create else [(1, 1), (2, 1)])
        assert session.scalar(select(func.count(PlanSection.id))) == 1
        flask_db.session.remove()
    final = setup.get(url, headers=headers)
    assert final.json["goals"] == f"Kirjoittaja {winner} (fictional)"
    assert etag(loser) == etag(final)
