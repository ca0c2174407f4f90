"""The client's receipt of a consent change a worker records: given in writing or orally,
withdrawn at the client's request; on the pages and through the API, printable for the
client and in the portal like any other receipt."""

from __future__ import annotations

import json
import uuid
from html import unescape

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.receipts import open_receipts
from app.models import Organisation, OrgKind, Role, User
from app.models.receipt import ConsentReceipt, ReceiptAction
from app.security import new_gate
from consent.models import Consent
from consent.sections import SectionKind
from sharing.access_log import AccessLogEntry
from tests import factories
from tests.conftest import api_token, csrf_token, login
from tests.integration.test_api_consents import body, if_match
from tests.integration.test_consents_ui import (
    PURPOSE,
    World,
    consent_form,
    grant,
    make_world,
    post,
)
from tests.unit.test_receipts import KANTARA_FIELDS


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(response.get_data(as_text=True))


def portal_account(db: Session, w: World, locale: str | None) -> User:
    account = factories.user(db, Role.CLIENT, client=w.client)
    account.locale = locale
    db.flush()
    return account


def only_receipt(db: Session) -> ConsentReceipt:
    db.expire_all()
    return db.scalars(select(ConsentReceipt)).one()


def receipt_data(w: World, receipt: ConsentReceipt) -> dict:  # type: ignore[type-arg]
    return open_receipts(new_gate(), w.worker_actor, [receipt])[0]


def print_path(w: World, receipt: ConsentReceipt) -> str:
    return f"{w.base}/consents/receipts/{receipt.id}"


# -- recording ---------------------------------------------------------------------------------


def test_a_written_consent_gives_the_client_a_receipt_in_their_language(
    client: FlaskClient, db: Session, world: World
) -> None:
    account = portal_account(db, world, "sv")
    db.commit()
    login(client, world.worker.username)
    done = post(client, f"{world.base}/consents/new", consent_form(world, world.housing))
    assert done.status_code == 302

    consent = db.scalars(select(Consent)).one()
    receipt = only_receipt(db)
    assert (receipt.client_id, receipt.consent_id, receipt.action) == (
        world.client.id,
        consent.id,
        ReceiptAction.GRANT,
    )
    assert receipt.created_by_id == world.worker.id and receipt.assisted_by_id is None
    # Stored only as ciphertext: neither the purpose nor the worker's name is readable.
    for plain in (PURPOSE, world.worker.display_name, "collectionMethod"):
        assert plain.encode() not in receipt.json_ct, plain

    data = receipt_data(world, receipt)
    assert data.keys() >= KANTARA_FIELDS
    assert data["consentReceiptID"] == str(receipt.id)
    assert data["language"] == "sv"  # the client's portal language, not the worker's (en)
    assert data["policyUrl"].endswith("?lang=sv")
    purpose = data["services"][0]["purposes"][0]
    assert purpose["purposeCategory"] == ["Samarbete i klientens stödnätverk"]
    assert purpose["piiCategory"] == ["Boende"]
    assert purpose["purpose"] == PURPOSE
    assert purpose["thirdPartyName"] == f"Asuntotoimisto {world.case.id}"
    assert world.worker.display_name in data["collectionMethod"]
    assert "electronic" not in data["collectionMethod"].lower()
    ext = data["tukiverkko"]
    assert (ext["action"], ext["consentId"]) == ("grant", str(consent.id))
    assert ext["recordedBy"] == world.worker.display_name and ext["staffAssisted"] is False
    # The worker wrote it as case work, not as the client's own data.
    write = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == world.client.id,
            AccessLogEntry.action == "write",
            AccessLogEntry.actor_user_id == world.worker.id,
        )
    ).all()
    assert {(w.purpose, w.allowed) for w in write} == {("case_work", True)}
    # It carries the client's log chain head as it stood when the change was made: the
    # change's own entries are in, the receipt's write (its seal) comes after.
    head = ext["accessLogHead"]
    chain = {
        e.seq: e
        for e in db.scalars(
            select(AccessLogEntry).where(AccessLogEntry.client_id == world.client.id)
        )
    }
    assert len(head["fingerprint"]) == 16
    assert chain[head["seq"]].entry_hash.hex().startswith(head["fingerprint"])
    assert chain[head["seq"] + 1].action == "write"

    # The client finds it in the portal like any other receipt.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/caseworker/")})
    login(client, account.username)
    listing = text_of(client.get("/my/consents/receipts"))
    assert f"/my/consents/receipts/{receipt.id}" in listing
    assert f"Asuntotoimisto {world.case.id}" in listing and "Boende" in listing
    download = client.get(f"/my/consents/receipts/{receipt.id}.json")
    assert download.status_code == 200
    assert json.loads(download.get_data(as_text=True)) == data


def test_an_oral_consent_names_the_worker_who_heard_it(
    client: FlaskClient, db: Session, world: World
) -> None:
    db.commit()  # the client has no portal account: the current language (en) is used
    login(client, world.worker.username)
    done = post(
        client,
        f"{world.base}/consents/new",
        consent_form(world, world.housing, given_how="oral", valid_until=None),
    )
    assert done.status_code == 302
    data = receipt_data(world, only_receipt(db))
    assert data["language"] == "en"
    assert data["collectionMethod"] == (
        f"Given orally by you to {world.worker.display_name}, who recorded it in Tukiverkko"
    )
    assert data["services"][0]["purposes"][0]["termination"] == (
        "No last day. You can withdraw it at any time."
    )


def test_a_refused_consent_gives_no_receipt(client: FlaskClient, db: Session, world: World) -> None:
    db.commit()
    login(client, world.worker.username)
    refused = post(  # not an authority and no confidentiality commitment
        client, f"{world.base}/consents/new", consent_form(world, world.ngo)
    )
    assert refused.status_code == 400
    assert db.scalars(select(ConsentReceipt)).first() is None


# -- revoking ----------------------------------------------------------------------------------


def test_revoking_at_the_clients_request_gives_a_revoke_receipt(
    client: FlaskClient, db: Session, world: World
) -> None:
    consent = grant(db, world, world.housing, SectionKind.HOUSING)
    db.commit()
    login(client, world.worker.username)
    path = f"{world.base}/consents/{consent.id}/revoke"
    assert client.post(path, data={"csrf_token": csrf_token(client, path)}).status_code == 302

    receipt = only_receipt(db)
    assert (receipt.action, receipt.consent_id, receipt.created_by_id) == (
        ReceiptAction.REVOKE,
        consent.id,
        world.worker.id,
    )
    data = receipt_data(world, receipt)
    assert data["collectionMethod"] == (
        f"Withdrawn at your request; recorded in Tukiverkko by {world.worker.display_name}"
    )
    assert data["tukiverkko"]["action"] == "revoke"
    assert data["services"][0]["purposes"][0]["termination"].startswith("Withdrawn by you on")
    # Revoking again is a message, and no second receipt.
    again = client.post(path, data={"csrf_token": csrf_token(client, f"{world.base}/consents")})
    assert again.status_code == 302
    assert only_receipt(db).id == receipt.id


# -- the printable receipt ---------------------------------------------------------------------


def test_the_worker_prints_the_receipt_in_the_clients_language(
    client: FlaskClient, db: Session, world: World
) -> None:
    portal_account(db, world, "sv")
    db.commit()
    login(client, world.worker.username)
    post(client, f"{world.base}/consents/new", consent_form(world, world.housing))
    receipt = only_receipt(db)

    listing = text_of(client.get(f"{world.base}/consents"))
    assert "The client's receipts" in listing and "Consent given" in listing
    assert print_path(world, receipt) in listing

    printed = client.get(print_path(world, receipt))
    assert printed.status_code == 200
    page = text_of(printed)
    assert '<html lang="sv">' in page and '<body class="print-page">' in page
    assert "Kvitto" in page and "Boende" in page  # labels and values in one language
    assert str(receipt.id) in page and world.worker.display_name in page
    assert f"Asuntotoimisto {world.case.id}" in page and PURPOSE in page
    head = receipt_data(world, receipt)["tukiverkko"]["accessLogHead"]
    code = " ".join(head["fingerprint"][i : i + 4] for i in range(0, 16, 4))
    assert "Kontrollkod för loggen" in page and f"Post {head['seq']}, kod {code}" in page
    # The read is logged as the worker's case work.
    reads = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == world.client.id,
            AccessLogEntry.action == "read",
            AccessLogEntry.scope == "basic",
            AccessLogEntry.purpose == "case_work",
        )
    ).all()
    assert reads


def test_the_consents_page_lists_receipts_in_a_fixed_number_of_queries(
    client: FlaskClient, db: Session, world: World, sql_count: list[str]
) -> None:
    consents = [grant(db, world, world.housing, kind) for kind in list(SectionKind)[:4]]
    db.commit()
    login(client, world.worker.username)

    def revoke(consent: Consent) -> None:
        path = f"{world.base}/consents/{consent.id}/revoke"
        assert client.post(path, data={"csrf_token": csrf_token(client, path)}).status_code == 302

    def queries(receipts: int) -> int:
        sql_count.clear()
        page = text_of(client.get(f"{world.base}/consents"))
        assert page.count("Print the receipt") == receipts
        return len(sql_count)

    revoke(consents[0])
    one = queries(1)
    for consent in consents[1:]:
        revoke(consent)
    assert queries(4) == one


def test_another_countys_worker_cannot_open_the_receipt(
    client: FlaskClient, db: Session, world: World
) -> None:
    consent = grant(db, world, world.housing, SectionKind.HOUSING)
    stranger = factories.user(db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY))
    db.commit()
    login(client, world.worker.username)
    path = f"{world.base}/consents/{consent.id}/revoke"
    client.post(path, data={"csrf_token": csrf_token(client, path)})
    receipt = only_receipt(db)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/caseworker/")})

    login(client, stranger.username)
    refused = client.get(print_path(world, receipt))
    assert refused.status_code == 404
    assert "Kuvitteellinen" not in text_of(refused) and PURPOSE not in text_of(refused)


def test_a_receipt_is_found_only_under_its_own_client(
    client: FlaskClient, db: Session, world: World
) -> None:
    county = db.get(Organisation, world.client.county_id)
    assert county is not None
    second, _ = factories.client(db, county, name="Toinen Kuvitteellinen", worker=world.worker)
    consent = grant(db, world, world.housing, SectionKind.HOUSING)
    db.commit()
    login(client, world.worker.username)
    path = f"{world.base}/consents/{consent.id}/revoke"
    client.post(path, data={"csrf_token": csrf_token(client, path)})
    receipt = only_receipt(db)
    assert client.get(print_path(world, receipt)).status_code == 200
    elsewhere = f"/caseworker/clients/{second.id}/consents/receipts/{receipt.id}"
    assert client.get(elsewhere).status_code == 404
    assert client.get(f"{world.base}/consents/receipts/{uuid.uuid4()}").status_code == 404


# -- the API -----------------------------------------------------------------------------------


def test_a_caseworker_token_gives_the_client_the_same_receipts(
    client: FlaskClient, db: Session, world: World
) -> None:
    db.commit()
    headers = api_token(client, world.worker.username)
    consents = f"/api/v1/clients/{world.client.id}/consents"
    created = client.post(consents, json=body(world.housing.id), headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    revoked = client.post(
        f"{consents}/{created.json['id']}/revoke", headers=if_match(headers, created.json["etag"])
    )
    assert revoked.status_code == 200, revoked.get_data(as_text=True)

    db.expire_all()
    receipts = db.scalars(select(ConsentReceipt).order_by(ConsentReceipt.created_at)).all()
    assert [(r.action, r.created_by_id) for r in receipts] == [
        (ReceiptAction.GRANT, world.worker.id),
        (ReceiptAction.REVOKE, world.worker.id),
    ]
    given, withdrawn = (receipt_data(world, r)["collectionMethod"] for r in receipts)
    assert given == (
        f"Given in writing by you; recorded in Tukiverkko by {world.worker.display_name}"
    )
    assert withdrawn.startswith("Withdrawn at your request")
