"""Issue 15's county transfer in a real browser with JavaScript OFF.

Aino (county A) proposes to hand one of her clients over to county B; Tiina (county B)
sees the proposal on her dashboard and in the county's transfers, where the client is
named, accepts it and lands on the client's record, which is now hers. Aino's next visit
to the same record is a 404 (the county wall), and the page does not name the client.
axe-core runs on every page the transfer adds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from babel.support import Translations
from playwright.sync_api import Page, expect

from app import demo

from .conftest import ROOT
from .test_roles import sign_in

CATALOGUE = Translations.load(str(ROOT / "app" / "translations"), ["fi"])
UUID = r"[0-9a-f-]{36}"


def _(msgid: str) -> str:
    """The Finnish text the app shows for ``msgid``."""
    return CATALOGUE.gettext(msgid)


def test_a_transfer_proposed_by_county_a_is_accepted_in_county_b(
    new_page: Callable[[], Page], live_server: str, assert_accessible: Callable[[Any], None]
) -> None:
    aino = new_page()
    sign_in(aino, "sosiaalityo.aino")
    expect(aino).to_have_url(live_server + "/caseworker/")
    # One of her own clients still in assessment (other browser tests use later phases).
    aino.goto("/caseworker/clients?phase=assessment")
    link = aino.locator("main table.list tbody tr:has(strong) th[scope=row] a").first
    name = (link.text_content() or "").strip()
    href = link.get_attribute("href") or ""
    assert name and re.fullmatch(rf"/caseworker/clients/{UUID}", href), (name, href)
    record = live_server + href

    aino.goto(record + "/transfer")
    expect(aino.locator("main h2").first).to_have_text(_("Transfer to another county"))
    assert_accessible(aino)  # the proposal form
    aino.locator("#to_county").select_option(label=demo.COUNTY_B)
    aino.locator("main input[name=reason][value=moved]").check()
    aino.locator("main form button[type=submit].primary").click()
    expect(aino).to_have_url(record + "/transfer")
    expect(aino.locator("main .transfer-pending h3")).to_contain_text(demo.COUNTY_B)
    withdraw = aino.locator("main .transfer-pending button[type=submit]")
    expect(withdraw).to_have_text(_("Withdraw the proposal"))
    assert_accessible(aino)  # waiting for the answer

    tiina = new_page()
    sign_in(tiina, "sosiaalityo.tiina")
    expect(tiina).to_have_url(live_server + "/caseworker/")
    waiting = tiina.locator("main a[href$='/caseworker/transfers'] strong.count")
    expect(waiting).not_to_have_text("0")
    tiina.locator("header nav").get_by_role("link", name=_("County transfers")).click()
    expect(tiina).to_have_url(live_server + "/caseworker/transfers")
    assert_accessible(tiina)  # the county's transfers
    row = tiina.locator("main table.list tbody tr").filter(has_text=name)
    expect(row).to_contain_text(demo.COUNTY_A)
    row.locator("th a").click()
    expect(tiina).to_have_url(re.compile(rf"/caseworker/transfers/{UUID}$"))
    expect(tiina.locator("main h1")).to_contain_text(name)
    assert_accessible(tiina)  # the proposal, with accept and decline

    tiina.locator("main form[action$='/accept'] button[type=submit]").click()
    expect(tiina).to_have_url(record)
    expect(tiina.locator("main h1")).to_have_text(name)
    expect(tiina.locator("main")).to_contain_text("Tiina Testilä (demo)")  # responsible now

    response = aino.goto(record)
    assert response is not None and response.status == 404
    expect(aino.locator("main h1")).not_to_be_empty()
    expect(aino.locator("body")).not_to_contain_text(name)
    response = aino.goto(record + "/transfer")
    assert response is not None and response.status == 404
    # Her county keeps the record of the transfer, without the client's name.
    aino.goto("/caseworker/transfers")
    kept = aino.locator("main table.list").nth(1)
    expect(kept).to_contain_text(demo.COUNTY_B)
    expect(kept).to_contain_text(_("Accepted"))
    expect(aino.locator("body")).not_to_contain_text(name)
