"""The public pages (issue 16, point 8): the accessibility statement and the privacy notice are
reachable without signing in, in fi, sv and en, linked from every page's footer, and name the
controller the county's settings give."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import factories
from tests.conftest import app_with, csrf_token, login

# What each language's page must say: the heading and a phrase only that page carries.
PAGES = {
    "/accessibility": {
        "fi": (
            "Saavutettavuusseloste",
            "täyttää saavutettavuusvaatimukset (WCAG 2.1 -ohjeiston taso AA) osittain",
        ),
        "sv": (
            "Tillgänglighetsutlåtande",
            "uppfyller tillgänglighetskraven (nivå AA i riktlinjerna WCAG 2.1) delvis",
        ),
        "en": ("Accessibility statement", "partially conforms"),
    },
    "/privacy": {
        "fi": ("Tietosuojaseloste", "Tietosuojavaltuutetun toimisto"),
        "sv": ("Dataskyddsbeskrivning", "Dataombudsmannens byrå"),
        "en": ("Privacy notice", "Office of the Data Protection Ombudsman"),
    },
}


def _choose(client: FlaskClient, language: str) -> None:
    client.post(
        "/language",
        data={"csrf_token": csrf_token(client, "/login"), "language": language, "next": "/"},
    )


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize("path", sorted(PAGES))
def test_a_public_page_is_in_each_language_without_signing_in(
    client: FlaskClient, path: str, language: str
) -> None:
    _choose(client, language)
    response = client.get(path)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    heading, phrase = PAGES[path][language]
    assert f'<html lang="{language}">' in body
    assert f"<h1>{heading}</h1>" in body
    assert phrase in body


def test_the_accessibility_statement_has_what_the_law_asks_for(client: FlaskClient) -> None:
    _choose(client, "en")
    body = client.get("/accessibility").get_data(as_text=True)
    for required in (
        "(WCAG) 2.1",
        "Content that is not accessible",
        "2.2.1",  # a known shortcoming, honestly listed
        "Statement prepared",
        "Statement last reviewed",
        "7 Dec 2026",
        "Supervising authority",
        "Saavutettavuusvalvonta, Liikenne- ja viestintävirasto Traficom",
        "saavutettavuus@traficom.fi",
    ):
        assert required in body, required


def test_the_privacy_notice_has_what_articles_13_and_14_ask_for(client: FlaskClient) -> None:
    _choose(client, "en")
    body = client.get("/privacy").get_data(as_text=True)
    for required in (
        "Controller",
        "Why we process your data",
        "Article 6(1)(c) and (e)",
        "What data we process",
        "Where the data comes from",
        "Who receives your data",
        "kept for 10 years after your case is closed",  # the retention_years setting
        "who has processed your data and to whom it has been disclosed",  # the log request
        "lodge a complaint",
        "tietosuoja@om.fi",
    ):
        assert required in body, required
    # Without the county's details the notice names the controller generically.
    assert "The wellbeing services county that arranges your social services" in body


def test_the_controller_comes_from_the_settings(app: Flask, db: Session) -> None:
    with app_with(
        app,
        controller_name="Kuvitteellinen hyvinvointialue (fictional)",
        controller_contact="kirjaamo@example.invalid",
        data_protection_officer_contact="tietosuoja@example.invalid",
        accessibility_feedback_contact="saavutettavuus@example.invalid",
        retention_years=12,
    ) as county:
        client = county.test_client()
        privacy = client.get("/privacy").get_data(as_text=True)
        statement = client.get("/accessibility").get_data(as_text=True)
    assert "Kuvitteellinen hyvinvointialue (fictional)" in privacy
    assert "kirjaamo@example.invalid" in privacy
    assert "tietosuoja@example.invalid" in privacy
    assert "12 vuotta" in privacy
    assert "Kuvitteellinen hyvinvointialue (fictional)" in statement
    assert "saavutettavuus@example.invalid" in statement


def test_every_page_links_both_from_its_footer(client: FlaskClient, db: Session) -> None:
    case = factories.county_case(db)
    db.commit()
    signed_out = client.get("/login").get_data(as_text=True)
    login(client, case.worker.username)
    signed_in = client.get("/caseworker/").get_data(as_text=True)
    for body in (signed_out, signed_in):
        footer = body[body.index('<footer class="site-footer">') :]
        assert 'href="/accessibility"' in footer
        assert 'href="/privacy"' in footer
