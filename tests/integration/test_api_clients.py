"""The API's clients, network and information flows: the same people see the same as on the
web pages, and nobody learns that a client outside their reach exists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.i18n import helsinki_today
from app.models import (
    Case,
    CaseTeamMember,
    Client,
    NetworkMember,
    Organisation,
    OrgKind,
    Phase,
    Role,
    User,
)
from app.models.flows import FlowAgreement, FlowChannel, FlowDirection
from app.network import commands as network_service
from app.partner_work.rules import client_reference
from app.security import new_gate
from consent.sections import SectionKind
from sharing.access_log import AccessLogEntry
from tests import factories
from tests.conftest import api_token

TODAY = helsinki_today()
PROBLEM = "application/problem+json"


@dataclass
class World:
    county: Organisation
    worker: User  # the responsible worker
    colleague: User  # same county, no relationship to the case
    foreign_worker: User  # another county
    record: Client
    case: Case
    own: User  # the client's own account
    housing: NetworkMember  # an authority, shared with
    person: NetworkMember  # a close person
    left: NetworkMember  # an NGO that has left the network
    partner: User  # housing staff
    outsider: User  # staff of an organisation never in the network

    @property
    def url(self) -> str:
        return f"/api/v1/clients/{self.record.id}"


@pytest.fixture
def world(db: Session) -> World:
    county = factories.organisation(db, OrgKind.COUNTY, "Kuvitteellinen hyvinvointialue")
    other_county = factories.organisation(db, OrgKind.COUNTY)
    base = factories.county_case(db, name="Kuvitteellinen Kalle", county=county)
    worker, actor, record, case = base.worker, base.actor, base.client, base.case
    colleague = factories.user(db, Role.CASEWORKER, county)
    case.sentence_start = TODAY - timedelta(days=400)
    case.probation_start = TODAY + timedelta(days=30)
    case.probation_end = TODAY + timedelta(days=59)
    db.add(CaseTeamMember(case_id=case.id, user_id=colleague.id, removed_at=factories.now()))
    teammate = factories.user(db, Role.CASEWORKER, county)
    db.add(CaseTeamMember(case_id=case.id, user_id=teammate.id))
    gate = new_gate()
    housing_org = factories.organisation(db, OrgKind.PUBLIC_SERVICE, "Asumispalvelut (fictional)")
    ngo_org = factories.organisation(db, OrgKind.NGO, "Tukiyhdistys ry (fictional)")
    start = TODAY - timedelta(days=20)
    housing = factories.org_member(
        db, actor, case, housing_org.id, role="Asumisneuvonta (fictional)", starts_on=start
    )
    person = factories.person_member(
        db,
        actor,
        case,
        "Sisko Kuvitteellinen",
        role="Sisar (fictional)",
        starts_on=start,
        contact="040 000 0000 (fictional)",
    )
    left = factories.org_member(
        db, actor, case, ngo_org.id, role="Entinen tukihenkilö (fictional)", starts_on=start
    )
    for member, subject in ((housing, "Asunnon tilanne"), (person, "Kuulumiset"), (left, "Vanha")):
        network_service.add_flow(
            db,
            gate,
            actor,
            member=member,
            direction=FlowDirection.BOTH,
            channel=FlowChannel.PHONE,
            subject=f"{subject} (fictional)",
            practice="Kerran kuussa (fictional)",
            agreed_on=start,
            agreed_with_client=True,
        )
    ended_flow = network_service.add_flow(
        db,
        gate,
        actor,
        member=housing,
        direction=FlowDirection.TO_MEMBER,
        channel=FlowChannel.LETTER,
        subject="Päättynyt sopimus (fictional)",
        practice="Ei enää (fictional)",
        agreed_on=start,
        agreed_with_client=True,
    )
    network_service.end_flow(db, ended_flow, by_user_id=worker.id)
    db.flush()
    network_service.end_member(db, gate, left, by_user_id=worker.id)
    factories.consent(db, actor, case, housing, SectionKind.HOUSING, valid_from=TODAY)
    outsider_org = factories.organisation(db, OrgKind.PUBLIC_SERVICE, "Ulkopuolinen (fictional)")
    world = World(
        county,
        worker,
        colleague,
        factories.user(db, Role.CASEWORKER, other_county),
        record,
        case,
        factories.user(db, Role.CLIENT, client=record),
        housing,
        person,
        left,
        factories.user(db, Role.PARTNER, housing_org),
        factories.user(db, Role.PARTNER, outsider_org),
    )
    db.commit()
    return world


def problem(response, status: int) -> dict:  # type: ignore[no-untyped-def, type-arg]
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body: dict = response.json  # type: ignore[type-arg]
    assert body["status"] == status
    return body


def headers_of(client: FlaskClient, user: User) -> dict[str, str]:
    return api_token(client, user.username)


# -- the caseload ------------------------------------------------------------------------------


def test_the_caseload_lists_the_county_s_clients_with_names(
    client: FlaskClient, db: Session, world: World
) -> None:
    factories.client(db, world.foreign_worker.organisation, name="Vieras Kuvitteellinen")  # type: ignore[arg-type]
    db.commit()
    page = client.get("/api/v1/clients", headers=headers_of(client, world.colleague)).json
    assert page["total"] == 1 and page["pages"] == 1
    (item,) = page["items"]
    assert item == {
        "id": str(world.record.id),
        "name": "Kuvitteellinen Kalle",
        "phase": "assessment",
        "sentence_start": world.case.sentence_start.isoformat(),  # type: ignore[union-attr]
        "conditional_release": world.case.conditional_release.isoformat(),  # type: ignore[union-attr]
        "probation_start": world.case.probation_start.isoformat(),  # type: ignore[union-attr]
        "probation_end": world.case.probation_end.isoformat(),  # type: ignore[union-attr]
        "responsible_worker": {
            "id": str(world.worker.id),
            "display_name": world.worker.display_name,
        },
        "opened_at": item["opened_at"],
        "closed_at": None,
    }
    # The names were read for the list only, and the read is in the client's log.
    entry = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == world.record.id,
            AccessLogEntry.actor_user_id == world.colleague.id,
        )
    ).one()
    assert (entry.purpose, entry.scope, entry.allowed) == ("list", "name", True)


@pytest.mark.parametrize("role", ["client", "partner"])
def test_only_caseworkers_have_a_caseload(client: FlaskClient, world: World, role: str) -> None:
    user = world.own if role == "client" else world.partner
    problem(client.get("/api/v1/clients", headers=headers_of(client, user)), 403)


def test_the_caseload_is_filtered_and_paged(client: FlaskClient, db: Session, world: World) -> None:
    other = factories.user(db, Role.CASEWORKER, world.county)
    for days, phase, worker in (
        (10, Phase.RELEASE, world.worker),
        (20, Phase.RELEASE, other),
        (30, Phase.NETWORK, world.worker),
        (40, Phase.RELEASE, None),
    ):
        factories.client(
            db,
            world.county,
            name=f"Kuvitteellinen {days}",
            phase=phase,
            worker=worker,
            release_in_days=days,
        )
    db.commit()
    headers = headers_of(client, world.worker)

    def names(query: str) -> list[str]:
        response = client.get(f"/api/v1/clients?{query}", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [item["name"] for item in response.json["items"]]

    day = TODAY.isoformat
    assert names("phase=release") == [
        "Kuvitteellinen 10",
        "Kuvitteellinen 20",
        "Kuvitteellinen 40",
    ]
    window = f"release_from={(TODAY + timedelta(days=20)).isoformat()}"
    window += f"&release_to={(TODAY + timedelta(days=40)).isoformat()}"  # inclusive ends
    # Kalle leaves on probationary liberty in 30 days (the release day every page shows);
    # two cases on one day are in the order of their ids.
    in_window = names(window)
    assert in_window[0] == "Kuvitteellinen 20" and in_window[-1] == "Kuvitteellinen 40"
    assert sorted(in_window[1:3]) == ["Kuvitteellinen 30", "Kuvitteellinen Kalle"]
    assert names(f"{window}&phase=release") == ["Kuvitteellinen 20", "Kuvitteellinen 40"]
    assert names(f"release_to={day()}") == []
    mine = names("responsible=me")
    assert mine[0] == "Kuvitteellinen 10"
    assert sorted(mine[1:]) == ["Kuvitteellinen 30", "Kuvitteellinen Kalle"]  # both on day 30

    first = client.get("/api/v1/clients?per_page=2", headers=headers).json
    assert (first["total"], first["pages"], first["page"], len(first["items"])) == (5, 3, 1, 2)
    last = client.get("/api/v1/clients?per_page=2&page=3", headers=headers).json
    assert [i["name"] for i in last["items"]] == ["Kuvitteellinen 40"]
    beyond = client.get("/api/v1/clients?per_page=2&page=4", headers=headers).json
    assert (beyond["items"], beyond["page"], beyond["total"]) == ([], 4, 5)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("phase=asleep", "phase"),
        ("release_from=tomorrow", "release_from"),
        ("release_from=2030-01-02&release_to=2030-01-01", "release_to"),
        ("responsible=you", "responsible"),
        ("county=all", "county"),
    ],
)
def test_a_bad_caseload_query_names_its_parameter(
    client: FlaskClient, world: World, query: str, parameter: str
) -> None:
    response = client.get(f"/api/v1/clients?{query}", headers=headers_of(client, world.worker))
    assert [e["parameter"] for e in problem(response, 422)["errors"]] == [parameter]


def test_the_caseload_runs_a_fixed_number_of_queries(
    client: FlaskClient, db: Session, world: World, sql_count: list[str]
) -> None:
    headers = headers_of(client, world.worker)

    def queries() -> int:
        sql_count.clear()
        response = client.get("/api/v1/clients?per_page=100", headers=headers)
        assert response.status_code == 200
        return len(sql_count)

    with_one = queries()
    for n in range(30):
        factories.client(db, world.county, name=f"Kuvitteellinen {n}", worker=world.worker)
    db.commit()
    assert queries() == with_one


# -- one client ------------------------------------------------------------------------------


def test_the_caseworker_gets_the_whole_overview(client: FlaskClient, world: World) -> None:
    response = client.get(world.url, headers=headers_of(client, world.worker))
    assert response.status_code == 200
    body = response.json
    assert body["name"] == "Kuvitteellinen Kalle" and body["phase"] == "assessment"
    assert body["sentence_start"] == world.case.sentence_start.isoformat()  # type: ignore[union-attr]
    assert body["probation_end"] == world.case.probation_end.isoformat()  # type: ignore[union-attr]
    assert body["responsible_worker"]["id"] == str(world.worker.id)
    (teammate,) = body["case_team"]  # the colleague removed from the team is not in it
    assert teammate["id"] != str(world.colleague.id) and teammate["display_name"]
    assert body["closed_at"] is None and body["opened_at"]
    assert "reference" not in body


def test_the_client_gets_what_their_home_page_shows(client: FlaskClient, world: World) -> None:
    body = client.get(world.url, headers=headers_of(client, world.own)).json
    assert body == {
        "id": str(world.record.id),
        "name": "Kuvitteellinen Kalle",
        "phase": "assessment",
        "conditional_release": world.case.conditional_release.isoformat(),  # type: ignore[union-attr]
        "responsible_worker": {
            "id": str(world.worker.id),
            "display_name": world.worker.display_name,
        },
    }


def test_a_partner_gets_only_the_name_and_its_reference(client: FlaskClient, world: World) -> None:
    body = client.get(world.url, headers=headers_of(client, world.partner)).json
    assert body == {
        "id": str(world.record.id),
        "name": "Kuvitteellinen Kalle",
        "reference": client_reference(
            world.record.id,
            world.partner.organisation_id,  # type: ignore[arg-type]
        ),
    }


def test_out_of_reach_is_404_and_a_colleague_without_relationship_403(
    client: FlaskClient, db: Session, world: World
) -> None:
    other, _ = factories.client(db, world.county, name="Toinen Kuvitteellinen")
    db.commit()
    for user, path in (
        (world.foreign_worker, world.url),  # another county's client
        (world.outsider, world.url),  # an organisation never in the network
        (world.own, f"/api/v1/clients/{other.id}"),  # another client
        (world.worker, "/api/v1/clients/00000000-0000-0000-0000-000000000000"),
    ):
        body = problem(client.get(path, headers=headers_of(client, user)), 404)
        assert "Kalle" not in str(body)
    refused = problem(client.get(world.url, headers=headers_of(client, world.colleague)), 403)
    assert "work-task reason" in refused["detail"]
    denied = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == world.record.id,
            AccessLogEntry.actor_user_id == world.foreign_worker.id,
        )
    ).one()
    assert denied.allowed is False


# -- the network and its flows ---------------------------------------------------------------


def test_the_caseworker_sees_the_whole_network(client: FlaskClient, world: World) -> None:
    response = client.get(f"{world.url}/network", headers=headers_of(client, world.worker))
    assert response.status_code == 200
    members = {m["id"]: m for m in response.json["members"]}
    housing = members[str(world.housing.id)]
    assert housing["organisation"]["name"] == "Asumispalvelut (fictional)"
    assert housing["organisation"]["kind"] == "public_service"
    assert (housing["person_name"], housing["role"]) == (None, "Asumisneuvonta (fictional)")
    assert housing["status"] == "active" and housing["ended_at"] is None
    assert housing["confidentiality_commitment"] == {"needed": False, "committed_on": None}
    person = members[str(world.person.id)]
    assert person["kind"] == "close_person" and person["organisation"] is None
    assert person["person_name"] == "Sisko Kuvitteellinen"
    assert person["contact"] == "040 000 0000 (fictional)"
    assert person["confidentiality_commitment"]["needed"] is True
    left = members[str(world.left.id)]
    assert left["status"] == "ended" and left["role"] == "Entinen tukihenkilö (fictional)"


def test_the_client_sees_their_network_as_my_network_shows_it(
    client: FlaskClient, world: World
) -> None:
    response = client.get(f"{world.url}/network", headers=headers_of(client, world.own))
    members = {m["id"]: m for m in response.json["members"]}
    assert members[str(world.person.id)]["contact"] == "040 000 0000 (fictional)"
    assert all("confidentiality_commitment" not in m for m in members.values())
    left = members[str(world.left.id)]
    assert left["organisation"]["name"] == "Tukiyhdistys ry (fictional)"
    assert (left["role"], left["contact"], left["status"]) == (None, None, "ended")
    assert "Entinen tukihenkilö" not in response.get_data(as_text=True)


def test_partners_and_strangers_do_not_see_the_network(client: FlaskClient, world: World) -> None:
    for path in ("network", "flows"):
        problem(client.get(f"{world.url}/{path}", headers=headers_of(client, world.partner)), 403)
        problem(
            client.get(f"{world.url}/{path}", headers=headers_of(client, world.foreign_worker)),
            404,
        )


def test_the_caseworker_sees_every_flow_and_can_filter(client: FlaskClient, world: World) -> None:
    headers = headers_of(client, world.worker)
    page = client.get(f"{world.url}/flows", headers=headers).json
    assert page["total"] == 4
    subjects = {f["subject"]: f for f in page["items"]}
    ended = subjects["Päättynyt sopimus (fictional)"]
    assert ended["ended_at"] is not None and ended["direction"] == "to_member"
    assert ended["member"] == {
        "id": str(world.housing.id),
        "name": "Asumispalvelut (fictional)",
        "kind": "public_service",
    }
    assert subjects["Vanha (fictional)"]["ended_at"] is not None  # ended with its member
    housing = subjects["Asunnon tilanne (fictional)"]
    assert (housing["channel"], housing["practice"]) == ("phone", "Kerran kuussa (fictional)")
    assert housing["agreed_on"] == (TODAY - timedelta(days=20)).isoformat()

    active = client.get(f"{world.url}/flows?active=true", headers=headers).json
    assert {f["subject"] for f in active["items"]} == {
        "Asunnon tilanne (fictional)",
        "Kuulumiset (fictional)",
    }
    mine = client.get(f"{world.url}/flows?member_id={world.housing.id}", headers=headers).json
    assert mine["total"] == 2
    first = client.get(f"{world.url}/flows?per_page=3", headers=headers).json
    second = client.get(f"{world.url}/flows?per_page=3&page=2", headers=headers).json
    assert (first["pages"], len(first["items"]), len(second["items"])) == (2, 3, 1)
    assert {f["id"] for f in first["items"] + second["items"]} == {f["id"] for f in page["items"]}
    problem(client.get(f"{world.url}/flows?active=maybe", headers=headers), 422)


def test_the_client_sees_the_flows_in_force(client: FlaskClient, db: Session, world: World) -> None:
    page = client.get(f"{world.url}/flows", headers=headers_of(client, world.own)).json
    assert sorted(f["subject"] for f in page["items"]) == [
        "Asunnon tilanne (fictional)",
        "Kuulumiset (fictional)",
    ]
    assert all(f["ended_at"] is None for f in page["items"])
    assert db.scalar(select(FlowAgreement).where(FlowAgreement.member_id == world.left.id))
    read = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == world.record.id,
            AccessLogEntry.actor_user_id == world.own.id,
        )
    ).all()
    assert read and all(e.purpose == "own_data" and e.allowed for e in read)


def test_a_member_of_another_case_is_never_listed(
    client: FlaskClient, db: Session, world: World
) -> None:
    _, other_case = factories.client(db, world.county, name="Toinen", worker=world.worker)
    outsider_org = db.get(Organisation, world.outsider.organisation_id)
    factories.member(db, other_case, outsider_org, starts_on=TODAY)
    db.commit()
    body = client.get(f"{world.url}/network", headers=headers_of(client, world.worker)).json
    assert len(body["members"]) == 3
