"""A county manager reads the county's statistics: the funnel chart with its text, the
tables with their definitions, another year, and the CSV link; JavaScript OFF, axe-clean.
No client's name appears and nothing links to a client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.test_roles import sign_in

MANAGER = "johto.jaana"


def test_a_manager_reads_the_county_statistics(
    new_page: Callable[[], Page], live_server: str, assert_accessible: Callable[[Any], None]
) -> None:
    page = new_page()
    sign_in(page, MANAGER)
    expect(page).to_have_url(live_server + "/statistics/")
    expect(page.locator("main svg[role=img] title")).to_have_count(
        3
    )  # funnel, release day, days to assessment
    expect(page.locator("#funnel-desc")).not_to_be_empty()
    expect(page.locator("#release-desc")).to_contain_text("< 5")
    expect(page.locator("main table.list").first).to_be_visible()
    assert page.locator("main a[href*='/caseworker/']").count() == 0
    assert page.locator("main a[href*='statistics.csv']").count() == 1
    assert_accessible(page)
    page.locator("main details summary").first.click()
    expect(page.locator("main details dd").first).to_be_visible()
    year = page.locator("#year option").nth(1).get_attribute("value")
    page.locator("#year").select_option(year or "")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main h1")).to_contain_text(year or "")
    assert_accessible(page)
