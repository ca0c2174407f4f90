"""Information texts as versioned documents (issue 16, point 4): administrators draft, a
second administrator approves, one publishes; a published version is immutable in the
command and in the database; consents are given under the version in force for the case's
county and every stored version stays readable as it was shown, in each language."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.consents.commands import grant_consent
from app.consents.rules import GrantCode
from app.consents.texts import FIRST_VERSION, LANGUAGES, first_version_row
from app.information_texts import commands as texts
from app.information_texts import queries
from app.information_texts.rules import TextCode
from app.models import OrgKind, Role, User
from app.models.information_text import InformationTextVersion
from app.refusals import Refused
from app.security import new_gate
from consent.base import utcnow
from consent.models import GivenHow
from consent.sections import SectionKind
from consent.service import ConsentTerms
from tests import factories
from tests.conftest import IsolatedClient, csrf_token, login

NEW = "2027-01-v2"


def _content(marker: str) -> dict[str, dict[str, str]]:
    """Every language and wording, each carrying ``marker`` so a page shows which it is."""
    return {
        language: {
            "title": f"Suostumus {marker} {language}",
            "body": f"Miksi kysymme\nVakioteksti {marker} {language}.",
            "plain_title": f"Selkosuostumus {marker} {language}",
            "plain_body": f"Miksi kysymme\nSelkoteksti {marker} {language}.",
        }
        for language in LANGUAGES
    }


def _form(marker: str, version: str | None = None) -> dict[str, str]:
    data = {
        f"{language}_{name}": value
        for language, texts_ in _content(marker).items()
        for name, value in texts_.items()
    }
    return data | ({"version": version} if version is not None else {})


def _draft(
    db: Session,
    marker: str,
    *,
    version: str = NEW,
    county_id: uuid.UUID | None = None,
    drafter: User | None = None,
) -> InformationTextVersion:
    """A draft of ``version`` by ``drafter`` (a new service-wide administrator by default)."""
    return texts.draft(
        db,
        admin_id=(drafter or factories.user(db, Role.ADMIN)).id,
        scope=county_id,
        version=version,
        content=_content(marker),
        at=utcnow(),
    )


def _published(
    db: Session, version: str, marker: str, *, county_id: uuid.UUID | None = None
) -> InformationTextVersion:
    drafter, reviewer = factories.user(db, Role.ADMIN), factories.user(db, Role.ADMIN)
    made = _draft(db, marker, version=version, county_id=county_id, drafter=drafter)
    texts.approve(db, made, admin_id=reviewer.id, at=utcnow())
    texts.publish(db, made, admin_id=drafter.id, at=utcnow() + timedelta(seconds=1))
    return made


def _record(db: Session, base: factories.CountyCase, member_id: uuid.UUID, version: str) -> None:
    """A worker records a written consent to share housing, given under ``version``."""
    grant_consent(
        db,
        new_gate(),
        base.actor,
        case=base.case,
        terms=ConsentTerms(member_id, frozenset({SectionKind.HOUSING}), None, None),
        purpose_text="Asunto (fictional)",
        given_how=GivenHow.WRITTEN,
        information_text_version=version,
        receipt=None,
    )


def _stored(db: Session, version: str) -> InformationTextVersion:
    """The version as the database holds it now (the pages' requests use their own sessions)."""
    return db.scalars(
        select(InformationTextVersion)
        .where(InformationTextVersion.version == version)
        .execution_options(populate_existing=True)
    ).one()


def _browser(app: Flask) -> FlaskClient:
    browser = IsolatedClient(app, app.response_class, use_cookies=True)
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


def _post(browser: FlaskClient, path: str, data: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    token = csrf_token(browser, "/admin/information-texts")
    return browser.post(path, data={"csrf_token": token, **(data or {})})


# -- the administrators' pages --------------------------------------------------------------


def test_a_draft_is_approved_by_a_second_administrator_and_then_published(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    drafter, reviewer = factories.user(db, Role.ADMIN), factories.user(db, Role.ADMIN)
    db.commit()
    login(client, drafter.username)
    listing = client.get("/admin/information-texts").get_data(as_text=True)
    assert FIRST_VERSION in listing and "Published" in listing
    # The new draft starts from the version in force.
    assert "Your social worker works together" in client.get(
        "/admin/information-texts/new"
    ).get_data(as_text=True)

    response = _post(client, "/admin/information-texts/new", _form("A", NEW))
    assert response.status_code == 302
    page = response.headers["Location"]
    made = _stored(db, NEW)
    assert made.drafted_by_id == drafter.id and made.published_at is None

    # The drafter may not approve their own draft, nor publish it unapproved.
    assert "Another administrator must approve" in client.get(page).get_data(as_text=True)
    refused = _post(client, f"{page}/approve")
    assert refused.status_code == 302
    assert "you changed it last" in client.get(page).get_data(as_text=True)
    _post(client, f"{page}/publish")
    made = _stored(db, NEW)
    assert made.reviewed_at is None and made.published_at is None

    second = _browser(app)
    login(second, reviewer.username)
    assert _post(second, f"{page}/approve").status_code == 302
    assert _post(client, f"{page}/publish").status_code == 302
    made = _stored(db, NEW)
    assert made.reviewed_by_id == reviewer.id and made.published_by_id == drafter.id
    assert queries.current_version(db(), None) == NEW

    # Published: no form to change it, and a change posted anyway is refused.
    shown = client.get(page).get_data(as_text=True)
    assert "Save the draft" not in shown and "Vakioteksti A sv." in shown
    _post(client, page, _form("B"))
    made = _stored(db, NEW)
    assert made.content["fi"]["body"] == "Miksi kysymme\nVakioteksti A fi."
    assert "cannot be changed" in client.get(page).get_data(as_text=True)


def test_a_draft_missing_a_wording_or_with_a_bad_version_is_shown_its_errors(
    client: FlaskClient, db: Session
) -> None:
    admin = factories.user(db, Role.ADMIN)
    db.commit()
    login(client, admin.username)
    data = _form("A", "tammikuu") | {"sv_plain_body": "", "en_body": "Only a heading line"}
    response = _post(client, "/admin/information-texts/new", data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Give the version as year-month-name" in body
    assert "Write this text in every language." in body
    assert "Write at least one heading line followed by its paragraph." in body
    taken = _post(client, "/admin/information-texts/new", _form("A", FIRST_VERSION))
    assert "This version id is already used." in taken.get_data(as_text=True)


def test_changing_an_approved_draft_takes_it_back_to_a_draft(db: Session) -> None:
    drafter, reviewer = factories.user(db, Role.ADMIN), factories.user(db, Role.ADMIN)
    made = _draft(db, "A", drafter=drafter)
    texts.approve(db, made, admin_id=reviewer.id, at=utcnow())
    texts.revise(db, made, admin_id=reviewer.id, content=_content("B"), at=utcnow())
    assert made.reviewed_at is None and made.drafted_by_id == reviewer.id
    with pytest.raises(texts.TextLocked) as refused:
        texts.approve(db, made, admin_id=reviewer.id, at=utcnow())  # now it is theirs
    assert refused.value.errors == {"stage": TextCode.OWN_DRAFT}
    with pytest.raises(texts.TextLocked):
        texts.publish(db, made, admin_id=drafter.id, at=utcnow())


def test_a_county_administrator_works_on_their_county_s_own_text_only(
    client: FlaskClient, db: Session
) -> None:
    county = factories.organisation(db, OrgKind.COUNTY)
    admin = factories.user(db, Role.ADMIN, county)
    service_draft = _draft(db, "S")
    db.commit()
    login(client, admin.username)
    assert client.get(f"/admin/information-texts/{service_draft.id}").status_code == 404
    assert _post(client, f"/admin/information-texts/{service_draft.id}/approve").status_code == 404
    listing = client.get("/admin/information-texts").get_data(as_text=True)
    assert NEW not in listing and "service-wide" in listing  # the service's text is in force
    assert (
        _post(client, "/admin/information-texts/new", _form("C", "2027-02-oma")).status_code == 302
    )
    own = _stored(db, "2027-02-oma")
    assert own.county_id == county.id


# -- the consent flow -------------------------------------------------------------------------


def test_consents_are_given_under_the_version_in_force_for_the_case_s_county(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    base = factories.county_case(db)
    other = factories.county_case(db, name="Toinen Kuvitteellinen")
    old = factories.partner(db, base.case, name="Asuntotoimisto (fictional)")
    before = factories.consent(db, base.actor, base.case, old.member, SectionKind.HOUSING)
    own = _published(db, "2027-03-oma", "OMA", county_id=base.county.id)
    client_user = factories.user(db, Role.CLIENT, client=base.client)
    db.commit()
    assert queries.current_version(db(), base.county.id) == "2027-03-oma"
    assert queries.current_version(db(), other.county.id) == FIRST_VERSION

    login(client, base.worker.username)
    new_page = client.get(f"/caseworker/clients/{base.client.id}/consents/new")
    body = new_page.get_data(as_text=True)
    assert "Vakioteksti OMA en." in body and 'value="2027-03-oma"' in body
    # The consent given before keeps its version, linked from the consents page as shown.
    consents = client.get(f"/caseworker/clients/{base.client.id}/consents").get_data(as_text=True)
    assert f"/my/consents/information/{FIRST_VERSION}?wording=standard" in consents
    assert before.information_text_version == FIRST_VERSION

    portal = _browser(app)
    login(portal, client_user.username)
    # The client's pages show the plain-language wording of the version in force.
    form = portal.get("/my/consents/new").get_data(as_text=True)
    assert f"/my/consents/information/{own.version}" in form

    # A county's own version is not for another county's consents.
    member = factories.partner(db, other.case, name="Toinen toimisto (fictional)").member
    with pytest.raises(Refused) as refused:
        _record(db, other, member.id, "2027-03-oma")
    assert refused.value.errors["information_text_version"] is GrantCode.UNKNOWN_TEXT


def test_a_draft_is_no_text_to_record_a_consent_under(db: Session) -> None:
    base = factories.county_case(db)
    member = factories.partner(db, base.case, name="Asuntotoimisto (fictional)").member
    _draft(db, "D")
    with pytest.raises(Refused) as refused:
        _record(db, base, member.id, NEW)
    assert refused.value.errors["information_text_version"] is GrantCode.UNKNOWN_TEXT


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_version_is_readable_as_shown_in_each_language_and_wording(
    client: FlaskClient, db: Session, language: str
) -> None:
    _published(db, NEW, "N")
    db.commit()
    plain = client.get(f"/my/consents/information/{NEW}?lang={language}").get_data(as_text=True)
    assert f"Selkoteksti N {language}." in plain and f'lang="{language}"' in plain
    standard = client.get(f"/my/consents/information/{NEW}?lang={language}&wording=standard")
    assert f"Vakioteksti N {language}." in standard.get_data(as_text=True)
    # The first version, from the migration, as consents given under it were shown.
    first = first_version_row()["content"][language]
    old = client.get(f"/my/consents/information/{FIRST_VERSION}?lang={language}")
    assert first["title"] in old.get_data(as_text=True)
    assert client.get("/my/consents/information/1999-01-v9").status_code == 404


def test_a_draft_has_no_public_page(client: FlaskClient, db: Session) -> None:
    _draft(db, "D")
    db.commit()
    assert client.get(f"/my/consents/information/{NEW}").status_code == 404


# -- immutability in the database -------------------------------------------------------------


def test_the_database_refuses_to_change_or_delete_a_published_version(db: Session) -> None:
    draft = _draft(db, "D")
    db.commit()
    # A draft may change, straight in the database too.
    db.execute(
        text("UPDATE information_texts SET drafted_at = drafted_at WHERE version = :v"),
        {"v": NEW},
    )
    refused = [
        "UPDATE information_texts SET content = '{}' WHERE version = '2026-11-v1'",
        "UPDATE information_texts SET published_at = NULL WHERE version = '2026-11-v1'",
        "DELETE FROM information_texts WHERE version = '2026-11-v1'",
    ]
    if db.get_bind().dialect.name == "postgresql":
        refused.append("TRUNCATE information_texts CASCADE")
    for statement in refused:
        nested = db.begin_nested()
        with pytest.raises(DBAPIError, match="immutable"):
            db.execute(text(statement))
        nested.rollback()
    stored = db.get(InformationTextVersion, first_version_row()["id"])
    assert stored is not None and stored.content == first_version_row()["content"]
    db.execute(text("DELETE FROM information_texts WHERE version = :v"), {"v": NEW})
    assert db.get(InformationTextVersion, draft.id, populate_existing=True) is None
