"""Consents through the API: the consent pages' rules, receipts, and If-Match on revocation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.commands import (
    amend_consent,
    record_statutory_disclosure,
    revoke_consent,
)
from app.consents.receipts import open_receipts
from app.consents.rules import Change
from app.consents.texts import FIRST_VERSION
from app.i18n import helsinki_today
from app.models import (
    Case,
    Client,
    NetworkMember,
    OrgKind,
    Role,
    User,
)
from app.models.partner import RevocationNotice
from app.models.receipt import ConsentReceipt, ReceiptAction
from app.plan.content import SectionContent
from app.security import new_gate
from consent.base import utcnow
from consent.facts import Actor
from consent.models import Consent, ConsentState, GivenHow
from consent.sections import SectionKind
from consent.service import ConsentTerms
from tests import factories
from tests.conftest import api_token

PROBLEM = "application/problem+json"
PURPOSE = "Asunnon järjestäminen vapautumiseen (fictional)"
HOUSING_TEXT = "Oma vuokra-asunto (fictional)"


@dataclass
class World:
    worker: User
    worker_actor: Actor
    client: Client
    case: Case
    user: User  # the client's own login
    housing: NetworkMember  # an authority
    partner: User  # the housing office's staff
    ngo: NetworkMember  # not an authority, no confidentiality commitment
    other: Client  # another client of the same worker
    other_user: User
    other_member: NetworkMember


def add_member(db: Session, case: Case, org_kind: OrgKind) -> NetworkMember:
    org = factories.organisation(db, org_kind)
    return factories.member(db, case, org, starts_on=helsinki_today() - timedelta(days=10))


@pytest.fixture
def world(db: Session) -> World:
    base = factories.county_case(db, name="Kuvitteellinen Kalle")
    county, worker, case = base.county, base.worker, base.case
    user = factories.user(db, Role.CLIENT, client=base.client)
    housing = add_member(db, case, OrgKind.PUBLIC_SERVICE)
    partner = factories.user(db, Role.PARTNER, db.get(type(county), housing.organisation_id))
    ngo = add_member(db, case, OrgKind.NGO)
    factories.plan_section(
        db, base.actor, case, SectionKind.HOUSING, SectionContent(goals=HOUSING_TEXT)
    )
    other, other_case = factories.client(db, county, name="Kuvitteellinen Ville", worker=worker)
    other_user = factories.user(db, Role.CLIENT, client=other)
    other_member = add_member(db, other_case, OrgKind.PUBLIC_SERVICE)
    db.commit()
    return World(
        worker,
        base.actor,
        base.client,
        case,
        user,
        housing,
        partner,
        ngo,
        other,
        other_user,
        other_member,
    )


def grant(db: Session, w: World, member: NetworkMember, case: Case | None = None) -> uuid.UUID:
    consent = factories.consent(
        db, w.worker_actor, case or w.case, member, SectionKind.HOUSING, purpose_text=PURPOSE
    )
    db.commit()
    return consent.id


def body(member_id: uuid.UUID, /, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "member_id": str(member_id),
        "sections": ["housing"],
        "purpose_text": PURPOSE,
        "valid_until": (helsinki_today() + timedelta(days=30)).isoformat(),
        "given_how": "written",
        "information_text_version": FIRST_VERSION,
        "confirmed": True,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def url(w: World, rest: str = "") -> str:
    return f"/api/v1/clients/{w.client.id}/consents{rest}"


def assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    return dict(response.json)


def if_match(headers: dict[str, str], etag: str) -> dict[str, str]:
    return {**headers, "If-Match": f'"{etag}"'}


def state_of(db: Session, consent_id: uuid.UUID) -> ConsentState:
    db.expire_all()
    consent = db.get(Consent, consent_id)
    assert consent is not None
    return consent.state


# -- the caseworker ---------------------------------------------------------------------------


def test_a_caseworker_records_and_revokes_and_the_partner_loses_access(
    client: FlaskClient, db: Session, world: World
) -> None:
    worker, partner = (
        api_token(client, world.worker.username),
        api_token(client, world.partner.username),
    )
    assert client.get("/api/v1/shared", headers=partner).json["total"] == 0

    created = client.post(url(world), json=body(world.housing.id), headers=worker)
    assert created.status_code == 201, created.get_data(as_text=True)
    consent = created.json
    assert created.headers["Location"].endswith(url(world, f"/{consent['id']}"))
    assert created.headers["ETag"] == f'"{consent["etag"]}"'
    assert consent["state"] == "live" and consent["given_how"] == "written"
    assert consent["sections"] == ["housing"] and consent["purpose_text"] == PURPOSE
    assert consent["recorded_by"]["id"] == str(world.worker.id)
    assert consent["member"]["id"] == str(world.housing.id)

    shown = client.get(url(world, f"/{consent['id']}"), headers=worker)
    assert shown.status_code == 200 and shown.json == consent
    assert shown.headers["ETag"] == created.headers["ETag"]
    listed = client.get(url(world), headers=worker).json
    assert [c["id"] for c in listed["items"]] == [consent["id"]]

    shared = client.get("/api/v1/shared", headers=partner).json
    assert [c["client_id"] for c in shared["items"]] == [str(world.client.id)]
    assert client.get(f"/api/v1/clients/{world.client.id}/plan", headers=partner).status_code == 200

    revoked = client.post(
        url(world, f"/{consent['id']}/revoke"), headers=if_match(worker, consent["etag"])
    )
    assert revoked.status_code == 200, revoked.get_data(as_text=True)
    assert revoked.json["state"] == "revoked" and revoked.json["ended_at"]
    assert revoked.json["ended_by"]["id"] == str(world.worker.id)
    assert revoked.headers["ETag"] == f'"{revoked.json["etag"]}"' != created.headers["ETag"]
    assert state_of(db, uuid.UUID(consent["id"])) is ConsentState.REVOKED

    assert client.get("/api/v1/shared", headers=partner).json["total"] == 0
    plan = client.get(f"/api/v1/clients/{world.client.id}/plan", headers=partner)
    assert_problem(plan, 403)  # the organisation's access has ended
    # The partner is asked to confirm it keeps no copy; the client gets a receipt of each change.
    assert db.scalar(
        select(RevocationNotice).where(RevocationNotice.consent_id == uuid.UUID(consent["id"]))
    )
    receipts = db.scalars(select(ConsentReceipt).order_by(ConsentReceipt.created_at)).all()
    assert [(r.action, r.created_by_id) for r in receipts] == [
        (ReceiptAction.GRANT, world.worker.id),
        (ReceiptAction.REVOKE, world.worker.id),
    ]


def test_the_list_shows_current_and_ended_consents_with_their_states(
    client: FlaskClient, db: Session, world: World
) -> None:
    first = grant(db, world, world.housing)
    db.get(NetworkMember, world.ngo.id).confidentiality_committed_on = helsinki_today()  # type: ignore[union-attr]
    second = grant(db, world, world.ngo)
    revoke_consent(db, new_gate(), world.worker_actor, db.get(Consent, first), receipt=None)  # type: ignore[arg-type]
    db.commit()
    for username in (world.worker.username, world.user.username):
        headers = api_token(client, username)
        items = client.get(url(world), headers=headers).json["items"]
        assert [(c["id"], c["state"]) for c in items] == [
            (str(second), "live"),
            (str(first), "revoked"),
        ]
        live = client.get(url(world) + "?state=live&state=upcoming", headers=headers).json
        assert [c["id"] for c in live["items"]] == [str(second)]
        one = client.get(url(world) + "?per_page=1&page=2", headers=headers).json
        assert (one["total"], one["pages"], [c["id"] for c in one["items"]]) == (
            2,
            2,
            [str(first)],
        )


def test_statutory_disclosures_are_listed_for_the_caseworker_and_the_client(
    client: FlaskClient, db: Session, world: World
) -> None:
    record_statutory_disclosure(
        db,
        new_gate(),
        world.worker_actor,
        case=world.case,
        member_id=world.housing.id,
        sections=frozenset({SectionKind.HOUSING}),
        provision="Sosiaalihuoltolaki (1301/2014) 41 §",
        justification="Kiireellinen asuminen (fictional)",
        valid_from=helsinki_today(),
        valid_until=None,
    )
    db.commit()
    for username in (world.worker.username, world.user.username):
        items = client.get(
            f"/api/v1/clients/{world.client.id}/disclosures",
            headers=api_token(client, username),
        ).json["items"]
        assert [(d["provision"], d["justification"], d["state"]) for d in items] == [
            ("Sosiaalihuoltolaki (1301/2014) 41 §", "Kiireellinen asuminen (fictional)", "live")
        ]
        assert items[0]["decided_by"]["id"] == str(world.worker.id)


# -- the client's own token -------------------------------------------------------------------


def receipt_data(db: Session, w: World, receipt: ConsentReceipt) -> dict:  # type: ignore[type-arg]
    actor = factories.actor(w.user)
    return open_receipts(new_gate(), actor, [receipt])[0]


def test_the_client_gives_and_withdraws_a_consent_with_a_receipt_each(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = api_token(client, world.user.username)
    assert client.get("/api/v1/me", headers=headers).json["client_id"] == str(world.client.id)
    given = body(world.housing.id, given_how=None)
    created = client.post(url(world), json=given, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    consent_id = uuid.UUID(created.json["id"])
    assert created.json["given_how"] == "electronic"
    assert created.json["valid_from"] == helsinki_today().isoformat()
    assert created.json["recorded_by"]["id"] == str(world.user.id)

    receipt = db.scalars(select(ConsentReceipt)).one()
    assert (receipt.action, receipt.consent_id, receipt.created_by_id) == (
        ReceiptAction.GRANT,
        consent_id,
        world.user.id,
    )
    data = receipt_data(db, world, receipt)
    assert data["collectionMethod"] == "Given electronically by you in Tukiverkko"
    assert data["tukiverkko"]["sections"] == ["housing"]
    assert data["policyUrl"].endswith(f"/my/consents/information/{FIRST_VERSION}?lang=en")
    assert data["services"][0]["purposes"][0]["purpose"] == PURPOSE

    revoked = client.post(
        url(world, f"/{consent_id}/revoke"), headers=if_match(headers, created.json["etag"])
    )
    assert revoked.status_code == 200, revoked.get_data(as_text=True)
    assert revoked.json["state"] == "revoked"
    receipts = db.scalars(select(ConsentReceipt).order_by(ConsentReceipt.created_at)).all()
    assert [r.action for r in receipts] == [ReceiptAction.GRANT, ReceiptAction.REVOKE]
    assert receipt_data(db, world, receipts[1])["tukiverkko"]["consentId"] == str(consent_id)


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"given_how": "written"}, "#/given_how"),
        ({"given_how": None, "direction": "obtain"}, "#/direction"),
        ({"given_how": None, "valid_from": helsinki_today().isoformat()}, "#/valid_from"),
        ({"given_how": None, "information_text_version": "1999-01"}, "#/information_text_version"),
        ({"given_how": None, "confirmed": False}, "#/confirmed"),
        ({"given_how": None, "confirmed": None}, "#/confirmed"),
    ],
)
def test_the_clients_own_consent_follows_the_portals_rules(
    client: FlaskClient, db: Session, world: World, changes: dict, pointer: str
) -> None:
    headers = api_token(client, world.user.username)
    response = client.post(url(world), json=body(world.housing.id, **changes), headers=headers)
    assert [e["pointer"] for e in assert_problem(response, 422)["errors"]] == [pointer]
    assert db.scalars(select(Consent)).first() is None


def test_the_client_cannot_consent_for_a_member_without_a_commitment(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = api_token(client, world.user.username)
    response = client.post(url(world), json=body(world.ngo.id, given_how=None), headers=headers)
    assert [e["pointer"] for e in assert_problem(response, 422)["errors"]] == ["#/member_id"]


def test_a_clients_token_reaches_no_other_clients_consents(
    client: FlaskClient, db: Session, world: World
) -> None:
    other_case = db.scalar(select(Case).where(Case.client_id == world.other.id))
    assert other_case is not None
    other_consent = grant(db, world, world.other_member, case=other_case)
    headers = api_token(client, world.user.username)
    base = f"/api/v1/clients/{world.other.id}/consents"
    assert_problem(client.get(base, headers=headers), 404)
    assert_problem(client.get(f"{base}/{other_consent}", headers=headers), 404)
    assert_problem(
        client.post(base, json=body(world.other_member.id, given_how=None), headers=headers), 404
    )
    revoke = client.post(f"{base}/{other_consent}/revoke", headers=if_match(headers, "x"))
    assert_problem(revoke, 404)
    # Nor under their own id.
    assert_problem(client.get(url(world, f"/{other_consent}"), headers=headers), 404)
    assert_problem(
        client.post(url(world, f"/{other_consent}/revoke"), headers=if_match(headers, "x")), 404
    )
    assert state_of(db, other_consent) is ConsentState.ACTIVE


# -- If-Match ---------------------------------------------------------------------------------


def test_revoking_needs_the_current_etag(client: FlaskClient, db: Session, world: World) -> None:
    consent_id = grant(db, world, world.housing)
    headers = api_token(client, world.worker.username)
    etag = client.get(url(world, f"/{consent_id}"), headers=headers).json["etag"]
    revoke = url(world, f"/{consent_id}/revoke")

    missing = assert_problem(client.post(revoke, headers=headers), 428)
    assert missing["type"].endswith("#problem-precondition-required")
    stale = client.post(revoke, headers=if_match(headers, "0" * 32))
    assert assert_problem(stale, 412)["type"].endswith("#problem-stale-version")
    assert stale.headers["ETag"] == f'"{etag}"'
    assert state_of(db, consent_id) is ConsentState.ACTIVE

    # Amended meanwhile (narrowed by the client in the portal, say): the ETag read before no
    # longer matches, and the superseded consent stays as it is.
    old = db.get(Consent, consent_id)
    assert old is not None
    replacement = amend_consent(
        db,
        new_gate(),
        world.worker_actor,
        old,
        case=world.case,
        change=Change.NARROW,
        terms=ConsentTerms(
            world.housing.id,
            frozenset({SectionKind.HOUSING}),
            old.valid_from,
            helsinki_today() + timedelta(days=5),
        ),
        purpose_text=PURPOSE,
        given_how=GivenHow.WRITTEN,
        information_text_version=FIRST_VERSION,
        receipt=None,
    )
    replacement_id = replacement.id
    db.commit()
    assert_problem(client.post(revoke, headers=if_match(headers, etag)), 412)
    assert state_of(db, consent_id) is ConsentState.SUPERSEDED
    assert state_of(db, replacement_id) is ConsentState.ACTIVE
    shown = client.get(url(world, f"/{consent_id}"), headers=headers).json
    assert (shown["state"], shown["superseded_by"]) == ("superseded", str(replacement_id))


def test_an_ended_consent_is_409_with_its_current_etag_and_412_with_an_old_one(
    client: FlaskClient, db: Session, world: World
) -> None:
    consent_id = grant(db, world, world.housing)
    headers = api_token(client, world.worker.username)
    before = client.get(url(world, f"/{consent_id}"), headers=headers).json["etag"]
    revoke = url(world, f"/{consent_id}/revoke")
    after = client.post(revoke, headers=if_match(headers, before)).json["etag"]

    # A second writer who read it before the revocation: it changed since (412).
    assert_problem(client.post(revoke, headers=if_match(headers, before)), 412)
    # One who read it after: it is current, but there is nothing left to revoke (409).
    ended = assert_problem(client.post(revoke, headers=if_match(headers, after)), 409)
    assert ended["detail"] == "This consent has already ended."


def test_a_consent_past_its_last_day_is_409(client: FlaskClient, db: Session, world: World) -> None:
    consent_id = grant(db, world, world.housing)
    stored = db.get(Consent, consent_id)
    assert stored is not None
    stored.valid_from = helsinki_today() - timedelta(days=10)
    stored.valid_until = helsinki_today() - timedelta(days=1)  # maintenance has not run yet
    db.commit()
    headers = api_token(client, world.worker.username)
    shown = client.get(url(world, f"/{consent_id}"), headers=headers).json
    assert shown["state"] == "expired"
    revoke = client.post(
        url(world, f"/{consent_id}/revoke"), headers=if_match(headers, shown["etag"])
    )
    assert_problem(revoke, 409)


# -- validation and permissions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"member_id": str(uuid.uuid4())}, "#/member_id"),
        ({"member_id": "not-a-uuid"}, "#/member_id"),
        ({"sections": ["housing", "housing"]}, "#/sections"),
        ({"sections": ["housing", "nonsense"]}, "#/sections/1"),
        ({"sections": []}, "#/sections"),
        ({"purpose_text": "x" * 1001}, "#/purpose_text"),
        ({"purpose_text": "   "}, "#/purpose_text"),
        ({"extra": 1}, "#/extra"),
        ({"valid_until": "2000-01-01"}, "#/valid_until"),
        ({"valid_from": "2099-02-01", "valid_until": "2099-01-01"}, "#/valid_until"),
        ({"given_how": None}, "#/given_how"),
        ({"given_how": "electronic"}, "#/given_how"),
        ({"information_text_version": "1999-01"}, "#/information_text_version"),
        ({"confirmed": False}, "#/confirmed"),
    ],
)
def test_an_invalid_body_names_the_field(
    client: FlaskClient, db: Session, world: World, changes: dict, pointer: str
) -> None:
    headers = api_token(client, world.worker.username)
    response = client.post(url(world), json=body(world.housing.id, **changes), headers=headers)
    problem = assert_problem(response, 422)
    assert problem["type"].endswith("#problem-validation")
    assert [e["pointer"] for e in problem["errors"]] == [pointer]
    assert db.scalars(select(Consent)).first() is None


def test_members_the_caseworker_form_refuses_are_refused(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = api_token(client, world.worker.username)
    for member_id in (world.ngo.id, world.other_member.id):  # no commitment; another client's
        response = client.post(url(world), json=body(member_id), headers=headers)
        assert [e["pointer"] for e in assert_problem(response, 422)["errors"]] == ["#/member_id"]
    ended = db.get(NetworkMember, world.housing.id)
    assert ended is not None
    ended.ended_at = utcnow()
    db.commit()
    response = client.post(url(world), json=body(world.housing.id), headers=headers)
    assert [e["pointer"] for e in assert_problem(response, 422)["errors"]] == ["#/member_id"]


def test_another_clients_consent_under_my_client_is_not_found(
    client: FlaskClient, db: Session, world: World
) -> None:
    other_case = db.scalar(select(Case).where(Case.client_id == world.other.id))
    assert other_case is not None
    other_consent = grant(db, world, world.other_member, case=other_case)
    headers = api_token(client, world.worker.username)
    assert_problem(client.get(url(world, f"/{other_consent}"), headers=headers), 404)
    revoke = client.post(url(world, f"/{other_consent}/revoke"), headers=if_match(headers, "x"))
    assert_problem(revoke, 404)
    assert_problem(client.get(url(world, f"/{uuid.uuid4()}"), headers=headers), 404)
    assert state_of(db, other_consent) is ConsentState.ACTIVE


def test_a_partner_cannot_read_or_grant_consents(
    client: FlaskClient, db: Session, world: World
) -> None:
    grant(db, world, world.housing)
    headers = api_token(client, world.partner.username)
    assert_problem(client.post(url(world), json=body(world.housing.id), headers=headers), 403)
    assert_problem(client.get(url(world), headers=headers), 403)
    assert db.scalars(select(Consent)).one()


def test_another_countys_caseworker_gets_404(
    client: FlaskClient, db: Session, world: World
) -> None:
    stranger = factories.user(db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY))
    db.commit()
    headers = api_token(client, stranger.username)
    assert_problem(client.get(url(world), headers=headers), 404)
    assert_problem(client.post(url(world), json=body(world.housing.id), headers=headers), 404)


def test_a_closed_case_takes_no_new_consents(
    client: FlaskClient, db: Session, world: World
) -> None:
    consent_id = grant(db, world, world.housing)
    case = db.get(Case, world.case.id)
    assert case is not None
    case.closed_at = utcnow()
    db.commit()
    headers = api_token(client, world.worker.username)
    created = client.post(url(world), json=body(world.housing.id), headers=headers)
    assert assert_problem(created, 409)["type"].endswith("#problem-conflict")
    etag = client.get(url(world, f"/{consent_id}"), headers=headers).json["etag"]
    revoke = client.post(url(world, f"/{consent_id}/revoke"), headers=if_match(headers, etag))
    assert_problem(revoke, 409)


def test_an_upcoming_consent_is_recorded_for_a_later_first_day(
    client: FlaskClient, db: Session, world: World
) -> None:
    headers = api_token(client, world.worker.username)
    starts = helsinki_today() + timedelta(days=3)
    created = client.post(
        url(world),
        json=body(world.housing.id, valid_from=starts.isoformat(), given_how="oral"),
        headers=headers,
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    assert (created.json["state"], created.json["valid_from"]) == ("upcoming", starts.isoformat())
    assert date.fromisoformat(created.json["valid_until"]) > starts
