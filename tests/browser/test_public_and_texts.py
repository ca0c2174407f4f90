"""The public pages and the information texts' administration, in a real browser with
JavaScript OFF: the accessibility statement, the privacy notice, and a published information
text signed out in each language and wording, and an administrator drafting a new version (its error
summary and its page), each passing axe.

The draft is never approved or published here: the version in force stays the one the other
journeys give consents under.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from app.consents.texts import FIRST_VERSION
from tests.browser.test_roles import sign_in

ADMIN = "yllapito.ylva"
DRAFTED = "2099-01-selain"  # this test's own version id


def test_the_public_pages_pass_axe_in_each_language(
    new_page: Callable[[], Page], assert_accessible: Callable[[Any], None]
) -> None:
    page = new_page()
    for path in ("/accessibility", "/privacy"):
        page.goto(path)
        expect(page.locator("footer a[href='/privacy']")).to_be_visible()
        assert_accessible(path)
    information = f"/my/consents/information/{FIRST_VERSION}"
    for language in ("fi", "sv", "en"):
        assert_accessible(f"{information}?lang={language}")
    assert_accessible(f"{information}?wording=standard")


def test_an_administrator_drafts_an_information_text(
    new_page: Callable[[], Page], live_server: str, assert_accessible: Callable[[Any], None]
) -> None:
    admin = new_page()
    sign_in(admin, ADMIN)
    admin.goto("/admin/information-texts")
    expect(admin.locator("main table")).to_contain_text(FIRST_VERSION)
    assert_accessible(admin)
    admin.goto("/admin/information-texts/new")
    expect(admin.locator("#fi_title")).not_to_have_value("")  # from the version in force
    admin.locator("#en_plain_body").fill("")
    admin.locator("main form button[type=submit].primary").click()
    expect(admin.locator("main .error-summary")).to_be_visible()
    assert_accessible(admin)  # the error summary and the fields' errors
    admin.locator("#version").fill(DRAFTED)
    admin.locator("#en_plain_body").fill("Why we ask\nA plain paragraph.")
    admin.locator("main form button[type=submit].primary").click()
    expect(admin.locator("main h1")).to_contain_text(DRAFTED)
    expect(admin.locator("main")).to_contain_text("Toisen ylläpitäjän on hyväksyttävä")
    assert_accessible(admin)
