"""Partner systems: what is shared now, updates to the worker, notices; the client's log."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.commands import revoke_consent
from app.i18n import helsinki_today
from app.models import (
    Case,
    Client,
    NetworkMember,
    Organisation,
    Role,
)
from app.models.partner import PartnerUpdate, RevocationNotice
from app.partner_work.rules import client_reference
from app.plan.content import SectionContent
from app.security import new_gate
from consent.models import Consent
from consent.sections import SectionKind
from sharing.access_log import AccessLogEntry
from tests import factories
from tests.conftest import api_token
from tests.integration.test_partner_portal import World, make_world

PROBLEM = "application/problem+json"
UNTIL = helsinki_today() + timedelta(days=90)
HOUSING_TEXT = "Oma vuokra-asunto (fictional)"
UPDATE_TEXT = "Asuntotarjous lähetetty asiakkaalle (fictional)"


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)


def add_member(db: Session, case: Case, org: Organisation) -> NetworkMember:
    return factories.member(db, case, org, starts_on=helsinki_today() - timedelta(days=30))


def grant(
    db: Session, w: World, case: Case, member: NetworkMember, *sections: SectionKind
) -> Consent:
    return factories.consent(db, w.worker_actor, case, member, *sections, valid_until=UNTIL)


def shared_client(
    db: Session, w: World, name: str, *sections: SectionKind
) -> tuple[Client, Case, Consent]:
    record, case = factories.client(db, w.county, name=name, worker=w.worker)
    consent = grant(db, w, case, add_member(db, case, w.housing), *sections)
    return record, case, consent


def assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    return dict(response.json)


# -- what is shared ---------------------------------------------------------------------------


def test_shared_lists_only_clients_with_a_share_now(
    client: FlaskClient, db: Session, world: World
) -> None:
    shared, _, _ = shared_client(
        db, world, "Kuvitteellinen Jaettu", SectionKind.HOUSING, SectionKind.LIVELIHOOD
    )
    _, member_only = factories.client(db, world.county, name="Kuvitteellinen Jäsen")
    add_member(db, member_only, world.housing)
    _, _, revoked = shared_client(db, world, "Kuvitteellinen Peruttu", SectionKind.HEALTH)
    revoke_consent(db, new_gate(), world.worker_actor, revoked, receipt=None)
    factories.client(db, world.county, name="Kuvitteellinen Vieras")
    db.commit()

    page = client.get("/api/v1/shared", headers=api_token(client, world.partner.username))
    assert page.status_code == 200, page.get_data(as_text=True)
    assert page.json["total"] == 1
    (item,) = page.json["items"]
    assert item["client_id"] == str(shared.id) and item["name"] == "Kuvitteellinen Jaettu"
    assert item["sections"] == ["housing", "livelihood"] and item["until"] == UNTIL.isoformat()
    assert item["bases"] == [
        {
            "kind": "consent",
            "sections": ["housing", "livelihood"],
            "until": UNTIL.isoformat(),
            "provision": None,
        }
    ]
    assert item["reference"] == client_reference(shared.id, world.housing.id)
    # The names were read through the gate, as the partner.
    reads = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == shared.id,
            AccessLogEntry.scope == "name",
            AccessLogEntry.actor_role == "partner",
        )
    ).all()
    assert [(e.actor_role, e.organisation_id, e.allowed) for e in reads] == [
        ("partner", world.housing.id, True)
    ]

    beyond = client.get(
        "/api/v1/shared?page=2", headers=api_token(client, world.partner.username)
    ).json
    assert (beyond["items"], beyond["total"], beyond["pages"]) == ([], 1, 1)
    outsider = client.get("/api/v1/shared", headers=api_token(client, world.outsider.username))
    assert outsider.json["total"] == 0
    assert_problem(
        client.get("/api/v1/shared", headers=api_token(client, world.worker.username)), 403
    )


# -- updates ----------------------------------------------------------------------------------


def test_a_partner_sends_an_update_and_the_caseworker_reads_it(
    client: FlaskClient, db: Session, world: World
) -> None:
    record, case, consent = shared_client(db, world, "Kuvitteellinen Jaettu", SectionKind.HOUSING)
    member = db.get(NetworkMember, consent.member_id)
    assert member is not None
    factories.agreed_updates(db, world.worker_actor, case, member)
    db.commit()
    partner = api_token(client, world.partner.username)
    path = f"/api/v1/clients/{record.id}/updates"
    sent = client.post(path, json={"kind": "housing_offer", "text": UPDATE_TEXT}, headers=partner)
    assert sent.status_code == 201, sent.get_data(as_text=True)
    assert sent.json["kind"] == "housing_offer" and sent.json["text"] is None
    assert sent.json["author"] == world.partner.display_name
    assert sent.json["organisation"] == {
        "id": str(world.housing.id),
        "name": "Kuvitteellinen asuntotoimisto",
    }
    stored = db.scalars(select(PartnerUpdate)).one()
    assert (stored.case_id, stored.author_id) == (case.id, world.partner.id)
    assert UPDATE_TEXT.encode() not in (stored.text_ct or b"")

    mine = client.get(path, headers=partner).json
    assert [(u["id"], u["text"]) for u in mine["items"]] == [(sent.json["id"], None)]

    worker = client.get(path, headers=api_token(client, world.worker.username))
    assert worker.status_code == 200, worker.get_data(as_text=True)
    (update,) = worker.json["items"]
    assert (update["text"], update["kind"], update["author"]) == (
        UPDATE_TEXT,
        "housing_offer",
        world.partner.display_name,
    )
    assert update["organisation"]["name"] == "Kuvitteellinen asuntotoimisto"


@pytest.mark.parametrize(
    ("data", "pointer"),
    [
        ({"kind": "gossip", "text": UPDATE_TEXT}, "#/kind"),
        ({"kind": "concern", "text": "   "}, "#/text"),
        ({"kind": "concern", "text": "x" * 2001}, "#/text"),
        ({"kind": "concern"}, "#/text"),
        ({"kind": "concern", "text": UPDATE_TEXT, "urgent": True}, "#/urgent"),
    ],
)
def test_an_invalid_update_names_the_field(
    client: FlaskClient, db: Session, world: World, data: dict, pointer: str
) -> None:
    record, _, _ = shared_client(db, world, "Kuvitteellinen Jaettu", SectionKind.HOUSING)
    db.commit()
    response = client.post(
        f"/api/v1/clients/{record.id}/updates",
        json=data,
        headers=api_token(client, world.partner.username),
    )
    assert [e["pointer"] for e in assert_problem(response, 422)["errors"]] == [pointer]
    assert db.scalars(select(PartnerUpdate)).first() is None


def test_updates_follow_reach(client: FlaskClient, db: Session, world: World) -> None:
    record, _, consent = shared_client(db, world, "Kuvitteellinen Jaettu", SectionKind.HOUSING)
    unshared, unshared_case = factories.client(db, world.county, name="Kuvitteellinen Jäsen")
    add_member(db, unshared_case, world.housing)
    client_user = factories.user(db, Role.CLIENT, client=record)
    db.commit()
    update = {"kind": "concern", "text": UPDATE_TEXT}
    outsider = api_token(client, world.outsider.username)
    partner = api_token(client, world.partner.username)
    assert_problem(
        client.post(f"/api/v1/clients/{record.id}/updates", json=update, headers=outsider), 404
    )
    assert_problem(client.get(f"/api/v1/clients/{record.id}/updates", headers=outsider), 404)
    assert_problem(
        client.post(f"/api/v1/clients/{unshared.id}/updates", json=update, headers=partner), 404
    )
    assert_problem(
        client.post(f"/api/v1/clients/{uuid.uuid4()}/updates", json=update, headers=partner), 404
    )
    own = api_token(client, client_user.username)
    assert_problem(client.get(f"/api/v1/clients/{record.id}/updates", headers=own), 403)
    worker = api_token(client, world.worker.username)
    assert_problem(
        client.post(f"/api/v1/clients/{record.id}/updates", json=update, headers=worker), 403
    )
    # Once the consent is revoked the organisation's access has ended: it is told so.
    revoke_consent(db, new_gate(), world.worker_actor, db.get(Consent, consent.id), receipt=None)  # type: ignore[arg-type]
    db.commit()
    ended = client.post(f"/api/v1/clients/{record.id}/updates", json=update, headers=partner)
    assert_problem(ended, 403)
    assert db.scalars(select(PartnerUpdate)).first() is None


# -- revocation notices -----------------------------------------------------------------------


def test_a_revocation_notice_is_listed_and_confirmed_once(
    client: FlaskClient, db: Session, world: World
) -> None:
    record, _, consent = shared_client(db, world, "Kuvitteellinen Jaettu", SectionKind.HOUSING)
    revoke_consent(db, new_gate(), world.worker_actor, consent, receipt=None)
    db.commit()
    partner = api_token(client, world.partner.username)
    listed = client.get("/api/v1/notices", headers=partner).json
    (notice,) = listed["items"]
    assert (notice["sections"], notice["reason"]) == (["housing"], "revoked")
    assert notice["reference"] == client_reference(record.id, world.housing.id)
    assert notice["granted_on"] == helsinki_today().isoformat()

    outsider = api_token(client, world.outsider.username)
    assert client.get("/api/v1/notices", headers=outsider).json["items"] == []
    assert_problem(client.post(f"/api/v1/notices/{notice['id']}/confirm", headers=outsider), 404)

    done = client.post(f"/api/v1/notices/{notice['id']}/confirm", headers=partner)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.json["already_confirmed"] is False and done.json["confirmed_at"]
    stored = db.get(RevocationNotice, uuid.UUID(notice["id"]))
    assert stored is not None and stored.confirmed_by_id == world.partner.id
    again = client.post(f"/api/v1/notices/{notice['id']}/confirm", headers=partner)
    assert again.json["already_confirmed"] is True
    assert client.get("/api/v1/notices", headers=partner).json["total"] == 0


# -- the client's access log ------------------------------------------------------------------


def test_the_client_sees_the_partners_api_read_in_their_log(
    client: FlaskClient, db: Session, world: World
) -> None:
    record, case, consent = shared_client(db, world, "Kuvitteellinen Jaettu", SectionKind.HOUSING)
    factories.plan_section(
        db, world.worker_actor, case, SectionKind.HOUSING, SectionContent(goals=HOUSING_TEXT)
    )
    own = factories.user(db, Role.CLIENT, client=record)
    db.commit()
    plan = client.get(
        f"/api/v1/clients/{record.id}/plan", headers=api_token(client, world.partner.username)
    )
    assert plan.status_code == 200, plan.get_data(as_text=True)
    assert HOUSING_TEXT in plan.get_data(as_text=True)

    headers = api_token(client, own.username)
    log = client.get(f"/api/v1/clients/{record.id}/access-log", headers=headers)
    assert log.status_code == 200, log.get_data(as_text=True)
    reads = [e for e in log.json["items"] if e["role"] == "partner" and e["section"] == "housing"]
    assert reads, log.json
    entry = reads[0]
    assert entry["who"] == "Kuvitteellinen asuntotoimisto"
    assert (entry["action"], entry["allowed"], entry["basis"]) == ("read", True, "consent")
    assert entry["scope"] == "section:housing" and entry["you"] is False
    # By default the county shows neither staff names nor exact times.
    assert entry["staff_name"] is None and entry["at"] is None
    assert entry["date"] == helsinki_today().isoformat()
    # The client's own use is left out unless asked for.
    assert not [e for e in log.json["items"] if e["you"]]
    assert consent.id  # the read's basis is the consent granted above


def test_the_log_is_the_clients_own_only(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    record, _, _ = shared_client(db, world, "Kuvitteellinen Kalle", SectionKind.HOUSING)
    other, _ = factories.client(db, world.county, name="Kuvitteellinen Ville")
    own = factories.user(db, Role.CLIENT, client=record)
    db.commit()
    path = f"/api/v1/clients/{record.id}/access-log"
    for user in (world.worker, world.partner):
        assert_problem(client.get(path, headers=api_token(client, user.username)), 403)
    headers = api_token(client, own.username)
    assert_problem(client.get(f"/api/v1/clients/{other.id}/access-log", headers=headers), 404)
    # The refused attempt is in the other client's log, not in mine.
    refused = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == other.id, AccessLogEntry.actor_user_id == own.id
        )
    ).all()
    assert [e.allowed for e in refused] == [False]
    # My own reading (of my consents here) is left out unless asked for.
    assert client.get(f"/api/v1/clients/{record.id}/consents", headers=headers).status_code == 200
    assert not [e for e in client.get(path, headers=headers).json["items"] if e["you"]]
    mine = client.get(f"{path}?include_own=true", headers=headers).json["items"]
    assert [(e["role"], e["who"], e["scope"]) for e in mine if e["you"]] == [
        ("client", None, "basic")
    ]
    bad = assert_problem(client.get(f"{path}?per_page=101", headers=headers), 422)
    assert [e["parameter"] for e in bad["errors"]] == ["per_page"]


def test_the_log_shows_names_and_times_when_the_settings_say_so(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    record, _, _ = shared_client(db, world, "Kuvitteellinen Jaettu", SectionKind.HOUSING)
    own = factories.user(db, Role.CLIENT, client=record)
    db.commit()
    client.get("/api/v1/shared", headers=api_token(client, world.partner.username))
    settings = app.extensions["tukiverkko.settings"]
    shown = type(settings)(
        **{**settings.__dict__, "log_show_staff_names": True, "log_show_exact_times": True}
    )
    app.extensions["tukiverkko.settings"] = shown
    try:
        log = client.get(
            f"/api/v1/clients/{record.id}/access-log", headers=api_token(client, own.username)
        ).json["items"]
    finally:
        app.extensions["tukiverkko.settings"] = settings
    (read,) = [e for e in log if e["role"] == "partner"]
    assert read["staff_name"] == world.partner.display_name and read["scope"] == "name"
    assert date.fromisoformat(read["at"][:10]) and read["at"].endswith("+00:00")
