"""Organisations are asked to delete copies whenever sharing ends early: a consent revoked,
a network membership ended, or the case closed; the partner and the client see why."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.commands import end_membership, revoke_consent
from app.ending import commands as ending
from app.i18n import helsinki_today
from app.models import Case, Client, NetworkMember, Organisation, Role, User
from app.models.partner import NoticeReason, RevocationNotice
from app.network import commands as network
from app.partner_work.commands import confirm_notice
from app.security import new_gate
from consent.facts import Actor, Direction
from consent.models import Consent
from consent.sections import SectionKind
from tests import factories
from tests.conftest import api_token, csrf_token, login

TODAY = helsinki_today()
LIVE_UNTIL = TODAY + timedelta(days=90)
ROW = re.compile(r"<tr>\s*<t[hd][^>]*>.*?</tr>", re.S)


@dataclass
class World:
    county: Organisation
    worker: User
    worker_actor: Actor
    record: Client
    case: Case
    client_user: User


@pytest.fixture
def world(db: Session) -> World:
    base = factories.county_case(db, name="Kuvitteellinen Kalle")
    return World(
        base.county,
        base.worker,
        base.actor,
        base.client,
        base.case,
        factories.user(db, Role.CLIENT, client=base.client),
    )


def org_member(
    db: Session, w: World, name: str, *, starts_on: date = TODAY - timedelta(days=30)
) -> tuple[NetworkMember, User]:
    """An authority (no confidentiality commitment needed) in the network, and its staff."""
    joined = factories.partner(db, w.case, name=name, starts_on=starts_on)
    return joined.member, joined.staff


def grant(
    db: Session,
    w: World,
    member: NetworkMember,
    *,
    starts: date = TODAY,
    until: date | None = LIVE_UNTIL,
    direction: Direction = Direction.DISCLOSE,
) -> Consent:
    return factories.consent(
        db,
        w.worker_actor,
        w.case,
        member,
        SectionKind.HOUSING,
        valid_from=starts,
        valid_until=until,
        direction=direction,
    )


def reasons(db: Session, w: World) -> dict[tuple[object, object], NoticeReason]:
    """Every notice about the client, as (consent, organisation) → reason."""
    notices = db.scalars(select(RevocationNotice).where(RevocationNotice.client_id == w.record.id))
    return {(n.consent_id, n.organisation_id): n.reason for n in notices}


def signed_in(client: FlaskClient, username: str) -> FlaskClient:
    """A browser of its own for ``username`` (English, like the test client)."""
    browser = client.application.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(browser, username)
    return browser


def rows_of(html: str, text: str) -> list[str]:
    """The table rows that mention ``text``."""
    return [row for row in ROW.findall(html) if text in row]


# -- ending a membership ---------------------------------------------------------------------


def test_ending_a_membership_asks_its_organisation_about_each_consent_in_force(
    client: FlaskClient, db: Session, world: World
) -> None:
    housing, staff = org_member(db, world, "Kuvitteellinen asuntotoimisto")
    live = grant(db, world, housing)
    open_ended = grant(db, world, housing, until=None)
    grant(db, world, housing, direction=Direction.OBTAIN)
    grant(db, world, housing, starts=TODAY + timedelta(days=5))  # not yet begun
    grant(db, world, housing, starts=TODAY - timedelta(days=20), until=TODAY - timedelta(days=1))
    withdrawn = grant(db, world, housing)
    revoke_consent(db, new_gate(), world.worker_actor, withdrawn, receipt=None)
    db.commit()

    # The worker ends the membership on the network page.
    worker = signed_in(client, world.worker.username)
    member_page = f"/caseworker/clients/{world.record.id}/network/members/{housing.id}"
    ended = worker.post(
        f"{member_page}/end",
        data={
            "csrf_token": csrf_token(worker, member_page),
            "reason": "Ei enää tarpeen (fictional)",
        },
    )
    assert ended.status_code == 302, ended.get_data(as_text=True)

    org = housing.organisation_id
    assert reasons(db, world) == {
        (live.id, org): NoticeReason.MEMBERSHIP_ENDED,
        (open_ended.id, org): NoticeReason.MEMBERSHIP_ENDED,
        (withdrawn.id, org): NoticeReason.REVOKED,  # asked once, for the first reason
    }

    # The organisation sees why on its home page and confirms.
    partner = signed_in(client, staff.username)
    home = partner.get("/partner/").get_data(as_text=True)
    assert "Sharing ended: 3 notices to confirm" in home
    listed = rows_of(home, "Confirm: our organisation keeps no copy")
    assert ["Consent withdrawn" in row for row in listed] == [True, False, False]
    assert all("Membership in the support network ended" in row for row in listed[1:])
    assert "Kuvitteellinen Kalle" not in home  # the name is no longer readable

    via_api = partner.get("/api/v1/notices", headers=api_token(partner, staff.username)).json
    assert [item["reason"] for item in via_api["items"]] == [
        "revoked",
        "membership_ended",
        "membership_ended",
    ]
    confirmed = partner.post(
        f"/partner/notices/{via_api['items'][1]['id']}/confirm",
        data={"csrf_token": csrf_token(partner, "/partner/")},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "The client can see that your organisation keeps no copy" in confirmed
    assert "Sharing ended: 2 notices to confirm" in confirmed


def test_a_membership_that_had_not_begun_or_had_reached_its_last_day_makes_no_notice(
    db: Session, world: World
) -> None:
    upcoming, _ = org_member(
        db, world, "Kuvitteellinen tuleva", starts_on=TODAY + timedelta(days=3)
    )
    grant(db, world, upcoming)
    past, _ = org_member(db, world, "Kuvitteellinen päättynyt")
    grant(db, world, past)
    past.ends_on = TODAY - timedelta(days=1)  # its planned last day has passed
    db.flush()
    for member in (upcoming, past):
        end_membership(db, new_gate(), member, by_user_id=world.worker.id)
    assert reasons(db, world) == {}


# -- closing the case ------------------------------------------------------------------------


def test_closing_the_case_asks_every_organisation_that_had_a_live_consent(
    client: FlaskClient, db: Session, world: World
) -> None:
    housing, housing_staff = org_member(db, world, "Kuvitteellinen asuntotoimisto")
    live_housing = grant(db, world, housing)
    withdrawn = grant(db, world, housing)
    revoke_consent(db, new_gate(), world.worker_actor, withdrawn, receipt=None)
    kela, _ = org_member(db, world, "Kuvitteellinen Kela")
    live_kela = grant(db, world, kela, until=None)
    left, _ = org_member(db, world, "Kuvitteellinen lähtenyt")
    left_consent = grant(db, world, left)
    network.end_member(db, new_gate(), left, by_user_id=world.worker.id)
    obtaining, _ = org_member(db, world, "Kuvitteellinen kysyjä")
    grant(db, world, obtaining, direction=Direction.OBTAIN)
    later, _ = org_member(db, world, "Kuvitteellinen myöhempi")
    grant(db, world, later, starts=TODAY + timedelta(days=5))
    person = factories.person_member(
        db,
        world.worker_actor,
        world.case,
        "Läheinen Kuvitteellinen",
        role="Sisar",
        starts_on=TODAY - timedelta(days=5),
    )
    person.confidentiality_committed_on = TODAY
    grant(db, world, person)
    open_members = [housing, kela, obtaining, later, person]

    ending.close_case(
        db,
        new_gate(),
        world.worker_actor,
        case=world.case,
        summary="Asiakas pärjää itsenäisesti (fictional).",
        early_reason="Vapautuminen on jo toteutunut muualla (fictional).",
        end_with_case=[m.id for m in open_members],
    )
    db.commit()

    assert reasons(db, world) == {
        (live_housing.id, housing.organisation_id): NoticeReason.CASE_CLOSED,
        (live_kela.id, kela.organisation_id): NoticeReason.CASE_CLOSED,
        (withdrawn.id, housing.organisation_id): NoticeReason.REVOKED,
        (left_consent.id, left.organisation_id): NoticeReason.MEMBERSHIP_ENDED,
    }

    # The client sees each organisation, why it was asked, and whether it has confirmed.
    confirmed = db.scalar(
        select(RevocationNotice).where(RevocationNotice.consent_id == live_housing.id)
    )
    assert confirmed is not None and confirm_notice(
        db, confirmed.id, organisation_id=confirmed.organisation_id, by_user_id=housing_staff.id
    )
    db.commit()
    own = signed_in(client, world.client_user.username).get("/my/consents")
    assert own.status_code == 200
    html = own.get_data(as_text=True).split('id="notices-title"')[1].split("</section>")[0]
    assert "Sharing that has ended: has the organisation deleted its copies?" in html
    assert "kysyjä" not in html and "myöhempi" not in html
    assert sorted(
        ("Case closed" in r, "Consent withdrawn" in r, "Yes, on" in r)
        for r in rows_of(html, "Kuvitteellinen asuntotoimisto")
    ) == [(False, True, False), (True, False, True)]
    [kela_row] = rows_of(html, "Kuvitteellinen Kela")
    assert "Case closed" in kela_row and "Not yet" in kela_row
    [left_row] = rows_of(html, "Kuvitteellinen lähtenyt")
    assert "Membership in the support network ended" in left_row and "Not yet" in left_row
