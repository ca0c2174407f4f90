"""The authorization matrix: every rule of the URL map × every role × own and foreign objects.

The cases are read from the URL map, never listed here: each rule and method is called
as an anonymous visitor and as every role, with ids of the caller's own objects and of a
foreign county's and organisation's (and, where a URL names a client and an object of
theirs, with the own client and one foreign object), and each answer is held to the rule
the view declares (``app.security``: ``@allow``/``@public``/``@person_grantee`` and
``URL_ARGUMENTS``):

- anonymous on a page that is not public: sent to sign in (the API: 401);
- a role the view does not allow (or a user its ``when`` leaves out): 403;
- a foreign object, or one of another client than the URL names: 403 or 404;
- a colleague of the same county without a relationship to the case: refused (403; a
  change posted without its fields may say 400 first);
- the caller's own objects: reached (no 401, 403 or 404);
- never a 500, and no refusal carries the client's name or plan text.

One world (two counties, each with a client, a partner organisation in the client's
network, and an object of every kind a URL can name) is built per module; each case runs
in a savepoint rolled back after it, so a case that signs out, revokes or ends something
leaves the next one the same world. Pages are posted with the subject's real CSRF token,
and every page that changes something is posted once more without it (400).
"""

from __future__ import annotations

import itertools
import re
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, scoped_session, sessionmaker
from werkzeug.routing import Rule

from app import create_app
from app.accounts import commands as accounts
from app.api.consents import consent_etag
from app.appointments.commands import book_appointment
from app.consents.commands import record_statutory_disclosure, revoke_consent
from app.consents.texts import FIRST_VERSION, first_version_row
from app.extensions import db as flask_db
from app.i18n import helsinki_today
from app.information_texts import commands as information_texts
from app.intake import commands as intake
from app.messages import commands as messages
from app.models import Organisation, OrgKind, Role, User
from app.models.appointment import AppointmentChannel, AppointmentPurpose
from app.models.intake import Channel, NotificationPath, NotifierKind
from app.models.log_query import LogQuery
from app.models.message import ThreadKind
from app.models.outbox import MailKind, MailState, OutboxMessage
from app.models.partner import RevocationNotice
from app.models.release import ChecklistItem
from app.models.transfer import TransferReason
from app.outbox import commands as outbox
from app.person_access import commands as person_access
from app.research import commands as research
from app.security import (
    PERSON_GRANTEE,
    PUBLIC,
    URL_ARGUMENTS,
    Whose,
    current_keyring,
    declared_access,
    declared_condition,
    new_gate,
    password_hasher,
    role_home,
)
from app.statistics import national
from app.transfer import commands as transfers
from consent.base import utcnow
from consent.models import Consent
from consent.sections import SectionKind
from sharing.keys import generate_keyring
from tests import factories
from tests.conftest import IsolatedClient, api_token, csrf_token, login, make_settings
from tests.integration.test_closed_case_read_only import build_world
from tests.integration.test_person_access import HOUSING_TEXT

NAME = "Kalle Kuvitteellinen"  # both worlds' client (tests.integration.test_person_access)
LEAKS = (NAME, HOUSING_TEXT)
SUBJECTS: dict[str, Role | None] = {
    "anonymous": None,
    "caseworker": Role.CASEWORKER,  # the own client's responsible worker
    "colleague": Role.CASEWORKER,  # same county, no relationship to the case
    "partner": Role.PARTNER,  # staff of an organisation in the own client's network
    "client": Role.CLIENT,  # the own client
    "admin": Role.ADMIN,
    "manager": Role.MANAGER,  # the own county's management: statistics only
    "analyst": Role.ANALYST,
    "dpo": Role.DATA_PROTECTION,  # the own county's data-protection officer
}
CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
UNKNOWN_LINK = "this-link-was-never-issued-0123456789"


# -- the cases, from the URL map ---------------------------------------------------------------


def _variants(rule: Rule) -> list[str]:
    """Own objects, foreign ones, and the own client with each foreign object of theirs."""
    objects = {
        a
        for a in rule.arguments
        if a not in URL_ARGUMENTS or URL_ARGUMENTS[a].whose is not Whose.VALUE
    }
    if not objects and "token" not in rule.arguments:
        return ["own"]  # values only (a section kind, a version): nobody's own or foreign
    variants = ["own", "foreign"]
    if "client_id" in objects:
        owned = objects - {"client_id"}
        variants += [f"foreign {name}" for name in sorted(owned)]
    return variants


def _methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Case:
    rule: str
    endpoint: str
    method: str
    subject: str
    variant: str
    expected: str  # reached, login, forbidden, hidden, or no relationship

    @property
    def api(self) -> bool:
        return self.rule.startswith("/api/")


def expected(declared: frozenset[Role] | str | None, rule: Rule, subject: str, variant: str) -> str:
    """What the declared rule says a subject must get from a rule with these objects."""
    role = SUBJECTS[subject]
    if declared == PUBLIC:
        return "reached"
    if declared == PERSON_GRANTEE:
        return "reached" if variant == "own" else "hidden"
    if not isinstance(declared, frozenset):
        return "undeclared"
    if role is None:
        return "login"
    if role not in declared:
        return "forbidden"
    if variant != "own":
        return "hidden"
    if subject == "colleague" and "client_id" in rule.arguments:
        return "no relationship"
    return "reached"


def _repeats_another(case: Case) -> bool:
    """A refused role is refused before any object is looked at, and a colleague's refusals
    and foreign objects are the responsible worker's."""
    if case.expected in ("login", "forbidden") and case.variant != "own":
        return True
    return case.subject == "colleague" and (case.expected == "forbidden" or case.variant != "own")


def cases(app: Flask) -> list[Case]:
    """Every (rule, method, subject, objects) the URL map of ``app`` asks to be tried."""
    found = []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
            declared = declared_access(rule.endpoint)
            for method, subject, variant in itertools.product(
                _methods(rule), SUBJECTS, _variants(rule)
            ):
                case = Case(
                    rule.rule,
                    rule.endpoint,
                    method,
                    subject,
                    variant,
                    expected(declared, rule, subject, variant),
                )
                if not _repeats_another(case):
                    found.append(case)
    return found


def _collected() -> list[Any]:
    """The cases of an app built as the suite builds it (the fixtures do not exist yet)."""
    settings = make_settings("sqlite://", Path(tempfile.gettempdir()), generate_keyring())
    return [
        pytest.param(c, id=f"{c.method} {c.rule} | {c.subject} | {c.variant}")
        for c in cases(create_app(settings))
    ]


CASES = _collected()


# -- the world --------------------------------------------------------------------------------


@dataclass
class Subject:
    """A signed-in browser (its session cookie and CSRF token) and, for the API, a token."""

    user: User | None  # detached, loaded with its organisation
    browser: FlaskClient
    cookie: str | None
    csrf: str
    bearer: dict[str, str] = field(default_factory=dict)


@dataclass
class Side:
    """A value for every URL argument, and what the API's changes send, on one side."""

    args: dict[str, Any]
    partner_member: uuid.UUID
    consent_etag: str
    username: str  # the caseworker's, for signing in


@dataclass
class World:
    app: Flask
    connection: Connection
    subjects: dict[str, Subject]
    own: Side
    foreign: Side
    # Rows of a signed-in user's own account (``Whose.USER``): each subject's own, and a
    # stranger's for the foreign variant.
    mine: dict[str, dict[str, uuid.UUID]] = field(default_factory=dict)
    strangers: dict[str, uuid.UUID] = field(default_factory=dict)


def _account_rows(db: Session, user: User) -> dict[str, uuid.UUID]:
    """A second sign-in of ``user`` and an API token of theirs: what their account page lists."""
    opened = accounts.open_session(
        db, user, now=utcnow(), lifetime=timedelta(hours=1), user_agent="Firefox, Linux"
    )
    token = accounts.issue_token(db, user, now=utcnow(), lifetime=timedelta(hours=1))
    return {"session_id": opened.record.id, "token_id": token.token.id}


def _draft_text(db: Session) -> uuid.UUID:
    """A service-wide draft information text (the world's administrator's scope), drafted by
    another administrator, so the world's may approve it."""
    other = factories.user(db, Role.ADMIN)
    content = first_version_row()["content"]
    return information_texts.draft(
        db,
        admin_id=other.id,
        scope=None,
        version=f"2027-01-m{uuid.uuid4().hex[:8]}",
        content=content,
        at=utcnow(),
    ).id


def _side(db: Session, *, colleague_needed: bool) -> tuple[Side, dict[str, User]]:
    """One county's world: build_world's objects of every kind, an organisation sharing the
    housing and livelihood sections, a revoked consent's notice to it, an intake
    notification and a live person link."""
    built = build_world(db)
    base, today = built.base, helsinki_today()
    case = base.case
    county = case.county_id
    organisation = factories.organisation(db, OrgKind.PUBLIC_SERVICE)
    staff = factories.user(db, Role.PARTNER, organisation)
    member = factories.org_member(
        db, base.actor, case, organisation.id, role="Asuntoasiat", starts_on=today
    )
    for kinds in ((SectionKind.HOUSING, SectionKind.LIVELIHOOD), (SectionKind.HEALTH,)):
        given = factories.consent(
            db, base.actor, case, member, *kinds, valid_until=today + timedelta(days=90)
        )
    revoke_consent(db, new_gate(), base.actor, given, receipt=None)
    # A network meeting of the client, the organisation taking part, a week from now.
    appointment = book_appointment(
        db,
        new_gate(),
        base.actor,
        case,
        day=today + timedelta(days=7),
        start=time(10),
        end=time(11),
        channel=AppointmentChannel.VIDEO,
        purpose=AppointmentPurpose.NETWORK_MEETING,
        place_organisation_id=None,
        member_ids=[member.id],
        staff_ids=[],
        by_id=base.worker.id,
        now=utcnow(),
    )
    notice = db.scalars(
        select(RevocationNotice).where(RevocationNotice.organisation_id == organisation.id)
    ).one()
    disclosure = record_statutory_disclosure(
        db,
        new_gate(),
        base.actor,
        case=case,
        member_id=member.id,
        sections=frozenset({SectionKind.HEALTH}),
        provision="Sosiaalihuoltolaki (1301/2014) 41 §",
        justification="Monialainen yhteistyö (fictional)",
        valid_from=today,
        valid_until=None,
    )
    notification = intake.record_notification(
        db,
        new_gate(),
        base.actor,
        case,
        intake.NotificationFacts(
            received_at=factories.now(),
            contacted_on=helsinki_today(),
            notifier_kind=NotifierKind.CLIENT,
            channel=Channel.LETTER,
            need="Asunto vapautumisen jälkeen (fictional)",
            path=NotificationPath.CONSENT,
        ),
        work_task_reason="Vastaanotto",
    )
    link = person_access.issue_access(
        db,
        case=case,
        member=base.person,
        consent_id=base.consent.id,
        sections=(SectionKind.HOUSING,),
        valid_until=today + timedelta(days=30),
        issued_by_id=base.worker.id,
        hasher=password_hasher(),
    )
    users = {
        "caseworker": base.worker,
        "partner": staff,
        "client": db.scalars(select(User).where(User.client_id == base.client.id)).one(),
    }
    if colleague_needed:
        users["colleague"] = factories.user(db, Role.CASEWORKER, db.get(Organisation, county))
        users["manager"] = factories.user(db, Role.MANAGER, db.get(Organisation, county))
        users["analyst"] = factories.user(db, Role.ANALYST, db.get(Organisation, county))
    # A transfer another county proposes to this one (its caseworkers answer it).
    sender = factories.county_case(db, name="Siirtyvä Sami (fictional)")
    proposal = transfers.propose_transfer(
        db,
        new_gate(),
        sender.actor,
        case=sender.case,
        to_county_id=county,
        reason=TransferReason.MOVED,
    )
    # The checklist item is the organisation's task, for it to report on.
    item = db.get(ChecklistItem, built.args["item_id"])
    assert item is not None
    item.responsible_member_id, item.responsible_user_id = member.id, None
    query = db.get(LogQuery, built.args["query_id"])
    assert query is not None
    # A network meeting's thread with the organisation and the client: every audience's.
    meeting_thread = messages.start_thread(
        db,
        new_gate(),
        base.actor,
        client_id=case.client_id,
        kind=ThreadKind.MEETING,
        subject="Verkostopalaveri (fictional)",
        body="Tavataan torstaina (fictional)",
        section=SectionKind.HOUSING,
        member_ids=[member.id],
        includes_client=True,
        now=utcnow(),
    )
    args = dict(built.args) | {
        "thread_id": meeting_thread.id,
        "entry_id": query.entry_id,
        "grant_id": link.grant.id,  # issuing ended build_world's link
        "notice_id": notice.id,
        "disclosure_id": disclosure.id,
        "notification_id": notification.id,
        "transfer_id": proposal.id,
        "token": link.token,
        "version": FIRST_VERSION,
        "filename": "app.css",
        "organisation_id": organisation.id,
        "text_id": _draft_text(db),
        "message_id": _failed_mail(db, base.worker),
        "appointment_id": appointment.id,
    }
    consent = db.get(Consent, base.consent.id)
    assert consent is not None
    return Side(args, member.id, f'"{consent_etag(consent)}"', base.worker.username), users


def _failed_mail(db: Session, account: User) -> uuid.UUID:
    """A reminder to ``account`` given up on: what the administrator's "retry now" takes."""
    outbox.set_address(db, account, address="worker@example.fi", notify=True, now=utcnow())
    assert outbox.notify(db, account.id, MailKind.REMINDER, now=utcnow())
    message = db.scalars(select(OutboxMessage).where(OutboxMessage.user_id == account.id)).one()
    message.state, message.attempts = MailState.FAILED, 8
    db.flush()
    return message.id


def _subject(app: Flask, user: User | None) -> Subject:
    browser = IsolatedClient(app, app.response_class, use_cookies=True)
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    bearer: dict[str, str] = {}
    if user is None:
        csrf = csrf_token(browser, "/login")
    else:
        home = login(browser, user.username).headers["Location"]
        with app.test_request_context():
            assert home == url_for(role_home(user.role))  # each role lands on its own home
        csrf = csrf_token(browser, home)
        bearer = api_token(browser, user.username)
    cookie = browser.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return Subject(user, browser, cookie.value, csrf, bearer)


@pytest.fixture(scope="module")
def world(app: Flask) -> Iterator[World]:
    """Both counties' worlds and a signed-in browser per subject, in one transaction that
    is rolled back at the end of the module (as the ``db`` fixture does per test)."""
    with app.app_context():
        connection = flask_db.engine.connect()
        outer = connection.begin()
        original = flask_db.session
        flask_db.session = scoped_session(
            sessionmaker(
                bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            )
        )
        try:
            db = flask_db.session()
            own, users = _side(db, colleague_needed=True)
            foreign, _ = _side(db, colleague_needed=False)
            users["admin"] = factories.user(db, Role.ADMIN)
            users["dpo"] = factories.user(
                db, Role.DATA_PROTECTION, users["caseworker"].organisation
            )
            foreign.args["token"] = UNKNOWN_LINK  # a link works for whoever holds it
            # A study's approval naming the own county's analyst (ended, or its extract
            # made, by the cases that post; each case is rolled back).
            approval = research.approve(
                db,
                current_keyring(),
                users["dpo"],
                requester_id=users["analyst"].id,
                study_name="Tutkimus (fictional)",
                permit_reference="THL/1/2026",
                valid_from=helsinki_today(),
                expires_on=helsinki_today() + timedelta(days=30),
                today=helsinki_today(),
            )
            own.args["approval_id"] = foreign.args["approval_id"] = approval.id
            # The own county joined the national statistics (its managers and analysts see them).
            national.set_national(db, approval.county_id, True, by=None)
            db.commit()
            for user in users.values():
                db.refresh(user, ["organisation"])  # for a view's ``when``, once detached
            own.args["user_id"] = foreign.args["user_id"] = users["caseworker"].id
            subjects = {name: _subject(app, users.get(name)) for name in SUBJECTS}
            mine = {name: _account_rows(db, user) for name, user in users.items()}
            strangers = _account_rows(db, factories.user(db, Role.ADMIN))
            mine["anonymous"] = strangers
            for name in strangers:
                own.args[name] = foreign.args[name] = strangers[name]  # (replaced per subject)
            db.commit()
            yield World(app, connection, subjects, own, foreign, mine, strangers)
        finally:
            flask_db.session.remove()
            flask_db.session = original
            outer.rollback()
            connection.close()


# -- one case -----------------------------------------------------------------------------------


def _values(world: World, case: Case, rule: Rule) -> dict[str, Any]:
    missing = rule.arguments - world.own.args.keys()
    assert not missing, f"give both sides of the world (_side) a value for {missing}"
    if any(URL_ARGUMENTS[name].whose is Whose.USER for name in rule.arguments):
        rows = world.mine[case.subject] if case.variant == "own" else world.strangers
        return {name: rows.get(name, world.own.args[name]) for name in rule.arguments}
    if case.variant == "own":
        return {name: world.own.args[name] for name in rule.arguments}
    if case.variant == "foreign":
        return {name: world.foreign.args[name] for name in rule.arguments}
    mixed = case.variant.removeprefix("foreign ")
    return {
        name: (world.foreign if name == mixed else world.own).args[name] for name in rule.arguments
    }


def _side_of(world: World, case: Case) -> Side:
    return world.foreign if case.variant == "foreign" else world.own


def _api_body(world: World, case: Case) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """What an API change sends, so that it is refused for who is asking, not for its body."""
    side = _side_of(world, case)
    if case.endpoint == "api.grant_consent":
        body: dict[str, Any] = {
            "member_id": str(side.partner_member),
            "sections": ["health"],
            "purpose_text": "Terveyspalvelujen yhteistyö (fictional)",
            "information_text_version": FIRST_VERSION,
            "confirmed": True,
        }
        if case.subject != "client":
            body["given_how"] = "written"
        return body, {}
    if case.endpoint == "api.put_plan_section":
        section = dict.fromkeys(("goals", "measures", "client_view", "worker_view"), "")
        section |= {"goals": "Opiskelupaikka (fictional)", "agreement": "draft"}
        return section | {"responsible": [], "review_on": None}, {"If-None-Match": "*"}
    if case.endpoint == "api.send_update":
        return {"kind": "housing_offer", "text": "Asunto vapautuu (fictional)"}, {}
    if case.endpoint == "api.start_thread":
        return {
            "section": "housing",
            "subject": "Asunnon haku (fictional)",
            "body": "Asuntonäyttö torstaina (fictional)",
        }, {}
    if case.endpoint == "api.post_message":
        return {"body": "Kiitos tiedosta (fictional)"}, {}
    if case.endpoint == "api.report_task":
        return {"state": "done", "note": "Hakemus lähetetty (fictional)"}, {}
    if case.endpoint == "api.review_flag_of_entry":
        return {"kind": "denied", "note": "Tarkistettu (fictional)"}, {}
    if case.endpoint in ("api.revoke_consent", "api.keep_consent_period"):
        return None, {"If-Match": side.consent_etag}
    if case.endpoint == "api.reconfirm_consent":
        body = {"information_text_version": FIRST_VERSION, "confirmed": True}
        if case.subject != "client":
            body["given_how"] = "written"
        return body, {"If-Match": side.consent_etag}
    if case.endpoint == "api.book_appointment":
        day = (helsinki_today() + timedelta(days=3)).isoformat()
        times = {"day": day, "start_time": "10:00", "end_time": "11:00"}
        return times | {"channel": "video", "purpose": "appointment"}, {}
    if case.endpoint == "api.reschedule_appointment":
        day = (helsinki_today() + timedelta(days=4)).isoformat()
        return {"day": day, "start_time": "12:00", "end_time": "13:00", "reason": "other"}, {}
    if case.endpoint == "api.cancel_appointment":
        return {"reason": "client_asked"}, {}
    if case.endpoint == "api.ask_about_appointment":
        return {"ask": "move", "reason": "clash"}, {}
    if case.endpoint == "api.create_token":
        return {"username": side.username, "password": "pw"}, {}
    return None, {}


def _call(world: World, case: Case, path: str, *, csrf: bool = True) -> Any:
    subject = world.subjects[case.subject]
    browser, cookie_name = subject.browser, world.app.config["SESSION_COOKIE_NAME"]
    browser.set_cookie(cookie_name, subject.cookie or "")  # as signed in, whatever came before
    if case.api:
        body, headers = _api_body(world, case) if case.method in CHANGES else (None, {})
        headers = headers | subject.bearer
        return browser.open(path, method=case.method, headers=headers, json=body)
    data = {"csrf_token": subject.csrf} if case.method in CHANGES and csrf else None
    return browser.open(path, method=case.method, data=data)


def _rule(world: World, case: Case) -> Rule:
    (rule,) = [
        r
        for r in world.app.url_map.iter_rules(case.endpoint)
        if r.rule == case.rule and case.method in (r.methods or ())
    ]
    return rule


TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)


def _gist(text: str) -> str:
    """A page's title or the start of a problem, for a failure's message."""
    title = TITLE.search(text)
    return title.group(1).strip() if title else text[:300]


def _narrowed(world: World, case: Case) -> str:
    """The case's expectation, narrowed by the view's ``when`` for the subject's account."""
    with world.app.test_request_context():
        condition = declared_condition(case.endpoint)
    user = world.subjects[case.subject].user
    if case.expected != "reached" or condition is None or user is None:
        return case.expected
    return "reached" if condition(user) else "forbidden"


def _answer(world: World, case: Case, *, csrf: bool = True) -> tuple[Any, int, str]:
    """The response, its status and text; whatever the request wrote is rolled back."""
    rule = _rule(world, case)
    path = world.app.url_map.bind("localhost").build(
        case.endpoint, _values(world, case, rule), method=case.method
    )
    savepoint = world.connection.begin_nested()
    try:
        response = _call(world, case, path, csrf=csrf)
        status, text = response.status_code, response.get_data(as_text=True)
        response.close()
    finally:
        savepoint.rollback()
    return response, status, text


@pytest.mark.parametrize("case", CASES)
def test_the_declared_rule_holds(world: World, case: Case) -> None:
    response, status, text = _answer(world, case)
    said, wanted = f"{status} {_gist(text)}", _narrowed(world, case)
    assert status != 500, said  # a readiness probe may say 503: that is its answer
    assert wanted != "undeclared"
    if wanted == "reached":
        assert status not in (401, 403, 404), said
        return
    assert not [leak for leak in LEAKS if leak in text], f"{wanted}, yet client data shown"
    if wanted == "login" and case.api:
        assert status == 401, said
    elif wanted == "login":
        assert status == 302 and response.headers["Location"].startswith("/login"), status
    elif wanted == "forbidden":
        assert status == 403, said
    elif wanted == "hidden":
        assert status in (403, 404), said
    else:  # no relationship: the gate refuses; a change without its fields may be 400 first
        assert status in ((400, 403) if case.method in CHANGES else (403,)), said
    if case.api:
        assert response.mimetype == "application/problem+json"


def _page_changes() -> list[Any]:
    """One case per page that changes something: a subject it lets in, on its own objects."""
    first: dict[tuple[str, str], Any] = {}
    for param in CASES:
        case: Case = param.values[0]
        if case.api or case.method not in CHANGES or case.variant != "own":
            continue
        if case.expected == "reached" and case.subject != "colleague":
            first.setdefault((case.rule, case.method), param)
    return list(first.values())


@pytest.mark.parametrize("case", _page_changes())
def test_every_page_change_needs_its_csrf_token(world: World, case: Case) -> None:
    """The same request that reached the page above, without its token: 400, nothing done."""
    _, status, text = _answer(world, case, csrf=False)
    assert status == 400, f"{status} {_gist(text)}"
    assert "The form had expired" in text


# -- the declarations themselves ----------------------------------------------------------------


def test_the_cases_are_those_of_the_app_under_test(app: Flask) -> None:
    """The cases were read from an app built at collection: the app under test asks the same."""
    assert cases(app) == [param.values[0] for param in CASES]


def test_every_endpoint_declares_who_may_use_it(app: Flask) -> None:
    with app.test_request_context():
        undeclared = [
            r.endpoint for r in app.url_map.iter_rules() if not declared_access(r.endpoint)
        ]
    assert undeclared == []


def test_every_url_argument_is_declared_and_open_routes_take_no_object_ids(app: Flask) -> None:
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            assert rule.arguments <= URL_ARGUMENTS.keys(), rule.rule
            declared = declared_access(rule.endpoint)
            if declared in (PUBLIC, PERSON_GRANTEE):
                # A person's link may name rows of the client it is about (checked against
                # the link's client: tests/integration/test_person_messages.py).
                allowed = (
                    (Whose.VALUE, Whose.CLIENT) if declared == PERSON_GRANTEE else (Whose.VALUE,)
                )
                owned = [a for a in rule.arguments if URL_ARGUMENTS[a].whose not in allowed]
                assert owned == [], rule.rule


def test_an_undeclared_view_is_refused(app: Flask) -> None:
    """Deny by default: a view without a declaration answers 403 even to a signed-in user."""
    probe = create_app(app.extensions["tukiverkko.settings"])
    probe.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    assert probe.test_client().get("/forgotten").status_code == 403


def test_an_undeclared_url_argument_is_refused(app: Flask) -> None:
    """A public view taking an argument nobody declared answers 403, not the view."""
    from app.security import public

    probe = create_app(app.extensions["tukiverkko.settings"])
    probe.add_url_rule("/things/<uuid:thing_id>", "thing", public(lambda thing_id: "secret"))
    assert probe.test_client().get(f"/things/{uuid.uuid4()}").status_code == 403
