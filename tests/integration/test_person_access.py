"""Close persons and peer experts without accounts: a consented, one-time link bound to a browser."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.commands import end_membership, revoke_consent
from app.consents.texts import FIRST_VERSION
from app.extensions import db as flask_db
from app.i18n import helsinki_today
from app.issued_secrets import token_digest
from app.models import (
    Case,
    Client,
    MemberKind,
    NetworkMember,
    OrgKind,
    Role,
    User,
)
from app.models.person_access import PersonAccessGrant
from app.person_access import commands as person_access
from app.person_access.content import content_parts
from app.person_access.queries import PAGE_SIZE, binding_matches, grants_for_client
from app.person_access.rules import MAX_ATTEMPTS, grant_status
from app.plan.content import SectionContent
from app.security import PERSON_LOADER, new_gate, password_hasher, person_grantee
from consent import service
from consent.base import utcnow
from consent.facts import Actor, Purpose
from consent.models import Consent, GivenHow
from consent.sections import SectionKind
from consent.service import ConsentTerms
from consent.status import LinkStatus
from sharing.access_log import AccessLogEntry
from sharing.models import GranteeKey, KeySeal
from tests import factories
from tests.conftest import csrf_token, login, smallest_limit

HOUSING_TEXT = "Oma vuokra-asunto ennen vapautumista (fictional)"
HEALTH_TEXT = "Päihdekuntoutus jatkuu avohoidossa (fictional)"
EVERYDAY_TEXT = "Vertaisryhmä torstaisin (fictional)"
ENDED = "This access has ended"


@dataclass
class World:
    worker: User
    actor: Actor
    client: Client
    case: Case
    person: NetworkMember
    consent: Consent

    @property
    def access_page(self) -> str:
        return f"/caseworker/clients/{self.client.id}/network/members/{self.person.id}/access"


def today() -> date:
    return helsinki_today()


def make_world(db: Session) -> World:
    base = factories.county_case(db, name="Kalle Kuvitteellinen")
    actor, case = base.actor, base.case
    person = factories.person_member(
        db,
        actor,
        case,
        "Liisa Läheinen",
        role="Sisko, tukee arjessa",
        starts_on=today() - timedelta(days=5),
    )
    person.confidentiality_committed_on = today()
    db.flush()
    for kind, text in (
        (SectionKind.HOUSING, HOUSING_TEXT),
        (SectionKind.HEALTH, HEALTH_TEXT),
        (SectionKind.EVERYDAY_LIFE, EVERYDAY_TEXT),
    ):
        content = SectionContent(goals=text, client_view="Haluan omaan kotiin")
        factories.plan_section(db, actor, case, kind, content)
    consent = factories.consent(
        db,
        actor,
        case,
        person,
        SectionKind.HOUSING,
        SectionKind.EVERYDAY_LIFE,
        valid_until=today() + timedelta(days=60),
        purpose_text="Läheisen tuki arjessa (fictional)",
    )
    return World(base.worker, actor, base.client, case, person, consent)


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)


def issue(
    db: Session,
    w: World,
    *sections: SectionKind,
    valid_until: date | None = None,
) -> person_access.IssuedAccess:
    issued = person_access.issue_access(
        db,
        case=w.case,
        member=w.person,
        consent_id=w.consent.id,
        sections=sections or (SectionKind.HOUSING,),
        valid_until=valid_until or today() + timedelta(days=30),
        issued_by_id=w.worker.id,
        hasher=password_hasher(),
    )
    db.commit()
    return issued


def link(issued: person_access.IssuedAccess) -> str:
    return f"/p/{issued.token}"


def enter_code(browser: FlaskClient, issued: person_access.IssuedAccess, code: str | None = None):  # type: ignore[no-untyped-def]
    path = link(issued)
    return browser.post(
        path, data={"csrf_token": csrf_token(browser, path), "code": code or issued.code}
    )


def new_browser(app: Flask) -> FlaskClient:
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


def reload(db: Session, grant: PersonAccessGrant) -> PersonAccessGrant:
    db.expire_all()
    stored = db.get(PersonAccessGrant, grant.id)
    assert stored is not None
    return stored


# -- issuing ------------------------------------------------------------------------------


def test_issuing_requires_a_live_consent_for_that_member(db: Session, world: World) -> None:
    other = factories.county_case(db, name="Toinen Kuvitteellinen")
    stranger = factories.person_member(
        db,
        other.actor,
        other.case,
        "Veera Vertainen",
        role="Kokemusasiantuntija",
        starts_on=today(),
        kind=MemberKind.PEER_EXPERT,
    )
    no_consent = factories.person_member(
        db,
        world.actor,
        world.case,
        "Pekka Vertainen",
        role="Kokemusasiantuntija",
        starts_on=today(),
        kind=MemberKind.PEER_EXPERT,
    )
    common = {
        "case": world.case,
        "sections": [SectionKind.HOUSING],
        "valid_until": today() + timedelta(days=5),
        "issued_by_id": world.worker.id,
        "hasher": password_hasher(),
    }
    # Someone else's consent does not cover this member.
    with pytest.raises(person_access.NoLiveConsent):
        person_access.issue_access(db, member=no_consent, consent_id=world.consent.id, **common)
    with pytest.raises(person_access.NotAPerson):
        person_access.issue_access(db, member=stranger, consent_id=world.consent.id, **common)
    # A revoked consent no longer counts.
    revoke_consent(db, new_gate(), world.actor, world.consent, receipt=None)
    with pytest.raises(person_access.NoLiveConsent):
        person_access.issue_access(db, member=world.person, consent_id=world.consent.id, **common)
    assert db.scalars(select(PersonAccessGrant)).all() == []


def test_the_link_cannot_exceed_the_consent(db: Session, world: World) -> None:
    common = {
        "case": world.case,
        "member": world.person,
        "consent_id": world.consent.id,
        "issued_by_id": world.worker.id,
        "hasher": password_hasher(),
    }
    with pytest.raises(person_access.SectionsNotConsented):
        person_access.issue_access(
            db,
            sections=[SectionKind.HOUSING, SectionKind.HEALTH],
            valid_until=today() + timedelta(days=5),
            **common,
        )
    with pytest.raises(person_access.ExpiryBeyondConsent):
        person_access.issue_access(
            db,
            sections=[SectionKind.HOUSING],
            valid_until=today() + timedelta(days=61),
            **common,
        )
    with pytest.raises(person_access.ExpiryInPast):
        person_access.issue_access(
            db,
            sections=[SectionKind.HOUSING],
            valid_until=today() - timedelta(days=1),
            **common,
        )
    with pytest.raises(person_access.NoSections):
        person_access.issue_access(
            db, sections=[], valid_until=today() + timedelta(days=5), **common
        )


def test_the_worker_issues_a_link_and_sees_it_and_its_code_once(
    client: FlaskClient, db: Session, world: World
) -> None:
    db.commit()
    login(client, world.worker.username)
    page = client.get(world.access_page).get_data(as_text=True)
    assert "Issue the link" in page and "Liisa Läheinen" in page
    until = today() + timedelta(days=20)
    issued = client.post(
        world.access_page,
        data={
            "csrf_token": csrf_token(client, world.access_page),
            "consent": str(world.consent.id),
            "sections": [SectionKind.HOUSING.value],
            "valid_until": until.isoformat(),
        },
    )
    assert issued.status_code == 200
    html = issued.get_data(as_text=True)
    url = re.search(r'<code class="secret">(http[^<]+/p/([^<]+))</code>', html)
    code = re.search(r'<code class="secret">([A-Z0-9]{4}-[A-Z0-9]{4})</code>', html)
    assert url and code, html
    assert "Shown only now." in html
    stored = db.scalars(select(PersonAccessGrant)).one()
    token = url.group(2)
    # Only hashes are stored: neither the token nor the code is in the row.
    assert stored.token_hash == token_digest(token)
    row = " ".join(str(getattr(stored, c.name)) for c in PersonAccessGrant.__table__.columns)
    assert token not in row and code.group(1).replace("-", "") not in row
    assert (stored.sections, stored.valid_until) == (["housing"], until)
    assert (stored.issued_by_id, stored.consent_id) == (world.worker.id, world.consent.id)
    # The list shows it, but never the link or the code again.
    again = client.get(world.access_page).get_data(as_text=True)
    assert "Not yet opened" in again and token not in again and code.group(1) not in again


def test_the_worker_page_refuses_what_the_consent_does_not_cover_and_keeps_the_input(
    client: FlaskClient, db: Session, world: World
) -> None:
    db.commit()
    login(client, world.worker.username)
    too_long = (today() + timedelta(days=90)).isoformat()
    refused = client.post(
        world.access_page,
        data={
            "csrf_token": csrf_token(client, world.access_page),
            "consent": str(world.consent.id),
            "sections": [SectionKind.HOUSING.value],
            "valid_until": too_long,
        },
    )
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "The link cannot last longer than the consent" in html
    assert f'value="{too_long}"' in html
    # A section outside every live consent is not even offered, and refused if sent.
    assert 'value="health"' not in html
    refused = client.post(
        world.access_page,
        data={
            "csrf_token": csrf_token(client, world.access_page),
            "consent": str(world.consent.id),
            "sections": [SectionKind.HEALTH.value],
            "valid_until": (today() + timedelta(days=5)).isoformat(),
        },
    )
    assert refused.status_code == 400
    assert db.scalars(select(PersonAccessGrant)).all() == []


def test_without_a_consent_the_worker_page_offers_no_link(
    client: FlaskClient, db: Session, world: World
) -> None:
    revoke_consent(db, new_gate(), world.actor, world.consent, receipt=None)
    db.commit()
    login(client, world.worker.username)
    page = client.get(world.access_page).get_data(as_text=True)
    assert "has no consent in force" in page and "Issue the link" not in page
    posted = client.post(
        world.access_page,
        data={
            "csrf_token": csrf_token(client, world.access_page),
            "consent": str(world.consent.id),
            "sections": ["housing"],
            "valid_until": (today() + timedelta(days=5)).isoformat(),
        },
    )
    assert posted.status_code == 400
    assert db.scalars(select(PersonAccessGrant)).all() == []


def test_an_organisation_member_has_no_access_link_page(
    client: FlaskClient, db: Session, world: World
) -> None:
    org = factories.organisation(db, OrgKind.NGO)
    member = factories.member(db, world.case, org, starts_on=today())
    db.commit()
    login(client, world.worker.username)
    path = f"/caseworker/clients/{world.client.id}/network/members/{member.id}/access"
    assert client.get(path).status_code == 404


# -- first use and binding ----------------------------------------------------------------


def test_first_use_asks_for_the_code_then_binds_the_browser(
    client: FlaskClient, db: Session, world: World
) -> None:
    issued = issue(db, world, SectionKind.HOUSING)
    first = client.get(link(issued))
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "Open the shared plan" in html and 'name="code"' in html
    assert "Kalle" not in html and HOUSING_TEXT not in html  # nothing before the code
    done = enter_code(client, issued, issued.code.lower().replace("-", " "))
    assert done.status_code == 303 and done.headers["Location"].endswith(link(issued))
    cookie = done.headers["Set-Cookie"]
    assert f"tukiverkko_p_{issued.grant.id.hex}=" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/p/" in cookie
    stored = reload(db, issued.grant)
    assert stored.bound_at is not None and stored.binding_hash is not None
    assert stored.binding_hash not in cookie  # the browser holds the secret, not its hash
    page = client.get(link(issued))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Shared with you by Kalle" in html
    assert "Kuvitteellinen" not in html  # the first name is enough
    assert HOUSING_TEXT in html and "Haluan omaan kotiin" in html
    assert HEALTH_TEXT not in html and EVERYDAY_TEXT not in html  # not on this link
    assert reload(db, issued.grant).last_used_at is not None


def test_a_second_browser_cannot_use_or_bind_a_bound_link(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    issued = issue(db, world)
    assert enter_code(client, issued).status_code == 303
    other = new_browser(app)
    seen = other.get(link(issued))
    assert seen.status_code == 403
    html = seen.get_data(as_text=True)
    assert "already in use on another device" in html and HOUSING_TEXT not in html
    # Even with the right code, a second binding fails.
    csrf = csrf_token(other, "/login")
    again = other.post(link(issued), data={"csrf_token": csrf, "code": issued.code})
    assert again.status_code == 403 and HOUSING_TEXT not in again.get_data(as_text=True)
    # A forged cookie for the link does not help either.
    other.set_cookie(f"tukiverkko_p_{issued.grant.id.hex}", "forged", path="/p/")
    assert other.get(link(issued)).status_code == 403
    # The first browser still reads.
    assert HOUSING_TEXT in client.get(link(issued)).get_data(as_text=True)


def test_two_browsers_racing_with_the_right_code_bind_only_one(db: Session, world: World) -> None:
    issued = issue(db, world)
    grant = issued.grant
    secret = person_access.bind(db, grant, issued.code, hasher=password_hasher())
    db.commit()
    with pytest.raises(person_access.AlreadyBound):
        person_access.bind(db, grant, issued.code, hasher=password_hasher())
    stale = reload(db, grant)
    with db.no_autoflush:
        stale.binding_hash = None  # as a request that read the row before the other one bound
        with pytest.raises(person_access.AlreadyBound):
            person_access.bind(db, stale, issued.code, hasher=password_hasher())
    assert binding_matches(reload(db, grant), secret)


def test_wrong_codes_lock_the_link(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    issued = issue(db, world)
    for left in range(MAX_ATTEMPTS - 1, 0, -1):
        wrong = enter_code(client, issued, "AAAA-AAAA")
        assert wrong.status_code == 400
        html = wrong.get_data(as_text=True)
        assert "The code is not right" in html and f"{left} more time" in html
        assert 'value="AAAA-AAAA"' in html  # what was typed stays
    locked = enter_code(client, issued, "AAAA-AAAA")
    assert locked.status_code == 403 and "This link is locked" in locked.get_data(as_text=True)
    stored = reload(db, issued.grant)
    assert stored.failed_attempts == MAX_ATTEMPTS and stored.locked_at is not None
    # Now even the right code, from any browser, is refused.
    assert enter_code(client, issued).status_code == 403
    other = new_browser(app)
    assert other.get(link(issued)).status_code == 403
    assert reload(db, issued.grant).binding_hash is None


def test_wrong_codes_from_one_address_are_limited_across_links(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    """Each link locks itself after a few wrong codes; the address is limited across links
    (and activation codes), in the database, so new links or a new browser do not reset it."""
    allowed = smallest_limit(app, "code_failures_per_address")
    wrong = 0
    while wrong < allowed:
        issued = issue(db, world)  # replaces the earlier link
        for _ in range(min(MAX_ATTEMPTS, allowed - wrong)):
            assert enter_code(new_browser(app), issued, "AAAA-AAAA").status_code in (400, 403)
            wrong += 1
    issued = issue(db, world)
    refused = enter_code(new_browser(app), issued)  # even the right code, from there
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert reload(db, issued.grant).binding_hash is None
    elsewhere = new_browser(app)
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.30"
    assert enter_code(elsewhere, issued).status_code == 303


def test_an_empty_code_is_refused_without_counting(
    client: FlaskClient, db: Session, world: World
) -> None:
    issued = issue(db, world)
    refused = enter_code(client, issued, " ")
    assert refused.status_code == 400 and "Enter the code." in refused.get_data(as_text=True)
    assert reload(db, issued.grant).failed_attempts == 0


def test_an_unknown_link_is_a_plain_404(client: FlaskClient, db: Session, world: World) -> None:
    issue(db, world)
    assert client.get("/p/not-a-real-token").status_code == 404
    csrf = csrf_token(client, "/login")
    assert client.post("/p/not-a-real", data={"csrf_token": csrf, "code": "x"}).status_code == 404


def test_a_person_route_needs_a_link_behind_it(app: Flask) -> None:
    """The new declaration is deny-by-default too: no link (or no loader) is a plain 404."""
    from app import create_app

    probe = create_app(app.extensions["tukiverkko.settings"])
    probe.add_url_rule("/p-probe/<token>", "probe", person_grantee(lambda token: "secret"))
    probe.add_url_rule("/p-probe", "probe_bare", person_grantee(lambda: "secret"))
    browser = probe.test_client()
    try:
        assert browser.get("/p-probe/anything").status_code == 404
        assert browser.get("/p-probe").status_code == 404
        del probe.extensions[PERSON_LOADER]
        assert browser.get("/p-probe/anything").status_code == 404
    finally:
        with probe.app_context():
            flask_db.engine.dispose()  # the probe's own pool: close it, not leave it to GC


# -- ending -------------------------------------------------------------------------------


def bound(client: FlaskClient, db: Session, world: World, **kw) -> person_access.IssuedAccess:  # type: ignore[no-untyped-def]
    issued = issue(db, world, *kw.pop("sections", ()), **kw)
    assert enter_code(client, issued).status_code == 303
    assert HOUSING_TEXT in client.get(link(issued)).get_data(as_text=True)
    return issued


def assert_ended(client: FlaskClient, issued: person_access.IssuedAccess) -> None:
    response = client.get(link(issued))
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert ENDED in html
    for secret in ("Kalle", HOUSING_TEXT, "Housing", "Haluan"):
        assert secret not in html


def test_the_link_works_through_its_last_day_and_stops_after_it(
    client: FlaskClient, db: Session, world: World
) -> None:
    issued = bound(client, db, world, valid_until=today())
    assert HOUSING_TEXT in client.get(link(issued)).get_data(as_text=True)  # inclusive
    grant = reload(db, issued.grant)
    consent = db.get(Consent, grant.consent_id)
    member = db.get(NetworkMember, grant.member_id)
    assert consent is not None and member is not None
    tomorrow = utcnow() + timedelta(days=1)
    assert grant_status(grant, consent, member, tomorrow) is LinkStatus.EXPIRED
    grant.valid_until = today() - timedelta(days=1)  # the clock moved past the last day
    db.commit()
    assert_ended(client, issued)


def test_the_worker_ends_the_link_at_once(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    issued = bound(client, db, world)
    worker = new_browser(app)
    login(worker, world.worker.username)
    page = worker.get(world.access_page).get_data(as_text=True)
    assert "In use on one device" in page and "End now" in page
    end = f"{world.access_page}/{issued.grant.id}/end"
    done = worker.post(end, data={"csrf_token": csrf_token(worker, world.access_page)})
    assert done.status_code == 302
    assert_ended(client, issued)
    stored = reload(db, issued.grant)
    assert stored.ended_at is not None and stored.ended_by_id == world.worker.id
    assert "Ended" in worker.get(world.access_page).get_data(as_text=True)
    again = worker.post(end, data={"csrf_token": csrf_token(worker, world.access_page)})
    assert again.status_code == 302  # already ended: said so, nothing changes
    assert reload(db, issued.grant).ended_at == stored.ended_at


def test_the_client_can_end_the_link(client: FlaskClient, db: Session, world: World) -> None:
    issued = bound(client, db, world)
    account = factories.user(db, Role.CLIENT, client=world.client).id
    rows = grants_for_client(db, world.client.id)
    assert [(r.grant.id, r.status) for r in rows] == [(issued.grant.id, LinkStatus.ACTIVE)]
    person_access.end_access(db, rows[0].grant, account)
    db.commit()
    assert_ended(client, issued)
    assert reload(db, issued.grant).ended_by_id == account
    with pytest.raises(person_access.AccessEnded):
        person_access.end_access(db, reload(db, issued.grant), account)


def test_a_revoked_consent_stops_the_link_at_once_before_its_expiry(
    client: FlaskClient, db: Session, world: World
) -> None:
    issued = bound(client, db, world)
    revoke_consent(db, new_gate(), world.actor, db.get(Consent, world.consent.id), receipt=None)
    db.commit()
    assert_ended(client, issued)


def test_an_ended_membership_stops_the_link(client: FlaskClient, db: Session, world: World) -> None:
    issued = bound(client, db, world)
    member = db.get(NetworkMember, world.person.id)
    assert member is not None
    end_membership(db, new_gate(), member, by_user_id=world.worker.id)
    db.commit()
    assert_ended(client, issued)


def test_a_gate_refusal_ends_the_page_and_is_logged(
    client: FlaskClient, db: Session, world: World
) -> None:
    issued = bound(client, db, world)
    case = db.get(Case, world.case.id)
    assert case is not None
    case.closed_at = utcnow() - timedelta(minutes=1)  # the link itself knows nothing of this
    db.commit()
    assert_ended(client, issued)
    denied = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.member_id == world.person.id, AccessLogEntry.allowed.is_(False)
        )
    ).all()
    assert denied and {e.reason for e in denied} == {"denied_case_closed"}


def test_a_new_link_replaces_the_earlier_one(
    client: FlaskClient, db: Session, world: World
) -> None:
    first = bound(client, db, world)
    second = issue(db, world)
    assert_ended(client, first)
    assert reload(db, first.grant).ended_by_id == world.worker.id
    assert client.get(link(second)).status_code == 200  # asks for its own code


# -- what is read, and how ----------------------------------------------------------------


def test_every_read_goes_through_the_gate_as_the_person_and_is_logged(
    client: FlaskClient, db: Session, world: World
) -> None:
    issued = bound(client, db, world, sections=(SectionKind.HOUSING, SectionKind.EVERYDAY_LIFE))
    html = client.get(link(issued)).get_data(as_text=True)
    assert HOUSING_TEXT in html and EVERYDAY_TEXT in html and HEALTH_TEXT not in html
    entries = db.scalars(
        select(AccessLogEntry).where(AccessLogEntry.member_id == world.person.id)
    ).all()
    assert entries
    assert {(e.actor_role, e.purpose, e.allowed) for e in entries} == {
        ("person", Purpose.NETWORK_COOPERATION.value, True)
    }
    assert {e.scope for e in entries} == {"name", "section:housing", "section:everyday_life"}
    assert all(e.actor_user_id is None and e.organisation_id is None for e in entries)
    assert {e.basis_id for e in entries if e.scope.startswith("section")} == {world.consent.id}
    # Opened through seals made to the person's own grantee key, and only those.
    grantee = db.scalars(select(GranteeKey).where(GranteeKey.member_id == world.person.id)).one()
    seals = db.scalars(select(KeySeal).where(KeySeal.grantee_key_id == grantee.id)).all()
    assert seals and {s.member_id for s in seals} == {world.person.id}
    # Two page loads (binding check + this one): each read logged each time.
    assert sum(1 for e in entries if e.scope == "section:housing") == 2


def test_sections_outside_the_consent_are_never_shown(
    client: FlaskClient, db: Session, world: World
) -> None:
    issued = bound(client, db, world)
    grant = reload(db, issued.grant)
    grant.sections = ["health", "housing"]  # a tampered row names a section never consented
    db.commit()
    html = client.get(link(issued)).get_data(as_text=True)
    assert HOUSING_TEXT in html and HEALTH_TEXT not in html and "Health" not in html
    assert not db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.member_id == world.person.id, AccessLogEntry.scope == "section:health"
        )
    ).all()


def test_an_amended_consent_ends_the_link_issued_under_it(
    client: FlaskClient, db: Session, world: World
) -> None:
    """Amending replaces the consent: a link never outlives the terms it was issued under."""
    issued = bound(client, db, world, sections=(SectionKind.HOUSING, SectionKind.EVERYDAY_LIFE))
    old = db.get(Consent, world.consent.id)
    assert old is not None
    service.amend(
        db,
        old,
        terms=ConsentTerms(world.person.id, frozenset({SectionKind.HOUSING}), today(), None),
        given_how=GivenHow.WRITTEN,
        information_text_version=FIRST_VERSION,
        by_user_id=world.worker.id,
        at=utcnow(),
    )
    new_gate().sync_seals(world.client.id)
    db.commit()
    assert_ended(client, issued)


def test_the_person_page_reads_in_a_fixed_number_of_queries(
    client: FlaskClient, db: Session, world: World, sql_count: list[str]
) -> None:
    one = bound(client, db, world, sections=(SectionKind.HOUSING,))
    sql_count.clear()
    client.get(link(one))
    with_one = len(sql_count)
    two = issue(db, world, SectionKind.HOUSING, SectionKind.EVERYDAY_LIFE)
    assert enter_code(client, two).status_code == 303
    sql_count.clear()
    html = client.get(link(two)).get_data(as_text=True)
    assert EVERYDAY_TEXT in html
    assert len(sql_count) == with_one


def test_the_worker_list_is_paginated_in_a_fixed_number_of_queries(
    client: FlaskClient, db: Session, world: World, sql_count: list[str]
) -> None:
    issue(db, world)
    login(client, world.worker.username)
    sql_count.clear()
    assert client.get(world.access_page).status_code == 200
    with_one = len(sql_count)
    for _ in range(PAGE_SIZE + 3):
        issue(db, world)
    sql_count.clear()
    page = client.get(world.access_page).get_data(as_text=True)
    assert len(sql_count) == with_one
    assert page.count("<tr>") == PAGE_SIZE + 1  # header row + one page
    assert "Page 1 of 2" in page
    assert client.get(f"{world.access_page}?page=2").get_data(as_text=True).count("<tr>") == 5


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (None, []),
        ("not json at all", [("text", ["not json at all"])]),
        (json.dumps({"goals": "A", "measures": " ", "secret_key": "x"}), [("goals", ["A"])]),
        (
            json.dumps({"measures": ["B", {"text": "C"}, 3], "client_view": "D"}),
            [("measures", ["B", "C"]), ("client_view", ["D"])],
        ),
        (json.dumps(["a", "list"]), []),
    ],
)
def test_section_content_is_read_gracefully(stored: str | None, expected: list[object]) -> None:
    parts = content_parts(stored)
    assert [(p.key, p.paragraphs) for p in parts] == expected
