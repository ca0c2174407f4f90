"""Issue 5's acceptance: one fictional client from notification to a network of four members.

A caseworker (sosiaalityo.aino) works with JavaScript OFF throughout, as on a locked-down
prison terminal: she records a notification from prison staff for a new fictional client,
finds it in the intake queue (the navigation's count rises), assigns it to herself and
opens the client's record. She builds the support network from the directory (probation,
Kela, the housing service and an NGO, whose confidentiality commitment she records), agrees
one information flow with each member, and records written consents for Kela, the housing
service and the NGO. The consent matrix, the network picture (inline SVG) and its text
equivalent show the result. axe-core runs on every distinct page the journey visits.

Expected texts go through the app's own Finnish catalogue (``fi``), so the assertions hold
whether or not a string has been translated yet.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from babel.dates import format_date
from babel.support import Translations
from playwright.sync_api import Locator, Page, expect

from app import demo
from app.i18n import helsinki_today
from app.intake import identity_code

from .conftest import ROOT
from .test_roles import sign_in

CATALOGUE = Translations.load(str(ROOT / "app" / "translations"), ["fi"])
CLIENT_NAME = "Matka Testinen (fictional)"
# Born outside the demo's 1970–2004 range; individual numbers 900–999 are for fictional people.
CLIENT_CODE = identity_code.make(date(1966, 5, 17), 937)
NEED = "Fictional: needs housing and an income from the day of release; no flat yet."
NOTIFIER = "Vanja Vartija (fictional)"
PRISON = "Kuvitteellinen vankila (demo)"
WORKER = "Aino Esimerkki (demo)"
UUID = r"[0-9a-f-]{36}"
CLIENT_URL = re.compile(rf"/caseworker/clients/({UUID})$")
NOTIFICATION_URL = re.compile(rf"/caseworker/intake/{UUID}$")
MEMBER_URL = re.compile(rf"/caseworker/clients/{UUID}/network/members/{UUID}$")


def _(msgid: str, **values: Any) -> str:
    """The Finnish text the app shows for ``msgid`` (the msgid itself while untranslated)."""
    text = CATALOGUE.gettext(msgid)
    return text % values if values else text


def fi_date(day: date) -> str:
    """A date as the app's ``|date`` filter writes it in Finnish (medium format)."""
    return format_date(day, "medium", locale="fi")


@dataclass(frozen=True)
class Member:
    name: str
    kind: str  # the member-kind label (msgid)
    role: str
    needs_commitment: bool
    flow_subject: str
    flow_direction: str  # FlowDirection value
    flow_channel: str  # FlowChannel value
    flow_practice: str


PROBATION = Member(
    "Kuvitteellinen yhdyskuntaseuraamustoimisto (demo)",
    "Probation office",
    "Supervises the probationary liberty",
    False,
    "Changes of the release date",
    "from_member",
    "phone",
    "Probation informs the responsible worker of a changed release date by phone within a day.",
)
KELA = Member(
    "Kela, kuvitteellinen toimisto (demo)",
    "Public service",
    "Decides the basic social assistance",
    False,
    "Release date and the address after release",
    "to_member",
    "platform",
    "The responsible worker tells Kela the release date and address through Tukiverkko.",
)
HOUSING = Member(
    "Esimerkkilän asumispalvelut (demo)",
    "Public service",
    "Arranges housing before release",
    False,
    "Housing needs and the moving-in date",
    "both",
    "meeting",
    "The housing adviser and the responsible worker meet monthly until the client moves in.",
)
NGO = Member(
    "Tukijärjestö Kuvitelma ry (demo)",
    "NGO",
    "Support person after release",
    True,
    "Times of the first meetings after release",
    "to_member",
    "phone",
    "The responsible worker phones the support person a week before release.",
)
MEMBERS = (PROBATION, KELA, HOUSING, NGO)


@dataclass(frozen=True)
class Grant:
    member: Member
    section: str  # SectionKind value
    section_label: str  # its label (msgid)
    direction: str  # consent.decision.Direction value
    direction_label: str  # the matrix's label of that direction (msgid)
    purpose: str


CONSENTS = (
    Grant(
        HOUSING,
        "housing",
        "Housing",
        "disclose",
        "We disclose to them",
        "So that a flat is ready on the day of release.",
    ),
    Grant(
        NGO,
        "everyday_life",
        "Everyday life and community",
        "disclose",
        "We disclose to them",
        "So that the support person can plan everyday support after release.",
    ),
    Grant(
        KELA,
        "livelihood",
        "Livelihood and Kela",
        "obtain",
        "We obtain from them",
        "So that the income after release is known when the plan is made.",
    ),
)


# --------------------------------------------------------------------------- helpers


def intake_link(page: Page) -> Locator:
    return page.locator("header nav a[href$='/caseworker/intake']")


def intake_count(page: Page) -> int:
    """The county's unassigned notifications as the navigation shows them (0 if no count)."""
    text = intake_link(page).inner_text()
    found = re.search(r"\d+", text)
    return int(found.group()) if found else 0


def expect_flash(page: Page, msgid: str, **values: Any) -> None:
    expect(page.locator("main .flash-info[role=status]")).to_have_text(_(msgid, **values))


def submit(page: Page, form_action_suffix: str) -> None:
    page.locator(f"main form[action$='{form_action_suffix}'] button[type=submit].primary").click()


def fact(page: Page, term_msgid: str) -> Locator:
    """The ``<dd>`` of a ``dl.facts`` term."""
    return page.locator(f"main dl.facts dt:text-is({_quote(_(term_msgid))}) + dd")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --------------------------------------------------------------------------- the journey


def record_notification(page: Page, live_server: str, check: Callable[[Any], None]) -> int:
    """Step 1a: the new-notification form, search first, then a new client. Returns the count."""
    page.goto("/caseworker/intake")
    expect(page.locator("main h1")).to_have_text(_("Intake: unassigned notifications"))
    expect(intake_link(page)).to_have_attribute("aria-current", "page")
    before = intake_count(page)
    expect(page.locator("main table.list tbody")).not_to_contain_text(CLIENT_NAME)

    page.locator("main a.intake-new").click()
    expect(page).to_have_url(live_server + "/caseworker/intake/new")
    expect(page.locator("main h1")).to_have_text(_("Record a contact or notification"))
    check(page)  # the new-notification form

    # Search first, so that nobody is recorded twice: nobody of the county matches.
    page.locator("#q").fill(CLIENT_NAME)
    page.locator("main button[name=action][value=search]").click()
    expect(page.locator("main [role=status]")).to_have_text(
        _("No client of your county matches. Fill in a new client below.")
    )
    expect(page.locator("main table.list")).to_have_count(0)

    release = helsinki_today() + timedelta(days=45)
    page.locator("#name").fill(CLIENT_NAME)
    page.locator("#identity_code").fill(CLIENT_CODE)
    page.locator("#prison_id").select_option(label=PRISON)
    page.locator("#conditional_release").fill(release.isoformat())
    page.locator("input[name=notifier_kind][value=prison_staff]").check()
    page.locator("#notifier_name").fill(NOTIFIER)
    page.locator("#notifier_organisation_id").select_option(label=PRISON)
    page.locator("input[name=channel][value=phone]").check()
    expect(page.locator("#contacted_on")).not_to_have_value("")  # today, filled by the server
    expect(page.locator("#received_on")).not_to_have_value("")
    page.locator("#need").fill(NEED)
    page.locator("input[name=path][value=consent]").check()
    expect(page.locator("#no_consent_reason")).to_have_value("")
    page.locator("main form.intake-form button[name=action][value=save].primary").click()
    return before


def find_in_queue(page: Page, live_server: str, before: int, check: Callable[[Any], None]) -> None:
    """Step 1b: the queue lists the notification (metadata and name only); the count rose."""
    expect(page).to_have_url(live_server + "/caseworker/intake")
    expect_flash(page, "The notification was recorded and is in the intake queue.")
    expect(intake_link(page)).to_have_text(_("Intake (%(count)d)", count=before + 1))
    check(page)  # the queue

    row = page.locator("main table.list tbody tr").filter(has_text=CLIENT_NAME)
    while row.count() == 0:  # oldest first: the newest notification may be on a later page
        next_page = page.locator("main nav.pagination a[rel=next]")
        assert next_page.count() == 1, f"{CLIENT_NAME} is not in the intake queue"
        next_page.click()
    expect(row).to_have_count(1)
    cells = row.locator("td")
    expect(cells.nth(1)).to_have_text(f"{_('Prison staff')}, {PRISON}")
    expect(cells.nth(2)).to_have_text(_("Phone"))
    expect(cells.nth(3)).to_have_text(_("With consent"))
    expect(row).not_to_contain_text(NEED)  # the need opens only to the assigned worker
    row.locator("th[scope=row] a").click()


def assign_to_me(page: Page, before: int, check: Callable[[Any], None]) -> str:
    """Step 1c: the notification read, taken, its responsible worker appointed and the
    assessment started, each step its own button; returns the client's URL."""
    expect(page).to_have_url(NOTIFICATION_URL)
    expect(page.locator("main h1")).to_have_text(_("Notification about %(name)s", name=CLIENT_NAME))
    expect(fact(page, "Status")).to_have_text(_("Unassigned"))
    expect(fact(page, "Channel")).to_have_text(_("Phone"))
    check(page)  # the notification page, unassigned

    # The worker who recorded it works on it today (an intake work task): the need is open
    # before anyone takes the notification.
    expect(page.locator("main p.intake-text")).to_have_text(NEED)
    expect(fact(page, "Who made the contact")).to_have_text(f"{_('Prison staff')}: {NOTIFIER}")

    submit(page, "/assign")
    expect(page).to_have_url(NOTIFICATION_URL)
    expect_flash(page, "You took the notification. Next, appoint the responsible worker.")
    expect(fact(page, "Status")).to_have_text(_("Assigned"))
    expect(fact(page, "Assigned")).to_contain_text(f"{WORKER} ({_('you')})")
    expect(fact(page, "Phase")).to_have_text(_("Notification received"))
    expect(page.locator("main form[action$='/assign']")).to_have_count(0)
    expect(intake_link(page)).to_have_text(
        _("Intake (%(count)d)", count=before) if before else _("Intake")
    )
    check(page)  # the notification page, taken: appointing and starting are next

    page.get_by_role("button", name=_("Appoint from today"), exact=True).click()
    expect_flash(page, "%(name)s is now the responsible worker.", name=WORKER)
    page.get_by_role("button", name=_("Start the assessment"), exact=True).click()
    expect_flash(page, "The service-need assessment has started.")
    expect(fact(page, "Phase")).to_have_text(_("Service-need assessment"))

    page.get_by_role("link", name=_("Open the client's record"), exact=True).click()
    expect(page).to_have_url(CLIENT_URL)
    return page.url


def check_overview(page: Page, client_url: str) -> None:
    """Step 1d: the client's record opens on the overview: her client, her case."""
    expect(page).to_have_url(client_url)
    expect(page.locator("main h1")).to_have_text(CLIENT_NAME)
    tabs = page.locator("main nav.tabs")
    expect(tabs.locator("a[aria-current=page]")).to_have_text(_("Overview"))
    expect(fact(page, "Identity code")).to_have_text(CLIENT_CODE)
    expect(page.locator("#responsible-worker > p").first).to_contain_text(f"{WORKER} ({_('you')})")


def add_members(page: Page, live_server: str, client_url: str) -> dict[str, str]:
    """Step 2a: four organisations from the directory; returns each member page's URL."""
    page.locator("main nav.tabs").get_by_role(
        "link", name=_("Network and information flows"), exact=True
    ).click()
    expect(page).to_have_url(client_url + "/network")
    expect(page.locator("main nav.tabs a[aria-current=page]")).to_have_text(
        _("Network and information flows")
    )
    expect(page.locator("main")).to_contain_text(
        _("Nobody is in the network yet. Add the first member below.")
    )
    expect(page.locator("main a[href*='/network/members/']")).to_have_count(0)

    today = helsinki_today().isoformat()
    for n, member in enumerate(MEMBERS, start=1):
        page.locator("#org-organisation").select_option(label=member.name)
        page.locator("#org-role").fill(member.role)
        expect(page.locator("#org-starts_on")).to_have_value(today)  # the default: today
        submit(page, "/network/organisations")
        expect(page).to_have_url(client_url + "/network")
        expect_flash(page, "The organisation was added to the network.")
        expect(page.locator("main a[href*='/network/members/']")).to_have_count(n)

    urls = {}
    for member in MEMBERS:
        link = page.locator("main table.list th[scope=row] a[href*='/network/members/']").filter(
            has_text=member.name
        )
        expect(link).to_have_count(1)
        row = link.locator("xpath=ancestor::tr")
        cells = row.locator("td")
        expect(cells.nth(0)).to_have_text(member.role)
        expect(cells.nth(3)).to_have_text(_("Active"))
        if member.needs_commitment:
            expect(cells.nth(4).locator("strong.missing")).to_have_text(_("Missing"))
        else:
            expect(cells.nth(4)).to_have_text(_("Not needed (authority)"))
        expect(cells.nth(5)).to_have_text("0")
        href = link.get_attribute("href") or ""
        assert href.startswith(client_url.removeprefix(live_server) + "/network/members/"), href
        urls[member.name] = live_server + href
    return urls


def agree_flows(page: Page, urls: dict[str, str], check: Callable[[Any], None]) -> None:
    """Step 2b: the NGO's confidentiality commitment, then one agreed flow per member."""
    today = helsinki_today()
    for member in MEMBERS:
        page.goto(urls[member.name])
        expect(page).to_have_url(MEMBER_URL)
        expect(page.locator("main .network-area h2")).to_have_text(member.name)
        expect(fact(page, "Kind")).to_have_text(_(member.kind))
        expect(fact(page, "Role in the network")).to_have_text(member.role)
        expect(page.locator("main")).to_contain_text(
            _("No information flows agreed with this member yet.")
        )
        if member.needs_commitment:
            expect(page.locator("main p.notice strong.missing")).to_have_text(_("Missing."))
            expect(page.locator("#commitment-committed_on")).to_have_value(today.isoformat())
            submit(page, "/confidentiality")
            expect(page).to_have_url(urls[member.name])
            expect_flash(page, "The confidentiality commitment was recorded.")
            expect(page.locator("main form[action$='/confidentiality']")).to_have_count(0)
            expect(page.locator("main h3#commitment + p")).to_contain_text(
                _("Given on %(date)s.", date=fi_date(today))
            )
        else:
            expect(page.locator("main h3#commitment + p")).to_have_text(
                _("Not needed: authorities are bound by confidentiality by law.")
            )

        page.locator("#flow-subject").fill(member.flow_subject)
        page.locator(f"input[name=flow-direction][value={member.flow_direction}]").check()
        page.locator(f"input[name=flow-channel][value={member.flow_channel}]").check()
        page.locator("#flow-practice").fill(member.flow_practice)
        expect(page.locator("#flow-agreed_on")).to_have_value(today.isoformat())
        page.locator("#flow-agreed_with_client").check()
        submit(page, "/flows")
        expect(page).to_have_url(urls[member.name])
        expect_flash(page, "The information-flow agreement was recorded.")
        flow = page.locator("main table.list tbody tr").filter(
            has=page.locator("th[scope=row]", has_text=member.flow_subject)
        )
        expect(flow).to_have_count(1)
        expect(flow.locator("td").nth(3)).to_contain_text(fi_date(today))
        expect(flow.locator("td").nth(2)).to_have_text(member.flow_practice)
        expect(flow.locator("td").nth(4)).to_contain_text(_("In force"))
        if member is NGO:
            check(page)  # the member page: commitment given, one agreement in force


def check_network(page: Page, client_url: str, check: Callable[[Any], None]) -> None:
    """Step 3b: the members, the picture (SVG) and its text equivalent list the flows."""
    page.goto(client_url + "/network")
    members = page.locator("main table.list th[scope=row] a[href*='/network/members/']")
    expect(members).to_have_count(4)
    for member in MEMBERS:
        row = page.locator("main table.list tbody tr").filter(
            has=page.locator("a[href*='/network/members/']", has_text=member.name)
        )
        expect(row.locator("td").nth(5)).to_have_text("1")  # one agreed flow each
        if member.needs_commitment:
            expect(row.locator("td").nth(4)).to_have_text(
                _("Given on %(date)s", date=fi_date(helsinki_today()))
            )

    svg = page.locator("main figure.network-picture svg[role=img]")
    expect(svg).to_have_count(1)
    expect(svg.locator("title").first).to_have_text(
        _("Support network of %(name)s", name=CLIENT_NAME)
    )
    nodes = svg.locator("g.member > title")
    expect(nodes).to_have_count(4)
    titles = [t.text_content() or "" for t in nodes.all()]
    for member in MEMBERS:
        assert f"{member.name} ({_(member.kind)})" in titles, titles

    text = page.locator("main table.network-text")
    expect(text.locator("caption")).to_have_text(_("The network picture in words"))
    expect(text.locator("tbody tr")).to_have_count(4)
    directions = {
        "to_member": "From the county to the member",
        "from_member": "From the member to the county",
        "both": "Both ways",
    }
    channels = {"platform": "Tukiverkko", "phone": "Phone", "meeting": "Meeting"}
    for member in MEMBERS:
        row = text.locator("tbody tr").filter(
            has=page.locator("th[scope=row]", has_text=member.name)
        )
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(0)).to_have_text(_(member.kind))
        expect(row.locator("td").nth(1)).to_have_text(member.role)
        expect(row.locator("ul.flows li")).to_have_text(
            f"{_(directions[member.flow_direction])} · {_(channels[member.flow_channel])}: "
            f"{member.flow_subject}"
        )
    check(page)  # the network page, four members and their flows


def record_consents(page: Page, client_url: str, check: Callable[[Any], None]) -> None:
    """Step 3a: written consents for the housing service, the NGO and Kela."""
    page.locator("main nav.tabs").get_by_role("link", name=_("Consents"), exact=True).click()
    expect(page).to_have_url(client_url + "/consents")
    expect(page.locator("main #consents-title")).to_have_text(_("Consents in force"))
    expect(page.locator("main")).to_contain_text(_("No consents in force."))

    for n, grant in enumerate(CONSENTS, start=1):
        page.locator("main .actions a.primary").click()
        expect(page).to_have_url(client_url + "/consents/new")
        expect(page.locator("main .consents-area h2").first).to_have_text(_("Record a consent"))
        expect(page.locator("main section.information-text h3")).not_to_be_empty()
        if n == 1:
            check(page)  # the consent form, with the information text
        option = page.locator("#member option").filter(has_text=grant.member.name)
        expect(option).to_have_count(1)
        expect(option).not_to_contain_text(_("no confidentiality commitment"))
        page.locator("#member").select_option(value=option.get_attribute("value"))
        page.locator(f"input[name=sections][value={grant.section}]").check()
        page.locator(f"input[name=direction][value={grant.direction}]").check()
        page.locator("#purpose_text").fill(grant.purpose)
        page.locator("input[name=given_how][value=written]").check()
        expect(page.locator("#valid_from")).to_have_value(helsinki_today().isoformat())
        page.locator("#information_shown").check()
        submit(page, "/consents/new")
        expect(page).to_have_url(client_url + "/consents")
        expect_flash(page, "Consent recorded for %(name)s.", name=grant.member.name)
        rows = page.locator("main section[aria-labelledby=consents-title] table.list tbody tr")
        expect(rows).to_have_count(n)


def check_matrix(page: Page, check: Callable[[Any], None]) -> None:
    """Step 3c: the matrix shows each consent in its member's row and section's column."""
    matrix = page.locator("main table.matrix")
    headers = [h.strip() for h in matrix.locator("thead th").all_inner_texts()]
    rows = matrix.locator("tbody tr")
    expect(rows).to_have_count(4)
    for grant in CONSENTS:
        row = rows.filter(has=page.locator("th .member-name", has_text=grant.member.name))
        expect(row).to_have_count(1)
        column = headers.index(_(grant.section_label)) - 1  # the first column is the member
        cells = row.locator("td")
        expect(cells.nth(column)).to_have_class("covered")
        coverage = cells.nth(column).locator(".coverage-consent")
        expect(coverage).to_have_count(1)
        expect(coverage.locator("strong")).to_have_text(_(grant.direction_label))
        expect(coverage).to_contain_text(_("consent"))
        expect(row.locator("td.covered")).to_have_count(1)  # only the section consented to
        expect(row.locator(".warning")).to_have_count(0)  # no missing commitment

    probation = rows.filter(has=page.locator("th .member-name", has_text=PROBATION.name))
    expect(probation.locator("td.covered")).to_have_count(0)  # nothing agreed: not shared
    expect(probation.locator("td .visually-hidden").first).to_have_text(_("Not shared"))

    in_force = page.locator("main section[aria-labelledby=consents-title] table.list tbody tr")
    for grant in CONSENTS:
        row = in_force.filter(has=page.locator("td", has_text=grant.member.name))
        expect(row).to_have_count(1)
        cells = row.locator("td")
        expect(cells.nth(1)).to_contain_text(_(grant.section_label))
        expect(cells.nth(2)).to_have_text(grant.purpose)
        expect(cells.nth(3)).to_contain_text(_("In force"))
        expect(cells.nth(4)).to_contain_text(_("In writing"))
        expect(cells.nth(4)).to_contain_text(_("Recorded by %(name)s", name=WORKER))
    check(page)  # the consents page: the matrix and the consents in force


def check_overview_network(page: Page, client_url: str, check: Callable[[Any], None]) -> None:
    """Step 4: back on the overview, the support network lists the four members."""
    page.locator("main nav.tabs").get_by_role("link", name=_("Overview"), exact=True).click()
    check_overview(page, client_url)
    network = page.locator("main section[aria-labelledby=support-network] table.list tbody")
    expect(network.locator("tr")).to_have_count(4)
    for member in MEMBERS:
        row = network.locator("tr").filter(has=page.locator("th[scope=row]", has_text=member.name))
        expect(row.locator("td").nth(0)).to_have_text(_(member.kind))
        expect(row.locator("td").nth(1)).to_have_text(member.role)
    check(page)  # the overview, with the network


def test_caseworker_takes_client_from_notification_to_network(
    page: Page, live_server: str, assert_accessible: Callable[[Any], None]
) -> None:
    sign_in(page, "sosiaalityo.aino")
    expect(page).to_have_url(live_server + "/caseworker/")
    expect(page.locator("main h1")).to_contain_text(demo.COUNTY_A)

    before = record_notification(page, live_server, assert_accessible)
    find_in_queue(page, live_server, before, assert_accessible)
    client_url = assign_to_me(page, before, assert_accessible)
    check_overview(page, client_url)

    urls = add_members(page, live_server, client_url)
    agree_flows(page, urls, assert_accessible)
    check_network(page, client_url, assert_accessible)

    page.goto(client_url)
    record_consents(page, client_url, assert_accessible)
    check_matrix(page, assert_accessible)
    check_overview_network(page, client_url, assert_accessible)
