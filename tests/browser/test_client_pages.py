"""Issue 15, point 9: the client's consent pages in a real browser, on a phone and a desktop.

A demo client with a sign-in (asiakas.demo1, from ``flask demo seed``) shares one more part
with their close person (so "My consent receipts" has a receipt to list; nothing is taken
from anyone), then opens "Who can see what" and "My consent receipts" in Chromium with
JavaScript off, at 390 px (a small phone) and at 1280 px (a desktop):

- at 390 px nothing on the page is wider than the screen (no sideways scrolling);
- at 1280 px every heading of the page lies inside the screen, and each member's card names
  every part of the plan ("Desistance goals" and "Other" were off screen in the old matrix);
- axe-core finds no serious or critical problem.

Widths are measured with the browser's own layout (``getBoundingClientRect``), which works
with JavaScript switched off for the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from app import demo

from .test_caseworker_journey import _
from .test_roles import sign_in

CLIENT = "asiakas.demo1"  # the first demo client of county A has a sign-in
CLOSE_PERSON = "Läheinen Kuvitteellinen"  # the demo's close person, with a commitment
PHONE, DESKTOP = 390, 1280
SECTION_MSGIDS = (
    "Housing",
    "Livelihood and Kela",
    "Health and substance use",
    "Relationships",
    "Education and work",
    "Digital inclusion",
    "Everyday life and community",
    "Release transition",
    "Supervised probationary liberty",
    "Desistance goals",
    "Other",
)
# Elements that reach past the right edge of the screen (the page scrolls sideways then).
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(
    (el) => el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().right > width + 0.5);
  return {scrollWidth: document.documentElement.scrollWidth, width,
          wide: wide.slice(0, 5).map((el) => el.tagName + '.' + el.className)};
}"""


def overflow(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(OVERFLOWING)
    return result


def inside_the_screen(page: Page, selector: str) -> list[str]:
    """The texts of the elements matching ``selector`` that do NOT lie inside the screen."""
    outside = []
    for element in page.locator(selector).all():
        box = element.bounding_box()
        if box is None or box["x"] < 0 or box["x"] + box["width"] > DESKTOP or not box["width"]:
            outside.append((element.text_content() or "").strip())
    return outside


def share_other_with_the_close_person(page: Page) -> None:
    """Give one consent through the pages (step 1, then the confirmation): a receipt."""
    page.goto("/my/consents/new")
    option = page.locator("#member option").filter(has_text=CLOSE_PERSON)
    expect(option).to_have_count(1)
    page.locator("#member").select_option(value=option.get_attribute("value"))
    page.locator("input[name=sections][value=other]").check()
    page.locator("main button[name=step][value=review]").click()
    page.locator("#information_read").check()
    page.locator("main button[name=step][value=confirm]").click()
    expect(page).to_have_url(re.compile(r"/my/consents/receipts/[0-9a-f-]{36}$"))


def test_who_can_see_what_fits_a_phone_and_shows_every_part_on_a_desktop(
    page: Page, assert_accessible: Callable[[Any], None]
) -> None:
    page.set_viewport_size({"width": PHONE, "height": 800})
    sign_in(page, CLIENT, demo.DEMO_PASSWORD)
    expect(page.locator("nav.portal-nav")).to_be_visible()
    share_other_with_the_close_person(page)

    page.goto("/my/consents")
    expect(page.locator("main h1")).to_have_text(_("Who can see what"))
    cards = page.locator("main li.member-card")
    expect(cards.first).to_be_visible()
    measured = overflow(page)
    assert measured["scrollWidth"] <= PHONE and not measured["wide"], measured

    page.goto("/my/consents/receipts")
    expect(page.locator("main h1")).to_have_text(_("My consent receipts"))
    expect(page.locator("main table.list tbody tr").first).to_be_visible()
    measured = overflow(page)
    assert measured["scrollWidth"] <= PHONE and not measured["wide"], measured

    page.set_viewport_size({"width": DESKTOP, "height": 900})
    page.goto("/my/consents")
    assert overflow(page)["scrollWidth"] <= DESKTOP
    headings = page.locator("main h1, main h2, main h3")
    assert headings.count() >= 3 + cards.count()  # the page's own and one per member
    assert inside_the_screen(page, "main h1, main h2, main h3") == []
    # Every card names every part of the plan once, as seen or not seen, on the screen.
    parts = sorted(_(msgid) for msgid in SECTION_MSGIDS)
    for card in cards.all():
        if not card.locator("dd.hidden-parts").count():
            continue  # a member who has left the network sees nothing; no parts listed
        named = ", ".join(card.locator("dd.sees, dd.hidden-parts").all_text_contents())
        names = sorted(n.strip() for n in named.split(","))
        nothing = _("Nothing from your plan")
        assert [n for n in names if n != nothing] == parts, names
    assert inside_the_screen(page, "main li.member-card dd") == []
    assert_accessible(page)

    page.goto("/my/consents/receipts")
    assert_accessible(page)
