"""E-mail through the outbox, delivered to a real SMTP server (aiosmtpd) and read back.

Rows are added in the event's transaction; ``app.mail.send_due`` (``flask outbox send``)
claims and sends them over STARTTLS or implicit TLS with the certificate checked and the
password from the settings; failures back off; quiet hours hold notifications; two senders
on PostgreSQL send each message exactly once. No e-mail says more than that something waits.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app import mail
from app.extensions import db as flask_db
from app.i18n import helsinki_today
from app.labels import SECTIONS
from app.models import Role, User
from app.models.outbox import EmailAddress, MailKind, MailState, OutboxMessage
from app.outbox import commands as outbox
from app.outbox.rules import MAX_ATTEMPTS
from app.plan.content import SectionContent
from consent.base import utcnow
from consent.sections import SectionKind
from consent.status import HELSINKI
from tests import factories
from tests.conftest import app_with
from tests.smtp_server import HOST, PASSWORD, USER, Inbox, smtp_server

PUBLIC_URL = "https://tukiverkko.example.fi"


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Inbox, int, Path]]:
    with smtp_server(tmp_path_factory.mktemp("smtp")) as server:
        yield server


@pytest.fixture
def starttls(smtp: tuple[Inbox, int, Path]) -> tuple[Inbox, int, Path]:
    """The module's STARTTLS server with an empty inbox, accepting mail."""
    inbox = smtp[0]
    inbox.messages.clear()
    inbox.recipients.clear()
    inbox.refuse = False
    return smtp


def mail_settings(port: int, ca_file: Path | None, **changes: object) -> dict[str, object]:
    return {
        "smtp_host": HOST,
        "smtp_port": port,
        "smtp_security": "starttls",
        "smtp_user": USER,
        "smtp_password": PASSWORD,
        "smtp_ca_file": ca_file,
        "mail_from": "tukiverkko@example.fi",
        "mail_quiet_hours": "",
        "public_url": PUBLIC_URL,
        **changes,
    }


@pytest.fixture
def mail_app(app: Flask, starttls: tuple[Inbox, int, Path]) -> Iterator[Flask]:
    port, ca_file = starttls[1:]
    with app_with(app, **mail_settings(port, ca_file)) as variant:
        yield variant


def send(application: Flask) -> mail.SendReport:
    with application.app_context():
        return mail.send_due(flask_db.session)


def opted_in(db: Session, *, locale: str = "fi", address: str = "kalle@example.fi") -> User:
    record = factories.county_case(db)
    account = factories.user(db, Role.CLIENT, client=record.client)
    account.locale = locale
    outbox.set_address(db, account, address=address, notify=True, now=utcnow())
    return account


def rows(db: Session) -> list[OutboxMessage]:
    db.expire_all()
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)))


def test_a_notification_goes_over_starttls_in_the_users_language_and_says_nothing_more(
    db: Session, mail_app: Flask, starttls: tuple[Inbox, int, Path]
) -> None:
    inbox = starttls[0]
    account = opted_in(db, locale="sv")
    assert outbox.notify(db, account.id, MailKind.NEW_MESSAGE, now=utcnow())
    db.commit()

    report = send(mail_app)

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [message] = inbox.messages
    assert inbox.recipients == ["kalle@example.fi"]
    assert (USER, PASSWORD) in inbox.logins
    assert message["Subject"] == "Du har ett nytt meddelande i Tukiverkko"
    assert message["From"] == "tukiverkko@example.fi"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_content()
    assert re.findall(r"https?://\S+", body) == [PUBLIC_URL + "/"]
    [row] = rows(db)
    assert row.state is MailState.SENT and row.sent_at is not None
    assert send(mail_app).sent == 0  # sent once


def test_implicit_tls_works_too(db: Session, app: Flask, tmp_path: Path) -> None:
    account = opted_in(db)
    outbox.notify(db, account.id, MailKind.REMINDER, now=utcnow())
    db.commit()
    with (
        smtp_server(tmp_path, implicit_tls=True) as (inbox, port, ca_file),
        app_with(app, **mail_settings(port, ca_file, smtp_security="tls")) as variant,
    ):
        assert send(variant).sent == 1
    [message] = inbox.messages
    assert message["Subject"] == "Tukiverkossa on sinulle jotain odottamassa"


def test_nothing_is_queued_for_a_user_who_did_not_choose_email(db: Session) -> None:
    account = opted_in(db)
    outbox.set_address(db, account, address="kalle@example.fi", notify=False, now=utcnow())
    assert not outbox.notify(db, account.id, MailKind.NEW_MESSAGE, now=utcnow())
    assert rows(db) == []


def test_a_message_of_an_event_rolled_back_is_never_sent(
    db: Session, mail_app: Flask, starttls: tuple[Inbox, int, Path]
) -> None:
    account = opted_in(db)
    db.commit()
    outbox.notify(db, account.id, MailKind.NEW_MESSAGE, now=utcnow())
    db.rollback()  # the event failed: its e-mail goes with it
    assert rows(db) == []
    assert send(mail_app).sent == 0 and starttls[0].messages == []


def test_a_server_that_refuses_is_tried_again_later_with_a_growing_wait_then_given_up(
    db: Session, mail_app: Flask, starttls: tuple[Inbox, int, Path]
) -> None:
    inbox = starttls[0]
    account = opted_in(db)
    link = PUBLIC_URL + "/invitation/one-time-token"
    outbox.send_link(
        db, account, MailKind.STAFF_INVITATION, address="uusi@example.fi", link=link, now=utcnow()
    )
    db.commit()
    inbox.refuse = True
    before = utcnow()
    assert send(mail_app).retrying == 1
    [row] = rows(db)
    assert (row.state, row.attempts, row.last_error) == (
        MailState.PENDING,
        1,
        "SMTPDataError 451",
    )
    assert before + timedelta(minutes=1) <= row.next_attempt_at <= utcnow() + timedelta(minutes=1)
    assert send(mail_app).retrying == 0  # not due yet: nothing tried

    db.execute(update(OutboxMessage).values(next_attempt_at=utcnow(), attempts=3))
    db.commit()
    send(mail_app)
    [row] = rows(db)
    assert row.attempts == 4 and row.next_attempt_at >= utcnow() + timedelta(minutes=7)

    db.execute(update(OutboxMessage).values(next_attempt_at=utcnow(), attempts=MAX_ATTEMPTS - 1))
    db.commit()
    assert send(mail_app).failed == 1
    [row] = rows(db)
    assert row.state is MailState.FAILED and row.link is None  # the link is not kept
    assert inbox.messages == []


def test_an_untrusted_certificate_is_a_failed_attempt_not_a_plaintext_send(
    db: Session, app: Flask, starttls: tuple[Inbox, int, Path]
) -> None:
    inbox, port, _ = starttls
    account = opted_in(db)
    outbox.notify(db, account.id, MailKind.NEW_MESSAGE, now=utcnow())
    db.commit()
    with app_with(app, **mail_settings(port, None)) as variant:  # the system's CAs only
        assert send(variant).retrying == 1
    assert rows(db)[0].last_error == "SSLCertVerificationError"
    assert inbox.messages == []


def quiet_now() -> str:
    hour = utcnow().astimezone(HELSINKI).hour
    return f"{hour}-{(hour + 1) % 24}"


def test_in_quiet_hours_notifications_wait_and_links_go(
    db: Session, app: Flask, starttls: tuple[Inbox, int, Path]
) -> None:
    inbox, port, ca_file = starttls
    account = opted_in(db)
    outbox.notify(db, account.id, MailKind.NEW_MESSAGE, now=utcnow())
    outbox.send_link(
        db,
        account,
        MailKind.PASSWORD_RESET,
        address="kalle@example.fi",
        link=PUBLIC_URL + "/invitation/x",
        now=utcnow(),
    )
    db.commit()
    with app_with(app, **mail_settings(port, ca_file, mail_quiet_hours=quiet_now())) as variant:
        assert send(variant).sent == 1
    assert [m["Subject"] for m in inbox.messages] == ["Valitse uusi salasana Tukiverkkoon"]
    assert {r.kind: r.state for r in rows(db)} == {
        MailKind.NEW_MESSAGE: MailState.PENDING,
        MailKind.PASSWORD_RESET: MailState.SENT,
    }


def test_a_claim_left_by_a_sender_that_died_is_sent_after_the_lease_only(
    db: Session, mail_app: Flask
) -> None:
    account = opted_in(db)
    outbox.notify(db, account.id, MailKind.NEW_MESSAGE, now=utcnow())
    now = utcnow()
    assert len(outbox.claim_due(db, claim="dead", now=now, limit=10, quiet=None)) == 1
    db.commit()
    assert send(mail_app).sent == 0
    db.execute(update(OutboxMessage).values(claimed_at=now - timedelta(minutes=16)))
    db.commit()
    assert send(mail_app).sent == 1


# -- every kind, in every language, says nothing about anyone ------------------------------------

SECRETS = ("Kuvitteellinen Kalle", "Päihdekuntoutus Aamurusko", "asunto-ongelmat ja velat")


def test_no_email_of_any_kind_or_language_names_a_client_a_section_or_free_text(
    db: Session, mail_app: Flask, starttls: tuple[Inbox, int, Path]
) -> None:
    """The world around the events holds a client's name, a partner's name and free text; the
    e-mails that those events cause carry none of it (nor the worker's name or username)."""
    inbox = starttls[0]
    record = factories.county_case(db, name=SECRETS[0])
    factories.partner(db, record.case, name=SECRETS[1])
    worker = record.worker
    factories.plan_section(
        db,
        factories.actor(worker),
        record.case,
        SectionKind.HOUSING,
        SectionContent(goals=SECRETS[2], measures=SECRETS[2]),
    )
    link = PUBLIC_URL + "/invitation/the-one-time-token"
    for locale in ("fi", "sv", "en"):
        worker.locale = locale
        outbox.set_address(db, worker, address=f"{locale}@example.fi", notify=True, now=utcnow())
        for kind in MailKind:
            if kind in (MailKind.STAFF_INVITATION, MailKind.PASSWORD_RESET):
                outbox.send_link(
                    db, worker, kind, address=f"{locale}@example.fi", link=link, now=utcnow()
                )
            else:
                assert outbox.notify(db, worker.id, kind, now=utcnow())
    db.commit()
    forbidden = [*SECRETS, worker.display_name, worker.username, SECRETS[0].split()[0]]
    assert send(mail_app).sent == 3 * len(MailKind)
    assert len({m["Subject"] for m in inbox.messages}) == 3 * len(MailKind)  # each translated
    with mail_app.app_context():
        for locale in ("fi", "sv", "en"):
            with force_locale(locale):
                forbidden += [str(label) for label in SECTIONS.values()]
    for message in inbox.messages:
        text = message["Subject"] + "\n" + message.get_content()
        for word in forbidden:
            assert word not in text
        urls = re.findall(r"https?://\S+", text)
        assert urls in ([PUBLIC_URL + "/"], [link])


# -- two nodes send at once ----------------------------------------------------------------------

MESSAGES = 60


@pytest.mark.postgresql_only
def test_two_senders_at_once_send_every_message_exactly_once(
    race_app: Flask, starttls: tuple[Inbox, int, Path]
) -> None:
    inbox, port, ca_file = starttls
    with race_app.app_context():
        session = flask_db.session
        county = factories.organisation(session)
        worker = factories.user(session, Role.CASEWORKER, county)
        for n in range(MESSAGES):
            outbox.send_link(
                session,
                worker,
                MailKind.STAFF_INVITATION,
                address=f"staff{n}@example.fi",
                link=f"{PUBLIC_URL}/invitation/{n}",
                now=utcnow(),
            )
        session.commit()
    reports: list[mail.SendReport] = []
    start = threading.Barrier(2)
    with app_with(race_app, **mail_settings(port, ca_file)) as variant:

        def sender() -> None:
            with variant.app_context():
                start.wait(timeout=30)
                reports.append(mail.send_due(flask_db.session))
                flask_db.session.remove()

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with variant.app_context():
            states = flask_db.session.execute(
                select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
            ).all()
    assert sum(r.sent for r in reports) == MESSAGES and len(reports) == 2
    assert sorted(inbox.recipients) == sorted(f"staff{n}@example.fi" for n in range(MESSAGES))
    assert dict(states) == {MailState.SENT: MESSAGES}


# -- the day's reminders -------------------------------------------------------------------------


def test_a_caseworker_who_chose_email_gets_one_reminder_a_day_when_something_is_due(
    db: Session, mail_app: Flask, starttls: tuple[Inbox, int, Path]
) -> None:
    inbox = starttls[0]
    record = factories.county_case(db)
    due, idle = record.worker, factories.user(db, Role.CASEWORKER, record.county)
    factories.client_plan(db, record.case, review_on=helsinki_today() + timedelta(days=3))
    for worker, address in ((due, "due@example.fi"), (idle, "idle@example.fi")):
        worker.locale = "en"
        outbox.set_address(db, worker, address=address, notify=True, now=utcnow())
    db.commit()

    report = send(mail_app)
    assert (report.reminders_queued, report.sent) == (1, 1)
    [message] = inbox.messages
    assert inbox.recipients == ["due@example.fi"]  # the idle worker has nothing waiting
    assert message["Subject"] == "Something is waiting for you in Tukiverkko"
    assert "Kuvitteellinen" not in message.get_content()
    assert send(mail_app).reminders_queued == 0  # once a day

    db.execute(update(EmailAddress).values(reminded_on=helsinki_today() - timedelta(days=1)))
    db.commit()
    assert send(mail_app).reminders_queued == 1  # the next day, again


def test_no_reminder_is_queued_in_quiet_hours(
    db: Session, app: Flask, starttls: tuple[Inbox, int, Path]
) -> None:
    record = factories.county_case(db)
    factories.client_plan(db, record.case, review_on=helsinki_today())
    outbox.set_address(db, record.worker, address="due@example.fi", notify=True, now=utcnow())
    db.commit()
    port, ca_file = starttls[1:]
    with app_with(app, **mail_settings(port, ca_file, mail_quiet_hours=quiet_now())) as variant:
        assert send(variant).reminders_queued == 0
    assert rows(db) == []
