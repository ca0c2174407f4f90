"""Partner organisation staff: shared clients, the shared view, updates and revocation notices."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.commands import (
    end_membership,
    record_statutory_disclosure,
    revoke_consent,
)
from app.i18n import helsinki_today
from app.models import (
    Case,
    Client,
    NetworkMember,
    Organisation,
    OrgKind,
    PlanSectionVersion,
    Role,
    User,
)
from app.models.partner import PartnerUpdate, PartnerUpdateKind, RevocationNotice
from app.partner_work import commands as partner_commands
from app.partner_work import queries as partner_queries
from app.partner_work.content import content_parts
from app.partner_work.rules import client_reference
from app.plan.content import SectionContent
from app.security import new_gate
from consent.base import utcnow
from consent.decision import Reason
from consent.facts import Actor, Direction, Purpose
from consent.models import Consent
from consent.sections import SectionKind
from sharing.access_log import AccessLogEntry
from sharing.errors import AccessDenied
from sharing.fields import field_ref
from tests import factories
from tests.conftest import csrf_token, login

TODAY = helsinki_today()
UNTIL = TODAY + timedelta(days=90)
CSRF_VALUE = re.compile(r'(name="csrf_token" type="hidden" value=")[^"]+(")')


@dataclass
class World:
    county: Organisation
    worker: User
    worker_actor: Actor
    housing: Organisation
    partner: User
    outsider: User


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)


def make_world(db: Session) -> World:
    """A county worker, a housing office with one staff member, and an outsider's staff."""
    county = factories.organisation(db, OrgKind.COUNTY)
    worker = factories.user(db, Role.CASEWORKER, county)
    housing = factories.organisation(db, OrgKind.PUBLIC_SERVICE, "Kuvitteellinen asuntotoimisto")
    outsider_org = factories.organisation(db, OrgKind.PUBLIC_SERVICE, "Kuvitteellinen ulkopuolinen")
    return World(
        county,
        worker,
        factories.actor(worker),
        housing,
        factories.user(db, Role.PARTNER, housing),
        factories.user(db, Role.PARTNER, outsider_org),
    )


def add_member(
    db: Session,
    case: Case,
    org: Organisation,
    *,
    starts_on: date = TODAY - timedelta(days=30),
) -> NetworkMember:
    return factories.member(db, case, org, starts_on=starts_on)


def write_section(
    db: Session, w: World, case: Case, kind: SectionKind, content: SectionContent
) -> PlanSectionVersion:
    """The responsible worker writes a new version of a section."""
    return factories.plan_section(db, w.worker_actor, case, kind, content)


def grant(
    db: Session,
    w: World,
    case: Case,
    member: NetworkMember,
    *sections: SectionKind,
    until: date | None = UNTIL,
    direction: Direction = Direction.DISCLOSE,
    by: Actor | None = None,
) -> Consent:
    return factories.consent(
        db,
        by or w.worker_actor,
        case,
        member,
        *sections,
        valid_from=TODAY,
        valid_until=until,
        direction=direction,
    )


def shared_client(
    db: Session, w: World, name: str, *sections: SectionKind, until: date | None = UNTIL
) -> tuple[Client, Case, NetworkMember, Consent]:
    record, case = factories.client(db, w.county, name=name, worker=w.worker)
    member = add_member(db, case, w.housing)
    consent = grant(db, w, case, member, *sections, until=until)
    return record, case, member, consent


def page(client: FlaskClient, path: str) -> tuple[int, str]:
    response = client.get(path)
    return response.status_code, response.get_data(as_text=True)


def log_entries(db: Session, client_id: uuid.UUID) -> list[AccessLogEntry]:
    return list(
        db.scalars(
            select(AccessLogEntry)
            .where(AccessLogEntry.client_id == client_id)
            .order_by(AccessLogEntry.seq)
        )
    )


# -- home --------------------------------------------------------------------------------


def test_home_lists_only_shared_clients_with_what_basis_and_until(
    client: FlaskClient, db: Session, world: World
) -> None:
    shared_client(db, world, "Kuvitteellinen Jaettu", SectionKind.HOUSING, SectionKind.LIVELIHOOD)
    _, member_only_case = factories.client(
        db, world.county, name="Kuvitteellinen Jäsen", worker=world.worker
    )
    add_member(db, member_only_case, world.housing)
    factories.client(db, world.county, name="Kuvitteellinen Vieras", worker=world.worker)
    _statutory, statutory_case = factories.client(
        db, world.county, name="Kuvitteellinen Laki", worker=world.worker
    )
    record_statutory_disclosure(
        db,
        new_gate(),
        world.worker_actor,
        case=statutory_case,
        member_id=add_member(db, statutory_case, world.housing).id,
        sections=frozenset({SectionKind.HEALTH}),
        provision="Sosiaalihuoltolaki (1301/2014) 41 §",
        justification="Kiireellinen asumisen järjestäminen (fictional)",
        valid_from=TODAY,
        valid_until=None,
    )
    db.commit()
    login(client, world.partner.username)
    status, html = page(client, "/partner/")
    assert status == 200
    assert "Kuvitteellinen asuntotoimisto" in html
    assert "Kuvitteellinen Jaettu" in html and "Kuvitteellinen Laki" in html
    assert "Kuvitteellinen Jäsen" not in html and "Kuvitteellinen Vieras" not in html
    consent_row, statutory_row = re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>", html, re.S)
    assert "Kuvitteellinen Jaettu" in consent_row
    assert "Housing" in consent_row and "Livelihood and Kela" in consent_row
    assert "Consent" in consent_row and "until" in consent_row
    assert "Kuvitteellinen Laki" in statutory_row  # open-ended: listed after the dated one
    assert "Statutory disclosure (Sosiaalihuoltolaki (1301/2014) 41 §)" in statutory_row
    assert "Health and substance use" in statutory_row and "no end date" in statutory_row
    assert "2 clients share information with your organisation" in html


def test_the_home_runs_a_fixed_number_of_queries(
    client: FlaskClient, db: Session, world: World, sql_count: list[str]
) -> None:
    for n in range(3):
        shared_client(db, world, f"Kuvitteellinen {n}", SectionKind.HOUSING)
    db.commit()
    login(client, world.partner.username)

    def queries() -> int:
        sql_count.clear()
        status, html = page(client, "/partner/")
        assert status == 200 and "Kuvitteellinen 0" in html
        return len(sql_count)

    few = queries()
    for n in range(3, 15):
        shared_client(db, world, f"Kuvitteellinen {n}", SectionKind.HOUSING, until=None)
    db.commit()
    assert queries() == few
    _, html = page(client, "/partner/")
    assert "15 clients share information" in html


# -- the shared view ------------------------------------------------------------------------


def test_the_shared_view_shows_the_consented_sections_only(
    client: FlaskClient, db: Session, world: World
) -> None:
    record, case, _, _ = shared_client(db, world, "Kuvitteellinen Kalle", SectionKind.HOUSING)
    write_section(db, world, case, SectionKind.HOUSING, SectionContent(goals="Vanha asuntotavoite"))
    write_section(
        db,
        world,
        case,
        SectionKind.HOUSING,
        SectionContent(goals="Oma vuokra-asunto", measures="Asuntohakemus", client_view="Hyvä"),
    )
    for version in range(3):
        write_section(
            db,
            world,
            case,
            SectionKind.HEALTH,
            SectionContent(goals=f"Salainen terveystavoite {version}"),
        )
    db.commit()
    login(client, world.partner.username)
    status, html = page(client, f"/partner/clients/{record.id}")
    assert status == 200
    assert "Kuvitteellinen Kalle" in html
    assert "Oma vuokra-asunto" in html and "Asuntohakemus" in html
    assert "Agreed measures" in html and "The client&#39;s own view" in html
    assert "Vanha asuntotavoite" not in html  # only the current version
    assert "Salainen" not in html
    assert "Health" not in html  # not even the section's name, count or version
    assert "section-health" not in html
    assert client_reference(record.id, world.housing.id) in html
    reads = [e for e in log_entries(db, record.id) if e.actor_user_id == world.partner.id]
    assert {(e.scope, e.allowed) for e in reads} == {("name", True), ("section:housing", True)}


def test_the_client_view_runs_a_fixed_number_of_queries(
    client: FlaskClient, db: Session, world: World, sql_count: list[str]
) -> None:
    record, case, member, _consent = shared_client(db, world, "Kuvitteellinen", SectionKind.HOUSING)
    write_section(db, world, case, SectionKind.HOUSING, SectionContent(goals="Asunto"))
    db.commit()
    login(client, world.partner.username)

    def queries() -> int:
        sql_count.clear()
        status, html = page(client, f"/partner/clients/{record.id}")
        assert status == 200 and "Asunto" in html
        return len(sql_count)

    few = queries()
    sections = [SectionKind.LIVELIHOOD, SectionKind.HEALTH, SectionKind.EDUCATION_WORK]
    for kind in sections:
        write_section(db, world, case, kind, SectionContent(goals=f"Tavoite {kind.value}"))
    grant(db, world, case, member, *sections)
    for _n in range(12):
        db.add(
            PartnerUpdate(
                case_id=case.id,
                client_id=record.id,
                organisation_id=world.housing.id,
                member_id=member.id,
                author_id=world.partner.id,
                kind=PartnerUpdateKind.OTHER,
            )
        )
    db.commit()
    assert queries() == few
    assert "Tavoite education_work" in page(client, f"/partner/clients/{record.id}")[1]


def normalised(html: str, *ids: uuid.UUID) -> str:
    html = CSRF_VALUE.sub(r"\1TOKEN\2", html)
    for ident in ids:
        html = html.replace(str(ident), "CLIENT-ID")
    return html


def test_an_outsider_gets_the_same_404_as_for_a_client_that_does_not_exist(
    client: FlaskClient, db: Session, world: World
) -> None:
    record, _, _, _ = shared_client(db, world, "Kuvitteellinen Kalle", SectionKind.HOUSING)
    db.commit()
    login(client, world.outsider.username)
    missing = uuid.uuid4()
    real_status, real_html = page(client, f"/partner/clients/{record.id}")
    missing_status, missing_html = page(client, f"/partner/clients/{missing}")
    assert real_status == missing_status == 404
    assert normalised(real_html, record.id) == normalised(missing_html, missing)
    assert "Kuvitteellinen" not in real_html
    denied = [e for e in log_entries(db, record.id) if e.actor_user_id == world.outsider.id]
    assert [(e.allowed, e.reason) for e in denied] == [(False, Reason.DENIED_NOT_IN_NETWORK.value)]
    # Sending an update is refused the same way, and nothing is stored.
    posted = {
        ident: client.post(
            f"/partner/clients/{ident}/updates",
            data={
                "csrf_token": csrf_token(client, "/partner/"),
                "kind": PartnerUpdateKind.OTHER.value,
                "text": "Yritys (fictional)",
            },
        )
        for ident in (record.id, missing)
    }
    assert [r.status_code for r in posted.values()] == [404, 404]
    assert normalised(posted[record.id].get_data(as_text=True), record.id) == normalised(
        posted[missing].get_data(as_text=True), missing
    )
    assert db.scalar(select(PartnerUpdate).where(PartnerUpdate.client_id == record.id)) is None


def test_a_member_that_never_had_a_basis_gets_the_404_too(
    client: FlaskClient, db: Session, world: World
) -> None:
    record, case = factories.client(
        db, world.county, name="Kuvitteellinen Jäsen", worker=world.worker
    )
    add_member(db, case, world.housing)
    db.commit()
    login(client, world.partner.username)
    status, html = page(client, f"/partner/clients/{record.id}")
    assert status == 404 and "Kuvitteellinen" not in html


def test_after_revocation_the_very_next_page_load_says_access_has_ended(
    client: FlaskClient, db: Session, world: World
) -> None:
    record, case, _, consent = shared_client(db, world, "Kuvitteellinen Kalle", SectionKind.HOUSING)
    write_section(db, world, case, SectionKind.HOUSING, SectionContent(goals="Oma vuokra-asunto"))
    db.commit()
    login(client, world.partner.username)
    assert "Oma vuokra-asunto" in page(client, f"/partner/clients/{record.id}")[1]
    revoke_consent(db, new_gate(), world.worker_actor, db.get(Consent, consent.id), receipt=None)
    db.commit()
    status, html = page(client, f"/partner/clients/{record.id}")
    assert status == 403
    assert "Access has ended" in html
    for hidden in ("Oma vuokra-asunto", "Kuvitteellinen Kalle", "Housing", "until"):
        assert hidden not in html
    assert client_reference(record.id, world.housing.id) not in html
    last = log_entries(db, record.id)[-1]
    assert (last.actor_user_id, last.allowed, last.reason) == (
        world.partner.id,
        False,
        Reason.DENIED_REVOKED.value,
    )
    assert "Kuvitteellinen Kalle" not in page(client, "/partner/")[1]


def test_after_expiry_the_page_says_access_has_ended(
    client: FlaskClient, db: Session, world: World
) -> None:
    record, case = factories.client(
        db, world.county, name="Kuvitteellinen Kalle", worker=world.worker
    )
    member = add_member(db, case, world.housing, starts_on=TODAY - timedelta(days=60))
    factories.consent(
        db,
        world.worker_actor,
        case,
        member,
        SectionKind.HOUSING,
        valid_from=TODAY - timedelta(days=40),
        valid_until=TODAY - timedelta(days=1),
        purpose_text="Päättynyt (fictional)",
    )
    db.commit()
    login(client, world.partner.username)
    status, html = page(client, f"/partner/clients/{record.id}")
    assert status == 403 and "Access has ended" in html and "Kuvitteellinen" not in html


def test_an_ended_membership_ends_access_and_without_a_past_basis_is_a_404(
    client: FlaskClient, db: Session, world: World
) -> None:
    record, _case, member, _ = shared_client(db, world, "Kuvitteellinen Kalle", SectionKind.HOUSING)
    never, never_case = factories.client(
        db, world.county, name="Kuvitteellinen Toinen", worker=world.worker
    )
    never_member = add_member(db, never_case, world.housing)
    for ending in (member, never_member):
        end_membership(db, new_gate(), ending, by_user_id=world.worker.id)
    db.commit()
    login(client, world.partner.username)
    status, html = page(client, f"/partner/clients/{record.id}")
    assert status == 403 and "Access has ended" in html and "Kuvitteellinen" not in html
    status, html = page(client, f"/partner/clients/{never.id}")
    assert status == 404 and "Kuvitteellinen" not in html


# -- revocation notices --------------------------------------------------------------------


def test_a_revocation_notice_appears_and_can_be_confirmed(
    client: FlaskClient, db: Session, world: World
) -> None:
    record, _, _, consent = shared_client(
        db, world, "Kuvitteellinen Kalle", SectionKind.HOUSING, SectionKind.HEALTH
    )
    revoke_consent(db, new_gate(), world.worker_actor, consent, receipt=None)
    db.commit()
    notice = db.scalar(select(RevocationNotice).where(RevocationNotice.consent_id == consent.id))
    assert notice is not None and notice.organisation_id == world.housing.id
    [status] = partner_queries.notices_for_client(db, record.id)
    assert (status.organisation_name, status.confirmed_at) == (
        "Kuvitteellinen asuntotoimisto",
        None,
    )
    assert status.sections == [SectionKind.HOUSING, SectionKind.HEALTH]

    login(client, world.partner.username)
    _, html = page(client, "/partner/")
    assert "Sharing ended: 1 notice to confirm" in html
    assert client_reference(record.id, world.housing.id) in html
    assert "Kuvitteellinen Kalle" not in html  # the name is no longer readable
    assert "Housing, Health and substance use" in html

    # Another organisation cannot confirm it.
    other = client.application.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(other, world.outsider.username)
    assert (
        other.post(
            f"/partner/notices/{notice.id}/confirm",
            data={"csrf_token": csrf_token(other, "/partner/")},
        ).status_code
        == 404
    )

    response = client.post(
        f"/partner/notices/{notice.id}/confirm",
        data={"csrf_token": csrf_token(client, "/partner/")},
        follow_redirects=True,
    )
    assert "The client can see that your organisation keeps no copy" in response.get_data(
        as_text=True
    )
    assert "notice to confirm" not in response.get_data(as_text=True)
    [status] = partner_queries.notices_for_client(db, record.id)
    assert status.confirmed_at is not None
    assert db.get(RevocationNotice, notice.id).confirmed_by_id == world.partner.id  # type: ignore[union-attr]
    again = client.post(
        f"/partner/notices/{notice.id}/confirm",
        data={"csrf_token": csrf_token(client, "/partner/")},
        follow_redirects=True,
    )
    assert "had already confirmed" in again.get_data(as_text=True)


def test_only_a_disclosing_consent_to_an_organisation_makes_a_notice(
    db: Session, world: World
) -> None:
    record, case = factories.client(
        db, world.county, name="Kuvitteellinen Kalle", worker=world.worker
    )
    member = add_member(db, case, world.housing)
    obtain = grant(db, world, case, member, SectionKind.HOUSING, direction=Direction.OBTAIN)
    person = factories.member(db, case, starts_on=TODAY - timedelta(days=3), committed_on=TODAY)
    to_person = grant(db, world, case, person, SectionKind.HOUSING)
    for consent in (obtain, to_person):
        revoke_consent(db, new_gate(), world.worker_actor, consent, receipt=None)
    assert partner_queries.notices_for_client(db, record.id) == []


# -- updates to the responsible worker ------------------------------------------------------


def send(client: FlaskClient, client_id: uuid.UUID, kind: str, text: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/partner/clients/{client_id}/updates",
        data={"csrf_token": csrf_token(client, "/partner/"), "kind": kind, "text": text},
    )


def test_an_update_is_stored_encrypted_attributed_and_reaches_the_worker(
    client: FlaskClient, db: Session, world: World
) -> None:
    since = utcnow()
    record, case, member, _ = shared_client(db, world, "Kuvitteellinen Kalle", SectionKind.HOUSING)
    factories.agreed_updates(db, world.worker_actor, case, member)
    # Another worker's client: its updates are not this worker's.
    colleague = factories.user(db, Role.CASEWORKER, world.county)
    other, other_case = factories.client(db, world.county, name="Kuvitteellinen", worker=colleague)
    other_member = add_member(db, other_case, world.housing)
    grant(db, world, other_case, other_member, SectionKind.HOUSING, by=factories.actor(colleague))
    factories.agreed_updates(db, factories.actor(colleague), other_case, other_member)
    db.commit()
    login(client, world.partner.username)

    response = send(client, record.id, "housing_offer", "Asunto tarjottu 1.3. alkaen (fictional)")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/partner/clients/{record.id}"
    assert (
        send(client, other.id, "appointment_missed", "Ei saapunut (fictional)").status_code == 302
    )
    _, html = page(client, f"/partner/clients/{record.id}")
    assert "Update sent to the client&#39;s responsible worker." in html
    assert "Housing offer made" in html and world.partner.display_name in html
    assert "Asunto tarjottu" not in html  # county data now: the sender cannot read it back

    update = db.scalar(select(PartnerUpdate).where(PartnerUpdate.client_id == record.id))
    assert update is not None
    assert (update.case_id, update.organisation_id, update.member_id, update.author_id) == (
        case.id,
        world.housing.id,
        member.id,
        world.partner.id,
    )
    assert update.kind is PartnerUpdateKind.HOUSING_OFFER
    assert update.text_ct and b"Asunto" not in update.text_ct
    [write] = [e for e in log_entries(db, record.id) if e.action.value == "write"][-1:]
    assert (write.scope, write.actor_role, write.actor_user_id, write.organisation_id) == (
        "basic",
        "system",  # sealed by the system for the partner, who is named on the entry
        world.partner.id,
        world.housing.id,
    )
    assert write.purpose == Purpose.NETWORK_COOPERATION.value

    mine = partner_queries.updates_for_worker(db, world.worker.id, since)
    assert [u.update.id for u in mine] == [update.id]
    assert (mine[0].organisation_name, mine[0].author_name) == (
        "Kuvitteellinen asuntotoimisto",
        world.partner.display_name,
    )
    assert partner_queries.update_texts(new_gate(), world.worker_actor, mine) == [
        "Asunto tarjottu 1.3. alkaen (fictional)"
    ]
    # Older than the dashboard's window, it stays there until someone acknowledges it.
    later = partner_queries.updates_for_worker(db, world.worker.id, utcnow())
    assert [u.update.id for u in later] == [update.id]
    assert partner_commands.acknowledge_update(db, case.id, update.id, by_user_id=world.worker.id)
    assert partner_queries.updates_for_worker(db, world.worker.id, utcnow()) == []
    with pytest.raises(AccessDenied):  # the partner cannot read its update back
        new_gate().read_texts(
            factories.actor(world.partner),
            [(field_ref(update, PartnerUpdate.text_ct), update.text_ct)],
            purpose=Purpose.NETWORK_COOPERATION,
        )


def test_an_invalid_update_is_shown_again_with_what_was_typed(
    client: FlaskClient, db: Session, world: World
) -> None:
    record, case, member, _ = shared_client(db, world, "Kuvitteellinen Kalle", SectionKind.HOUSING)
    factories.agreed_updates(db, world.worker_actor, case, member)  # the form is offered
    db.commit()
    login(client, world.partner.username)
    response = send(client, record.id, "", "Kirjoitettu teksti (fictional)")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Choose what the update is about." in html
    assert "Kirjoitettu teksti (fictional)" in html
    response = send(client, record.id, "no_such_kind", "x")
    assert response.status_code == 400
    response = send(client, record.id, "concern", "a" * 2001)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "At most 2000 characters." in html and "a" * 2001 in html
    assert re.search(r'<input checked[^>]*value="concern"', html)
    assert "Kuvitteellinen Kalle" in html  # still the shared view, re-rendered
    assert db.scalar(select(PartnerUpdate).where(PartnerUpdate.client_id == record.id)) is None


def test_no_update_without_access(client: FlaskClient, db: Session, world: World) -> None:
    record, _, _, consent = shared_client(db, world, "Kuvitteellinen Kalle", SectionKind.HOUSING)
    revoke_consent(db, new_gate(), world.worker_actor, consent, receipt=None)
    db.commit()
    login(client, world.partner.username)
    response = send(client, record.id, "other", "Myöhässä (fictional)")
    assert response.status_code == 403
    assert "Access has ended" in response.get_data(as_text=True)
    assert db.scalar(select(PartnerUpdate).where(PartnerUpdate.client_id == record.id)) is None
    outsider = factories.actor(world.outsider)
    with pytest.raises(AccessDenied):
        partner_commands.record_update(
            db,
            new_gate(),
            outsider,
            client_id=record.id,
            kind=PartnerUpdateKind.OTHER,
            text="Yritys (fictional)",
        )
    assert db.scalar(select(PartnerUpdate).where(PartnerUpdate.client_id == record.id)) is None


# -- content ----------------------------------------------------------------------------------


def test_section_content_is_plain_text_whatever_its_shape() -> None:
    parts = content_parts(
        json.dumps(
            {
                "worker_view": "",
                "goals": "<b>Oma asunto</b>",
                "steps": [{"what": "Hakemus", "done": False}, "Soitto"],
            }
        )
    )
    assert [(str(p.label), p.lines) for p in parts] == [
        ("Goals", ["<b>Oma asunto</b>"]),
        ("Steps", ["What: Hakemus", "Done: False", "Soitto"]),
    ]
    assert [(p.label, p.lines) for p in content_parts("not json")] == [("", ["not json"])]
    assert content_parts(None) == []


def test_the_responsible_workers_dashboard_shows_the_update(
    client: FlaskClient, db: Session, world: World
) -> None:
    record, case, member, _ = shared_client(db, world, "Kuvitteellinen Kalle", SectionKind.HOUSING)
    factories.agreed_updates(db, world.worker_actor, case, member)
    db.commit()
    login(client, world.partner.username)
    assert (
        send(client, record.id, "housing_offer", "Asunto tarjottu (fictional)").status_code == 302
    )
    client.post("/logout", data={"csrf_token": csrf_token(client, "/partner/")})
    login(client, world.worker.username)
    _, html = page(client, "/caseworker/")
    assert "Kuvitteellinen Kalle" in html and "Asunto tarjottu (fictional)" in html
    assert "Kuvitteellinen asuntotoimisto" in html and "Housing offer made" in html
