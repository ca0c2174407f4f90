"""E-mail on the pages: one's address and choice at /account/email, and an administrator's
invitation and password-reset links sent by e-mail (never shown then), read back from a real
SMTP server and used."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import mail
from app.extensions import db as flask_db
from app.models import OrgKind, Role, User
from app.models.outbox import EmailAddress, OutboxMessage
from app.models.staff import AccountEvent
from app.outbox.queries import address_of
from tests import factories
from tests.conftest import app_with, csrf_token, login
from tests.smtp_server import HOST, PASSWORD, USER, Inbox, smtp_server

PUBLIC_URL = "https://tukiverkko.example.fi"
GOOD = "Pitkä-ja-Hyvä-Salasana-2026"


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Inbox, int, Path]]:
    with smtp_server(tmp_path_factory.mktemp("smtp")) as server:
        yield server


@pytest.fixture
def mail_app(app: Flask, smtp: tuple[Inbox, int, Path]) -> Iterator[Flask]:
    inbox, port, ca_file = smtp
    inbox.messages.clear()
    inbox.recipients.clear()
    settings = {
        "smtp_host": HOST,
        "smtp_port": port,
        "smtp_user": USER,
        "smtp_password": PASSWORD,
        "smtp_ca_file": ca_file,
        "mail_from": "tukiverkko@example.fi",
        "mail_quiet_hours": "",
        "public_url": PUBLIC_URL,
    }
    with app_with(app, **settings) as variant:
        yield variant


def browser(application: Flask) -> FlaskClient:
    client = application.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def post(client: FlaskClient, path: str, data: dict[str, str], form_page: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, form_page or path), **data})


def test_a_user_saves_their_address_and_choice_and_bad_input_is_a_clear_400(
    client: FlaskClient, db: Session
) -> None:
    record = factories.county_case(db)
    account = factories.user(db, Role.CLIENT, client=record.client)
    account.locale = "en"
    db.commit()
    login(client, account.username)
    page = client.get("/account/email").get_data(as_text=True)
    assert "E-mails come in the language you have chosen: English." in page
    assert "does not send e-mail yet" in page  # no SMTP server in the test settings

    bad = post(client, "/account/email", {"email": "kalle at example", "notify": "y"})
    assert bad.status_code == 400
    assert "should look like name@example.fi" in bad.get_data(as_text=True)
    missing = post(client, "/account/email", {"email": "", "notify": "y"})
    assert missing.status_code == 400 and "Type your e-mail address" in missing.get_data(
        as_text=True
    )

    saved = post(client, "/account/email", {"email": " kalle@example.fi ", "notify": "y"})
    assert saved.status_code == 302
    stored = address_of(db, account.id)
    assert stored is not None and (stored.address, stored.notify) == ("kalle@example.fi", True)
    assert 'value="kalle@example.fi"' in client.get("/account/email").get_data(as_text=True)

    assert post(client, "/account/email", {"email": ""}).status_code == 302
    db.expire_all()
    assert address_of(db, account.id) is None


def test_an_invitation_with_an_address_goes_by_email_only_and_its_link_works(
    mail_app: Flask, db: Session, smtp: tuple[Inbox, int, Path]
) -> None:
    inbox = smtp[0]
    county = factories.organisation(db, OrgKind.COUNTY)
    admin = factories.user(db, Role.ADMIN, county)
    db.commit()
    staff_browser = browser(mail_app)
    login(staff_browser, admin.username)
    assert 'name="email"' in staff_browser.get("/admin/users/invite").get_data(as_text=True)
    refused = post(
        staff_browser,
        "/admin/users/invite",
        {
            "display_name": "Liisa Kokeilu",
            "username": "liisa.kokeilu",
            "role": "caseworker",
            "organisation_id": str(county.id),
            "email": "not an address",
        },
    )
    assert refused.status_code == 400
    assert db.scalar(select(User.id).where(User.username == "liisa.kokeilu")) is None

    answer = post(
        staff_browser,
        "/admin/users/invite",
        {
            "display_name": "Liisa Kokeilu",
            "username": "liisa.kokeilu",
            "role": "caseworker",
            "organisation_id": str(county.id),
            "email": "liisa@kunta.example.fi",
        },
    )
    assert answer.status_code == 302
    page = staff_browser.get(answer.headers["Location"]).get_data(as_text=True)
    assert "on its way by e-mail to liisa@kunta.example.fi" in page
    assert "/invitation/" not in page  # the link is not shown to the administrator
    db.expire_all()
    invited = db.scalars(select(User).where(User.username == "liisa.kokeilu")).one()
    address = db.scalars(select(EmailAddress).where(EmailAddress.user_id == invited.id)).one()
    assert (address.address, address.notify) == ("liisa@kunta.example.fi", False)

    with mail_app.app_context():
        assert mail.send_due(flask_db.session).sent == 1
    [message] = inbox.messages
    assert inbox.recipients == ["liisa@kunta.example.fi"]
    assert "Liisa" not in message.get_content()
    [link] = re.findall(r"https://\S+", message.get_content())
    assert link.startswith(PUBLIC_URL + "/invitation/")
    db.expire_all()
    assert db.scalars(select(OutboxMessage.link)).all() == [None]  # forgotten once sent

    newcomer = browser(mail_app)
    path = link.removeprefix(PUBLIC_URL)
    assert post(newcomer, path, {"password": GOOD, "confirm": GOOD}).headers["Location"] == (
        "/login"
    )
    assert login(newcomer, "liisa.kokeilu", GOOD).status_code == 302


def test_a_password_reset_link_goes_to_the_saved_address_and_sets_a_new_password(
    mail_app: Flask, db: Session, smtp: tuple[Inbox, int, Path]
) -> None:
    inbox = smtp[0]
    county = factories.organisation(db, OrgKind.COUNTY)
    admin = factories.user(db, Role.ADMIN, county)
    worker = factories.user(db, Role.CASEWORKER, county)
    worker.locale = "fi"
    no_address = factories.user(db, Role.CASEWORKER, county)
    db.add(EmailAddress(user_id=worker.id, address="tyontekija@kunta.example.fi"))
    db.commit()
    earlier = browser(mail_app)  # signed in with the old password, before the reset
    assert login(earlier, worker.username).status_code == 302
    assert earlier.get("/account").status_code == 200
    staff_browser = browser(mail_app)
    login(staff_browser, admin.username)
    assert "Send the link by e-mail" not in staff_browser.get(
        f"/admin/users/{no_address.id}"
    ).get_data(as_text=True)
    form_page = f"/admin/users/{no_address.id}"
    refused = post(staff_browser, f"/admin/users/{no_address.id}/password-link", {}, form_page)
    assert refused.status_code == 302
    assert "has no e-mail address" in staff_browser.get(form_page).get_data(as_text=True)
    assert db.scalars(select(OutboxMessage)).all() == []

    form_page = f"/admin/users/{worker.id}"
    assert "Send the link by e-mail" in staff_browser.get(form_page).get_data(as_text=True)
    answer = post(staff_browser, f"/admin/users/{worker.id}/password-link", {}, form_page)
    assert answer.status_code == 302
    assert "/invitation/" not in staff_browser.get(form_page).get_data(as_text=True)
    with mail_app.app_context():
        assert mail.send_due(flask_db.session).sent == 1
    [message] = inbox.messages
    assert message["Subject"] == "Valitse uusi salasana Tukiverkkoon"
    [link] = re.findall(r"https://\S+", message.get_content())
    owner = browser(mail_app)
    assert (
        post(owner, link.removeprefix(PUBLIC_URL), {"password": GOOD, "confirm": GOOD}).status_code
        == 302
    )
    assert login(owner, worker.username, GOOD).status_code == 302
    assert earlier.get("/account").status_code == 302  # the old sign-in ended with the reset
    db.expire_all()
    details = db.scalars(select(AccountEvent.detail).where(AccountEvent.user_id == worker.id)).all()
    assert "password reset link" in details


def test_without_email_configured_the_invitation_form_has_no_address_field(
    client: FlaskClient, db: Session
) -> None:
    admin = factories.user(db, Role.ADMIN, factories.organisation(db, OrgKind.COUNTY))
    db.commit()
    login(client, admin.username)
    assert 'name="email"' not in client.get("/admin/users/invite").get_data(as_text=True)
