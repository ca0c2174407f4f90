"""The caseworker's dashboard: "my clients", numbers that match their lists, fixed queries."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.dashboard import queries as dashboard
from app.dashboard.queries import ConsentChange
from app.i18n import helsinki_today
from app.models import (
    CaseTeamMember,
    Organisation,
    OrgKind,
    Phase,
    Role,
    User,
)
from app.models.intake import Channel, Notification, NotificationPath, NotifierKind
from app.models.release import ChecklistItem, ItemState
from app.release import commands as release_checklist
from app.release import rules as release_rules
from app.security import new_gate
from consent.base import utcnow
from consent.facts import SYSTEM_ACTOR, Purpose
from consent.sections import SectionKind
from sharing.fields import field_ref
from tests import factories
from tests.conftest import login

TODAY = helsinki_today()


@dataclass
class World:
    county: Organisation
    me: User
    colleague: User
    mine: list[str] = field(default_factory=list)  # names of my clients
    others: list[str] = field(default_factory=list)  # names never on my dashboard


def a_client(  # type: ignore[no-untyped-def]
    db: Session,
    county: Organisation,
    name: str,
    worker: User,
    *,
    phase: Phase,
    leaves_in: int | None,
    checklist: bool = False,
    review_in: int | None = None,
    consent_ends_in: int | None = None,
):
    """A client with the facts the dashboard counts (all optional)."""
    record, case = factories.client(
        db, county, name=name, worker=worker, phase=phase, release_in_days=leaves_in or 0
    )
    if leaves_in is None:
        case.conditional_release = None
    if checklist:
        release_checklist.generate(db, case, worker.id, utcnow())
    if review_in is not None:
        factories.client_plan(db, case, review_on=TODAY + timedelta(review_in))
    if consent_ends_in is not None:
        office = factories.organisation(db, OrgKind.PUBLIC_SERVICE)
        member = factories.member(db, case, office, starts_on=TODAY - timedelta(days=30))
        factories.consent(
            db,
            factories.actor(worker),
            case,
            member,
            SectionKind.HOUSING,
            valid_from=TODAY - timedelta(days=30),
            valid_until=TODAY + timedelta(consent_ends_in),
        )
    db.flush()
    return record, case


def notification(db: Session, county: Organisation, by: User) -> None:
    record, case = factories.client(
        db, county, name="Kuvitteellinen Ilmoitettu", phase=Phase.NOTIFIED
    )
    db.add(
        Notification(
            county_id=county.id,
            client_id=record.id,
            case_id=case.id,
            received_at=utcnow(),
            contacted_on=TODAY,
            notifier_kind=NotifierKind.PRISON_STAFF,
            channel=Channel.PHONE,
            need_ct=b"",
            path=NotificationPath.CONSENT,
            recorded_by_id=by.id,
        )
    )
    db.flush()


@pytest.fixture
def world(db: Session) -> World:
    county = factories.organisation(db, OrgKind.COUNTY)
    me = factories.user(db, Role.CASEWORKER, county)
    colleague = factories.user(db, Role.CASEWORKER, county)
    w = World(county, me, colleague)
    a_client(
        db, county, "Kuvitteellinen Aapo", me, phase=Phase.RELEASE, leaves_in=5, checklist=True
    )
    a_client(
        db, county, "Kuvitteellinen Bertta", me, phase=Phase.FOLLOW_UP, leaves_in=-60, review_in=10
    )
    _, team_case = a_client(
        db,
        county,
        "Kuvitteellinen Cecilia",
        colleague,
        phase=Phase.NETWORK,
        leaves_in=60,
        consent_ends_in=20,
    )
    db.add(CaseTeamMember(case_id=team_case.id, user_id=me.id))  # mine through the team
    a_client(
        db,
        county,
        "Kuvitteellinen Daavid",
        me,
        phase=Phase.ASSESSMENT,
        leaves_in=None,
        review_in=30,
        consent_ends_in=40,
    )
    w.mine = [
        "Kuvitteellinen Aapo",
        "Kuvitteellinen Bertta",
        "Kuvitteellinen Cecilia",
        "Kuvitteellinen Daavid",
    ]
    # A colleague's client, one I left the team of, and another county's: never mine.
    a_client(
        db,
        county,
        "Kuvitteellinen Eemeli",
        colleague,
        phase=Phase.RELEASE,
        leaves_in=3,
        checklist=True,
        review_in=1,
        consent_ends_in=5,
    )
    _, left = a_client(
        db, county, "Kuvitteellinen Fiia", colleague, phase=Phase.RELEASE, leaves_in=4
    )
    db.add(CaseTeamMember(case_id=left.id, user_id=me.id, removed_at=utcnow()))
    other_county = factories.organisation(db, OrgKind.COUNTY)
    stranger = factories.user(db, Role.CASEWORKER, other_county)
    a_client(
        db,
        other_county,
        "Kuvitteellinen Gideon",
        stranger,
        phase=Phase.RELEASE,
        leaves_in=2,
        checklist=True,
        review_in=0,
        consent_ends_in=3,
    )
    # A case whose responsible-worker period has ended is not mine either.
    _, ended = a_client(
        db, county, "Kuvitteellinen Hilkka", colleague, phase=Phase.RELEASE, leaves_in=6
    )
    factories.responsible_worker(
        db, ended, me, starts_on=TODAY - timedelta(days=90), ends_on=TODAY - timedelta(days=10)
    )
    w.others = [
        "Kuvitteellinen Eemeli",
        "Kuvitteellinen Fiia",
        "Kuvitteellinen Gideon",
        "Kuvitteellinen Hilkka",
    ]
    notification(db, county, me)
    notification(db, county, me)
    notification(db, other_county, stranger)
    db.commit()
    return w


def text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def numbers(page: str) -> dict[str, int]:
    """Each number on the dashboard by the address it links to."""
    found = re.findall(
        r'<a (?:class="count" )?href="([^"]+)">(?:<strong class="count">)?(\d+)', page
    )
    return {html.unescape(href): int(n) for href, n in found}


def listed_total(page: str) -> int:
    match = re.search(r'<p class="total">(\d+) ', page)
    assert match, "the list states no total"
    return int(match.group(1))


def test_the_numbers_count_only_my_clients(db: Session, world: World) -> None:
    counts = dashboard.counts(db, world.me.id, world.county.id, TODAY)
    assert counts.by_phase[Phase.RELEASE] == 1
    assert counts.by_phase[Phase.FOLLOW_UP] == 1
    assert counts.by_phase[Phase.NETWORK] == 1  # through the case team
    assert counts.by_phase[Phase.ASSESSMENT] == 1
    assert counts.clients == 4
    assert counts.releases == {7: 1, 30: 1, 90: 2}
    aapo_overdue = [
        p
        for p in release_rules.planned_tasks(TODAY + timedelta(5), None)
        if p.due_on is not None and p.due_on < TODAY
    ]
    assert counts.overdue_items == len(aapo_overdue) > 0
    assert counts.reviews_due == 1  # Bertta's, in 10 days; Daavid's in 30 is not due
    assert counts.consents_expiring == 1  # Cecilia's in 20 days; Daavid's in 40 is not

    colleague = dashboard.counts(db, world.colleague.id, world.county.id, TODAY)
    assert colleague.clients == 4  # Cecilia, Eemeli, Fiia, Hilkka


def test_every_number_links_to_a_list_of_the_same_length(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.me.username)
    home = client.get("/caseworker/")
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    assert "Updates from the network" in page
    shown = numbers(page)
    expected_links = {
        "/caseworker/dashboard/clients",
        *(f"/caseworker/dashboard/clients?phase={p.value}" for p in Phase),
        *(f"/caseworker/dashboard/releases?within={d}" for d in (7, 30, 90)),
        "/caseworker/dashboard/overdue",
        "/caseworker/dashboard/reviews",
        "/caseworker/dashboard/consents",
        "/caseworker/dashboard/log-queries",
        *(f"/caseworker/dashboard/consent-changes?kind={k}" for k in ConsentChange),
        "/caseworker/dashboard/log-requests",
        "/caseworker/intake",
        "/caseworker/transfers",
        "/caseworker/dashboard/transfer-answers",
        "/caseworker/messages?unread=1",
    }
    assert set(shown) == expected_links
    assert shown["/caseworker/dashboard/clients"] == 4
    assert shown["/caseworker/intake"] == 2  # the county's, not the other county's
    for href, number in shown.items():
        listing = client.get(href)
        assert listing.status_code == 200, href
        body = listing.get_data(as_text=True)
        if href == "/caseworker/intake":
            assert f"{number} notifications wait for a worker." in body
            continue
        assert listed_total(body) == number, href
        rows = re.findall(r'<tr>\s*<th scope="row">', body)
        assert len(rows) == number, href  # every row on one page here
        for name in world.others:
            assert name not in body, (href, name)
    all_mine = text(client.get("/caseworker/dashboard/clients").get_data(as_text=True))
    assert all(name in all_mine for name in world.mine)


def test_the_lists_show_what_is_behind_the_numbers(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.me.username)
    releases = text(client.get("/caseworker/dashboard/releases?within=7").get_data(as_text=True))
    assert "Kuvitteellinen Aapo" in releases and "Housing application" in releases
    assert "Overdue" in releases
    ninety = text(client.get("/caseworker/dashboard/releases?within=90").get_data(as_text=True))
    assert "Kuvitteellinen Cecilia" in ninety and "No checklist yet" in ninety
    overdue = text(client.get("/caseworker/dashboard/overdue").get_data(as_text=True))
    assert "Kuvitteellinen Aapo" in overdue and "days late" in overdue
    reviews = text(client.get("/caseworker/dashboard/reviews").get_data(as_text=True))
    assert "Kuvitteellinen Bertta" in reviews and "Due soon" in reviews
    consents = text(client.get("/caseworker/dashboard/consents").get_data(as_text=True))
    assert "Kuvitteellinen Cecilia" in consents and "Housing" in consents
    assert client.get("/caseworker/dashboard/releases?within=12").status_code == 404


def test_done_items_leave_the_overdue_list(client: FlaskClient, db: Session, world: World) -> None:
    before = dashboard.counts(db, world.me.id, world.county.id, TODAY).overdue_items
    item = dashboard.overdue_items(db, world.me.id, world.county.id, TODAY).rows[0].item
    item.state = ItemState.DONE
    db.commit()
    assert dashboard.counts(db, world.me.id, world.county.id, TODAY).overdue_items == before - 1
    removed = dashboard.overdue_items(db, world.me.id, world.county.id, TODAY).rows[0].item
    removed.removed_at = utcnow()
    db.commit()
    assert dashboard.counts(db, world.me.id, world.county.id, TODAY).overdue_items == before - 2


def test_the_county_caseload_moved_and_keeps_its_filter(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.me.username)
    page = client.get("/caseworker/clients").get_data(as_text=True)
    assert 'href="/caseworker/clients" aria-current="page"' in page  # the nav's "Clients"
    for name in [*world.mine, "Kuvitteellinen Eemeli", "Kuvitteellinen Fiia"]:
        assert name in page  # every client of the county
    assert "Kuvitteellinen Gideon" not in page
    follow_up = client.get("/caseworker/clients?phase=follow_up").get_data(as_text=True)
    assert "Kuvitteellinen Bertta" in follow_up and "Kuvitteellinen Aapo" not in follow_up


def grow(db: Session, world: World, count: int) -> None:
    for n in range(count):
        _, case = a_client(
            db,
            world.county,
            f"Kuvitteellinen Lisä {n}",
            world.me,
            phase=Phase.RELEASE,
            leaves_in=3 + n % 20,
            checklist=True,
            review_in=n % 10,
            consent_ends_in=1 + n % 25,
        )
        # A custom item with a close person responsible: both decrypted on the lists.
        person = factories.member(db, case, person_name="Läheinen", starts_on=TODAY)
        gate = new_gate()
        custom = ChecklistItem(
            case_id=case.id,
            client_id=case.client_id,
            due_on=TODAY - timedelta(days=1),
            responsible_member_id=person.id,
        )
        custom.title_ct = gate.write_text(
            SYSTEM_ACTOR,
            field_ref(custom, ChecklistItem.title_ct),
            "Oma tehtävä",
            purpose=Purpose.ADMINISTRATION,
        )
        db.add(custom)
    db.commit()


PAGES = [
    "/caseworker/",
    "/caseworker/dashboard/clients",
    "/caseworker/dashboard/clients?phase=release",
    "/caseworker/dashboard/releases?within=30",
    "/caseworker/dashboard/overdue",
    "/caseworker/dashboard/reviews",
    "/caseworker/dashboard/consents",
    "/caseworker/dashboard/log-queries",
]


def test_a_fixed_number_of_queries_whatever_the_number_of_clients(
    client: FlaskClient, db: Session, world: World, sql_count: list[str]
) -> None:
    grow(db, world, 3)
    login(client, world.me.username)

    def queries() -> dict[str, int]:
        found = {}
        for path in PAGES:
            sql_count.clear()
            assert client.get(path).status_code == 200, path
            found[path] = len(sql_count)
        return found

    few = queries()
    grow(db, world, 27)
    assert queries() == few
    # 34 clients of mine: 25 on the first page, 9 on the second.
    second = client.get("/caseworker/dashboard/clients?page=2").get_data(as_text=True)
    assert listed_total(second) == 34
    assert len(re.findall(r'<tr>\s*<th scope="row">', second)) == 9
