"""Issue 16, points 6 and 7 in a real browser with JavaScript off, each page passing axe:
the client asks for their log, the responsible worker answers it from the dashboard, the
client reads the printable document; the worker's closing form offers the service task; the
administrator's upcoming disposals and county settings."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from app import demo

from .test_roles import sign_in

CLIENT = "asiakas.demo1"  # county A's first demo client: sosiaalityo.aino is responsible
WORKER = "sosiaalityo.aino"
ADMIN = "yllapito.ylva"
REQUEST_PAGE = re.compile(r"/my/log-requests/[0-9a-f-]{36}$")


def test_a_log_request_from_the_client_to_the_answer(
    new_page: Callable[[], Page], assert_accessible: Callable[[Any], None]
) -> None:
    client = new_page()
    sign_in(client, CLIENT, demo.DEMO_PASSWORD)
    client.goto("/my/log-requests")
    assert_accessible(client)
    client.locator("main form button[type=submit].primary").click()  # the defaults: 2 years
    expect(client).to_have_url(REQUEST_PAGE)
    reference = (client.locator("main dd.reference").text_content() or "").strip()
    assert reference.startswith("LR-")
    assert_accessible(client)

    worker = new_page()
    sign_in(worker, WORKER, demo.DEMO_PASSWORD)
    worker.goto("/caseworker/dashboard/log-requests")
    row = worker.locator("table.list tbody tr", has_text=reference)
    expect(row).to_have_count(1)
    assert_accessible(worker)
    row.locator("a[href*='/log-requests/']").click()
    assert_accessible(worker)  # the answer, extension and refusal forms
    record = worker.url.split("/log-requests/")[0]
    worker.locator("main form button[type=submit].primary").click()  # give the document
    worker.locator("main a[href$='/document']").click()
    expect(worker.locator("h1")).to_be_visible()
    assert_accessible(worker)
    worker.goto(f"{record}/log-requests")
    assert_accessible(worker)  # the client's requests and the form to start one
    worker.goto(f"{record}/ending/close")
    expect(worker.locator("input[name=service_task]")).to_have_count(2)
    assert_accessible(worker)

    client.reload()
    expect(client.locator("html")).to_have_attribute("lang", re.compile("fi|sv|en"))
    expect(client.locator("main table.list").first).to_be_visible()  # the log in the document
    assert_accessible(client)


def test_the_administrators_retention_and_settings_pages(
    page: Page, assert_accessible: Callable[[Any], None]
) -> None:
    sign_in(page, ADMIN, demo.DEMO_PASSWORD)
    page.goto("/admin/disposals")
    expect(page.locator("main table.list")).to_be_visible()
    assert_accessible(page)
    page.goto("/admin/settings")
    assert_accessible(page)
