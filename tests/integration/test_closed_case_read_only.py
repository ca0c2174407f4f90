"""A closed case reads as a closed record: its pages offer nothing that would change it.

Every caseworker page under ``/clients/<id>/`` is found by walking the URL map. For an
open case the pages that change the record render their forms; for the same case once
closed none does, each page still answers, the pages that are a form say why it is not
there, and every change sent anyway is refused (409) with nothing written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time, timedelta

import pytest
from flask import Flask, current_app, url_for
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.activation import commands as activation
from app.appointments import commands as appointments
from app.assessment import commands as assessment
from app.assessment import rules as assessment_rules
from app.client_log import commands as client_log
from app.consents import receipts
from app.consents.commands import record_statutory_disclosure
from app.ending import commands as ending_service
from app.log_requests import commands as log_requests
from app.messages import commands as messages
from app.models import Case, CaseTeamMember, NetworkMember, Organisation, OrgKind, Role
from app.models.appointment import AppointmentChannel, AppointmentPurpose
from app.models.flows import FlowChannel, FlowDirection
from app.models.message import ThreadKind
from app.models.parallel_plan import ParallelPlan, ParallelPlanKind
from app.models.partner import PartnerUpdate, PartnerUpdateKind
from app.models.receipt import ReceiptAction
from app.models.release import ChecklistItem
from app.network import commands as network_service
from app.person_access import commands as person_access
from app.plan.content import SectionContent
from app.release import commands as release_checklist
from app.security import new_gate, password_hasher
from app.web.receipts import RequestWording
from consent.base import Base, utcnow
from consent.sections import SectionKind
from sharing.access_log import AccessLogEntry
from tests import factories
from tests.conftest import csrf_token, login
from tests.integration.test_person_access import World as PersonWorld
from tests.integration.test_person_access import make_world, today

NOTICE = "The case is closed, so nothing can be recorded or changed here."
# Pages to print, outside the client record's frame.
PRINT_PAGES = {
    "caseworker.appointment_calendar",  # an .ics file, not a page
    "caseworker.consent_receipt",
    "caseworker.log_request_document",
    "caseworker.plan_print",
}
# Pages that only read, open or closed.
READING_PAGES = PRINT_PAGES | {
    "caseworker.assessment_version",
    "caseworker.consents",
    "caseworker.ending",
    "caseworker.log_queries",
    "caseworker.client_messages",  # the conversations; a new one is a page of its own
    "caseworker.plan_section_changes",
    "caseworker.plan_section_version",
    "caseworker.plan_view_as",
    "caseworker.who_could_see",  # a GET form choosing the moment, which changes nothing
}
# Pages that are a form: closed, they say why there is none (the endings' pages lead
# back to the ending page instead).
EXPLAINING_PAGES = {
    "caseworker.consent_new",
    "caseworker.consent_reconfirm",
    "caseworker.consent_revoke",
    "caseworker.statutory_disclosure_end",
    "caseworker.plan_section",
    "caseworker.release_item",
    "caseworker.statutory_disclosure_new",
    "caseworker.transfer",
    "caseworker.message_new",
}
# Pages that hold nothing but a form: closed, no link leads to them.
FORM_ONLY_PAGES = {
    "caseworker.consent_new",
    "caseworker.consent_reconfirm",
    "caseworker.consent_revoke",
    "caseworker.statutory_disclosure_end",
    "caseworker.statutory_disclosure_new",
    "caseworker.ending_close",
    "caseworker.ending_member",
    "caseworker.ending_plan",
    "caseworker.message_new",
}
# Query arguments a page needs to show what it is for, as {endpoint: {name: world argument}}.
QUERY_ARGS = {"caseworker.plan_view_as": {"member": "member_id"}}
# Nobody is active in a closed case's network, so there is nobody to view the plan as.
CLOSED_STATUS = {"caseworker.plan_view_as": 400}
# Recording a work-task reason changes nothing in the case: it is how a colleague
# without a relationship gets to read the closed record at all.
NOT_A_CHANGE = {"caseworker.record_work_task"}
# Answering the client about their data is not a change of the case either: a closed case's
# open question keeps its answer form (tests/integration/test_log_queries_worker.py).
STILL_ANSWERED = {"caseworker.log_query", "caseworker.log_requests", "caseworker.log_request"}
FORM_TAG = re.compile(r"<form\b[^>]*>", re.IGNORECASE)


@dataclass
class World:
    base: PersonWorld
    args: dict[str, object]  # a real value for every argument of the client's routes


def build_world(db: Session) -> World:
    """A case with something to change on every page.

    A person in the network with a consent (and its receipt), a flow and an access link;
    plan sections, one with two versions; a parallel plan; a colleague in the team; an
    assessment in progress; the release-day checklist; a live activation code; the
    client's open query about an access-log entry; a partner's update to acknowledge.
    """
    w = make_world(db)
    gate = new_gate()
    county = db.get(Organisation, w.worker.organisation_id)
    colleague = factories.user(db, Role.CASEWORKER, county)
    team_member = CaseTeamMember(case_id=w.case.id, user_id=colleague.id)
    db.add(team_member)
    factories.user(db, Role.CASEWORKER, county)  # someone left to add to the team
    flow = network_service.add_flow(
        db,
        gate,
        w.actor,
        member=w.person,
        direction=FlowDirection.BOTH,
        channel=FlowChannel.PHONE,
        subject="Arjen kuulumiset (fictional)",
        practice="Sisko soittaa kerran viikossa (fictional)",
        agreed_on=today(),
        agreed_with_client=True,
    )
    plan = ParallelPlan(
        case_id=w.case.id,
        client_id=w.client.id,
        kind=ParallelPlanKind.RELEASE_PLAN,
        organisation_id=factories.organisation(db, OrgKind.PRISON).id,
        made_on=today() - timedelta(days=10),
        added_by_id=w.worker.id,
    )
    db.add(plan)
    saved, _ = assessment.save_assessment(
        db,
        gate,
        w.actor,
        case=w.case,
        assessment=None,
        before=assessment_rules.EMPTY,
        after=assessment_rules.AssessmentInput(
            contact_on=today() - timedelta(days=5), started_on=today() - timedelta(days=3)
        ),
        seen_version=0,
        members=[w.person],
        today=today(),
    )
    # Two versions of one section, for the pages that compare two.
    for goals in ("Oma koti (fictional)", "Oma koti ja työ (fictional)"):
        content = SectionContent(goals=goals)
        factories.plan_section(db, w.actor, w.case, SectionKind.LIVELIHOOD, content)
    release_checklist.generate(db, w.case, w.worker.id, utcnow())
    item = db.scalars(select(ChecklistItem).where(ChecklistItem.case_id == w.case.id)).first()
    assert item is not None
    issued = person_access.issue_access(
        db,
        case=w.case,
        member=w.person,
        consent_id=w.consent.id,
        sections=(SectionKind.HOUSING,),
        valid_until=today() + timedelta(days=30),
        issued_by_id=w.worker.id,
        hasher=password_hasher(),
    )
    with current_app.test_request_context():  # the receipt names its own links
        receipt = receipts.issue_receipt(
            db,
            gate,
            w.actor,
            case=w.case,
            action=ReceiptAction.GRANT,
            consent=w.consent,
            previous=None,
            member_label="Liisa Läheinen",
            purpose_text="Läheisen tuki arjessa (fictional)",
            wording=RequestWording(),
            at=utcnow(),
        )
    entry = db.scalars(
        select(AccessLogEntry).where(AccessLogEntry.client_id == w.client.id).limit(1)
    ).one()
    own = factories.user(db, Role.CLIENT, client=w.client)
    query = client_log.open_query(
        db,
        gate,
        factories.actor(own),
        case=w.case,
        entry=entry,
        note=None,
    )
    code = activation.issue_code(
        db, password_hasher(), client_id=w.client.id, issued_by_id=w.worker.id
    )
    # An organisation's update in the client's record, for the worker to acknowledge.
    housing = factories.partner(db, w.case, OrgKind.PUBLIC_SERVICE)
    update = PartnerUpdate(
        case_id=w.case.id,
        client_id=w.client.id,
        organisation_id=housing.organisation.id,
        member_id=housing.member.id,
        author_id=housing.staff.id,
        kind=PartnerUpdateKind.HOUSING_OFFER,
    )
    db.add(update)
    # The consent waits to be confirmed again (the release dates moved), and an authority
    # receives a statutory disclosure: the pages that confirm and end them.
    w.consent.period_template, w.consent.reconfirm_since = "in_prison", utcnow()
    authority = factories.partner(db, w.case)
    disclosure = record_statutory_disclosure(
        db,
        gate,
        w.actor,
        case=w.case,
        member_id=authority.member.id,
        sections=frozenset({SectionKind.HOUSING}),
        provision="Sosiaalihuoltolaki (1301/2014) 41 §",
        justification="Asunnon järjestäminen (fictional)",
        valid_from=today(),
        valid_until=None,
    )
    log_request = log_requests.start_request(db, gate, w.actor, case=w.case, language="fi")
    # A meeting with the close person next week: moved, cancelled or held on its page.
    meeting = appointments.book_appointment(
        db,
        gate,
        w.actor,
        w.case,
        day=today() + timedelta(days=7),
        start=time(10),
        end=time(11),
        channel=AppointmentChannel.PHONE,
        purpose=AppointmentPurpose.APPOINTMENT,
        place_organisation_id=None,
        member_ids=[w.person.id],
        staff_ids=[],
        by_id=w.worker.id,
        now=utcnow(),
    )
    thread = messages.start_thread(
        db,
        gate,
        w.actor,
        client_id=w.client.id,
        kind=ThreadKind.CLIENT,
        subject="Asunto (fictional)",
        body="Soitan huomenna (fictional)",
        now=utcnow(),
    )
    db.commit()
    return World(
        w,
        {
            "client_id": w.client.id,
            "member_id": w.person.id,
            "team_member_id": team_member.id,
            "consent_id": w.consent.id,
            "plan_id": plan.id,
            "flow_id": flow.id,
            "grant_id": issued.grant.id,
            "code_id": code.code.id,
            "receipt_id": receipt.id,
            "query_id": query.id,
            "log_request_id": log_request.id,
            "item_id": item.id,
            "update_id": update.id,
            "disclosure_id": disclosure.id,
            "appointment_id": meeting.id,
            "thread_id": thread.id,
            "kind": SectionKind.LIVELIHOOD.value,
            "number": saved.version,
        },
    )


@pytest.fixture
def world(db: Session) -> World:
    return build_world(db)


def close(db: Session, world: World) -> None:
    """Close the case as its worker would (re-read: a request may have ended the session)."""
    ending_service.close_case(
        db,
        new_gate(),
        world.base.actor,
        case=db.get(Case, world.base.case.id),
        summary="Monialaista työtä ei enää tarvita (fictional)",
        early_reason="Vapautuminen on jo toteutunut muualla (fictional).",
        # The close person, and the authority the statutory disclosure goes to.
        end_with_case=set(
            db.scalars(select(NetworkMember.id).where(NetworkMember.case_id == world.base.case.id))
        ),
    )
    db.commit()


def client_routes(app: Flask, world: World, method: str) -> Iterator[tuple[str, str]]:
    """(endpoint, path) of every caseworker route of the client that answers ``method``."""
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if not rule.endpoint.startswith("caseworker.") or "client_id" not in rule.arguments:
                continue
            if method not in (rule.methods or ()) or rule.endpoint in NOT_A_CHANGE:
                continue
            if method == "POST" and rule.endpoint in STILL_ANSWERED:
                continue
            missing = rule.arguments - world.args.keys()
            assert not missing, f"{rule.endpoint}: give the test world a value for {missing}"
            query = {name: world.args[a] for name, a in QUERY_ARGS.get(rule.endpoint, {}).items()}
            path_args = {a: world.args[a] for a in rule.arguments}
            yield rule.endpoint, url_for(rule.endpoint, **path_args, **query)


def case_forms(page: str) -> list[str]:
    """The forms posting to a client's record (the layout's language and sign-out are not)."""
    return [
        tag
        for tag in FORM_TAG.findall(page)
        if 'method="post"' in tag.lower() and 'action="/caseworker/clients/' in tag
    ]


def row_counts(db: Session) -> dict[str, int]:
    """Rows in every table but the access log (which records the refusals themselves)."""
    return {
        table.name: db.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
        if table.name != "access_log"
    }


def test_an_open_case_offers_its_change_forms(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.base.worker.username)
    pages = list(client_routes(app, world, "GET"))
    assert len(pages) >= 25
    for endpoint, path in pages:
        response = client.get(path)
        assert response.status_code == 200, endpoint
        forms = case_forms(response.get_data(as_text=True))
        assert bool(forms) == (endpoint not in READING_PAGES), (endpoint, forms)


def test_a_closed_case_offers_no_change_forms_and_says_why(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    close(db, world)
    login(client, world.base.worker.username)
    pages = list(client_routes(app, world, "GET"))
    form_only = [path for endpoint, path in pages if endpoint in FORM_ONLY_PAGES]
    assert len(form_only) == len(FORM_ONLY_PAGES)
    back = f'<a href="/caseworker/clients/{world.base.client.id}">Back to the client overview</a>'
    for endpoint, path in pages:
        response = client.get(path, follow_redirects=True)
        assert response.status_code == CLOSED_STATUS.get(endpoint, 200), endpoint
        page = response.get_data(as_text=True)
        assert ("This case was closed on" in page) == (endpoint not in PRINT_PAGES), endpoint
        assert bool(case_forms(page)) == (endpoint in STILL_ANSWERED), endpoint
        assert (f"{NOTICE} {back}" in page) == (endpoint in EXPLAINING_PAGES), endpoint
        assert not [p for p in form_only if f'href="{p}' in page], endpoint


def test_the_plan_of_a_closed_case_still_leads_to_each_section_s_versions(
    client: FlaskClient, db: Session, world: World
) -> None:
    close(db, world)
    login(client, world.base.worker.username)
    plan = f"/caseworker/clients/{world.base.client.id}/plan"
    page = client.get(plan).get_data(as_text=True)
    assert f'href="{plan}/sections/housing"' in page and "Versions of “Housing”" in page
    assert "Edit “" not in page and "Add a section" not in page


def test_every_change_to_a_closed_case_is_refused_with_nothing_written(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.base.worker.username)
    token = csrf_token(client, f"/caseworker/clients/{world.base.client.id}")
    close(db, world)
    before = row_counts(db)
    changes = list(client_routes(app, world, "POST"))
    assert len(changes) >= 35
    for endpoint, path in changes:
        response = client.post(path, data={"csrf_token": token})
        assert response.status_code == 409, endpoint
    assert row_counts(db) == before
