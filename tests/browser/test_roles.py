"""Every role's journey in a real browser with JavaScript OFF, plus the access edges.

Sign in from the front page, land on the role's home page with real demo data, pass axe
(serious/critical) on the home page and the login page, sign out. Then: a wrong password,
the no-JS language switch, a partner typing a caseworker URL (403) and a caseworker opening
another county's client (404: a denial looks exactly like a client that does not exist).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from app import demo

PASSWORD = demo.DEMO_PASSWORD
LOGIN_URL = re.compile(r"/login(\?.*)?$")
CLIENT_LINK = re.compile(r"^/caseworker/clients/[0-9a-f-]{36}$")
ORG_KELA = "Kela, kuvitteellinen toimisto (demo)"
ORG_PROBATION = "Kuvitteellinen yhdyskuntaseuraamustoimisto (demo)"
CLIENTS_NAV = "Asiakkaat"  # "Clients" in Finnish, the browser's language


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Fill and submit the login form the way a person does (no JavaScript)."""
    if not LOGIN_URL.search(page.url):
        page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit].primary").click()


def sign_out(page: Page) -> None:
    page.locator("header form[action$='/logout'] button[type=submit]").click()
    expect(page).to_have_url(LOGIN_URL)
    expect(page.locator("#username")).to_be_visible()


def check_client_rows(page: Page) -> None:
    """A list of clients: every row links to a client record and shows a name."""
    links = page.locator("table.list tbody th[scope=row] a")
    expect(links.first).to_be_visible()
    hrefs = [a.get_attribute("href") or "" for a in links.all()]
    assert hrefs and all(CLIENT_LINK.match(h) for h in hrefs), hrefs
    assert all((a.text_content() or "").strip() for a in links.all()), "a client row has no name"


def check_caseworker(page: Page) -> None:
    # Home is the dashboard of the worker's own clients; every number links to its list.
    expect(page.locator("main h1")).to_contain_text(demo.COUNTY_A)
    mine = page.locator("main a.count[href='/caseworker/dashboard/clients']")
    expect(mine).to_be_visible()
    total = int((mine.text_content() or "").split()[0])
    assert total > 0, "the demo worker has clients of her own"
    mine.click()
    expect(page.locator("main p.total")).to_contain_text(str(total))
    check_client_rows(page)
    # The county's whole caseload is one click away in the navigation.
    page.locator("header nav").get_by_role("link", name=CLIENTS_NAV, exact=True).click()
    expect(page).to_have_url(re.compile(r"/caseworker/clients$"))
    expect(page.locator("main h1")).to_contain_text(demo.COUNTY_A)
    check_client_rows(page)
    page.goto("/caseworker/")  # back home: the journey checks its accessibility


def check_partner(page: Page) -> None:
    expect(page.locator("main h1")).to_have_text(ORG_PROBATION)


def check_client(page: Page) -> None:
    # Demo client 1 is the first demo client of county A: FIRST_NAMES[0].
    heading = page.locator("main h1")
    expect(heading).to_contain_text(demo.FIRST_NAMES[0])
    facts = page.locator("main dl.facts dd")
    expect(facts).to_have_count(3)
    for fact in facts.all():
        expect(fact).not_to_be_empty()


def check_admin(page: Page) -> None:
    # The home counts the organisations by kind; each kind opens its page of the directory.
    page.locator("main a[href$='/admin/organisations?kind=county']").click()
    expect(page.get_by_role("cell", name=demo.COUNTY_A, exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name=ORG_KELA, exact=True)).to_have_count(0)
    page.goto("/admin/organisations")
    expect(page.get_by_role("cell", name=ORG_KELA, exact=True)).to_be_visible()
    page.goto("/admin/")  # back home: the journey checks its accessibility


@dataclass(frozen=True)
class RoleJourney:
    username: str
    home: str
    check: Callable[[Page], None]


JOURNEYS = {
    "caseworker": RoleJourney("sosiaalityo.aino", "/caseworker/", check_caseworker),
    "partner": RoleJourney("rise.riikka", "/partner/", check_partner),
    "client": RoleJourney("asiakas.demo1", "/my/", check_client),
    "admin": RoleJourney("yllapito.ylva", "/admin/", check_admin),
}


@pytest.mark.parametrize("role", list(JOURNEYS))
def test_role_journey_without_javascript(
    role: str, page: Page, live_server: str, assert_accessible: Callable[[Any], None]
) -> None:
    journey = JOURNEYS[role]

    page.goto("/")
    expect(page).to_have_url(LOGIN_URL)
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    assert_accessible(page)  # the login page, signed out

    sign_in(page, journey.username)
    expect(page).to_have_url(live_server + journey.home)
    expect(page.locator("header form[action$='/logout']")).to_be_visible()
    journey.check(page)
    assert_accessible(page)  # the home page, in the same signed-in session

    sign_out(page)
    page.goto(journey.home)
    expect(page).to_have_url(LOGIN_URL)  # the session really ended


def test_wrong_password_shows_error_and_stays_on_login(page: Page) -> None:
    page.goto("/login")
    sign_in(page, "kela.kalle", "not-the-password")
    expect(page).to_have_url(LOGIN_URL)
    error = page.locator("main .flash-error[role=alert]")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(page.locator("header form[action$='/logout']")).to_have_count(0)
    expect(page.locator("#password")).to_have_value("")  # never echoed back


def test_language_switch_without_javascript(page: Page) -> None:
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    page.locator("#language").select_option("sv")
    page.locator("header form.language button[type=submit]").click()
    expect(page).to_have_url(LOGIN_URL)
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.locator("#language")).to_have_value("sv")


def test_partner_typing_caseworker_url_gets_403(page: Page, live_server: str) -> None:
    sign_in(page, "rise.riikka")
    expect(page).to_have_url(live_server + "/partner/")
    response = page.goto("/caseworker/")
    assert response is not None and response.status == 403
    expect(page.locator("main h1")).not_to_be_empty()
    expect(page.locator("table.list")).to_have_count(0)  # no client list leaks


def test_caseworker_opening_other_countys_client_gets_404(
    new_page: Callable[[], Page], live_server: str, assert_accessible: Callable[[Any], None]
) -> None:
    tiina = new_page()
    sign_in(tiina, "sosiaalityo.tiina")
    expect(tiina).to_have_url(live_server + "/caseworker/")
    expect(tiina.locator("main h1")).to_contain_text(demo.COUNTY_B)
    tiina.goto("/caseworker/clients")  # the county's caseload
    expect(tiina.locator("main h1")).to_contain_text(demo.COUNTY_B)
    link = tiina.locator("table.list tbody th[scope=row] a").first
    expect(link).to_be_visible()
    other_href = link.get_attribute("href") or ""
    other_name = (link.text_content() or "").strip()
    assert CLIENT_LINK.match(other_href) and other_name

    aino = new_page()
    sign_in(aino, "sosiaalityo.aino")
    expect(aino).to_have_url(live_server + "/caseworker/")
    aino.goto("/caseworker/clients")
    assert_accessible(aino)  # the county's caseload
    # Control: her own client (a row marked as hers) opens, so the 404 below is the county wall.
    own = aino.locator("table.list tbody tr:has(strong) th[scope=row] a").first
    own_href = own.get_attribute("href") or ""
    own_name = (own.text_content() or "").strip()
    assert CLIENT_LINK.match(own_href) and own_href != other_href
    response = aino.goto(own_href)
    assert response is not None and response.status == 200
    expect(aino.locator("main h1")).to_contain_text(own_name)
    assert_accessible(aino)  # the client record page

    response = aino.goto(other_href)
    assert response is not None and response.status == 404
    expect(aino.locator("main h1")).not_to_be_empty()
    expect(aino.locator("body")).not_to_contain_text(other_name)


def test_the_api_reference_reads_without_javascript_and_passes_axe(
    page: Page, assert_accessible: Callable[[Any], None]
) -> None:
    """Partner developers read the API reference in any browser, served by the app itself."""
    response = page.goto("/api/v1/docs")
    assert response is not None and response.status == 200
    expect(page.locator("main h1")).not_to_be_empty()
    expect(page.locator("[lang=en] h2").first).to_be_visible()
    expect(page.locator("a[href='/api/v1/openapi.json']").first).to_be_visible()
    assert_accessible("/api/v1/docs")
