"""An administrator invites a worker, who sets a password and signs in; the administrator
deactivates them and the worker's open session ends at its next request. In a real browser
with JavaScript OFF, each administration page passing axe.

The invited username is this test's own (no other journey signs in with it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from app import demo
from tests.browser.test_roles import LOGIN_URL, sign_in

ADMIN = "yllapito.ylva"
INVITED = "kutsuttu.kaisa"
CHOSEN = "sininen kettu juoksee metsässä"


def test_an_invited_worker_signs_in_and_is_signed_out_when_deactivated(
    new_page: Callable[[], Page], live_server: str, assert_accessible: Callable[[Any], None]
) -> None:
    admin = new_page()
    sign_in(admin, ADMIN)
    expect(admin).to_have_url(live_server + "/admin/")
    admin.goto("/admin/organisations")
    expect(admin.locator("main table.list tbody tr").first).to_be_visible()
    assert_accessible(admin)
    for path in (
        "/admin/organisations/new",
        "/admin/clients",
        "/admin/mail",
        "/admin/users/invite",
    ):
        admin.goto(path)
        assert_accessible(admin)
    admin.locator("#display_name").fill("Kaisa Kutsuttu")
    admin.locator("#username").fill(INVITED)
    admin.locator("#role").select_option("caseworker")
    county = admin.locator("#organisation_id option", has_text=demo.COUNTY_A).first
    admin.locator("#organisation_id").select_option(county.get_attribute("value") or "")
    admin.locator("main form button[type=submit].primary").click()
    link = (admin.locator("main code.invitation-url").text_content() or "").strip()
    assert re.fullmatch(re.escape(live_server) + r"/invitation/[A-Za-z0-9_-]{43}", link), link
    account_url = admin.locator("main form[action$='/deactivate']").get_attribute("action")
    assert account_url is not None

    worker = new_page()
    worker.goto(link)
    expect(worker.locator("main")).to_contain_text(INVITED)
    assert_accessible(worker)
    worker.locator("#password").fill(CHOSEN)
    worker.locator("#confirm").fill(CHOSEN)
    worker.locator("main form button[type=submit].primary").click()
    expect(worker).to_have_url(LOGIN_URL)
    sign_in(worker, INVITED, CHOSEN)
    expect(worker).to_have_url(live_server + "/caseworker/")
    worker.goto(link)  # the link worked once
    expect(worker.locator("main h1")).to_be_visible()
    expect(worker.locator("#password")).to_have_count(0)

    admin.goto(account_url.removesuffix("/deactivate"))
    expect(admin.locator("main table.list")).to_contain_text("Kutsulinkki luotu")
    assert_accessible(admin)
    admin.locator("main form[action$='/deactivate'] button[type=submit]").click()
    expect(admin.locator("main")).to_contain_text("Poistettu käytöstä")

    worker.goto("/caseworker/")  # the worker's open session ended with the deactivation
    expect(worker).to_have_url(LOGIN_URL)
    sign_in(worker, INVITED, CHOSEN)
    expect(worker).to_have_url(LOGIN_URL)
