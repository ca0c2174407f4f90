"""Issue 17, point 1 in a real browser with JavaScript off, each page passing axe: a client
in a staff-assisted session at a prison terminal writes to their worker, the worker answers
from the dashboard, and the client reads the answer; the message says who helped send it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from app import demo

from .test_caseworker_journey import CATALOGUE, _
from .test_roles import sign_in

CLIENT = "asiakas.demo1"  # county A's first demo client: sosiaalityo.aino is responsible
WORKER = "sosiaalityo.aino"
HOUSING_STAFF = "asuminen.anna"
PRISON_STAFF = "vankila.pekka"  # Pekka Vartija (demo), staff of the demo prison
THREAD = re.compile(r"/my/messages/[0-9a-f-]{36}$")
SUBJECT = "Asunto vapautumisen jälkeen (fictional)"
QUESTION = "Milloin pääsen katsomaan asuntoa? (fictional)"
ANSWER = "Asuntonäyttö on torstaina kello 10. (fictional)"


def test_an_assisted_client_writes_the_worker_answers_the_client_reads(
    new_page: Callable[[], Page], assert_accessible: Callable[[Any], None]
) -> None:
    terminal = new_page()
    sign_in(terminal, PRISON_STAFF, demo.DEMO_PASSWORD)
    terminal.goto("/assist")
    terminal.locator("main form button[type=submit].primary").click()
    expect(terminal).to_have_url(re.compile(r"/assist/sign-in$"))
    terminal.locator("#username").fill(CLIENT)
    terminal.locator("#password").fill(demo.DEMO_PASSWORD)
    terminal.locator("main form button[type=submit].primary").click()
    expect(terminal.locator(".assisted-banner")).to_be_visible()

    terminal.locator("nav.portal-nav").get_by_role("link", name=_("Messages")).click()
    assert_accessible(terminal)
    terminal.locator("main a.button.primary").click()  # write a new message
    terminal.locator("#subject").fill(SUBJECT)
    terminal.locator("#body").fill(QUESTION)
    assert_accessible(terminal)
    terminal.locator("main form button[type=submit].primary").click()
    expect(terminal).to_have_url(THREAD)
    helped = _("Sent with the help of %(name)s", name="Pekka Vartija (demo)")
    expect(terminal.locator("ol.messages .message-assisted")).to_have_text(helped)
    thread_url = terminal.url

    worker = new_page()
    sign_in(worker, WORKER, demo.DEMO_PASSWORD)
    new_messages = worker.locator("main a[href='/caseworker/messages?unread=1']")
    expect(new_messages.locator("strong.count")).to_have_text("1")
    new_messages.click()
    assert_accessible(worker)
    worker.locator("table.list tbody tr:has(strong.unread) a").click()
    expect(worker.locator("main ol.messages")).to_contain_text(QUESTION)
    expect(worker.locator("main ol.messages .message-assisted")).to_have_text(helped)
    assert_accessible(worker)
    worker.locator("#body").fill(ANSWER)
    worker.locator("main form button[type=submit].primary").click()
    expect(worker.locator("main ol.messages li")).to_have_count(2)
    worker.locator("main a[href$='/messages']").first.click()  # the client's conversations
    assert_accessible(worker)
    worker.locator("main a.button.primary").click()  # the form for a new conversation
    expect(worker.locator("main input[name=kind]")).to_have_count(3)
    assert_accessible(worker)

    partner = new_page()
    sign_in(partner, HOUSING_STAFF, demo.DEMO_PASSWORD)
    partner.goto("/partner/messages")
    expect(partner.locator("main h1")).to_be_visible()
    assert_accessible(partner)

    terminal.goto("/my/")
    unread = CATALOGUE.ngettext(
        "new messages in %(num)d conversation", "new messages in %(num)d conversations", 1
    ) % {"num": 1}
    expect(terminal.locator("main ul.portal-links")).to_contain_text(unread)
    terminal.goto("/my/messages")
    terminal.locator("table.list tbody a").first.click()
    expect(terminal).to_have_url(thread_url)
    expect(terminal.locator("main ol.messages li").last).to_contain_text(ANSWER)
    expect(terminal.locator("main ol.messages li").last).to_contain_text("Aino Esimerkki (demo)")
    assert_accessible(terminal)
