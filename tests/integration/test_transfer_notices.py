"""What a county transfer tells everyone (issue 15, point 7's gaps).

- A consent the transfer ends says so where ended consents are listed — the receiving
  worker's consents page, the client's (in plain words, fi/sv/en), the API, and the
  organisation's notice — with who accepted the transfer and when; never plain "revoked".
- The client gets a receipt for each consent the transfer ended, and the receipts page says
  which county handles their matter now.
- The sending case's responsible worker gets a dashboard item when the receiving county
  accepts or declines, linking to what they may still see, until they acknowledge it.
"""

from __future__ import annotations

import json
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.commands import end_by_transfer
from app.dashboard import queries as dashboard
from app.i18n import helsinki_today
from app.models import Organisation, Role, User
from app.models.partner import NoticeReason, RevocationNotice
from app.models.receipt import ConsentReceipt, ReceiptAction
from app.models.transfer import DeclineReason, TransferAnswerNotice, TransferReason
from app.security import new_gate
from app.transfer import commands as transfer
from consent.base import utcnow
from tests import factories
from tests.conftest import api_token, csrf_token
from tests.integration.test_county_transfer import (  # noqa: F401  (the world fixture)
    NAME,
    World,
    actor,
    body,
    propose,
    signed_in,
    world,
)


def client_user(db: Session, w: World) -> User:
    person = db.scalars(select(User).where(User.client_id == w.client.id)).first()
    if person is None:
        person = factories.user(db, Role.CLIENT, client=w.client)
        db.commit()
    return person


def accept_on_the_page(app: Flask, w: World, transfer_id: object) -> None:
    receiver = signed_in(app, w.b_worker)
    detail = f"/caseworker/transfers/{transfer_id}"
    accepted = receiver.post(f"{detail}/accept", data={"csrf_token": csrf_token(receiver, detail)})
    assert accepted.status_code == 302


def test_a_consent_the_transfer_ended_says_so_everywhere_it_is_listed(
    app: Flask,
    client: FlaskClient,
    db: Session,
    world: World,  # noqa: F811
) -> None:
    w = world
    person = client_user(db, w)
    obtain_id, housing_id = w.obtain_consent.id, w.housing_consent.id
    b_name, b_worker = w.b.name, w.b_worker.display_name
    made = propose(db, w)
    accept_on_the_page(app, w, made.id)

    # The receiving worker's consents page: the ended row names the transfer, who and when.
    receiver = signed_in(app, w.b_worker)
    page = body(receiver.get(f"/caseworker/clients/{w.client.id}/consents"))
    ended = page.split("Ended consents", 1)[1].split("</caption>", 1)[1]
    assert f"Ended by the transfer to {b_name}" in ended and f"by {b_worker}" in ended
    assert "Revoked" not in ended

    # The client's page, in plain words, in English and Finnish.
    mine = signed_in(app, person)
    said = body(mine.get("/my/consents"))
    assert f"when your matter moved to the social work of {b_name}." in said
    assert f"{b_worker} recorded the move." in said
    mine.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fi"
    assert f"kun asiasi siirtyi toisen alueen sosiaalityöhön ({b_name})" in body(
        mine.get("/my/consents")
    )
    mine.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    # The API says which county, for the ended consent only.
    auth = api_token(client, w.b_worker.username)
    items = client.get(f"/api/v1/clients/{w.client.id}/consents", headers=auth).json["items"]
    by_id = {i["id"]: i for i in items}
    assert by_id[str(obtain_id)]["ended_by_transfer_to"] == b_name
    assert by_id[str(obtain_id)]["ended_by"]["display_name"] == b_worker
    assert by_id[str(housing_id)]["ended_by_transfer_to"] is None  # it continues

    # A receipt for the ended consent, saying the matter moved; the receipts page says where.
    [receipt] = db.scalars(
        select(ConsentReceipt).where(ConsentReceipt.consent_id == obtain_id)
    ).all()
    assert receipt.action is ReceiptAction.TRANSFERRED
    data = json.loads(mine.get(f"/my/consents/receipts/{receipt.id}.json").data)
    assert data["tukiverkko"]["endedByTransferTo"] == b_name
    assert data["piiControllers"][0]["piiController"] == w.a.name  # who held the consent
    assert b_name in data["collectionMethod"] and b_worker in data["collectionMethod"]
    receipts = body(mine.get("/my/consents/receipts"))
    assert f"Your matter moved to {b_name}" in receipts
    assert "Consent ended when your matter moved to another county" in receipts
    assert "Consent withdrawn" not in receipts
    shown = body(mine.get(f"/my/consents/receipts/{receipt.id}"))
    assert f"Ended when your matter moved to the social work of {b_name}" in shown
    assert "If they need it, they will ask you again." in shown


def test_the_organisations_notice_names_the_transfer(
    app: Flask,
    db: Session,
    world: World,  # noqa: F811
) -> None:
    w = world
    at = utcnow()
    sending = db.get(Organisation, w.a.id)
    assert sending is not None
    end_by_transfer(
        db,
        new_gate(),
        actor(w.a_worker),
        w.housing_consent,
        case=w.case,
        sending=sending,
        receipt=None,
        at=at,
    )
    db.commit()
    notice = db.scalars(
        select(RevocationNotice).where(RevocationNotice.consent_id == w.housing_consent.id)
    ).one()
    assert notice.reason is NoticeReason.TRANSFERRED
    partner = body(signed_in(app, w.housing.staff).get("/partner/"))
    assert "Case moved to another county" in partner


def answers_page(browser: FlaskClient) -> str:
    return body(browser.get("/caseworker/dashboard/transfer-answers"))


def waiting(db: Session, user: User) -> int:
    return dashboard.counts(db, user.id, user.organisation_id, helsinki_today()).transfer_answers  # type: ignore[arg-type]


def acknowledge(browser: FlaskClient, notice_id: object) -> str:
    path = "/caseworker/dashboard/transfer-answers"
    done = browser.post(path, data={"csrf_token": csrf_token(browser, path), "notice": notice_id})
    assert done.status_code == 302
    return body(browser.get(done.headers["Location"]))


def test_the_sending_worker_hears_the_answer_until_acknowledging_it(
    app: Flask,
    db: Session,
    world: World,  # noqa: F811
) -> None:
    w = world
    sender = signed_in(app, w.a_worker)
    # A team member proposes; the case's responsible worker is told of the answer.
    made = transfer.propose_transfer(
        db,
        new_gate(),
        actor(w.a_team),
        case=w.case,
        to_county_id=w.b.id,
        reason=TransferReason.MOVED,
    )
    made_id = made.id
    db.commit()
    assert waiting(db, w.a_worker) == 0  # nothing until an answer
    transfer.decline_transfer(
        db, new_gate(), actor(w.b_worker), transfer=made, reason=DeclineReason.NEEDS_INFORMATION
    )
    db.commit()
    assert waiting(db, w.a_worker) == 1 and waiting(db, w.a_team) == 0
    home = body(sender.get("/caseworker/"))
    assert '<strong class="count">1</strong> answer to a transfer of your client' in home
    listed = answers_page(sender)
    # Declined: the case is still the county's, so its name links to its transfer tab.
    assert f'href="/caseworker/clients/{w.client.id}/transfer">{NAME}</a>' in listed
    assert "Declined: We need to agree on more with you first" in listed
    assert w.b_worker.display_name in listed
    [notice] = db.scalars(
        select(TransferAnswerNotice).where(TransferAnswerNotice.transfer_id == made_id)
    ).all()
    assert notice.user_id == w.a_worker.id

    # Someone else cannot acknowledge it for the worker.
    other = signed_in(app, w.a_team)
    refused = acknowledge(other, notice.id)
    assert "There is nothing here that you may see." in refused
    assert acknowledge(other, "not-an-id")  # a clear refusal, not an error
    assert waiting(db, w.a_worker) == 1
    after = acknowledge(sender, notice.id)
    assert "Answer acknowledged." in after and "No answers to your transfers." in after
    assert waiting(db, w.a_worker) == 0

    # Withdrawing tells nobody; an acceptance does, linking to the record the county keeps.
    again = propose(db, w)
    transfer.withdraw_transfer(db, new_gate(), actor(w.a_worker), case=w.case)
    db.commit()
    assert waiting(db, w.a_worker) == 0
    third = propose(db, w)
    third_id = third.id
    transfer.accept_transfer(db, new_gate(), actor(w.b_worker), transfer=third, worker=w.b_worker)
    db.commit()
    assert waiting(db, w.a_worker) == 1
    listed = answers_page(sender)
    assert NAME not in listed  # no longer the county's to name
    assert f'href="/caseworker/transfers#transfer-{third_id}"' in listed
    assert f"Transfer to {w.b.name} proposed on" in listed and "Accepted" in listed
    assert f'id="transfer-{third_id}"' in body(sender.get("/caseworker/transfers"))
    assert again.id != third_id
    [accepted] = re.findall(r'name="notice" value="([^"]+)"', listed)
    acknowledge(sender, accepted)
    assert waiting(db, w.a_worker) == 0
