"""Issue 15, point 2: a prison worker's SHL § 35 notification reaches the county's queue.

The prison worker (vankila.pekka) sends the notification from the partner home page with
JavaScript OFF, consent given in writing, and sees it as "received". A county worker who did
not record it (sosiaalityo.eero) finds it in the intake queue, reads the need BEFORE taking
it (the page says this records an intake work task), and only then takes it; the prison
worker then sees "assigned" and nothing of the case. axe-core runs on each page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from playwright.sync_api import Page, expect

from app import demo
from app.intake import identity_code

from .test_caseworker_journey import PRISON, _, fact
from .test_roles import sign_in

CLIENT_NAME = "Vapaa Ilmoitettu (fictional)"
# Born outside the demo's range; individual numbers 900–999 are for fictional people.
CLIENT_CODE = identity_code.make(date(1963, 8, 21), 951)
NEED = "Fictional: no flat and no income arranged for the day of release."
GUARD = "vankila.pekka"
COUNTY_WORKER = "sosiaalityo.eero"


def send_notification(page: Page, live_server: str, check: Callable[[Any], None]) -> None:
    sign_in(page, GUARD)
    expect(page).to_have_url(live_server + "/partner/")
    expect(page.locator("main h1")).to_have_text(PRISON)
    check(page)  # the prison's home page, with its notifications section
    page.get_by_role("link", name=_("Notify a county of a need for social care")).first.click()
    expect(page).to_have_url(live_server + "/partner/notifications/new")
    check(page)  # the form

    page.locator("#county_id").select_option(label=demo.COUNTY_A)
    page.locator("#name").fill(CLIENT_NAME)
    page.locator("#identity_code").fill(CLIENT_CODE)
    page.locator("#need").fill(NEED)
    page.locator("input[name=path][value=consent]").check()
    page.locator("input[name=consent_manner][value=in_writing]").check()
    page.locator("main form.intake-form button[type=submit].primary").click()

    expect(page).to_have_url(live_server + "/partner/notifications")
    expect(page.locator("main .flash-info[role=status]")).to_contain_text("N-")
    row = page.locator("main table.sent-notifications tbody tr").first
    expect(row.locator("td").nth(1)).to_have_text(demo.COUNTY_A)
    expect(row.locator("td").nth(3)).to_have_text(
        _("Received: waiting in the county's intake queue")
    )
    expect(page.locator("main")).not_to_contain_text(CLIENT_NAME)
    check(page)  # the list of sent notifications


def read_before_taking(page: Page, live_server: str, check: Callable[[Any], None]) -> None:
    sign_in(page, COUNTY_WORKER)
    page.goto("/caseworker/intake")
    row = page.locator("main table.list tbody tr").filter(has_text=CLIENT_NAME)
    while row.count() == 0:  # oldest first: the newest notification may be on a later page
        next_page = page.locator("main nav.pagination a[rel=next]")
        assert next_page.count() == 1, f"{CLIENT_NAME} is not in the intake queue"
        next_page.click()
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text(f"{_('Prison staff')}, {PRISON}")
    expect(row.locator("td").nth(2)).to_have_text(_("Electronic form"))
    expect(row).not_to_contain_text(NEED)
    row.locator("th[scope=row] a").click()

    expect(page).to_have_url(re.compile(r"/caseworker/intake/[0-9a-f-]{36}$"))
    expect(fact(page, "Status")).to_have_text(_("Unassigned"))
    expect(fact(page, "How consent was given")).to_have_text(_("In writing"))
    expect(page.locator("main")).not_to_contain_text(NEED)
    check(page)  # unread, untaken

    page.get_by_role("button", name=_("Read the notification"), exact=True).click()
    expect(page.locator("main p.intake-text")).to_have_text(NEED)
    expect(fact(page, "Status")).to_have_text(_("Unassigned"))  # reading took nothing
    expect(fact(page, "Phase")).to_have_text(_("Notification received"))
    check(page)  # read, still untaken

    page.get_by_role("button", name=_("Assign to me"), exact=True).click()
    expect(page.locator("main .flash-info[role=status]")).to_have_text(
        _("You took the notification. Next, appoint the responsible worker.")
    )
    expect(fact(page, "Status")).to_have_text(_("Assigned"))
    expect(fact(page, "Phase")).to_have_text(_("Notification received"))
    expect(page.get_by_role("button", name=_("Appoint from today"), exact=True)).to_be_visible()


def test_a_prison_workers_notification_reaches_the_queue_and_is_read_before_taking(
    new_page: Callable[[], Page], live_server: str, assert_accessible: Callable[[Any], None]
) -> None:
    prison = new_page()
    send_notification(prison, live_server, assert_accessible)
    read_before_taking(new_page(), live_server, assert_accessible)

    prison.reload()
    row = prison.locator("main table.sent-notifications tbody tr").first
    expect(row.locator("td").nth(3)).to_have_text(_("Assigned to a social worker"))
    expect(prison.locator("main")).not_to_contain_text(CLIENT_NAME)
    expect(prison.locator("main")).not_to_contain_text(NEED)
