"""Secure messages on the pages and the partner API: the client writes, the worker answers,
the partner reads and answers its own thread only while its consent lasts; field errors
on forms and as problem+json; the reads in the client's own log."""

from __future__ import annotations

import re
import uuid

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.commands import revoke_consent
from app.messages import commands
from app.models.message import Message, MessageThread, ThreadKind
from app.security import new_gate
from consent.base import utcnow
from consent.models import Consent
from consent.sections import SectionKind
from tests.conftest import CSRF, api_token, csrf_token, login
from tests.integration.test_messages import BODY, SUBJECT, World, world

PROBLEM = "application/problem+json"


def _thread_link(html: str) -> str:
    match = re.search(r'href="(/my/messages/[0-9a-f-]{36})"', html)
    assert match, "no thread link"
    return match.group(1)


def test_the_client_writes_the_worker_answers_and_the_client_reads_it(
    client: FlaskClient, db: Session
) -> None:
    w = world(db)
    db.commit()
    login(client, w.client_user.username)
    new = client.get("/my/messages/new")
    assert new.status_code == 200
    token = CSRF.search(new.get_data(as_text=True))
    assert token
    sent = client.post(
        "/my/messages/new",
        data={"csrf_token": token.group(1), "subject": SUBJECT, "body": BODY},
    )
    assert sent.status_code == 302
    thread_path = sent.headers["Location"]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/my/")})

    login(client, w.county.worker.username)
    home = client.get("/caseworker/").get_data(as_text=True)
    assert '<strong class="count">1</strong> conversation with new messages' in home
    unread = client.get("/caseworker/messages?unread=1").get_data(as_text=True)
    assert '<p class="total">1 conversation with new messages' in unread
    assert "Kuvitteellinen Kalle" in unread  # the client's name, read for the list
    thread = db.scalars(select(MessageThread)).one()
    page = f"/caseworker/clients/{w.county.client.id}/messages/{thread.id}"
    shown = client.get(page).get_data(as_text=True)
    assert BODY in shown and SUBJECT in shown
    answered = client.post(
        page, data={"csrf_token": csrf_token(client, page), "body": "Soitan huomenna (fictional)"}
    )
    assert answered.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/caseworker/")})

    login(client, w.client_user.username)
    assert "new messages in 1 conversation" in client.get("/my/").get_data(as_text=True)
    listed = client.get("/my/messages").get_data(as_text=True)
    assert SUBJECT in listed and _thread_link(listed) == thread_path
    read = client.get(thread_path).get_data(as_text=True)
    assert "Soitan huomenna (fictional)" in read and "your worker" in read
    assert "no new messages" in client.get("/my/").get_data(as_text=True)
    log = client.get("/my/log?part=messages").get_data(as_text=True)
    assert "Your messages with the social workers" in log


def test_an_empty_message_is_shown_on_its_field(client: FlaskClient, db: Session) -> None:
    w = world(db)
    db.commit()
    login(client, w.client_user.username)
    refused = client.post(
        "/my/messages/new",
        data={"csrf_token": csrf_token(client, "/my/messages/new"), "subject": "", "body": ""},
    )
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "Write a subject." in html and "Write a message." in html
    assert 'href="#subject"' in html  # the error summary links to the field


def test_a_reference_the_partner_may_not_see_is_a_field_error(
    client: FlaskClient, db: Session
) -> None:
    w = world(db)
    thread = _network_thread(db, w)
    db.commit()
    login(client, w.county.worker.username)
    page = f"/caseworker/clients/{w.county.client.id}/messages/{thread.id}"
    refused = client.post(
        page,
        data={"csrf_token": csrf_token(client, page), "body": BODY, "refers_to": "livelihood"},
    )
    assert refused.status_code == 400
    assert "cannot refer to it" in refused.get_data(as_text=True)


def _network_thread(db: Session, w: World) -> MessageThread:
    return commands.start_thread(
        db,
        new_gate(),
        w.county.actor,
        client_id=w.county.client.id,
        kind=ThreadKind.NETWORK,
        subject=SUBJECT,
        body=BODY,
        section=SectionKind.HOUSING,
        member_ids=[w.housing.member.id],
        now=utcnow(),
    )


def test_the_partner_reads_and_answers_on_its_pages_until_the_consent_ends(
    client: FlaskClient, db: Session
) -> None:
    w = world(db)
    thread = _network_thread(db, w)
    db.commit()
    login(client, w.housing.staff.username)
    assert "1 conversation with new messages" in client.get("/partner/").get_data(as_text=True)
    assert SUBJECT not in client.get("/partner/messages").get_data(as_text=True)  # names only
    page = f"/partner/clients/{w.county.client.id}/messages/{thread.id}"
    assert BODY in client.get(page).get_data(as_text=True)
    answered = client.post(page, data={"csrf_token": csrf_token(client, page), "body": "Selvä"})
    assert answered.status_code == 302
    given = db.get(Consent, w.housing_consent.id)  # re-read: each request closes the session
    assert given is not None
    revoke_consent(db, new_gate(), w.county.actor, given, receipt=None)
    db.commit()
    assert client.get(page).status_code == 404
    assert "Kuvitteellinen" not in client.get("/partner/messages").get_data(as_text=True)


def test_kela_does_not_see_the_housing_thread(client: FlaskClient, db: Session) -> None:
    w = world(db)
    thread = _network_thread(db, w)
    db.commit()
    login(client, w.kela.staff.username)
    assert (
        client.get(f"/partner/clients/{w.county.client.id}/messages/{thread.id}").status_code == 404
    )


def test_the_partner_api_lists_reads_answers_and_starts_threads(
    client: FlaskClient, db: Session
) -> None:
    w = world(db)
    thread = _network_thread(db, w)
    db.commit()
    headers = api_token(client, w.housing.staff.username)
    listed = client.get("/api/v1/threads", headers=headers)
    assert listed.status_code == 200
    (item,) = listed.json["items"]
    assert item["id"] == str(thread.id) and item["unread"] and item["section"] == "housing"
    base = f"/api/v1/clients/{w.county.client.id}/threads"
    read = client.get(f"{base}/{thread.id}", headers=headers)
    assert read.status_code == 200 and read.json["messages"][0]["body"] == BODY
    assert client.get("/api/v1/threads", headers=headers).json["items"][0]["unread"] is False

    answered = client.post(
        f"{base}/{thread.id}/messages", headers=headers, json={"body": "Kiitos (fictional)"}
    )
    assert answered.status_code == 201 and answered.json["mine"] is True
    refused = client.post(
        f"{base}/{thread.id}/messages",
        headers=headers,
        json={"body": "Katso toimeentulo", "refers_to": "livelihood"},
    )
    assert refused.status_code == 422 and refused.mimetype == PROBLEM
    assert [(e["pointer"], e["code"]) for e in refused.json["errors"]] == [
        ("#/refers_to", "reference_not_shared")
    ]
    not_shared = client.post(
        base,
        headers=headers,
        json={"section": "health", "subject": SUBJECT, "body": BODY},
    )
    assert not_shared.status_code == 422
    assert [e["code"] for e in not_shared.json["errors"]] == ["section_not_shared"]
    started = client.post(
        base,
        headers=headers,
        json={"section": "housing", "subject": "Uusi (fictional)", "body": BODY},
    )
    assert started.status_code == 201 and started.json["subject"] == "Uusi (fictional)"
    assert (
        db.scalar(
            select(Message.author_organisation_id).where(
                Message.thread_id == uuid.UUID(started.json["id"])
            )
        )
        == w.housing.organisation.id
    )


def test_the_api_refuses_a_thread_once_sharing_ended(client: FlaskClient, db: Session) -> None:
    w = world(db)
    thread = _network_thread(db, w)
    revoke_consent(db, new_gate(), w.county.actor, w.housing_consent, receipt=None)
    db.commit()
    headers = api_token(client, w.housing.staff.username)
    read = client.get(f"/api/v1/clients/{w.county.client.id}/threads/{thread.id}", headers=headers)
    assert read.status_code in (403, 404) and read.mimetype == PROBLEM
    assert client.get("/api/v1/threads", headers=headers).json["total"] == 0
