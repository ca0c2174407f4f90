"""The data-protection officer reviews the demo county's access log, and the client looks at
who could see their information then: in a real browser with JavaScript OFF, each page
passing axe."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.test_roles import sign_in

OFFICER = "tietosuoja.tuula"
CLIENT = "asiakas.demo1"


def test_the_officer_searches_reconstructs_and_reviews_and_the_client_sees_the_moment(
    new_page: Callable[[], Page], live_server: str, assert_accessible: Callable[[Any], None]
) -> None:
    officer = new_page()
    sign_in(officer, OFFICER)
    expect(officer).to_have_url(live_server + "/log-review/")
    assert_accessible(officer)
    officer.locator("#since").fill("2020-01-01")
    officer.locator("main form[role=search] button[type=submit]").click()
    rows = officer.locator("main table.list tbody tr")
    expect(rows.first).to_be_visible()
    assert_accessible(officer)
    officer.locator("main table.list tbody a[href*='/as-of']").first.click()
    officer.locator("main form button[type=submit]").click()
    expect(officer.locator("main h2").first).to_be_visible()
    assert_accessible(officer)
    for path in ("/log-review/flags", "/log-review/summary", "/log-review/?client=nonsense"):
        officer.goto(path)
        assert_accessible(officer)

    client = new_page()
    sign_in(client, CLIENT)
    client.goto("/my/log")
    client.locator("main a[href$='/my/log/who-could-see']").click()
    client.locator("main form button[type=submit]").click()
    expect(client.locator("main h2")).to_be_visible()
    assert_accessible(client)
