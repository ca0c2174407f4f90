"""Reminders: one registry for the in-app lists and the daily e-mail.

A world with one of each reminder: a plan review coming up, a consent about to end, a
checklist item of a partner's past its day, a client's question about their log, a log
request near its deadline. Each reaches its audience (the worker, the client, the partner)
and no one else; the numbers agree with the dashboard's; the daily e-mail goes once a day to
each user who chose it, over a real SMTP server, saying nothing about anyone; the client
extends the ending consent from "My page" through the information text and the preview.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.client_log import commands as client_log
from app.consents.texts import FIRST_VERSION
from app.dashboard import queries as dashboard
from app.extensions import db as flask_db
from app.i18n import helsinki_today
from app.labels import SECTIONS
from app.log_requests import commands as log_requests
from app.models import Case, Client, ClientPlan, Organisation, PlanSectionVersion, Role, User
from app.models.log_request import LogRequest
from app.models.outbox import EmailAddress, MailKind, OutboxMessage
from app.models.release import ChecklistItem
from app.outbox import commands as outbox
from app.plan.content import SectionContent
from app.reminders import queries as reminders
from app.reminders.rules import ReminderKind, counted, extension_until
from app.security import new_gate
from consent.base import utcnow
from consent.facts import SYSTEM_ACTOR, Purpose
from consent.models import Consent, ConsentState
from consent.sections import SectionKind
from sharing.access_log import AccessLogEntry
from sharing.fields import field_ref, sealed
from tests import factories
from tests.conftest import app_with, csrf_token, login
from tests.integration.test_outbox import PUBLIC_URL, mail_settings, send
from tests.smtp_server import Inbox, smtp_server

CLIENT_NAME = "Kuvitteellinen Kerttu"
PARTNER_NAME = "Asuntotoimisto Kuvitteellinen (fictional)"
HOUSING_TEXT = "Oma vuokra-asunto Kuopiosta (fictional)"
TASK_TITLE = "Vuokrasopimuksen allekirjoitus (fictional)"


@pytest.fixture(scope="module")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Inbox, int, Path]]:
    with smtp_server(tmp_path_factory.mktemp("smtp")) as server:
        yield server


@pytest.fixture
def inbox(smtp: tuple[Inbox, int, Path]) -> Inbox:
    """The module's STARTTLS server's inbox, emptied."""
    smtp[0].messages.clear()
    smtp[0].recipients.clear()
    return smtp[0]


@pytest.fixture
def mail_app(app: Flask, smtp: tuple[Inbox, int, Path]) -> Iterator[Flask]:
    with app_with(app, **mail_settings(smtp[1], smtp[2])) as variant:
        yield variant


@dataclass
class World:
    county_id: object
    worker: User
    colleague: User  # same county, no relationship to the case
    client: Client
    client_user: User
    case: Case
    partner: User
    partner_colleague: User  # the same organisation's other staff member
    consent: Consent


def make_world(
    db: Session, *, partner_name: str = PARTNER_NAME, county: Organisation | None = None
) -> World:
    """One case with one of every reminder, all due today."""
    today = helsinki_today()
    base = factories.county_case(db, name=CLIENT_NAME, county=county)
    client_user = factories.user(db, Role.CLIENT, client=base.client)
    colleague = factories.user(db, Role.CASEWORKER, base.county)
    housing = factories.partner(
        db, base.case, name=partner_name, starts_on=today - timedelta(days=40)
    )
    partner_colleague = factories.user(db, Role.PARTNER, housing.organisation)
    version = factories.plan_section(
        db, base.actor, base.case, SectionKind.HOUSING, SectionContent(goals=HOUSING_TEXT)
    )
    consent = factories.consent(
        db,
        base.actor,
        base.case,
        housing.member,
        SectionKind.HOUSING,
        valid_from=today - timedelta(days=30),
        valid_until=today + timedelta(days=10),
    )
    # The plan (the section's) comes up for review in three days.
    for plan_row in db.scalars(select(ClientPlan).where(ClientPlan.case_id == base.case.id)):
        plan_row.review_on = today + timedelta(days=3)
    # The partner's task, two days late.
    item = ChecklistItem(
        case_id=base.case.id,
        client_id=base.client.id,
        due_on=today - timedelta(days=2),
        responsible_member_id=housing.member.id,
    )
    item.title_ct = new_gate().write_text(
        SYSTEM_ACTOR,
        field_ref(item, ChecklistItem.title_ct),
        TASK_TITLE,
        purpose=Purpose.ADMINISTRATION,
    )
    db.add(item)
    # The partner reads the housing section; the client does not recognise it.
    new_gate().read_texts(
        housing.actor,
        [sealed(version, PlanSectionVersion.content_ct)],
        purpose=Purpose.NETWORK_COOPERATION,
    )
    db.flush()
    entry = db.scalars(
        select(AccessLogEntry)
        .where(
            AccessLogEntry.client_id == base.client.id,
            AccessLogEntry.actor_user_id == housing.staff.id,
        )
        .order_by(AccessLogEntry.seq.desc())
    ).first()
    assert entry is not None
    client_log.open_query(
        db, new_gate(), factories.actor(client_user), case=base.case, entry=entry, note=None
    )
    # A log request three days from its deadline.
    request = log_requests.start_request(db, new_gate(), base.actor, case=base.case, language="fi")
    request.due_on = today + timedelta(days=3)
    db.flush()
    return World(
        base.county.id,
        base.worker,
        colleague,
        base.client,
        client_user,
        base.case,
        housing.staff,
        partner_colleague,
        consent,
    )


@pytest.fixture
def world(db: Session) -> World:
    w = make_world(db)
    db.commit()
    return w


def kinds(db: Session, user: User) -> dict[ReminderKind, int]:
    return dict(counted(reminders.reminders_of(db, user.id, user.role, helsinki_today())))


def test_each_reminder_reaches_its_audience_and_no_one_else(db: Session, world: World) -> None:
    assert kinds(db, world.worker) == {
        ReminderKind.REVIEW_DUE: 1,
        ReminderKind.CONSENT_ENDING: 1,
        ReminderKind.CHECKLIST_OVERDUE: 1,
        ReminderKind.LOG_QUERY: 1,
        ReminderKind.LOG_REQUEST_DEADLINE: 1,
    }
    assert kinds(db, world.client_user) == {ReminderKind.CONSENT_ENDING: 1}
    assert kinds(db, world.partner) == {ReminderKind.CHECKLIST_OVERDUE: 1}
    assert kinds(db, world.partner_colleague) == {ReminderKind.CHECKLIST_OVERDUE: 1}
    assert kinds(db, world.colleague) == {}
    everyone = reminders.users_with_reminders(db, helsinki_today())
    assert everyone == {
        world.worker.id,
        world.client_user.id,
        world.partner.id,
        world.partner_colleague.id,
    }


def test_done_things_and_ended_memberships_remind_no_more(db: Session, world: World) -> None:
    db.execute(update(ChecklistItem).values(state="done"))
    db.execute(update(LogRequest).values(due_on=helsinki_today() + timedelta(days=20)))
    db.execute(update(Consent).values(valid_until=helsinki_today() + timedelta(days=60)))
    db.flush()
    assert kinds(db, world.partner) == {}
    assert kinds(db, world.client_user) == {}
    assert set(kinds(db, world.worker)) == {ReminderKind.REVIEW_DUE, ReminderKind.LOG_QUERY}


def test_the_workers_reminders_are_the_dashboards_numbers(db: Session, world: World) -> None:
    numbers = dashboard.counts(db, world.worker.id, world.county_id, helsinki_today())  # type: ignore[arg-type]
    mine = kinds(db, world.worker)
    assert mine[ReminderKind.REVIEW_DUE] == numbers.reviews_due
    assert mine[ReminderKind.CONSENT_ENDING] == numbers.consents_expiring
    assert mine[ReminderKind.CHECKLIST_OVERDUE] == numbers.overdue_items
    assert mine[ReminderKind.LOG_QUERY] == numbers.log_queries


def test_every_source_costs_one_statement_whatever_the_number_of_users_and_rows(
    db: Session, world: World, sql_count: list[str]
) -> None:
    today = helsinki_today()
    reminders.users_with_reminders(db, today)
    once = len(sql_count)
    assert once == len(reminders.SOURCES)
    for n in range(3):
        make_world(db, partner_name=f"{PARTNER_NAME} {n}")
    db.flush()
    sql_count.clear()
    assert len(reminders.users_with_reminders(db, today)) == 4 * 4
    assert len(sql_count) == once
    sql_count.clear()
    reminders.reminders_of(db, world.worker.id, Role.CASEWORKER, today)
    assert len(sql_count) == len(reminders.sources_for(reminders.Audience.WORKER))


def test_a_partners_overdue_items_are_found_from_the_open_items_due_on_sqlite(
    db: Session, world: World, sql_count: list[str]
) -> None:
    """Not from every open case in the country (SQLite, without statistics, took the
    equality on ``closed_at`` for a narrow one): from the partial index of open items."""
    if db.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's planner chooses by its statistics
    reminders.reminders_of(db, world.partner.id, Role.PARTNER, helsinki_today())
    [statement] = [s for s in sql_count if "release_checklist_items.due_on" in s]
    plan = [
        row[-1]
        for row in db.connection().exec_driver_sql(
            f"EXPLAIN QUERY PLAN {statement}", (None,) * statement.count("?")
        )
    ]
    items = next(step for step in plan if "release_checklist_items" in step)
    assert "ix_release_checklist_items_open_due" in items, plan
    assert not any("ix_cases_closed_at" in step for step in plan), plan


# -- the daily e-mail ----------------------------------------------------------------------------


def choose_email(db: Session, user: User, locale: str, *, notify: bool = True) -> str:
    address = f"{user.username}@example.fi"
    user = db.merge(user)  # the world's objects may have left the session
    user.locale = locale
    outbox.set_address(db, user, address=address, notify=notify, now=utcnow())
    return address


def test_the_daily_email_goes_once_to_each_user_who_chose_it_and_names_nothing(
    app: Flask, db: Session, world: World, mail_app: Flask, inbox: Inbox
) -> None:
    expected = {
        choose_email(db, world.worker, "en"): "Something is waiting for you in Tukiverkko",
        choose_email(db, world.client_user, "sv"): "Något väntar på dig i Tukiverkko",
        choose_email(db, world.partner, "fi"): "Tukiverkossa on sinulle jotain odottamassa",
    }
    choose_email(db, world.colleague, "fi")  # chose e-mail, nothing waits for them
    choose_email(db, world.partner_colleague, "fi", notify=False)  # did not choose e-mail
    db.commit()

    report = send(mail_app)

    assert (report.reminders_queued, report.sent) == (3, 3)
    assert sorted(inbox.recipients) == sorted(expected)
    assert {m["To"]: m["Subject"] for m in inbox.messages} == expected
    forbidden = [CLIENT_NAME, *CLIENT_NAME.split(), PARTNER_NAME, HOUSING_TEXT, TASK_TITLE]
    forbidden += [world.worker.display_name, world.worker.username, world.client_user.username]
    with mail_app.app_context():
        for locale in ("fi", "sv", "en"):
            with force_locale(locale):
                forbidden += [str(label) for label in SECTIONS.values()]
    for message in inbox.messages:
        body = message["Subject"] + "\n" + message.get_content()
        for word in forbidden:
            assert word not in body.replace(message["To"], "")
        assert re.findall(r"https?://\S+", body) == [PUBLIC_URL + "/"]

    # A second run the same day queues nothing, from `flask outbox send` or `remind` alike.
    assert send(mail_app).reminders_queued == 0
    result = mail_app.test_cli_runner().invoke(args=["outbox", "remind"])
    assert result.exit_code == 0 and "0 reminders queued" in result.output
    assert len(inbox.messages) == 3

    # The next day, again (to whom something still waits).
    db.execute(update(EmailAddress).values(reminded_on=helsinki_today() - timedelta(days=1)))
    db.commit()
    result = mail_app.test_cli_runner().invoke(args=["outbox", "remind"])
    assert "3 reminders queued" in result.output


def test_turning_email_off_stops_the_reminders(
    db: Session, world: World, mail_app: Flask, inbox: Inbox
) -> None:
    choose_email(db, world.client_user, "fi")
    choose_email(db, world.client_user, "fi", notify=False)
    db.commit()
    assert send(mail_app).reminders_queued == 0
    assert inbox.messages == []


@pytest.mark.postgresql_only
def test_two_nodes_queueing_at_once_queue_one_reminder_each(race_app: Flask) -> None:
    with race_app.app_context():
        session = flask_db.session
        w = make_world(session)
        for user in (w.worker, w.client_user, w.partner):
            choose_email(session, user, "fi")
        session.commit()
    queued: list[int] = []
    start = threading.Barrier(2)

    def node() -> None:
        with race_app.app_context():
            start.wait(timeout=30)
            now = utcnow()
            queued.append(
                outbox.queue_daily_reminders(flask_db.session, today=helsinki_today(), now=now)
            )
            flask_db.session.commit()
            flask_db.session.remove()

    threads = [threading.Thread(target=node) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with race_app.app_context():
        rows = flask_db.session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == MailKind.REMINDER)
        )
    assert sorted(queued) == [0, 3] and rows == 3


# -- the client extends from "My page" -----------------------------------------------------------


def page_text(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(response.get_data(as_text=True))


def test_the_client_extends_an_ending_consent_in_one_step_through_the_text_and_preview(
    client: FlaskClient, db: Session, world: World
) -> None:
    until = extension_until(world.consent.valid_from, world.consent.valid_until)  # type: ignore[arg-type]
    login(client, world.client_user.username)
    home = page_text(client.get("/my/"))
    assert "Waiting for you" in home and PARTNER_NAME in home
    form = re.search(
        r'<form method="post" action="(/my/consents/[^"]+/extend)".*?</form>', home, re.S
    )
    assert form is not None
    fields = dict(
        re.findall(
            r'<input type="hidden" name="(sections|valid_until)" value="([^"]*)"', form.group(0)
        )
    )
    assert fields == {"sections": "housing", "valid_until": until.isoformat()}

    # The one step: the form as "My page" has it, to the confirmation page.
    review = client.post(
        form.group(1),
        data={"csrf_token": csrf_token(client, "/my/"), **fields, "step": "review"},
    )
    assert review.status_code == 200
    confirm = page_text(review)
    assert "Check and confirm" in confirm and "I have read the information above" in confirm
    assert HOUSING_TEXT in confirm  # the preview: what they would see
    done = client.post(
        form.group(1),
        data={
            "csrf_token": csrf_token(client, "/my/"),
            **fields,
            "step": "confirm",
            "information_read": "y",
            "information_text_version": FIRST_VERSION,
        },
    )
    assert done.status_code == 302 and "/my/consents/receipts/" in done.headers["Location"]
    db.expire_all()
    new = db.scalars(select(Consent).where(Consent.supersedes_id == world.consent.id)).one()
    assert new.valid_until == until and new.sections == ["housing"]
    assert new.information_text_version == FIRST_VERSION
    assert db.get(Consent, world.consent.id).state is not ConsentState.ACTIVE  # type: ignore[union-attr]
    assert "Waiting for you" not in page_text(client.get("/my/"))


def test_the_partners_home_says_how_many_tasks_are_late_and_nothing_more(
    client: FlaskClient, world: World
) -> None:
    login(client, world.partner.username)
    home = page_text(client.get("/partner/"))
    assert "Tasks of your organisation past their due day: 1." in home


# -- the administrator's view of e-mail ----------------------------------------------------------


@pytest.fixture
def outbox_world(db: Session) -> Iterator[dict[str, object]]:
    record = factories.county_case(db)
    other = factories.county_case(db)
    admin = factories.user(db, Role.ADMIN, record.county)
    for account in (record.worker, other.worker):
        outbox.set_address(
            db, account, address=f"{account.username}@example.fi", notify=True, now=utcnow()
        )
        outbox.notify(db, account.id, MailKind.REMINDER, now=utcnow())
    invitation = outbox.send_link(
        db,
        record.worker,
        MailKind.STAFF_INVITATION,
        address="uusi.tyontekija@example.fi",
        link=PUBLIC_URL + "/invitation/x",
        now=utcnow(),
    )
    mine, theirs = db.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == MailKind.REMINDER)
        .order_by(OutboxMessage.user_id == other.worker.id)
    ).all()
    for message in (mine, theirs, invitation):
        message.state, message.attempts, message.last_error = "failed", 8, "SMTPDataError 451"
        if message is invitation:
            message.link = None
    db.commit()
    yield {
        "admin": admin,
        "mine": mine,
        "theirs": theirs,
        "invitation": invitation,
        "worker": record.worker,
    }


def test_the_administrator_sees_their_countys_unsent_mail_and_retries_it(
    client: FlaskClient,
    db: Session,
    outbox_world: dict[str, object],
    mail_app: Flask,
    inbox: Inbox,
) -> None:
    admin, mine, theirs = outbox_world["admin"], outbox_world["mine"], outbox_world["theirs"]
    worker = outbox_world["worker"]
    assert isinstance(admin, User) and isinstance(worker, User)
    assert isinstance(mine, OutboxMessage) and isinstance(theirs, OutboxMessage)
    login(client, admin.username)
    page = page_text(client.get("/admin/mail"))
    assert worker.username in page and "SMTPDataError 451" in page and "Given up" in page
    assert f"{worker.username}@example.fi" not in page  # the address is shortened
    assert f"{worker.username[0]}…@example.fi" in page
    assert f"/admin/mail/{theirs.id}/retry" not in page  # another county's

    token = csrf_token(client, "/admin/mail")
    assert (
        client.post(f"/admin/mail/{theirs.id}/retry", data={"csrf_token": token}).status_code == 404
    )
    invitation = outbox_world["invitation"]
    assert isinstance(invitation, OutboxMessage)
    refused = client.post(
        f"/admin/mail/{invitation.id}/retry", data={"csrf_token": token}, follow_redirects=True
    )
    assert "no longer has its link" in page_text(refused)

    done = client.post(f"/admin/mail/{mine.id}/retry", data={"csrf_token": token})
    assert done.status_code == 302
    db.expire_all()
    again = db.get(OutboxMessage, mine.id)
    assert again is not None and (again.state.value, again.attempts) == ("pending", 0)
    twice = client.post(
        f"/admin/mail/{mine.id}/retry", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Only an e-mail that was given up on" in page_text(twice)
    assert send(mail_app).sent == 1
    assert inbox.recipients == [f"{worker.username}@example.fi"]


def test_my_page_runs_the_same_statements_for_one_ending_consent_or_three(
    client: FlaskClient, db: Session, world: World, sql_count: list[str]
) -> None:
    login(client, world.client_user.username)

    def statements() -> int:
        client.get("/my/")  # warm
        sql_count.clear()
        assert "Extend it until" in page_text(client.get("/my/"))
        return len(sql_count)

    one = statements()
    worker = db.merge(world.worker)
    for n in range(2):
        other = factories.partner(db, world.case, name=f"Toinen toimisto {n} (fictional)")
        factories.consent(
            db,
            factories.actor(worker),
            world.case,
            other.member,
            SectionKind.HOUSING,
            valid_until=helsinki_today() + timedelta(days=5 + n),
        )
    db.commit()
    assert page_text(client.get("/my/")).count("Extend it until") == 3
    assert statements() == one


def test_a_question_about_the_workers_own_access_reminds_their_team_lead_instead(
    db: Session, world: World
) -> None:
    worker, lead = db.merge(world.worker), db.merge(world.colleague)
    client_log.set_team_lead(db, worker, lead, by=None)
    own = db.scalars(
        select(AccessLogEntry)
        .where(
            AccessLogEntry.client_id == world.client.id,
            AccessLogEntry.actor_user_id == worker.id,
        )
        .order_by(AccessLogEntry.seq.desc())
    ).first()
    assert own is not None
    case = db.get(Case, world.case.id)
    assert case is not None
    client_log.open_query(
        db, new_gate(), factories.actor(world.client_user), case=case, entry=own, note=None
    )
    db.flush()
    assert kinds(db, lead) == {ReminderKind.LOG_QUERY: 1}
    assert kinds(db, worker)[ReminderKind.LOG_QUERY] == 1  # the partner's, not their own
    assert lead.id in reminders.users_with_reminders(db, helsinki_today())
