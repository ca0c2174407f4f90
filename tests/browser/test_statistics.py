"""A county manager reads the county's statistics: the funnel chart with its text, the
tables with their definitions, another year, and the CSV link; JavaScript OFF, axe-clean.
No client's name appears and nothing links to a client."""

from __future__ import annotations

import re
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


HISTORY_MANAGER = "johto.heikki"  # the demo's history county: several quarters of clients


def test_a_manager_sees_counts_suppressed_cells_phases_and_a_chart_with_its_table(
    new_page: Callable[[], Page], live_server: str, assert_accessible: Callable[[Any], None]
) -> None:
    page = new_page()
    sign_in(page, HISTORY_MANAGER)
    expect(page).to_have_url(live_server + "/statistics/")
    funnel = page.locator("#table-funnel tbody td")
    # Some counts pass the threshold and are shown; others are "< 5", never a number under 5.
    expect(funnel.filter(has_text=re.compile(r"^\d+$")).first).to_be_visible()
    expect(funnel.filter(has_text=re.compile(r"^< 5$")).first).to_be_visible()
    for text in page.locator("main table.list tbody td").all_text_contents():
        assert not re.fullmatch(r"[0-4]", text.strip()), text
    # The funnel chart: its text alternative says what its table says, cell by cell.
    chart = page.locator("main figure svg[aria-labelledby='funnel-title funnel-desc']")
    expect(chart).to_be_visible()
    years = page.locator("#table-funnel tbody tr td:last-child").all_text_contents()
    description = page.locator("#funnel-desc").text_content() or ""
    for year in years:
        assert year.strip() in description
    # By phase: the quarter-end snapshot and the days in each phase.
    expect(page.locator("#section-phases")).to_be_visible()
    expect(page.locator("#table-phases tbody tr")).to_have_count(6)
    expect(page.locator("#table-phase-days tbody tr")).to_have_count(6)
    expect(page.locator("#table-factors_closing")).to_be_visible()
    assert page.locator("main a[href*='/caseworker/']").count() == 0
    assert_accessible(page)
