"""Every home and list page issues the same statements however many clients there are.

A page's cost must not grow with the country (issue 12: Kela and the Criminal Sanctions
Agency are members of nearly every network): lists page in SQL and gather case facts only
for the rows they show. Each page is counted in a small world and again after many more
clients — each shared with the partner, in the worker's caseload and logged — and must
run exactly as many statements, below a ceiling that keeps it near its round trips.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.appointments.commands import ask_about_appointment, book_appointment
from app.i18n import helsinki_today
from app.messages import commands as messages
from app.models import Case, Organisation, OrgKind, Role, User
from app.models.appointment import (
    AppointmentChannel,
    AppointmentPurpose,
    ClientAsk,
    ClientAskReason,
)
from app.models.message import ThreadKind
from app.research import commands as research
from app.security import new_gate
from app.statistics import national
from consent.base import Base, utcnow
from consent.sections import SectionKind
from sharing import access_log
from sharing.access_log import AccessAction, LogRecord
from sharing.keys import generate_keyring
from tests import factories
from tests.conftest import api_token, login
from tests.integration.test_person_access import enter_code, issue, make_world

MORE_THAN_A_PAGE = 30  # both the partner's list (20 a page) and the caseload (25 a page)


@dataclass
class World:
    county: Organisation
    housing: Organisation
    worker: User
    partner: User
    client_user: User
    admin: User
    manager: User
    officer: User  # the county's data-protection officer
    own_case: Case | None = None  # the client_user's case, where appointments are booked


@pytest.fixture
def world(db: Session) -> World:
    county = factories.organisation(db, OrgKind.COUNTY)
    housing = factories.organisation(db, OrgKind.PUBLIC_SERVICE, "Kuvitteellinen asuntotoimisto")
    worker = factories.user(db, Role.CASEWORKER, county)
    record, own_case = factories.client(db, county, name="Kuvitteellinen Oma", worker=worker)
    world = World(
        county=county,
        housing=housing,
        worker=worker,
        partner=factories.user(db, Role.PARTNER, housing),
        client_user=factories.user(db, Role.CLIENT, client=record),
        admin=factories.user(db, Role.ADMIN),
        manager=factories.user(db, Role.MANAGER, county),
        officer=factories.user(db, Role.DATA_PROTECTION, county),
        own_case=own_case,
    )
    # A refused attempt: the month's flags are never empty, whatever the size.
    access_log.append(
        db,
        [
            LogRecord(
                client_id=record.id,
                at=utcnow(),
                actor_user_id=world.partner.id,
                actor_role="partner",
                organisation_id=housing.id,
                action=AccessAction.READ,
                allowed=False,
                reason="denied_not_in_network",
                scope="section:housing",
                purpose="network_cooperation",
            )
        ],
    )
    # The county and two others joined the national statistics; a study's approval names
    # the county's analyst (the research page lists it).
    for joined in (county, *(factories.organisation(db, OrgKind.COUNTY) for _ in range(2))):
        national.set_national(db, joined.id, True, by=None)
    research.approve(
        db,
        generate_keyring(),
        world.officer,
        requester_id=factories.user(db, Role.ANALYST, county).id,
        study_name="Kuvitteellinen tutkimus",
        permit_reference="THL/1/2026",
        valid_from=helsinki_today(),
        expires_on=helsinki_today() + timedelta(days=30),
        today=helsinki_today(),
    )
    _thread(db, world, record.id, ThreadKind.CLIENT, [])
    grow(db, world, 2)
    return world


def grow(db: Session, world: World, clients: int) -> None:
    """``clients`` more clients, each in the worker's caseload and sharing housing with the
    housing office, each until another day, each with a meeting of the worker and the office;
    and as many more appointments of the client who signs in."""
    for n in range(clients):
        _, case = factories.client(
            db, world.county, name=f"Kuvitteellinen Asiakas {n}", worker=world.worker
        )
        member = factories.member(db, case, world.housing)
        factories.consent(
            db,
            factories.actor(world.worker),
            case,
            member,
            SectionKind.HOUSING,
            valid_until=helsinki_today() + timedelta(days=10 + n),
        )
        _meeting(db, world, case, [member.id], n)
        assert world.own_case is not None
        _meeting(db, world, world.own_case, [], n)
        _thread(db, world, case.client_id, ThreadKind.NETWORK, [member.id])
    db.commit()


def _meeting(db: Session, world: World, case: Case, members: list[uuid.UUID], n: int) -> None:
    """A meeting the client asks to move (the dashboard lists the requests)."""
    booked = book_appointment(
        db,
        new_gate(),
        factories.actor(world.worker),
        case,
        day=helsinki_today() + timedelta(days=1 + n % 9),
        start=time(9 + n % 8, 0),
        end=time(9 + n % 8, 45),
        channel=AppointmentChannel.VIDEO,
        purpose=AppointmentPurpose.NETWORK_MEETING,
        place_organisation_id=None,
        member_ids=members,
        staff_ids=[],
        by_id=world.worker.id,
        now=utcnow(),
    )
    ask_about_appointment(
        db,
        booked,
        ask=ClientAsk.MOVE,
        reason=ClientAskReason.CLASH,
        preference=None,
        by_user_id=world.worker.id,
        now=utcnow(),
    )


def _thread(
    db: Session, world: World, client_id: uuid.UUID, kind: ThreadKind, members: list[uuid.UUID]
) -> None:
    """A thread the worker starts about the client: with the housing office, or the client."""
    messages.start_thread(
        db,
        new_gate(),
        factories.actor(world.worker),
        client_id=client_id,
        kind=kind,
        subject="Asunnon haku (fictional)",
        body="Asuntonäyttö torstaina (fictional)",
        section=SectionKind.HOUSING if members else None,
        member_ids=members,
        now=utcnow(),
    )


PAGES = {  # name: (who, path, the statements it runs today: raise only with a reason)
    # 20: the organisation's conversations with new messages (one count, issue 17); the
    # reminders' sources for partners (overdue tasks, meetings tomorrow, messages left
    # unread: one each),
    # and (issue 17) the meetings the organisation takes part in: their count, the page's
    # rows (places joined) and their participants (one query).
    "partner's home": ("partner", "/partner/", 20),
    "partner's shared clients (API)": ("partner-api", "/api/v1/shared", 11),
    # 13: the count of county transfers waiting for the county's answer (one query), one
    # for the consent changes (withdrawals, re-confirmations, open notices, and the answers
    # to the worker's transfers not yet acknowledged), and one for the
    # clients' log requests waiting for the worker and how many are overdue.
    # 18 (issue 17): the worker's upcoming appointments with their clients (one query), whose
    # names join the updates' in the one LIST gate read (four statements, run whenever the
    # dashboard names any client); 19: the conversations with new messages (one count); 20:
    # the clients' requests to move or cancel a meeting (one query, names in the same read).
    "caseworker's dashboard": ("worker", "/caseworker/", 20),
    # The session, the count, the page's rows, the clients' names (one gate read: 2).
    "caseworker's log requests": ("worker", "/caseworker/dashboard/log-requests", 5),
    "caseworker's client list": ("worker", "/caseworker/clients", 8),
    # The session, the menu's intake count, the count, the page's rows with their transfers
    # (and, only when a declined client is on the page, their names: two more).
    "caseworker's transfer answers": ("worker", "/caseworker/dashboard/transfer-answers", 4),
    # 9: the client's accepted county transfers (one query; one more only when a transfer
    # ended consents, to name them).
    # 11: the reminders' sources for clients (consents about to end, meetings tomorrow,
    # messages left unread); when
    # there are some, five more whatever their number (the consents, the members, their names
    # in one gate read) for "Extend it until …" (tests/integration/test_reminders.py).
    # +1 (issue 17): the conversations with new messages (one count).
    # +1 (issue 17): the client's next three meetings with their places (one query).
    "client's home": ("client", "/my/", 14),
    # Messages (issue 17): the session, the count and the page's threads (unread in the same
    # statement), then one gate read of the page's names (the worker's and the partner's
    # lists) or subjects (the client's own): facts, keys, the log's entries.
    "caseworker's messages": ("worker", "/caseworker/messages", 8),
    "client's messages": ("client", "/my/messages", 9),
    "partner's messages": ("partner", "/partner/messages", 11),
    "partner's threads (API)": ("partner-api", "/api/v1/threads", 11),
    # +2 (issue 15): the page's rows are grouped in SQL, then its single entries and the
    # groups' newest looks are loaded in one query; the organisation filter lists its choices.
    "client's access log": ("client", "/my/log", 10),
    # 6: the client's accepted county transfers (one query), for the notice of the move.
    "client's consent receipts": ("client", "/my/consents/receipts", 6),
    # The session, the count, the page's rows (the place named in a join), their
    # participants (one query), the client's record and case.
    "client's appointments": ("client", "/my/appointments", 6),
    "administrator's home": ("admin", "/admin/", 3),
    # The session, the count, the page's rows (staff counted in a correlated subquery).
    "administrator's organisations": ("admin", "/admin/organisations", 3),
    "administrator's staff accounts": ("admin", "/admin/users", 3),
    "administrator's clients' sign-ins": ("admin", "/admin/clients", 3),
    # The session, the count, the page's rows (county named in a join).
    "administrator's upcoming disposals": ("admin", "/admin/disposals", 3),
    "administrator's county settings": ("admin", "/admin/settings", 3),
    # The session, the count, the page's rows (the account in an outer join).
    "administrator's unsent e-mail": ("admin", "/admin/mail", 3),
    # The session, then one statement per kind of coded fact (app.statistics.queries): 17
    # since the desistance factors at assessment and at closing are two kinds more.
    "county manager's statistics": ("manager", "/statistics/", 17),
    # 18: the caseworker's menu counts the county's unassigned intake (one query).
    "caseworker's statistics": ("worker", "/statistics/", 18),
    # The log review pages in SQL: the session (the API: the token), the organisations to
    # choose from (the page only), the page's entries, their users and organisations, and the
    # review's own entries (the chains' heads and one INSERT, whatever the clients shown).
    "data-protection officer's log search": ("officer", "/log-review/?since=2020-01-01", 7),
    # The month's flags: the session, the entries, the clients' case closings, the outcome
    # counts, the reviews and the users named, and the review's own entries (two); the
    # summary the same without the choice of county.
    "data-protection officer's flags": ("officer", "/log-review/flags", 8),
    "data-protection officer's monthly summary": ("officer", "/log-review/summary", 8),
    # The session, the approvals, their extracts, the people and the counties named.
    "data-protection officer's research studies": ("officer", "/research/", 5),
    # The session, the county's setting, the joined counties, then the county statistics'
    # sixteen statements for each of the three joined counties (app.statistics.national).
    "county manager's national statistics": ("manager", "/statistics/national", 51),
    "data-protection officer's log search (API)": (
        "officer-api",
        "/api/v1/log-review/entries?since=2020-01-01&per_page=20",
        6,
    ),
}


def _browsers(
    app: Flask, client: FlaskClient, world: World
) -> dict[str, tuple[FlaskClient, dict[str, str]]]:
    """A signed-in browser (or the API client with its token's header) for each user."""
    accounts = {
        "partner": world.partner,
        "worker": world.worker,
        "client": world.client_user,
        "admin": world.admin,
        "manager": world.manager,
        "officer": world.officer,
    }
    browsers: dict[str, tuple[FlaskClient, dict[str, str]]] = {}
    for who, account in accounts.items():
        browser = app.test_client()
        login(browser, account.username)
        browsers[who] = (browser, {})
    browsers["partner-api"] = (client, api_token(client, world.partner.username))
    officer_api = app.test_client()
    browsers["officer-api"] = (officer_api, api_token(officer_api, world.officer.username))
    return browsers


def test_every_page_runs_the_same_statements_at_any_size(
    app: Flask, client: FlaskClient, db: Session, world: World, sql_count: list[str]
) -> None:
    browsers = _browsers(app, client, world)

    def statements() -> dict[str, int]:
        counted = {}
        for name, (who, path, _) in PAGES.items():
            browser, headers = browsers[who]
            browser.get(path, headers=headers)  # warm: a first visit may record something once
            sql_count.clear()
            response = browser.get(path, headers=headers)
            assert response.status_code == 200, (name, response.get_data(as_text=True)[:500])
            counted[name] = len(sql_count)
        return counted

    few = statements()
    grow(db, world, MORE_THAN_A_PAGE)
    many = statements()
    assert many == few, f"statements with 3 clients: {few}, with 33: {many}"
    over = {name: many[name] for name, (_, _, ceiling) in PAGES.items() if many[name] > ceiling}
    assert not over, f"over their pins: {over}"


def test_the_partners_list_gathers_case_facts_for_its_rows_alone(
    client: FlaskClient, db: Session, world: World, sql_count: list[str]
) -> None:
    grow(db, world, MORE_THAN_A_PAGE)
    login(client, world.partner.username)
    sql_count.clear()
    assert client.get("/partner/").status_code == 200
    flat = [" ".join(s.split()) for s in sql_count]
    consents = [s for s in flat if "FROM consents WHERE consents.member_id IN" in s]
    assert len(consents) == 1
    # The members of one page's clients, no more (SQLite's ? or psycopg's %(name)s).
    assert consents[0].count("?") + consents[0].count("%(") <= 20


def test_the_workers_appointment_list_runs_the_same_statements_at_any_size(
    app: Flask, db: Session, world: World, sql_count: list[str]
) -> None:
    """The client's record's appointments: the session, the client and case and the gate's
    check and name read, the count, the page's rows, their participants, the persons' names
    (none here) and the form's choices (network, places, staff)."""
    assert world.own_case is not None
    path = f"/caseworker/clients/{world.own_case.client_id}/appointments"
    browser = app.test_client()
    login(browser, world.worker.username)

    def counted() -> int:
        browser.get(path)
        sql_count.clear()
        assert browser.get(path).status_code == 200
        return len(sql_count)

    few = counted()
    grow(db, world, MORE_THAN_A_PAGE)
    assert counted() == few


# A close person's pages through their link (issue 17). Home: the link, its consent and
# membership, the client's name and the link's sections in one gate read (facts, keys, the
# log's entries; the client's row), the link's use: 13, and 14 with the meetings' unread
# count (one statement). The list: the link's checks, the count, the page's rows (unread in the same
# statement) and their subjects in one gate read.
PERSON_PAGES = {"home": ("", 14), "messages": ("/messages", 12)}


def test_a_persons_pages_run_the_same_statements_at_any_size(
    app: Flask, db: Session, sql_count: list[str]
) -> None:
    w = make_world(db)
    issued = issue(db, w, SectionKind.HOUSING)
    browser = app.test_client()
    assert enter_code(browser, issued).status_code == 303
    actor, client_id, member_id, token = w.actor, w.client.id, w.person.id, issued.token

    def meetings(n: int) -> None:
        for _ in range(n):
            messages.start_thread(
                db,
                new_gate(),
                actor,
                client_id=client_id,
                kind=ThreadKind.MEETING,
                subject="Verkostopalaveri (fictional)",
                body="Tavataan torstaina (fictional)",
                section=SectionKind.HOUSING,
                member_ids=[member_id],
                now=utcnow(),
            )
        db.commit()

    def counted() -> dict[str, int]:
        found = {}
        for name, (tail, _) in PERSON_PAGES.items():
            path = f"/p/{token}{tail}"
            browser.get(path)
            db.expunge_all()  # as a request of its own would: nothing already loaded
            sql_count.clear()
            assert browser.get(path).status_code == 200
            found[name] = len(sql_count)
        return found

    meetings(2)
    few = counted()
    meetings(MORE_THAN_A_PAGE)
    many = counted()
    assert many == few, f"statements with 2 meetings: {few}, with 32: {many}"
    over = {name: many[name] for name, (_, pin) in PERSON_PAGES.items() if many[name] > pin}
    assert not over, f"over their pins: {over}"


# Tables that stay small however many clients there are: walking one is fine (the data-
# protection officer's own reviews of flagged entries, a handful a month).
SMALL = frozenset({"organisations", "county_settings", "information_texts", "log_flag_reviews"})


TABLES = frozenset(Base.metadata.tables)  # not a subquery's or a CTE's name


def test_no_page_walks_a_table_that_grows_with_the_clients_on_sqlite(
    app: Flask, client: FlaskClient, db: Session, world: World, sql_count: list[str]
) -> None:
    """SQLite keeps no statistics here, so its plans follow from the schema and the
        statement alone (``consent.models.Consent``): each page's statements must find their
        rows by index, never by walking a table of clients, cases, consents or the log (a walk
    in an index's order, as a page of a list sorted by it, stops at the page's end)."""
    if db.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's planner chooses by its statistics; SQLite's plan is fixed
    browsers = _browsers(app, client, world)
    walks = {}
    for name, (who, path, _) in PAGES.items():
        browser, headers = browsers[who]
        sql_count.clear()
        assert browser.get(path, headers=headers).status_code == 200, name
        for statement in [s for s in sql_count if s.lstrip().upper().startswith("SELECT")]:
            # The plan does not depend on the values: any will do for the parameters.
            found = db.connection().exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", (None,) * statement.count("?")
            )
            for row in found:
                step = row[-1]  # "SCAN table", or "SCAN table USING INDEX …": in index order
                table = step.split()[1] if step.startswith("SCAN ") else None
                if table in TABLES and table not in SMALL and "USING" not in step:
                    walks.setdefault(name, []).append(step)
    assert walks == {}, "\n".join(f"{name}: {steps}" for name, steps in walks.items())
