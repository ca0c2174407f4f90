"""Issue 7's acceptance: the client's, the partner's and the close person's pages in a browser.

Every journey runs with JavaScript OFF, as on a locked-down prison terminal. The state is
built through the UI from the demo world: the caseworker (sosiaalityo.aino) issues an
activation code to one of her demo clients in the release phase who has no sign-in yet,
the client activates it and signs in. Then:

1. the housing service (asuminen.anna) reads the shared Housing section; the client shares
   one more section with it (the confirmation shows the gate's preview), then withdraws the
   Housing consent, and the partner's very next page load no longer shows Housing;
2. a prison officer (vankila.pekka), whose organisation has no basis to read the client,
   gets the same plain 404 as for a client that does not exist;
3. the client's "Who has looked at my information" lists the partner's earlier reads and
   the prison's refused attempt;
4. an activation code works once: used again it is refused, and a code past its expiry
   is refused (and works again when its expiry is moved back: expiry was the only cause);
5. a one-time link for a close person works in the browser that entered its code, on
   its last day, and stops working once its last day is behind it.

Nobody can wait 72 hours or a day in a test, so (4) and (5) move the expiry into the past
in the live server's own SQLite database, which is what the passing of time does. axe-core
(serious/critical) runs on every portal page the journeys visit. Pages that are the answer
to a POST (the consent confirmation, a refused activation) are checked as the browser
received them, by replaying that HTML in a JavaScript-enabled copy of the session.
Expected texts go through the app's Finnish catalogue, as in the caseworker journey.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import create_engine, update
from sqlalchemy.engine import Engine

from app import demo
from app.activation import rules as activation_rules
from app.i18n import helsinki_today
from app.issued_secrets import read_code, token_digest
from app.models.activation import ActivationCode
from app.models.person_access import PersonAccessGrant
from consent.base import utcnow

from .conftest import ACTION_TIMEOUT_MS, BLOCKING_IMPACTS, LOCALE, _axe_report
from .test_caseworker_journey import _, expect_flash, fact, submit
from .test_roles import LOGIN_URL, sign_in

HOUSING_ORG = demo.HOUSING
PRISON_ORG = demo.PRISON
HOUSING = "Housing"  # section labels (msgids)
HEALTH = "Health and substance use"
CLIENT_PASSWORD = "kolme sanaa perakkain"
CODE_REJECTED = (
    "The code did not work. Check that you typed it as it is on the paper. If it still does "
    "not work, ask your worker for a new code."
)
ACTIVATED = "Your sign-in is ready. Sign in with the username and password you chose."
UUID = r"[0-9a-f-]{36}"
QUESTION = "En tunnista tätä vankilan yritystä (fictional)"
ANSWER = "Vankilan työntekijä avasi väärän asiakkaan tiedot; pääsy estettiin (fictional)"
RECEIPT_URL = re.compile(rf"/my/consents/receipts/{UUID}$")


def exactly(text: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def live_db(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The live server's own SQLite database (conftest puts it in ``live_server*/``)."""
    # (pytest also links the newest numbered folder as ``live_servercurrent``.)
    found = sorted(
        {p.resolve() for p in tmp_path_factory.getbasetemp().glob("live_server*/browser.db")}
    )
    assert len(found) == 1, f"expected the live server's one database, found {found}"
    engine = create_engine(f"sqlite:///{found[0]}", connect_args={"timeout": 10})
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def assert_accessible_as_received(browser: Any, live_server: str) -> Callable[[Page], None]:
    """axe on the HTML the no-JS page holds now, for answers to a POST that a GET cannot repeat.

    The HTML is served for the page's URL in a JavaScript-enabled context with the same
    cookies (stylesheets and images still come from the live server) that bypasses the CSP.
    """
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page: Page) -> None:
        url, html = page.url, page.content()
        context = browser.new_context(
            base_url=live_server,
            java_script_enabled=True,
            bypass_csp=True,
            locale=LOCALE,
            storage_state=page.context.storage_state(),
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        try:
            axe_page = context.new_page()
            axe_page.route(
                lambda u: u == url,
                lambda route: route.fulfill(
                    status=200, content_type="text/html; charset=utf-8", body=html
                ),
            )
            axe_page.goto(url)
            results = axe.run(axe_page)
        finally:
            context.close()
        blocking = [
            v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS
        ]
        assert not blocking, _axe_report(blocking, f"{url} (as received after a POST)")

    return check


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class DemoClient:
    name: str
    url: str  # the caseworker's record of the client (absolute)
    id: str

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


def own_clients(aino: Page, live_server: str, phase: str = "release") -> list[DemoClient]:
    """Aino's own demo clients in ``phase`` (from the release phase on: a plan, a network)."""
    aino.goto(f"/caseworker/clients?phase={phase}")
    links = aino.locator("main table.list tbody tr:has(strong) th[scope=row] a")
    clients = []
    for link in links.all():
        href = link.get_attribute("href") or ""
        clients.append(
            DemoClient((link.text_content() or "").strip(), live_server + href, href[-36:])
        )
    return clients


def client_without_sign_in(aino: Page, live_server: str) -> DemoClient:
    """The first of Aino's clients with a plan and a network who has no sign-in yet."""
    candidates = own_clients(aino, live_server) + own_clients(aino, live_server, "follow_up")
    for client in candidates:
        aino.goto(client.url + "/portal-access")
        if (fact(aino, "Sign-in").text_content() or "").strip() == _(
            "The client has no sign-in yet."
        ):
            return client
    pytest.fail(f"every client of sosiaalityo.aino with a plan has a sign-in: {candidates}")


def issue_activation_code(aino: Page, client: DemoClient) -> str:
    """Aino issues a code on the client's sign-in page; returns its text (shown only now)."""
    aino.goto(client.url + "/portal-access")
    expect(aino.locator("main h2").first).to_have_text(_("Client's sign-in"))
    aino.locator("main form[action$='/portal-access/codes'] button[type=submit].primary").click()
    expect(aino).to_have_url(client.url + "/portal-access/codes")
    slip = aino.locator("main section.activation-slip")
    expect(slip.locator("h2")).to_have_text(_("Activation code for Tukiverkko"))
    code = (slip.locator("p.code code").text_content() or "").strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code), code
    return code


def codes_listed(aino: Page, client: DemoClient) -> Locator:
    """The rows of the worker's list of the client's codes, newest first."""
    aino.goto(client.url + "/portal-access")
    return aino.locator("main table.list tbody tr")


def fill_activation(page: Page, code: str, username: str, password: str) -> int:
    """Fill and send the activation form; returns the status of the POST's answer."""
    page.goto("/activate")
    expect(page.locator("main h1")).to_have_text(_("Activate your sign-in"))
    page.locator("#code").fill(code)
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#confirm").fill(password)
    with page.expect_response(
        lambda r: r.url.endswith("/activate") and r.request.method == "POST"
    ) as answer:
        page.locator("main form button[type=submit].primary").click()
    return answer.value.status


def expect_code_refused(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/activate$"))
    expect(page.locator("main .error-summary[role=alert]")).to_contain_text(_(CODE_REJECTED))
    expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")


def activate_and_sign_in(page: Page, code: str, username: str, live_server: str) -> None:
    assert fill_activation(page, code, username, CLIENT_PASSWORD) == 302
    expect(page).to_have_url(LOGIN_URL)
    expect(page.locator("main .flash-info[role=status]")).to_have_text(_(ACTIVATED))
    sign_in(page, username, CLIENT_PASSWORD)
    expect(page).to_have_url(live_server + "/my/")


def portal_nav(page: Page, msgid: str) -> None:
    """Follow the client's own menu; the entry is then marked as the current page."""
    menu = page.locator("nav.portal-nav")
    menu.get_by_role("link", name=_(msgid), exact=True).click()
    expect(menu.locator("a[aria-current=page]")).to_have_text(_(msgid))
    expect(page.locator("main h1")).to_have_text(_(msgid))


def partner_row(page: Page, name: str) -> Locator:
    """The client's row on the partner's home page (walks the pages); may match nothing."""
    page.goto("/partner/")
    clients = page.locator("main section[aria-labelledby=clients-heading]")
    while True:
        row = clients.locator("table.shared-clients tbody tr").filter(
            has=page.locator("th[scope=row] a", has_text=exactly(name))
        )
        following = clients.locator("nav.pagination a[rel=next]")
        if row.count() or not following.count():
            return row
        following.click()


def shared_sections(page: Page) -> list[str]:
    return [
        (h.text_content() or "").strip()
        for h in page.locator("main section.shared-section h2").all()
    ]


def section_texts(page: Page, kind: str) -> list[str]:
    """The content lines of one shared section on the partner's view of the client."""
    section = page.locator(f"main section.shared-section[aria-labelledby=section-{kind}]")
    return [t.strip() for t in section.locator("dl.section-content dd").all_text_contents()]


def consent_row(page: Page, member: str, section_msgid: str) -> Locator:
    """The client's consent to ``member`` naming exactly one section, in the member's card."""
    card = page.locator("main li.member-card").filter(
        has=page.locator("h3", has_text=exactly(member))
    )
    wording = _("Your consent: they may see %(parts)s", parts=_(section_msgid))
    return card.locator("ul.share-reasons > li").filter(
        has=page.locator("strong", has_text=exactly(wording))
    )


def preview_row(page: Page, section_msgid: str) -> Locator:
    return page.locator("main .consent-preview table.preview-table tbody tr").filter(
        has=page.locator("th[scope=row]", has_text=exactly(_(section_msgid)))
    )


@dataclass(frozen=True)
class LogRow:
    who: str
    what: str
    basis: str
    refused: bool
    action: str  # "I don't recognise this", or the query already asked


def log_rows(page: Page, max_pages: int = 3) -> list[LogRow]:
    """The rows of "Who has looked at my information", newest first (a few pages)."""
    rows: list[LogRow] = []
    for n in range(max_pages):
        for tr in page.locator("main table.log-table tbody tr").all():
            cells = [(c or "").strip() for c in tr.locator("td").all_text_contents()]
            rows.append(
                LogRow(
                    " ".join(cells[1].split()),
                    " ".join(cells[2].split()),
                    cells[3],
                    "log-refused" in (tr.get_attribute("class") or ""),
                    cells[4],
                )
            )
        following = page.locator("main nav.pagination a[rel=next]")
        if n + 1 == max_pages or not following.count():
            break
        following.click()
    return rows


# --------------------------------------------------------------------------- 1–3: consent, 404, log


def test_revoked_consent_ends_partner_view_and_client_sees_who_looked(
    new_page: Callable[[], Page],
    live_server: str,
    assert_accessible: Callable[[Any], None],
    assert_accessible_as_received: Callable[[Page], None],
) -> None:
    # The worker issues an activation code; the client activates it and signs in.
    aino = new_page()
    sign_in(aino, "sosiaalityo.aino")
    expect(aino).to_have_url(live_server + "/caseworker/")
    client = client_without_sign_in(aino, live_server)
    code = issue_activation_code(aino, client)

    me = new_page()
    activate_and_sign_in(me, code, "portaali.asiakas", live_server)
    expect(me.locator("main h1")).to_have_text(_("Hello, %(name)s", name=client.name))
    expect(me.locator("nav.portal-nav a[aria-current=page]")).to_have_text(_("My page"))
    assert_accessible(me)  # the client's home

    portal_nav(me, "My plan")
    expect(me.locator("main")).to_contain_text(_(HOUSING))
    assert_accessible(me)  # My plan
    portal_nav(me, "My network")
    expect(me.locator("main")).to_contain_text(HOUSING_ORG)
    assert_accessible(me)  # My network
    portal_nav(me, "Who can see what")
    expect(consent_row(me, HOUSING_ORG, HOUSING)).to_have_count(1)
    expect(consent_row(me, HOUSING_ORG, HEALTH)).to_have_count(0)
    assert_accessible(me)  # Who can see what: a card per member

    # The housing service sees the client, and only Housing, by the client's consent.
    anna = new_page()
    sign_in(anna, "asuminen.anna")
    expect(anna).to_have_url(live_server + "/partner/")
    expect(anna.locator("main h1")).to_have_text(HOUSING_ORG)
    row = partner_row(anna, client.name)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text(exactly(_(HOUSING)))
    assert_accessible(anna)  # the partner's home
    row.locator("th[scope=row] a").click()
    partner_url = f"{live_server}/partner/clients/{client.id}"
    expect(anna).to_have_url(partner_url)
    expect(anna.locator("main h1")).to_have_text(client.name)
    assert shared_sections(anna) == [_(HOUSING)]
    housing_text = section_texts(anna, "housing")
    assert housing_text and all(housing_text), "the demo plan has a written Housing section"
    assert_accessible(anna)  # the partner's shared view

    # (2) The prison is not let in: the same plain 404 as a client that does not exist.
    pekka = new_page()
    sign_in(pekka, "vankila.pekka")
    expect(pekka).to_have_url(live_server + "/partner/")
    expect(partner_row(pekka, client.name)).to_have_count(0)
    nobody = pekka.goto(f"/partner/clients/{uuid.uuid4()}")
    assert nobody is not None and nobody.status == 404
    not_found_title, not_found_main = pekka.title(), pekka.locator("main").inner_text()
    denied = pekka.goto(f"/partner/clients/{client.id}")
    assert denied is not None and denied.status == 404
    assert (pekka.title(), pekka.locator("main").inner_text()) == (
        not_found_title,
        not_found_main,
    ), "the denial must look exactly like a client that does not exist"
    expect(pekka.locator("body")).not_to_contain_text(client.name)
    for line in housing_text:
        expect(pekka.locator("body")).not_to_contain_text(line)

    # The client shares Health too: one confirmation page with the gate's preview.
    me.locator("main ul.actions a.primary[href$='/my/consents/new']").click()
    expect(me.locator("main h1")).to_have_text(_("Share with someone"))
    option = me.locator("#member option").filter(has_text=HOUSING_ORG)
    expect(option).to_have_count(1)
    me.locator("#member").select_option(value=option.get_attribute("value"))
    me.locator("input[name=sections][value=health]").check()
    me.locator("main button[name=step][value=review]").click()
    expect(me.locator("main h1")).to_have_text(
        _("Check and confirm: share with %(name)s", name=HOUSING_ORG)
    )
    health = preview_row(me, HEALTH).locator("td")
    expect(health.nth(0)).to_have_text(_("Cannot see"))
    expect(health.nth(1)).to_contain_text(_("Can see"))
    expect(health.nth(1)).to_contain_text(_("changes"))
    expect(preview_row(me, HOUSING).locator("td").nth(1)).to_have_text(_("Can see"))
    assert_accessible_as_received(me)  # the consent change confirmation
    me.locator("#information_read").check()
    me.locator("main button[name=step][value=confirm]").click()
    expect(me).to_have_url(RECEIPT_URL)
    expect(me.locator("main h1")).to_contain_text(_("Consent given"))

    anna.reload()
    assert shared_sections(anna) == [_(HOUSING), _(HEALTH)]

    # (1) The client withdraws the Housing consent: as easy as giving it, effective at once.
    portal_nav(me, "Who can see what")
    housing_consent = consent_row(me, HOUSING_ORG, HOUSING)
    expect(housing_consent).to_have_count(1)
    housing_consent.locator("a[href$='/revoke']").click()
    expect(me).to_have_url(re.compile(rf"/my/consents/{UUID}/revoke$"))
    expect(me.locator("main h1")).to_have_text(_("Withdraw this consent?"))
    housing = preview_row(me, HOUSING).locator("td")
    expect(housing.nth(0)).to_have_text(_("Can see"))
    expect(housing.nth(1)).to_contain_text(_("Cannot see"))
    expect(preview_row(me, HEALTH).locator("td").nth(1)).to_have_text(_("Can see"))
    assert_accessible(me)  # the withdrawal's confirmation
    me.locator("main form[action$='/revoke'] button[type=submit].primary").click()
    expect(me).to_have_url(RECEIPT_URL)
    expect_flash(me, "Done. Sharing under this consent stopped at once.")
    expect(me.locator("main h1")).to_have_text(f"{_('Receipt')}: {_('Consent withdrawn')}")
    expect(fact(me, "Who")).to_have_text(HOUSING_ORG)
    expect(fact(me, "Which parts of your plan")).to_have_text(_(HOUSING))
    assert_accessible(me)  # the receipt

    # The partner's very next page load: Health still shown, Housing gone without a trace.
    response = anna.reload()
    assert response is not None and response.status == 200
    expect(anna).to_have_url(partner_url)
    assert shared_sections(anna) == [_(HEALTH)]
    expect(anna.locator("main section[aria-labelledby=section-housing]")).to_have_count(0)
    # (The client's own view may read the same in both sections: check what only Housing said.)
    housing_only = [line for line in housing_text if line not in section_texts(anna, "health")]
    assert housing_only, housing_text
    for line in housing_only:
        expect(anna.locator("main")).not_to_contain_text(line)
    row = partner_row(anna, client.name)
    expect(row.locator("td").nth(0)).to_have_text(exactly(_(HEALTH)))
    expect(anna.locator("main section.revocation-notices")).to_be_visible()

    # Withdrawing the last consent ends the partner's access: the page says so, nothing more.
    portal_nav(me, "Who can see what")
    consent_row(me, HOUSING_ORG, HEALTH).locator("a[href$='/revoke']").click()
    me.locator("main form[action$='/revoke'] button[type=submit].primary").click()
    expect(me).to_have_url(RECEIPT_URL)
    expect_flash(me, "Done. Sharing under this consent stopped at once.")
    response = anna.goto(partner_url)
    assert response is not None and response.status == 403
    expect(anna.locator("main h1")).to_have_text(_("Access has ended"))
    expect(anna.locator("main section.shared-section")).to_have_count(0)
    expect(anna.locator("body")).not_to_contain_text(client.name)
    assert_accessible(anna)  # the partner's "access has ended"
    expect(partner_row(anna, client.name)).to_have_count(0)

    # My consent receipts: every change has a receipt, newest first.
    portal_nav(me, "My consent receipts")
    receipts = me.locator("main table.list tbody tr td:nth-child(2)")
    expect(receipts).to_have_text(
        [_("Consent withdrawn"), _("Consent withdrawn"), _("Consent given")]
    )
    assert_accessible(me)  # My consent receipts

    # (3) The log: the housing service's earlier reads and the prison's refused attempt.
    portal_nav(me, "Who has looked at my information")
    assert_accessible(me)  # the log
    rows = log_rows(me)
    housing_org = f"{HOUSING_ORG} {_('Staff member')}"
    prison_org = f"{PRISON_ORG} {_('Staff member')}"
    read_housing = [
        r
        for r in rows
        if r.who == housing_org and r.what == f"{_('Looked at')}: {_(HOUSING)}" and not r.refused
    ]
    assert read_housing, f"the partner's reads of Housing are not in the client's log: {rows}"
    assert all(r.basis == _("Your consent") for r in read_housing), read_housing
    refused = [r for r in rows if r.who == prison_org]
    assert refused, f"the prison's attempt is not in the client's log: {rows}"
    assert all(r.refused for r in refused), refused
    # Refused, in words as well as by its mark.
    assert refused[0].what == f"{_('Refused')} {_('Tried to look at')}: {_('Your name')}", refused
    # The partner's looks at the name alone (its list of clients) are one line a day,
    # which names the organisation: "<housing> looked at your name N times on <day>".
    grouped = [r for r in rows if r.who == housing_org and r.what.startswith(HOUSING_ORG)]
    assert grouped and not any(r.refused for r in grouped), rows
    reasons = {
        _("Refused: %(why)s", why=_(why))
        for why in ("you have not given consent", "they are not in your network")
    }
    assert refused[0].basis in reasons, refused
    assert refused[0].action.startswith(_("I don't recognise this")), refused
    # Only the refused attempts, then the same on paper (no links, no forms, no script).
    me.locator("#log-outcome").select_option("refused")
    me.locator("main form.log-filters button[type=submit]").click()
    expect(me).to_have_url(re.compile(r"/my/log\?.*outcome=refused"))
    assert all(r.refused for r in log_rows(me, max_pages=1))
    assert_accessible(me)  # the log, narrowed
    me.locator("main a[href*='print=1']").click()
    expect(me.locator("main table.log-table tbody tr.log-refused").first).to_be_visible()
    expect(me.locator("main table.log-table a")).to_have_count(0)
    assert_accessible(me)  # the printable view

    # "I don't recognise this": the client asks about the prison's attempt; Aino, the
    # responsible worker, finds the question on her dashboard, sees who it was, and answers.
    portal_nav(me, "Who has looked at my information")
    attempt = me.locator("main table.log-table tbody tr.log-refused", has_text=PRISON_ORG)
    while not attempt.count():
        me.locator("main nav.pagination a[rel=next]").click()
    attempt.first.locator("a[href$='/query']").click()
    expect(me.locator("main h1")).to_have_text(_("I don't recognise this"))
    assert_accessible(me)  # the question form
    me.locator("#note").fill(QUESTION)
    me.locator("main button[type=submit].primary").click()
    expect(me.locator("main")).to_contain_text(QUESTION)

    aino.goto(live_server + "/caseworker/")
    aino.locator("main a[href$='/caseworker/dashboard/log-queries']").click()
    assert_accessible(aino)  # the questions waiting for an answer
    aino.locator("main table.list tbody tr", has_text=client.name).locator(
        "a[href*='/log-queries/']"
    ).click()
    expect(aino.locator("main")).to_contain_text(QUESTION)
    expect(aino.locator("main")).to_contain_text(PRISON_ORG)
    assert_accessible(aino)  # the question with the entry in full
    aino.locator("#answer").fill(ANSWER)
    aino.locator("main form[action*='/log-queries/'] button[type=submit].primary").click()
    expect(aino.locator("main .flash-info[role=status]")).to_have_text(
        _("Your answer was saved. The client reads it on their own page.")
    )
    me.reload()
    expect(me.locator("main")).to_contain_text(ANSWER)
    assert_accessible(me)  # the client reads the answer


# --------------------------------------------------------------------------- 4: activation codes


def test_activation_code_works_once_and_not_after_expiry(
    new_page: Callable[[], Page],
    live_server: str,
    live_db: Engine,
    assert_accessible: Callable[[Any], None],
    assert_accessible_as_received: Callable[[Page], None],
) -> None:
    aino = new_page()
    sign_in(aino, "sosiaalityo.aino")
    expect(aino).to_have_url(live_server + "/caseworker/")
    client = client_without_sign_in(aino, live_server)
    first = issue_activation_code(aino, client)

    assert_accessible("/activate")  # the activation page, signed out
    me = new_page()
    activate_and_sign_in(me, first, "kertakoodi.asiakas", live_server)

    # Used once, the code is refused with the one message for every bad code.
    other = new_page()
    assert fill_activation(other, first, "toinen.kayttaja", CLIENT_PASSWORD) == 400
    expect_code_refused(other)
    assert_accessible_as_received(other)  # the activation page with the refusal
    sign_in(other, "toinen.kayttaja", CLIENT_PASSWORD)
    expect(other).to_have_url(LOGIN_URL)  # no sign-in was made with it
    sign_in(other, "kertakoodi.asiakas", CLIENT_PASSWORD)
    expect(other).to_have_url(live_server + "/my/")  # nor was the client's changed

    # A second code, then its 72 hours pass (moved into the past in the database).
    second = issue_activation_code(aino, client)
    expect(fact(aino, "Sign-in")).to_contain_text(
        _("Username: %(name)s", name="kertakoodi.asiakas")
    )
    raw = read_code(second, activation_rules.CODE_LENGTH) or ""
    selector = raw[: activation_rules.SELECTOR_LENGTH]
    assert selector

    def expires(at: datetime) -> None:
        with live_db.begin() as connection:
            changed = connection.execute(
                update(ActivationCode)
                .where(ActivationCode.selector == selector)
                .values(expires_at=at)
            )
            assert changed.rowcount == 1

    expires(utcnow() - timedelta(minutes=1))
    late = new_page()
    assert fill_activation(late, second, "myohassa.asiakas", CLIENT_PASSWORD) == 400
    expect_code_refused(late)

    rows = codes_listed(aino, client)
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").nth(3)).to_have_text(_("Expired"))
    expect(rows.nth(0).locator("form")).to_have_count(0)  # nothing left to cancel
    expect(rows.nth(1).locator("td").nth(3)).to_contain_text(_("Used"))

    # Control: with its expiry moved back the same code works, so expiry was the only cause.
    expires(utcnow() + timedelta(hours=1))
    assert fill_activation(late, second, "myohassa.asiakas", CLIENT_PASSWORD) == 302
    expect(late).to_have_url(LOGIN_URL)
    expect(late.locator("main .flash-info[role=status]")).to_have_text(_(ACTIVATED))


# --------------------------------------------------------------------------- 5: a close person's link


def test_close_person_link_stops_working_after_its_last_day(
    new_page: Callable[[], Page],
    live_server: str,
    live_db: Engine,
    assert_accessible: Callable[[Any], None],
) -> None:
    aino = new_page()
    sign_in(aino, "sosiaalityo.aino")
    expect(aino).to_have_url(live_server + "/caseworker/")
    clients = own_clients(aino, live_server)
    assert clients, "the demo has release-phase clients of sosiaalityo.aino"
    client = clients[-1]

    # The close person of the client's network, as the consent matrix names them.
    aino.goto(client.url + "/consents")
    person = aino.locator("main table.matrix tbody tr th").filter(
        has=aino.locator(".member-meta", has_text=_("Close person"))
    )
    expect(person).to_have_count(1)
    person_name = (person.locator(".member-name").text_content() or "").strip()
    aino.goto(client.url + "/network")
    aino.locator("main table.list th[scope=row] a[href*='/network/members/']").filter(
        has_text=exactly(person_name)
    ).click()
    aino.get_by_role("link", name=_("Access link for this person"), exact=True).click()
    access_url = aino.url
    assert re.search(rf"/network/members/{UUID}/access$", access_url), access_url

    if aino.locator("main form[action$='/access']").count() == 0:
        # No consent in force for this person yet: the worker records the client's consent.
        aino.locator("main p.notice a[href*='/consents/new']").click()
        option = aino.locator("#member option").filter(has_text=person_name)
        aino.locator("#member").select_option(value=option.get_attribute("value"))
        aino.locator("input[name=sections][value=housing]").check()
        aino.locator("input[name=direction][value=disclose]").check()
        aino.locator("#purpose_text").fill("So that my sister can help me find a flat.")
        aino.locator("input[name=given_how][value=written]").check()
        aino.locator("#information_shown").check()
        submit(aino, "/consents/new")
        expect(aino).to_have_url(client.url + "/consents")
        expect_flash(aino, "Consent recorded for %(name)s.", name=person_name)
        aino.goto(access_url)

    # A link to Housing whose last day is today.
    today = helsinki_today()
    aino.locator("main input[name=consent]").first.check()
    for box in aino.locator("main input[name=sections]").all():
        box.set_checked(box.get_attribute("value") == "housing")
    aino.locator("#valid_until").fill(today.isoformat())
    aino.locator("main form[action$='/access'] button[type=submit].primary").click()
    expect(aino.locator("main h2")).to_have_text(_("Link issued for %(name)s", name=person_name))
    secrets = aino.locator("main dl.issued-access code.secret")
    link = (secrets.nth(0).text_content() or "").strip()
    code = (secrets.nth(1).text_content() or "").strip()
    assert link.startswith(live_server + "/p/"), link
    token = link.removeprefix(live_server + "/p/")

    # The person opens the link, enters the code, and sees Housing (on its last day).
    sister = new_page()
    sister.goto(link)
    expect(sister.locator("main h1")).to_have_text(_("Open the shared plan"))
    assert_accessible(link)  # the code page, as anyone opening the link sees it
    sister.locator("#code").fill(code)
    sister.locator("main form button[type=submit].primary").click()
    expect(sister).to_have_url(link)
    expect(sister.locator("main h1")).to_have_text(
        _("Shared with you by %(name)s", name=client.first_name)
    )
    sections = sister.locator("main section.person-section h2")
    expect(sections).to_have_text([_(HOUSING)])
    seen = [
        t.strip()
        for t in sister.locator("main section.person-section p.pre").all_text_contents()
        if t.strip()
    ]
    assert seen, "the demo plan has a written Housing section"
    assert_accessible(sister)  # the shared plan, in the bound browser

    # The worker asks the sister into a network meeting about housing; she reads and answers
    # it on her link's pages.
    aino.goto(client.url + "/messages/new")
    aino.locator("main input[name=kind][value=meeting]").check()
    aino.locator("main div.choice", has_text=person_name).locator("input[name=members]").check()
    aino.locator("#section").select_option("housing")
    aino.locator("#subject").fill("Asuntopalaveri (demo)")
    aino.locator("#body").fill("Tavataan torstaina kirjastolla (demo)")
    aino.locator("main form button[type=submit].primary").click()
    expect(aino.locator("main ol.messages li")).to_have_count(1)
    sister.goto(link)
    expect(sister.locator("main strong.unread")).to_be_visible()
    sister.goto(link + "/messages")
    assert_accessible(sister)  # her list of meetings
    sister.locator("main table.list tbody a").first.click()
    expect(sister.locator("main ol.messages")).to_contain_text("kirjastolla (demo)")
    assert_accessible(sister)  # the meeting's thread, with the answer form
    sister.locator("#body").fill("Tulen mukaan (demo)")
    sister.locator("main form button[type=submit].primary").click()
    expect(sister.locator("main ol.messages li")).to_have_count(2)
    expect(sister.locator("main ol.messages li.message-mine")).to_contain_text("Tulen mukaan")

    # Bound to that browser: another one is refused and shown nothing.
    stranger = new_page()
    response = stranger.goto(link)
    assert response is not None and response.status == 403
    expect(stranger.locator("main h1")).to_have_text(
        _("This link is already in use on another device")
    )
    assert_accessible(stranger)  # the refusal
    for line in seen:
        expect(stranger.locator("main")).not_to_contain_text(line)

    # The last day passes (moved into the past in the database): the very next load refuses.
    with live_db.begin() as connection:
        changed = connection.execute(
            update(PersonAccessGrant)
            .where(PersonAccessGrant.token_hash == token_digest(token))
            .values(valid_until=today - timedelta(days=1))
        )
        assert changed.rowcount == 1
    response = sister.reload()
    assert response is not None and response.status == 410
    expect(sister.locator("main h1")).to_have_text(_("This access has ended"))
    expect(sister.locator("main")).not_to_contain_text(client.first_name)
    for line in seen:
        expect(sister.locator("main")).not_to_contain_text(line)
    assert_accessible(sister)  # the ended page
    expect(sister.locator("main form")).to_have_count(0)

    # The worker's list says so.
    aino.goto(access_url)
    newest = aino.locator("main table.list tbody tr").first
    expect(newest.locator("td").nth(2)).to_contain_text(_("Expired"))
    expect(newest.locator("form")).to_have_count(0)
