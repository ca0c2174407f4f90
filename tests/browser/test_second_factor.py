"""Two-step sign-in in a real browser with JavaScript OFF: set it up, sign in with a code.

The demo worker used here (``sosiaalityo.eero``) is no other browser test's: once enrolled,
signing in as them needs a code.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from app.second_factor.rules import code_at, time_step
from consent.base import utcnow
from tests.browser.test_roles import LOGIN_URL, sign_in, sign_out

USERNAME = "sosiaalityo.eero"


def code_now(secret: bytes, ahead: int = 0) -> str:
    return code_at(secret, time_step(utcnow()) + ahead)


def test_set_up_two_step_sign_in_and_sign_in_with_a_code(
    page: Page, live_server: str, assert_accessible: Callable[[Any], None]
) -> None:
    sign_in(page, USERNAME)
    expect(page).to_have_url(live_server + "/caseworker/")
    page.locator("header a[href='/account/second-factor']").click()
    page.locator("main form[action$='/account/second-factor/start'] button").click()
    expect(page).to_have_url(live_server + "/account/second-factor/enrol")
    expect(page.locator("main .qr svg")).to_be_visible()
    assert_accessible(page)  # the enrolment page: QR code, key, code field

    shown = (page.locator("main .secret-key code").text_content() or "").replace(" ", "")
    secret = base64.b32decode(shown + "=" * (-len(shown) % 8))
    page.locator("#code").fill(code_now(secret))
    page.locator("main form button[type=submit].primary").click()
    codes = page.locator("main ul.recovery-codes code")
    expect(codes).to_have_count(10)

    sign_out(page)
    sign_in(page, USERNAME)
    expect(page).to_have_url(re.compile(r"/login/code$"))
    field = page.locator("#code")
    expect(field).to_have_attribute("autocomplete", "one-time-code")
    expect(field).to_have_attribute("inputmode", "numeric")
    assert_accessible(page)  # the code page, in the same half-signed-in session
    field.fill("000000" if code_now(secret, 1) != "000000" else "111111")
    page.locator("main form button[type=submit].primary").click()
    expect(page.locator("main .error-summary[role=alert]")).to_be_visible()
    page.locator("#code").fill(code_now(secret, 1))
    page.locator("main form button[type=submit].primary").click()
    expect(page).to_have_url(live_server + "/caseworker/")

    sign_out(page)
    page.goto("/caseworker/")
    expect(page).to_have_url(LOGIN_URL)
