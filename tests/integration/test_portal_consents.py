"""The client's own consent pages: give, narrow, extend, withdraw; preview; receipts."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.receipts import principal_id
from app.consents.texts import FIRST_VERSION
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
from app.models.receipt import ConsentReceipt, ReceiptAction
from app.models.user_session import UserSession
from app.plan.content import SectionContent
from app.security import new_gate
from consent.decision import Reason
from consent.facts import Actor, ActorRole, Direction, Purpose
from consent.models import Consent, ConsentState, GivenHow
from consent.sections import SectionKind
from sharing.errors import AccessDenied
from sharing.fields import sealed
from tests import factories
from tests.conftest import csrf_token, login
from tests.unit.test_receipts import KANTARA_FIELDS

COOP = Purpose.NETWORK_COOPERATION
HOUSING_TEXT = "Oma vuokra-asunto Kuopiosta (fictional)"
HEALTH_TEXT = "Päihdekuntoutus jatkuu avohoidossa (fictional)"
WORK_TEXT = "Työkokeilu keväällä (fictional)"
PURPOSE = "Asunnon järjestäminen vapautumiseen (fictional)"


@dataclass
class World:
    worker: User
    worker_actor: Actor
    client: Client
    case: Case
    user: User  # the client's own login
    housing: NetworkMember  # an authority (public service)
    housing_staff: Actor
    ngo: NetworkMember  # not an authority, no confidentiality commitment
    person: NetworkMember  # a close person with a confidentiality commitment
    versions: dict[SectionKind, PlanSectionVersion]


def today() -> date:
    return helsinki_today()


def write_section(
    db: Session, actor: Actor, case: Case, kind: SectionKind, text: str
) -> PlanSectionVersion:
    return factories.plan_section(db, actor, case, kind, SectionContent(goals=text))


def make_world(db: Session, *, name: str = "Kuvitteellinen Kalle") -> World:
    base = factories.county_case(db, name=name)
    user = factories.user(db, Role.CLIENT, client=base.client)
    actor, case = base.actor, base.case
    joined = today() - timedelta(days=10)
    housing = factories.partner(db, case, name=f"Asuntotoimisto {case.id}", starts_on=joined)
    ngo = factories.partner(db, case, OrgKind.NGO, name=f"Tukiyhdistys {case.id}", starts_on=joined)
    person = factories.person_member(
        db,
        actor,
        case,
        "Läheinen Kuvitteellinen",
        role="Sisar",
        starts_on=today() - timedelta(days=5),
    )
    person.confidentiality_committed_on = today()
    versions = {
        kind: write_section(db, actor, case, kind, text)
        for kind, text in (
            (SectionKind.HOUSING, HOUSING_TEXT),
            (SectionKind.HEALTH, HEALTH_TEXT),
            (SectionKind.EDUCATION_WORK, WORK_TEXT),
        )
    }
    return World(
        base.worker,
        actor,
        base.client,
        case,
        user,
        housing.member,
        housing.actor,
        ngo.member,
        person,
        versions,
    )


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)


def grant(
    db: Session,
    w: World,
    member: NetworkMember,
    *sections: SectionKind,
    valid_until: date | None = None,
) -> Consent:
    return factories.consent(
        db, w.worker_actor, w.case, member, *sections, valid_until=valid_until, purpose_text=PURPOSE
    )


def reads(actor: Actor, w: World, kind: SectionKind) -> str:
    """The section as the grantee's own gate read opens it."""
    version = w.versions[kind]
    text = new_gate().read_texts(
        actor, [sealed(version, PlanSectionVersion.content_ct)], purpose=COOP
    )[0]
    assert text is not None
    return str(json.loads(text)["goals"])


def person_actor(w: World) -> Actor:
    return Actor(ActorRole.PERSON, member_id=w.person.id)


def post(client: FlaskClient, path: str, data: dict[str, object], token_from: str | None = None):  # type: ignore[no-untyped-def]
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(path, data={"csrf_token": csrf_token(client, token_from or path), **data})


def grant_form(member: NetworkMember, step: str, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "member": str(member.id),
        "sections": [SectionKind.HOUSING.value],
        "purpose_text": PURPOSE,
        "valid_until": (today() + timedelta(days=30)).isoformat(),
        "step": step,
    }
    if step == "confirm":
        data |= {"information_read": "y", "information_text_version": FIRST_VERSION}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(response.get_data(as_text=True))


def preview_part(page: str) -> str:
    start = page.index("Exactly what they would see today")
    return page[start : page.index("</section>", start)]


def receipt_of(db: Session, location: str) -> ConsentReceipt:
    match = re.search(r"/my/consents/receipts/([0-9a-f-]{36})$", location)
    assert match, location
    stored = db.get(ConsentReceipt, uuid.UUID(match.group(1)))
    assert stored is not None
    return stored


# -- the page ----------------------------------------------------------------------------------


def member_card(page: str, label: str) -> str:
    """The client's card of one network member (``<li class="member-card …">…</li>``)."""
    cards = page.split('<li class="member-card')[1:]
    [card] = [c for c in cards if f"<h3>{label}</h3>" in c]
    return card


def card_fact(card: str, css: str) -> list[str]:
    """The section names in one ``<dd>`` of a card ("They can see" / "They cannot see")."""
    match = re.search(rf'<dd class="{css}">(.*?)</dd>', card, re.S)
    assert match, card
    return [name.strip() for name in match.group(1).split(",")]


def test_the_page_lists_each_member_with_every_section_named_once(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    """One card per member instead of the 12-column matrix: each card names every part of
    the plan once, as seen or not seen, with the consent's purpose, period and actions."""
    from app.labels import SECTIONS

    consent = grant(db, world, world.housing, SectionKind.HOUSING, valid_until=date(2099, 1, 31))
    db.commit()
    login(client, world.user.username)
    page = text_of(client.get("/my/consents"))
    card = member_card(page, f"Asuntotoimisto {world.case.id}")
    assert card_fact(card, "sees") == ["Housing"]
    hidden = card_fact(card, "hidden-parts")
    with app.test_request_context(), force_locale("en"):
        every_section = sorted(str(label) for label in SECTIONS.values())
    assert sorted(["Housing", *hidden]) == every_section
    assert "Desistance goals" in hidden and "Other" in hidden
    assert "Your consent: they may see Housing" in card and PURPOSE in card
    assert "31 Jan 2099" in card  # English dates: day, month in words, year
    assert f"/my/consents/{consent.id}/revoke" in card
    assert f"/my/consents/{consent.id}/narrow" in card
    assert f"/my/consents/{consent.id}/extend" in card
    assert card_fact(member_card(page, "Läheinen Kuvitteellinen"), "sees") == [
        "Nothing from your plan"
    ]
    assert "/my/consents/new" in page
    # "We" is named, the client is "you", and withdrawing has one word.
    county = db.get(Organisation, world.case.county_id)
    assert county is not None and f"The social work of {county.name} always sees" in page
    main = page.split("<main", 1)[1]
    for word in ("Revoke", "revoke consent", "We disclose", "the client", "The client"):
        assert word not in main.replace("/revoke", ""), word


def test_an_ended_consent_says_who_withdrew_it_and_when(
    client: FlaskClient, db: Session, world: World
) -> None:
    consent = grant(db, world, world.housing, SectionKind.HOUSING)
    db.commit()
    login(client, world.user.username)
    path = f"/my/consents/{consent.id}/revoke"
    client.post(path, data={"csrf_token": csrf_token(client, path)})
    page = text_of(client.get("/my/consents"))
    ended = page.split('id="ended-title"', 1)[1].split("</section>", 1)[0]
    day = f"{today().day} {today():%b %Y}"
    assert f"Asuntotoimisto {world.case.id}</strong>: Housing." in ended
    assert f"You withdrew it on {day}." in ended  # the client is spoken to, never a blank name
    assert card_fact(member_card(page, f"Asuntotoimisto {world.case.id}"), "sees") == [
        "Nothing from your plan"
    ]


# -- giving a consent --------------------------------------------------------------------------


def test_giving_a_consent_shows_the_information_and_preview_then_records_it(
    client: FlaskClient, db: Session, world: World
) -> None:
    db.commit()
    login(client, world.user.username)
    form = text_of(client.get("/my/consents/new"))
    assert f"Asuntotoimisto {world.case.id}" in form
    assert "Läheinen Kuvitteellinen" in form
    assert "have not made a confidentiality commitment" in form
    assert f"Tukiyhdistys {world.case.id}</li>" in form  # listed as waiting, not offered
    assert f'value="{world.ngo.id}"' not in form

    review = post(
        client,
        "/my/consents/new",
        grant_form(
            world.housing,
            "review",
            sections=[SectionKind.HOUSING.value, SectionKind.HEALTH.value],
        ),
        token_from="/my/consents/new",
    )
    assert review.status_code == 200
    page = text_of(review)
    assert "Consent to share information in your support network" in page  # information text
    assert f"Information text, version {FIRST_VERSION}." in page
    seen = preview_part(page)
    assert HOUSING_TEXT in seen and HEALTH_TEXT in seen and WORK_TEXT not in seen
    assert "Kuvitteellinen Kalle" in seen  # they see whose plan it is
    assert db.scalars(select(Consent)).all() == []  # nothing changes before confirming

    unconfirmed = post(
        client,
        "/my/consents/new",
        grant_form(world.housing, "confirm", information_read=None),
        token_from="/my/consents/new",
    )
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm" in text_of(unconfirmed)
    assert db.scalars(select(Consent)).all() == []

    done = post(
        client,
        "/my/consents/new",
        grant_form(
            world.housing,
            "confirm",
            sections=[SectionKind.HOUSING.value, SectionKind.HEALTH.value],
        ),
        token_from="/my/consents/new",
    )
    assert done.status_code == 302
    stored = db.scalars(select(Consent)).one()
    assert stored.given_how is GivenHow.ELECTRONIC
    assert stored.recorded_by_id == world.user.id
    assert stored.information_text_version == FIRST_VERSION
    assert stored.sections == ["health", "housing"]
    assert stored.purpose_text_ct and PURPOSE.encode() not in stored.purpose_text_ct
    receipt = receipt_of(db, done.headers["Location"])
    assert (receipt.action, receipt.consent_id) == (ReceiptAction.GRANT, stored.id)
    assert receipt.created_by_id == world.user.id
    # The partner's own gate read now opens exactly what the preview showed.
    assert reads(world.housing_staff, world, SectionKind.HOUSING) == HOUSING_TEXT
    assert reads(world.housing_staff, world, SectionKind.HEALTH) == HEALTH_TEXT
    db.commit()
    with pytest.raises(AccessDenied, match=Reason.DENIED_SECTION_NOT_IN_SCOPE.value):
        reads(world.housing_staff, world, SectionKind.EDUCATION_WORK)


def test_going_back_keeps_the_choices(client: FlaskClient, db: Session, world: World) -> None:
    db.commit()
    login(client, world.user.username)
    back = post(
        client,
        "/my/consents/new",
        grant_form(world.housing, "edit", purpose_text="Oma sana (fictional)"),
        token_from="/my/consents/new",
    )
    assert back.status_code == 200
    page = text_of(back)
    assert "Oma sana (fictional)" in page
    assert f'<option selected value="{world.housing.id}">' in page
    assert db.scalars(select(Consent)).all() == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sections": None}, "Choose at least one part of your plan."),
        ({"member": ""}, "Choose who may see the information."),
        ({"purpose_text": "  "}, "Write why they may see the information."),
        ({"valid_until": "2020-01-01"}, "The last day cannot be in the past."),
        ({"valid_until": "31.2.2026"}, "Not a valid date value."),
        ({"member": "not-a-member"}, "Choose someone from the list."),
    ],
)
def test_a_grant_missing_something_is_refused_with_the_inputs_kept(
    client: FlaskClient, db: Session, world: World, changes: dict[str, object], message: str
) -> None:
    db.commit()
    login(client, world.user.username)
    typed = "Kela-asiointi vapautumispäivänä (fictional)"
    refused = post(
        client,
        "/my/consents/new",
        {**grant_form(world.housing, "review", purpose_text=typed), **changes},
        token_from="/my/consents/new",
    )
    assert refused.status_code == 400
    page = text_of(refused)
    assert message in page and "Please correct the following" in page
    if "purpose_text" not in changes:
        assert typed in page
    assert db.scalars(select(Consent)).all() == []


def test_a_member_without_a_confidentiality_commitment_cannot_be_chosen(
    client: FlaskClient, db: Session, world: World
) -> None:
    db.commit()
    login(client, world.user.username)
    for step in ("review", "confirm"):
        refused = post(
            client,
            "/my/consents/new",
            grant_form(world.ngo, step),
            token_from="/my/consents/new",
        )
        assert refused.status_code == 400
        assert "Choose someone from the list." in text_of(refused)
    assert db.scalars(select(Consent)).all() == []


def test_a_close_person_gets_exactly_the_preview(
    client: FlaskClient, db: Session, world: World
) -> None:
    db.commit()
    login(client, world.user.username)
    review = post(
        client,
        "/my/consents/new",
        grant_form(world.person, "review", sections=[SectionKind.EDUCATION_WORK.value]),
        token_from="/my/consents/new",
    )
    seen = preview_part(text_of(review))
    assert WORK_TEXT in seen and HOUSING_TEXT not in seen and HEALTH_TEXT not in seen
    done = post(
        client,
        "/my/consents/new",
        grant_form(world.person, "confirm", sections=[SectionKind.EDUCATION_WORK.value]),
        token_from="/my/consents/new",
    )
    assert done.status_code == 302
    assert reads(person_actor(world), world, SectionKind.EDUCATION_WORK) == WORK_TEXT


# -- narrowing and extending -------------------------------------------------------------------


def test_narrowing_replaces_the_consent_and_unseals_the_removed_section(
    client: FlaskClient, db: Session, world: World
) -> None:
    old = grant(db, world, world.housing, SectionKind.HOUSING, SectionKind.HEALTH)
    db.commit()
    assert reads(world.housing_staff, world, SectionKind.HEALTH) == HEALTH_TEXT
    db.commit()
    login(client, world.user.username)
    path = f"/my/consents/{old.id}/narrow"
    form = text_of(client.get(path))
    assert "Share less" in form and PURPOSE in form

    review = post(client, path, {"sections": ["housing"], "valid_until": "", "step": "review"})
    assert review.status_code == 200
    page = text_of(review)
    assert "(changes)" in page  # health: can see now, not after
    seen = preview_part(page)
    assert HOUSING_TEXT in seen and HEALTH_TEXT not in seen

    done = post(
        client,
        path,
        {
            "sections": ["housing"],
            "valid_until": "",
            "step": "confirm",
            "information_read": "y",
            "information_text_version": FIRST_VERSION,
        },
    )
    assert done.status_code == 302
    db.refresh(db.get(Consent, old.id))
    assert db.get(Consent, old.id).state is ConsentState.SUPERSEDED
    new = db.scalars(select(Consent).where(Consent.supersedes_id == old.id)).one()
    assert new.sections == ["housing"] and new.given_how is GivenHow.ELECTRONIC
    assert new.recorded_by_id == world.user.id
    receipt = receipt_of(db, done.headers["Location"])
    assert (receipt.action, receipt.consent_id, receipt.previous_consent_id) == (
        ReceiptAction.NARROW,
        new.id,
        old.id,
    )
    assert reads(world.housing_staff, world, SectionKind.HOUSING) == HOUSING_TEXT
    db.commit()
    with pytest.raises(AccessDenied):
        reads(world.housing_staff, world, SectionKind.HEALTH)


def test_extending_adds_a_section_and_a_later_last_day(
    client: FlaskClient, db: Session, world: World
) -> None:
    first_end = today() + timedelta(days=30)
    later = today() + timedelta(days=90)
    old = grant(db, world, world.housing, SectionKind.HOUSING, valid_until=first_end)
    db.commit()
    login(client, world.user.username)
    path = f"/my/consents/{old.id}/extend"
    assert first_end.isoformat() in text_of(client.get(path))
    data = {"sections": ["housing", "health"], "valid_until": later.isoformat()}
    review = post(client, path, {**data, "step": "review"})
    assert review.status_code == 200
    assert HEALTH_TEXT in preview_part(text_of(review))
    done = post(
        client,
        path,
        {
            **data,
            "step": "confirm",
            "information_read": "y",
            "information_text_version": FIRST_VERSION,
        },
    )
    assert done.status_code == 302
    new = db.scalars(select(Consent).where(Consent.supersedes_id == old.id)).one()
    assert new.sections == ["health", "housing"] and new.valid_until == later
    assert receipt_of(db, done.headers["Location"]).action is ReceiptAction.EXTEND
    assert reads(world.housing_staff, world, SectionKind.HEALTH) == HEALTH_TEXT


@pytest.mark.parametrize(
    ("mode", "data", "message"),
    [
        ("narrow", {"sections": ["housing", "health"]}, "To add parts, choose"),
        ("narrow", {"sections": ["housing"], "valid_until": ""}, "To share for longer"),
        ("narrow", {"sections": ["housing"]}, "Nothing would change."),
        ("extend", {"sections": []}, "Choose at least one part of your plan."),
        ("extend", {"sections": ["health"]}, "To remove parts, choose"),
        ("extend", {"sections": ["housing"]}, "Nothing would change."),
        ("extend", {"sections": ["housing"], "valid_until": "2020-01-01"}, "in the past"),
    ],
)
def test_a_change_in_the_wrong_direction_is_refused(
    client: FlaskClient,
    db: Session,
    world: World,
    mode: str,
    data: dict[str, object],
    message: str,
) -> None:
    end = today() + timedelta(days=30)
    old = grant(db, world, world.housing, SectionKind.HOUSING, valid_until=end)
    db.commit()
    login(client, world.user.username)
    path = f"/my/consents/{old.id}/{mode}"
    refused = post(client, path, {"valid_until": end.isoformat(), **data, "step": "review"})
    assert refused.status_code == 400
    assert message in text_of(refused)
    assert db.scalars(select(Consent)).one().state is ConsentState.ACTIVE


# -- withdrawing -------------------------------------------------------------------------------


def test_withdrawing_is_one_confirmation_and_denies_the_partners_next_read(
    client: FlaskClient, db: Session, world: World
) -> None:
    consent = grant(db, world, world.housing, SectionKind.HOUSING)
    db.commit()
    assert reads(world.housing_staff, world, SectionKind.HOUSING) == HOUSING_TEXT
    db.commit()
    login(client, world.user.username)
    path = f"/my/consents/{consent.id}/revoke"
    confirm = text_of(client.get(path))
    assert "Withdraw this consent?" in confirm and PURPOSE in confirm
    assert "They would not see any of your information." in confirm  # the preview after
    assert "Consent to share information in your support network" in confirm
    done = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert done.status_code == 302
    stored = db.get(Consent, consent.id)
    db.refresh(stored)
    assert (stored.state, stored.ended_by_id) == (ConsentState.REVOKED, world.user.id)
    receipt = receipt_of(db, done.headers["Location"])
    assert (receipt.action, receipt.consent_id) == (ReceiptAction.REVOKE, consent.id)
    with pytest.raises(AccessDenied, match=Reason.DENIED_REVOKED.value):
        reads(world.housing_staff, world, SectionKind.HOUSING)
    again = client.post(path, data={"csrf_token": csrf_token(client, "/my/consents")})
    assert again.status_code == 302
    assert "already ended" in text_of(client.get("/my/consents"))


def test_the_client_sees_whether_each_organisation_confirmed_it_keeps_no_copy(
    client: FlaskClient, db: Session, world: World
) -> None:
    from app.models.partner import RevocationNotice
    from app.partner_work import commands as partner

    consent = grant(db, world, world.housing, SectionKind.HOUSING)
    db.commit()
    login(client, world.user.username)
    path = f"/my/consents/{consent.id}/revoke"
    client.post(path, data={"csrf_token": csrf_token(client, path)})
    page = text_of(client.get("/my/consents"))
    assert "has the organisation deleted its copies?" in page and "Not yet" in page
    notice = db.scalars(select(RevocationNotice)).one()
    assert partner.confirm_notice(
        db,
        notice.id,
        organisation_id=world.housing_staff.organisation_id,
        by_user_id=world.housing_staff.user_id,
    )
    db.commit()
    assert "Yes, on" in text_of(client.get("/my/consents"))


def test_withdrawing_shows_what_remains_on_another_basis(
    client: FlaskClient, db: Session, world: World
) -> None:
    first = grant(db, world, world.housing, SectionKind.HOUSING)
    grant(db, world, world.housing, SectionKind.HEALTH)
    db.commit()
    login(client, world.user.username)
    seen = preview_part(text_of(client.get(f"/my/consents/{first.id}/revoke")))
    assert HEALTH_TEXT in seen and HOUSING_TEXT not in seen


# -- receipts ----------------------------------------------------------------------------------


def test_each_change_gives_a_receipt_with_the_kantara_fields(
    client: FlaskClient, db: Session, world: World
) -> None:
    consent = grant(db, world, world.housing, SectionKind.HEALTH)
    db.commit()
    login(client, world.user.username)
    path = f"/my/consents/{consent.id}/revoke"
    done = client.post(path, data={"csrf_token": csrf_token(client, path)})
    receipt = receipt_of(db, done.headers["Location"])
    assert HEALTH_TEXT.encode() not in receipt.json_ct and PURPOSE.encode() not in receipt.json_ct

    page = text_of(client.get(done.headers["Location"]))
    assert "Receipt: Consent withdrawn" in page and str(receipt.id) in page
    assert f"Asuntotoimisto {world.case.id}" in page and PURPOSE in page

    download = client.get(f"/my/consents/receipts/{receipt.id}.json")
    assert download.status_code == 200
    assert download.mimetype == "application/json"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(download.get_data(as_text=True))
    assert data.keys() >= KANTARA_FIELDS
    assert data["jurisdiction"] == "FI" and data["sensitive"] is True
    assert data["consentReceiptID"] == str(receipt.id)
    assert data["language"] == "en"
    assert data["piiPrincipalId"] == principal_id(world.client.id)
    assert "010190-900P" not in json.dumps(data) and str(world.client.id) not in json.dumps(data)
    county = db.get(Organisation, world.case.county_id)
    assert data["piiControllers"][0]["piiController"] == county.name
    assert world.worker.display_name in data["piiControllers"][0]["contact"]
    assert f"/my/consents/information/{FIRST_VERSION}" in data["policyUrl"]
    purpose = data["services"][0]["purposes"][0]
    assert purpose["purpose"] == PURPOSE
    assert purpose["piiCategory"] == ["Health and substance use"]
    assert purpose["thirdPartyName"] == f"Asuntotoimisto {world.case.id}"
    assert data["spiCat"] == ["social_welfare", "health"]
    assert data["tukiverkko"]["action"] == "revoke"

    # The policy URL opens the information text, for anyone holding the receipt.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/my/")})
    policy = client.get(f"/my/consents/information/{FIRST_VERSION}?lang=en")
    assert policy.status_code == 200
    assert "Consent to share information in your support network" in text_of(policy)
    assert client.get("/my/consents/information/1999-bogus").status_code == 404


def test_my_consents_lists_the_receipts_in_a_fixed_number_of_queries(
    client: FlaskClient, db: Session, world: World, sql_count: list[str]
) -> None:
    login(client, world.user.username)

    def withdraw(kind: SectionKind) -> None:
        consent = grant(db, world, world.housing, kind)
        db.commit()
        path = f"/my/consents/{consent.id}/revoke"
        assert client.post(path, data={"csrf_token": csrf_token(client, path)}).status_code == 302

    withdraw(SectionKind.HOUSING)
    sql_count.clear()
    one = text_of(client.get("/my/consents/receipts"))
    few = len(sql_count)
    assert "1 receipt, newest first" in one and "Consent withdrawn" in one
    for kind in (SectionKind.HEALTH, SectionKind.EDUCATION_WORK, SectionKind.LIVELIHOOD):
        withdraw(kind)
    sql_count.clear()
    many = text_of(client.get("/my/consents/receipts"))
    assert "4 receipts, newest first" in many
    assert len(sql_count) == few


# -- one client never reaches another's --------------------------------------------------------


def test_another_clients_consents_and_receipts_are_not_found(
    client: FlaskClient, db: Session, world: World
) -> None:
    other = make_world(db, name="Toinen Kuvitteellinen")
    consent = grant(db, other, other.housing, SectionKind.HOUSING)
    db.commit()
    login(client, other.user.username)
    path = f"/my/consents/{consent.id}/revoke"
    done = client.post(path, data={"csrf_token": csrf_token(client, path)})
    receipt = receipt_of(db, done.headers["Location"])
    client.post("/logout", data={"csrf_token": csrf_token(client, "/my/")})

    login(client, world.user.username)
    live = grant(db, other, other.housing, SectionKind.HEALTH).id
    db.commit()
    for path in (
        f"/my/consents/{live}/revoke",
        f"/my/consents/{live}/narrow",
        f"/my/consents/{live}/extend",
        f"/my/consents/receipts/{receipt.id}",
        f"/my/consents/receipts/{receipt.id}.json",
    ):
        assert client.get(path).status_code == 404, path
    token = csrf_token(client, "/my/consents")
    assert client.post(f"/my/consents/{live}/revoke", data={"csrf_token": token}).status_code == 404
    assert db.get(Consent, live).state is ConsentState.ACTIVE
    assert "Toinen Kuvitteellinen" not in text_of(client.get("/my/consents"))


def test_a_staff_assisted_change_is_recorded_as_such(
    client: FlaskClient, db: Session, world: World
) -> None:
    prison = factories.organisation(db, OrgKind.PRISON, name=f"Vankila {world.case.id}")
    officer = factories.user(db, Role.PARTNER, prison)
    officer_id, prison_name = officer.id, prison.name
    consent = grant(db, world, world.housing, SectionKind.HOUSING)
    db.commit()
    login(client, world.user.username)
    signed_in = db.scalars(select(UserSession).where(UserSession.user_id == world.user.id)).one()
    signed_in.assisted_by_id = officer_id  # as the assisted sign-in at a terminal records it
    db.commit()
    path = f"/my/consents/{consent.id}/revoke"
    done = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert done.status_code == 302
    receipt = receipt_of(db, done.headers["Location"])
    assert receipt.assisted_by_id == officer_id
    data = json.loads(client.get(done.headers["Location"] + ".json").get_data(as_text=True))
    assert data["tukiverkko"]["staffAssisted"] is True
    assert "with staff helping at the terminal" in data["collectionMethod"]
    log = text_of(client.get("/my/log"))
    assert f"Staff helped at the terminal: {prison_name}" in log


def test_an_obtain_consent_is_withdrawn_without_a_preview_of_the_plan(
    client: FlaskClient, db: Session, world: World
) -> None:
    consent = factories.consent(
        db,
        world.worker_actor,
        world.case,
        world.housing,
        SectionKind.HOUSING,
        direction=Direction.OBTAIN,
        purpose_text=PURPOSE,
        given_how=GivenHow.ORAL,
    )
    db.commit()
    login(client, world.user.username)
    path = f"/my/consents/{consent.id}/revoke"
    page = text_of(client.get(path))
    assert "It does not let them see your plan." in page
    assert "Exactly what they would see today" not in page
    assert client.post(path, data={"csrf_token": csrf_token(client, path)}).status_code == 302


def test_a_consent_to_tell_the_worker_is_said_as_what_it_allows(
    client: FlaskClient, db: Session, world: World
) -> None:
    """A consent the other way (the member tells the worker) says so, without "we"."""
    told = factories.consent(
        db,
        world.worker_actor,
        world.case,
        world.housing,
        SectionKind.HOUSING,
        direction=Direction.OBTAIN,
        purpose_text=PURPOSE,
    )
    db.commit()
    login(client, world.user.username)
    card = member_card(text_of(client.get("/my/consents")), f"Asuntotoimisto {world.case.id}")
    assert "Your consent: they may tell your worker about Housing" in card
    assert card_fact(card, "sees") == ["Nothing from your plan"]
    revoke = text_of(client.get(f"/my/consents/{told.id}/revoke"))
    assert "<dt>What it allows</dt><dd>They may tell your worker about these parts</dd>" in revoke
    assert "We obtain" not in revoke
