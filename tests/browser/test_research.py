"""A study's approval and extract in a real browser with JavaScript OFF, axe-clean: the
data-protection officer records an approval (an empty form first: the error summary), the
analyst it names downloads the extract, and the national statistics page pools the three
demo counties that joined."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from playwright.sync_api import Page, expect

from app.i18n import helsinki_today
from tests.browser.test_roles import sign_in, sign_out

OFFICER = "tietosuoja.tuula"
ANALYST = "analyysi.antti"
STUDY = "Vapautuvien polut (demo)"


def test_an_approval_is_recorded_and_the_named_analyst_makes_the_extract(
    new_page: Callable[[], Page], live_server: str, assert_accessible: Callable[[Any], None]
) -> None:
    page = new_page()
    sign_in(page, OFFICER)
    page.goto("/research/")
    expect(page.locator("main h1")).to_have_text("Tutkimukset")
    assert_accessible(page)
    page.locator("main a[href$='/research/new']").click()
    page.locator("main form button[type=submit].primary").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.locator("#study_name").fill(STUDY)
    page.locator("#permit_reference").fill("THL/1/14.02.00/2026")
    analyst = page.locator("#requester option", has_text="Antti Analyytikko (demo)")
    page.locator("#requester").select_option(analyst.get_attribute("value") or "")
    today = helsinki_today()
    page.locator("#valid_from").fill(today.isoformat())
    page.locator("#expires_on").fill((today + timedelta(days=30)).isoformat())
    page.locator("main form button[type=submit].primary").click()
    expect(page.locator("main table.list")).to_contain_text(STUDY)
    assert_accessible(page)
    sign_out(page)

    sign_in(page, ANALYST)
    page.goto("/research/")
    with page.expect_download() as download:
        page.locator("main form[action$='/extract'] button[type=submit]").click()
    text = download.value.path().read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and all(len(r["pseudonym"]) == 32 for r in rows)
    assert "(demo)" not in text  # no names of demo clients or anything else in words
    page.goto("/statistics/national")
    expect(page.locator("main table").first).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("ei ole liittynyt")
    assert_accessible(page)
