""" "My plan" and "My network": the client reads their own plan and network, adds their own
view to a section as a new version, and never sees another client's data."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.i18n import helsinki_today
from app.models import (
    Case,
    Client,
    ClientPlan,
    NetworkMember,
    OrgKind,
    PlanSection,
    PlanSectionVersion,
    Role,
    User,
)
from app.models.flows import FlowChannel, FlowDirection
from app.models.plan import AgreementState, PlanResponsible
from app.network import commands as network_service
from app.plan.content import SectionContent
from app.security import new_gate
from consent.facts import SYSTEM_ACTOR, Actor, Purpose
from consent.sections import SectionKind
from sharing.access_log import AccessLogEntry
from sharing.errors import AccessDenied
from sharing.fields import sealed
from tests import factories
from tests.conftest import csrf_token, login

HOUSING = SectionKind.HOUSING
HEALTH = SectionKind.HEALTH


@dataclass
class Person:
    """A client with a case, a sign-in, a worker and (maybe) a plan."""

    worker: User
    worker_actor: Actor
    record: Client
    case: Case
    account: User
    plan: ClientPlan | None = None


def today() -> date:
    return helsinki_today()


def make_person(db: Session, name: str) -> Person:
    base = factories.county_case(db, name=name)
    account = factories.user(db, Role.CLIENT, client=base.client)
    return Person(base.worker, base.actor, base.client, base.case, account)


def add_section(
    db: Session,
    p: Person,
    kind: SectionKind,
    content: SectionContent,
    *,
    agreement: AgreementState = AgreementState.AGREED,
    review_on: date | None = None,
    responsible: tuple[NetworkMember, ...] = (),
) -> PlanSection:
    """A section with one version written by the worker, as the worker's pages would."""
    if p.plan is None:
        p.plan = factories.client_plan(
            db, p.case, review_on=today() + timedelta(days=30), created_by=p.worker
        )
    version = factories.plan_section(
        db,
        p.worker_actor,
        p.case,
        kind,
        content,
        agreement=agreement,
        review_on=review_on,
        responsible=responsible,
        # The worker's pages write only the four texts: a key they do not know goes straight in.
        direct=bool(content.others),
    )
    section = db.get(PlanSection, version.section_id)
    assert section is not None
    return section


def versions(db: Session, section: PlanSection) -> list[PlanSectionVersion]:
    return list(
        db.scalars(
            select(PlanSectionVersion)
            .where(PlanSectionVersion.section_id == section.id)
            .order_by(PlanSectionVersion.version)
            .execution_options(populate_existing=True)
        )
    )


def content_of(version: PlanSectionVersion, kind: SectionKind) -> dict[str, str]:
    text = new_gate().read_texts(
        SYSTEM_ACTOR,
        [sealed(version, PlanSectionVersion.content_ct)],
        purpose=Purpose.ADMINISTRATION,
    )[0]
    return json.loads(text or "{}")


@dataclass
class World:
    kalle: Person
    housing_member: NetworkMember
    sister: NetworkMember
    housing: PlanSection
    health: PlanSection


@pytest.fixture
def world(db: Session) -> World:
    kalle = make_person(db, "Kuvitteellinen Kalle")
    gate = new_gate()
    housing_org = factories.organisation(db, OrgKind.PUBLIC_SERVICE, "Asumispalvelut (fictional)")
    housing_member = factories.org_member(
        db,
        kalle.worker_actor,
        kalle.case,
        housing_org.id,
        role="Järjestää asunnon vapautumiseen (fictional)",
        starts_on=today(),
    )
    sister = factories.person_member(
        db,
        kalle.worker_actor,
        kalle.case,
        "Liisa Läheinen (fictional)",
        role="Sisko, tukee arjessa (fictional)",
        starts_on=today(),
        contact="040 000 0000 (fictional)",
    )
    network_service.add_flow(
        db,
        gate,
        kalle.worker_actor,
        member=housing_member,
        direction=FlowDirection.FROM_MEMBER,
        channel=FlowChannel.PHONE,
        subject="Asuntotarjouksen tilanne (fictional)",
        practice="Asumispalvelut soittaa omatyöntekijälle viikoittain (fictional)",
        agreed_on=today(),
        agreed_with_client=True,
    )
    housing = add_section(
        db,
        kalle,
        HOUSING,
        SectionContent(
            goals="Oma vuokra-asunto Kuopiosta (fictional)",
            measures="Asuntohakemus ennen vapautumista (fictional)",
            worker_view="Tukiasunto ensin olisi turvallisempi (fictional)",
            others=(("future_key", "kept as it is"),),
        ),
        review_on=today() + timedelta(days=14),
        responsible=(housing_member,),
    )
    health = add_section(
        db,
        kalle,
        HEALTH,
        SectionContent(goals="Päihteetön arki (fictional)"),
        agreement=AgreementState.DRAFT,
    )
    db.commit()
    return World(kalle, housing_member, sister, housing, health)


def view_url(kind: SectionKind) -> str:
    return f"/my/plan/{kind.value}/my-view"


def save_view(client: FlaskClient, kind: SectionKind, text: str, seen: int = 1):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf_token(client, view_url(kind)), "view": text, "seen": str(seen)}
    return client.post(view_url(kind), data=data)


# -- my plan -------------------------------------------------------------------------------


def test_my_plan_shows_every_section_in_plain_words(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.kalle.account.username)
    response = client.get("/my/plan")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<body class="portal">' in page
    for text in (
        "Housing",
        "Health and substance use",
        "Oma vuokra-asunto Kuopiosta (fictional)",
        "Asuntohakemus ennen vapautumista (fictional)",
        "Tukiasunto ensin olisi turvallisempi (fictional)",
        "Päihteetön arki (fictional)",
        "Asumispalvelut (fictional)",  # who helps
        "Agreed with you",
        "Still being planned: not agreed yet",
        "You have not added your view yet.",
    ):
        assert text in page, text
    assert "kept as it is" not in page  # keys the page does not know are not shown
    assert page.index("Housing") < page.index("Health and substance use")  # the kinds' order
    reads = db.scalars(
        select(AccessLogEntry).where(AccessLogEntry.actor_user_id == world.kalle.account.id)
    ).all()
    assert {(e.scope, e.purpose, e.allowed) for e in reads} >= {
        ("section:housing", "own_data", True),
        ("section:health", "own_data", True),
    }


def test_adding_my_view_adds_a_version_by_me_and_keeps_the_workers_text(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.kalle.account.username)
    form = client.get(view_url(HOUSING)).get_data(as_text=True)
    assert "What the plan says now" in form and "Tukiasunto ensin" in form
    response = save_view(client, HOUSING, "  Haluan oman asunnon, en tukiasuntoa. (fictional)  ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/my/plan#section-housing"

    first, second = versions(db, world.housing)
    assert second.version == 2 and second.author_id == world.kalle.account.id
    assert second.agreement is first.agreement and second.review_on == first.review_on
    assert [
        r.member_id
        for r in db.scalars(select(PlanResponsible).where(PlanResponsible.version_id == second.id))
    ] == [world.housing_member.id]
    before, after = content_of(first, HOUSING), content_of(second, HOUSING)
    assert after == {**before, "client_view": "Haluan oman asunnon, en tukiasuntoa. (fictional)"}
    section = db.get(PlanSection, world.housing.id, populate_existing=True)
    assert section is not None and section.current_version == 2

    write = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.actor_user_id == world.kalle.account.id,
            AccessLogEntry.action == "write",
        )
    ).one()
    assert (write.scope, write.purpose, write.assisted_by_user_id) == (
        "section:housing",
        "own_data",
        None,
    )
    page = client.get("/my/plan").get_data(as_text=True)
    assert "Haluan oman asunnon, en tukiasuntoa. (fictional)" in page
    assert "by you." in page
    assert "Tukiasunto ensin olisi turvallisempi (fictional)" in page


def test_saving_the_same_view_again_adds_nothing(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.kalle.account.username)
    save_view(client, HEALTH, "Tarvitsen tukea (fictional)")
    response = save_view(client, HEALTH, "Tarvitsen tukea (fictional)", seen=2)
    assert response.status_code == 302
    assert len(versions(db, world.health)) == 2
    assert "Nothing changed" in client.get("/my/plan").get_data(as_text=True)


def test_a_view_written_over_a_newer_version_is_kept_and_not_saved(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.kalle.account.username)
    response = save_view(client, HOUSING, "Kirjoitin vanhan version päälle (fictional)", seen=0)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone changed this part of the plan" in page
    assert "Kirjoitin vanhan version päälle (fictional)" in page  # what the client typed
    assert 'name="seen" type="hidden" value="1"' in page  # ready to save over the new one
    assert len(versions(db, world.housing)) == 1


def test_bad_input_is_refused_with_a_message(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.kalle.account.username)
    response = save_view(client, HOUSING, "x" * 4001)
    assert response.status_code == 400
    assert "too long" in response.get_data(as_text=True)
    bad_seen = client.post(
        view_url(HOUSING),
        data={"csrf_token": csrf_token(client, view_url(HOUSING)), "view": "ok", "seen": "abc"},
    )
    assert bad_seen.status_code == 400
    assert len(versions(db, world.housing)) == 1


def test_a_client_without_a_plan_is_told_so(client: FlaskClient, db: Session) -> None:
    person = make_person(db, "Kuvitteellinen Ville")
    db.commit()
    login(client, person.account.username)
    page = client.get("/my/plan").get_data(as_text=True)
    assert "Your plan has not been made yet." in page
    assert client.get(view_url(HOUSING)).status_code == 404


def test_the_plan_page_runs_a_fixed_number_of_queries(
    client: FlaskClient, db: Session, world: World, sql_count: list[str]
) -> None:
    login(client, world.kalle.account.username)

    def queries() -> int:
        sql_count.clear()
        assert client.get("/my/plan").status_code == 200
        return len(sql_count)

    two = queries()
    for kind in (SectionKind.LIVELIHOOD, SectionKind.RELATIONSHIPS, SectionKind.DESISTANCE):
        add_section(
            db,
            world.kalle,
            kind,
            SectionContent(goals=f"Tavoite {kind.value} (fictional)"),
            responsible=(world.sister,),
        )
    db.commit()
    assert queries() == two


# -- my network ----------------------------------------------------------------------------


def test_my_network_shows_members_contacts_and_agreed_flows(
    client: FlaskClient, db: Session, world: World
) -> None:
    login(client, world.kalle.account.username)
    response = client.get("/my/network")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in (
        "Asumispalvelut (fictional)",
        "Järjestää asunnon vapautumiseen (fictional)",
        "Liisa Läheinen (fictional)",
        "040 000 0000 (fictional)",
        "Sisko, tukee arjessa (fictional)",
        "They tell your worker",
        "By phone",
        "Asuntotarjouksen tilanne (fictional)",
        "Asumispalvelut soittaa omatyöntekijälle viikoittain (fictional)",
        "Your responsible worker",
        world.kalle.worker.display_name,
    ):
        assert text in page, text
    assert "<svg" in page and "Your support network" in page
    assert "The network picture in words" in page  # the text equivalent


def test_an_ended_member_is_listed_apart(client: FlaskClient, db: Session, world: World) -> None:
    network_service.end_member(db, new_gate(), world.sister, by_user_id=world.kalle.worker.id)
    db.commit()
    login(client, world.kalle.account.username)
    page = client.get("/my/network").get_data(as_text=True)
    earlier = page.index("Earlier in your network")
    assert page.index("Liisa Läheinen (fictional)") > earlier


# -- another client's data -----------------------------------------------------------------


def test_a_client_never_sees_another_clients_data(
    client: FlaskClient, db: Session, world: World
) -> None:
    ville = make_person(db, "Kuvitteellinen Ville")
    add_section(db, ville, HOUSING, SectionContent(goals="Villen oma tavoite (fictional)"))
    db.commit()
    login(client, ville.account.username)
    plan = client.get("/my/plan").get_data(as_text=True)
    network = client.get("/my/network").get_data(as_text=True)
    assert "Villen oma tavoite (fictional)" in plan
    for page in (plan, network):
        for secret in ("Oma vuokra-asunto", "Päihteetön", "Liisa Läheinen", "Asumispalvelut"):
            assert secret not in page
    # Kalle has a health section, Ville does not: nothing to reach it by.
    assert client.get(view_url(HEALTH)).status_code == 404
    assert save_view(client, HOUSING, "x").status_code == 302  # writes Ville's own section
    response = client.post(
        view_url(HEALTH),
        data={"csrf_token": csrf_token(client, view_url(HOUSING)), "view": "x", "seen": "1"},
    )
    assert response.status_code == 404
    assert len(versions(db, world.health)) == 1 and len(versions(db, world.housing)) == 1
    assert client.get("/my/plan/no-such-part/my-view").status_code == 404
    # And the gate itself refuses: a client reading as themselves opens only their own data.
    as_ville = factories.actor(ville.account)
    first = versions(db, world.housing)[0]
    with pytest.raises(AccessDenied):
        new_gate().read_texts(
            as_ville, [sealed(first, PlanSectionVersion.content_ct)], purpose=Purpose.OWN_DATA
        )


def test_staff_pages_are_not_for_clients(client: FlaskClient, db: Session, world: World) -> None:
    login(client, world.kalle.account.username)
    url = f"/caseworker/clients/{world.kalle.record.id}/portal-access"
    assert client.get(url).status_code == 403


# -- assisted ------------------------------------------------------------------------------


def test_a_view_written_with_staff_beside_records_both(
    client: FlaskClient, db: Session, world: World
) -> None:
    prison = factories.organisation(db, OrgKind.PRISON, "Kuvitteellinen vankila (fictional)")
    staff = factories.user(db, Role.PARTNER, prison)
    db.commit()
    login(client, staff.username)
    client.post("/assist", data={"csrf_token": csrf_token(client, "/assist")})
    client.post(
        "/assist/sign-in",
        data={
            "csrf_token": csrf_token(client, "/assist/sign-in"),
            "username": world.kalle.account.username,
            "password": "pw",
        },
    )
    form = client.get(view_url(HOUSING)).get_data(as_text=True)
    assert re.search(r"Staff-assisted session: [^<]+", form)
    assert save_view(client, HOUSING, "Kirjoitettu avustettuna (fictional)").status_code == 302
    write = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.actor_user_id == world.kalle.account.id,
            AccessLogEntry.action == "write",
        )
    ).one()
    assert write.assisted_by_user_id == staff.id
    second = versions(db, world.housing)[1]
    assert second.author_id == world.kalle.account.id
