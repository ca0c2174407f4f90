"""One's own sign-ins and password, in a real browser with JavaScript OFF, passing axe.

The demo's passwords stay as they are (other journeys sign in with them): the password
page is checked with refusals only; "sign out everywhere" ends the staff member's session.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.test_roles import LOGIN_URL, PASSWORD, sign_in


def test_a_client_finds_their_sign_ins_and_is_helped_to_a_better_password(
    page: Page, assert_accessible: Callable[[Any], None]
) -> None:
    sign_in(page, "asiakas.demo2")
    page.locator("nav.portal-nav").get_by_role("link", name="Kirjautumiseni").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator("main table.list tbody tr")).to_have_count(1)
    expect(page.locator("main")).to_contain_text("tämä selain")
    assert_accessible(page)
    page.get_by_role("link", name="Vaihda salasanasi").click()
    page.locator("#current_password").fill(PASSWORD)
    page.locator("#password").fill("salasana1234")
    page.locator("#confirm").fill("salasana1234")
    page.locator("main form button[type=submit].primary").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Moni käyttää tätä salasanaa")
    assert_accessible(page)


def test_staff_sign_out_everywhere(page: Page, assert_accessible: Callable[[Any], None]) -> None:
    sign_in(page, "kela.kalle")
    page.locator("header nav").get_by_role("link", name="Kirjautumiseni").click()
    assert_accessible(page)
    page.get_by_role("button", name="Kirjaudu ulos kaikkialta").click()
    expect(page).to_have_url(LOGIN_URL)
    page.goto("/partner/")
    expect(page).to_have_url(LOGIN_URL)


def test_a_client_chooses_email_notifications_in_plain_words(
    page: Page, assert_accessible: Callable[[Any], None]
) -> None:
    sign_in(page, "asiakas.demo2")
    page.goto("/account")
    page.get_by_role("link", name="Sähköpostiosoitteesi ja ilmoitukset").click()
    expect(page).to_have_url(re.compile(r"/account/email$"))
    expect(page.locator("main")).to_contain_text("ei koskaan kerrota, mitä se on")
    assert_accessible(page)
    page.locator("#email").fill("ei osoite")
    page.locator("#notify").check()
    page.locator("main form button[type=submit].primary").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Tarkista sähköpostiosoite")
    assert_accessible(page)
    page.locator("#email").fill("asiakas@example.fi")
    page.locator("main form button[type=submit].primary").click()
    expect(page.locator("main")).to_contain_text("Sähköpostiasetuksesi on tallennettu")
    expect(page.locator("#email")).to_have_value("asiakas@example.fi")
    expect(page.locator("#notify")).to_be_checked()
    assert_accessible(page)
