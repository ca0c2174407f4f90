"""Issue 6's acceptance: one fictional client from an agreed network to a closed case.

The caseworker (sosiaalityo.aino) works with JavaScript OFF throughout. She builds the
agreed network quickly with the issue-5 journey's own steps (a notification, assignment,
four members with one agreed flow each, consents for the housing service, the NGO and
Kela), then:

1. writes the client plan: the plan's review date and two sections (housing, livelihood)
   with goals in the client's words, measures, a responsible member, "agreed";
2. previews "View as …" the housing service: the housing section only;
3. opens the printable plan: a clean page without navigation;
4. creates the release-day checklist from the dates, gives one item to the housing
   service and marks another done;
5. records a review with notes and the next date (within the reminder window);
6. checks that her dashboard counts the client and that a number links to its list;
7. records the housing service's ending with the client (membership kept for now), while
   the housing partner (asuminen.anna, a separate browser context) still sees the housing
   section of the client's plan and nothing else;
8. closes the case with a summary and the confirmation page.

After closure the housing partner's next page load says access has ended and shows
nothing, her home no longer lists the client, and no other partner organisation of the
network can read anything either. axe-core runs on every distinct page first visited here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Locator, Page, expect

from app.i18n import helsinki_today
from app.intake import identity_code

from . import test_caseworker_journey as journey
from .test_caseworker_journey import (
    CATALOGUE,
    CLIENT_URL,
    HOUSING,
    KELA,
    MEMBERS,
    NGO,
    PROBATION,
    WORKER,
    _,
    add_members,
    agree_flows,
    assign_to_me,
    fact,
    fi_date,
    find_in_queue,
    record_consents,
    record_notification,
    submit,
)
from .test_roles import sign_in

# Not the issue-5 journey's client: both tests run against one seeded server.
CLIENT_NAME = "Polku Päättäjä (fictional)"
# Born outside the demo's 1970–2004 range; individual numbers 900–999 are for fictional people.
CLIENT_CODE = identity_code.make(date(1962, 9, 23), 941)
HOUSING_PARTNER = "asuminen.anna"
# The other partner organisations of the network, and their demo users.
OTHER_PARTNERS = {
    PROBATION.name: "rise.riikka",
    KELA.name: "kela.kalle",
    NGO.name: "jarjesto.jussi",
}

HOUSING_GOALS = "“I want my own flat where I can live in peace, near my sister.” (fictional)"
REVIEW_CLIENT_VIEW = "Haen asuntoja joka viikko, yksi näyttö on sovittu. (fictional)"
HOUSING_MEASURES = (
    "Apply for a rental flat now; the housing adviser visits the flat with the client."
)
HOUSING_VIEW = "“A flat of my own first, then everything else.”"
LIVELIHOOD_GOALS = "“I want money for food and rent from the first day out.” (fictional)"
LIVELIHOOD_MEASURES = "Send the application for basic social assistance to Kela a month before."
REVIEW_NOTES = "Fictional review: the flat viewing is booked; the Kela application is ready."
ENDING_CLIENT_VIEW = "“I have my flat now and I can manage the rent myself.” (fictional)"
ENDING_ASSESSMENT = "The housing is secured; the adviser's support can end with the client."
CLOSING_SUMMARY = (
    "Fictional: housing and income are secured and the client manages on his own; "
    "multi-agency work is no longer needed."
)
CLOSING_EARLY_REASON = "Fictional: the client moves abroad before the release day."


def public(member: journey.Member) -> str:
    """A member as the plan's and the checklist's choices name it: organisation (kind)."""
    return f"{member.name} ({_(member.kind)})"


def expect_message(page: Page, msgid: str, **values: Any) -> None:
    """The one flash message of the page (info or success), in Finnish."""
    expect(page.locator("main .flash[role=status]")).to_have_text(_(msgid, **values))


def first_int(locator: Locator) -> int:
    found = re.search(r"\d+", locator.inner_text())
    assert found, f"no number in {locator.inner_text()!r}"
    return int(found.group())


def find_row(page: Page, rows_selector: str, has_text: str) -> Locator:
    """The one row that contains ``has_text``, following the list's "next" pages."""
    while True:
        row = page.locator(rows_selector).filter(has_text=has_text)
        if row.count():
            expect(row).to_have_count(1)
            return row
        following = page.locator("main nav.pagination a[rel=next]")
        assert following.count() == 1, f"{has_text!r} is not in the list at {page.url}"
        following.click()


def absent_from_every_page(page: Page, selector: str) -> None:
    """``selector`` matches nothing on this list page or any of its following pages."""
    while True:
        expect(page.locator(selector)).to_have_count(0)
        following = page.locator("main nav.pagination a[rel=next]")
        if following.count() == 0:
            return
        following.click()


def open_tab(page: Page, client_url: str, msgid: str, path: str) -> None:
    page.locator("main nav.tabs").get_by_role("link", name=_(msgid), exact=True).click()
    expect(page).to_have_url(client_url + path)
    expect(page.locator("main nav.tabs a[aria-current=page]")).to_have_text(_(msgid))


def dashboard_counts(page: Page) -> dict[str, int]:
    """The numbers of the worker's dashboard: clients by phase (by label) and the others."""
    page.goto("/caseworker/")
    counts = {}
    for row in page.locator("main table.counts tbody tr").all():
        counts[f"phase:{row.locator('th').inner_text().strip()}"] = first_int(row.locator("a"))
    counts.update(
        clients=first_int(page.locator("main a.count[href='/caseworker/dashboard/clients']")),
        releases_7=first_int(page.locator("main a[href$='/releases?within=7'] strong")),
        releases_30=first_int(page.locator("main a[href$='/releases?within=30'] strong")),
        releases_90=first_int(page.locator("main a[href$='/releases?within=90'] strong")),
        overdue=first_int(page.locator("main a[href$='/dashboard/overdue'] strong")),
        reviews=first_int(page.locator("main a[href$='/dashboard/reviews'] strong")),
        consents=first_int(page.locator("main a[href$='/dashboard/consents'] strong")),
    )
    return counts


# --------------------------------------------------------------------------- the network


def agreed_network(page: Page, live_server: str) -> str:
    """The issue-5 journey's steps without its accessibility checks (its own test runs them)."""

    def skip(_page: Any) -> None:
        return None

    before = record_notification(page, live_server, skip)
    find_in_queue(page, live_server, before, skip)
    client_url = assign_to_me(page, before, skip)
    urls = add_members(page, live_server, client_url)
    agree_flows(page, urls, skip)
    page.goto(client_url)
    record_consents(page, client_url, skip)
    return client_url


# --------------------------------------------------------------------------- the plan


def write_plan(page: Page, client_url: str, check: Callable[[Any], None]) -> date:
    """The plan's review date and two agreed sections; returns the review date."""
    open_tab(page, client_url, "Client plan", "/plan")
    expect(page.locator("main")).to_contain_text(
        _("The plan has no sections yet. Add the sections the client needs.")
    )
    review_on = helsinki_today() + timedelta(days=30)
    page.locator("#review_on").fill(review_on.isoformat())
    page.locator("main form[action$='/plan/review'] button[type=submit]").click()
    expect(page).to_have_url(client_url + "/plan")
    expect_message(page, "The plan's review date was saved.")
    expect(page.locator("main section[aria-labelledby=plan-review]")).to_contain_text(
        _("The plan is next reviewed on %(day)s.", day=fi_date(review_on))
    )

    sections = (
        ("housing", "Housing", HOUSING, HOUSING_GOALS, HOUSING_MEASURES, HOUSING_VIEW),
        ("livelihood", "Livelihood and Kela", KELA, LIVELIHOOD_GOALS, LIVELIHOOD_MEASURES, ""),
    )
    for n, (kind, label, responsible, goals, measures, client_view) in enumerate(sections):
        page.locator("main ul.plan-add a").filter(
            has_text=re.compile(rf"^{re.escape(_(label))}$")
        ).click()
        expect(page).to_have_url(f"{client_url}/plan/sections/{kind}")
        expect(page.locator("main h2")).to_have_text(
            _("Client plan: %(section)s", section=_(label))
        )
        expect(page.locator("main #section-edit")).to_have_text(_("Add the section"))
        expect(page.locator("main #section-history + p")).to_have_text(_("Not saved yet."))
        if n == 0:
            check(page)  # the section form, empty
        page.locator("#goals").fill(goals)
        page.locator("#measures").fill(measures)
        page.locator("#responsible").get_by_label(public(responsible), exact=True).check()
        page.locator("#client_view").fill(client_view)
        page.locator("input[name=agreement][value=agreed]").check()
        submit(page, f"/plan/sections/{kind}")
        expect(page).to_have_url(f"{client_url}/plan#section-{kind}")
        expect_message(page, "%(section)s saved as version %(n)d.", section=_(label), n=1)
        article = page.locator(f"main article#section-{kind}")
        facts = article.locator("dl.plan-facts")
        expect(facts.locator("dd").nth(0)).to_have_text(goals)
        expect(facts.locator("dd").nth(1)).to_have_text(measures)
        expect(facts.locator("dd").nth(2)).to_have_text(responsible.name)
        expect(facts.locator("dd").nth(5)).to_have_text(_("Agreed with the client"))
        expect(article.locator("p.hint")).to_contain_text(WORKER)

    expect(page.locator("main article.plan-section")).to_have_count(2)
    page.goto(client_url + "/plan")  # without the #fragment, which the axe check cannot follow
    check(page)  # the plan: review date and two sections
    return review_on


def view_as_housing(page: Page, client_url: str, check: Callable[[Any], None]) -> None:
    """The "View as …" preview of the housing service: housing, never livelihood."""
    page.locator("#view-as-member").select_option(label=public(HOUSING))
    page.locator("main form[action$='/plan/view-as'] button[type=submit]").click()
    expect(page).to_have_url(
        re.compile(re.escape(client_url) + r"/plan/view-as\?member=[0-9a-f-]{36}$")
    )
    expect(page.locator("main #preview-title")).to_have_text(
        _("What %(member)s sees now", member=public(HOUSING))
    )
    expect(fact(page, "Whose plan")).to_have_text(CLIENT_NAME)
    housing = page.locator("main section.plan-preview article").filter(
        has=page.locator("h4", has_text=_("Housing"))
    )
    expect(housing).to_have_count(1)
    expect(housing).not_to_have_class(re.compile(r"not-shared"))
    expect(housing.locator("p.shared-state")).to_have_text(_("Shared."))
    expect(housing.locator("dd").nth(0)).to_have_text(HOUSING_GOALS)
    expect(housing.locator("dd").nth(1)).to_have_text(HOUSING_MEASURES)
    livelihood = page.locator("main section.plan-preview article").filter(
        has=page.locator("h4", has_text=_("Livelihood and Kela"))
    )
    expect(livelihood).to_have_class(re.compile(r"\bnot-shared\b"))
    expect(livelihood.locator("p.shared-state")).to_have_text(
        _("Not shared:") + " " + _("The client's consent does not cover this section.")
    )
    main = page.locator("main")
    for secret in (LIVELIHOOD_GOALS, LIVELIHOOD_MEASURES):
        expect(main).not_to_contain_text(secret)
    check(page)  # the preview


def printable_plan(
    page: Page, client_url: str, review_on: date, check: Callable[[Any], None]
) -> None:
    """The print for the client: plain language, both sections, no navigation at all."""
    page.goto(client_url + "/plan")
    page.locator("main section[aria-labelledby=plan-print] a[hreflang=fi]").click()
    expect(page).to_have_url(client_url + "/plan/print?lang=fi")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.locator("main h1")).to_have_text(_("Your plan"))
    for absent in ("nav", "header.site-header", "footer", "form", "nav.tabs"):
        expect(page.locator(absent)).to_have_count(0)
    expect(page.locator("a")).to_have_count(1)  # only "back", hidden when printed
    expect(page.locator("p.screen-only a")).to_have_text(_("Back to the client plan"))
    facts = page.locator("main dl.print-facts")
    expect(facts.locator("dd").nth(0)).to_have_text(CLIENT_NAME)
    expect(facts.locator("dd").nth(1)).to_contain_text(WORKER)
    expect(facts.locator("dd").nth(3)).to_have_text(fi_date(review_on))
    sections = page.locator("main section.print-section")
    expect(sections).to_have_count(2)
    expect(sections.nth(0).locator("h2")).to_have_text(_("Housing"))
    expect(sections.nth(0)).to_contain_text(HOUSING_GOALS)
    expect(sections.nth(0)).to_contain_text(HOUSING_VIEW)
    expect(sections.nth(0).locator("ul li")).to_have_text(HOUSING.name)
    expect(sections.nth(0).locator("p.print-state")).to_have_text(
        _("You and your worker have agreed on this part.")
    )
    expect(sections.nth(1).locator("h2")).to_have_text(_("Livelihood and Kela"))
    expect(sections.nth(1)).to_contain_text(LIVELIHOOD_GOALS)
    check(page)  # the print
    page.locator("p.screen-only a").click()
    expect(page).to_have_url(client_url + "/plan")


# --------------------------------------------------------------------------- release day


def release_day(page: Page, client_url: str, check: Callable[[Any], None]) -> int:
    """The checklist from the dates and the plan; one item given to the NGO, one done.

    Returns the number of items still open and overdue.
    """
    open_tab(page, client_url, "Release day", "/release")
    expect(page.locator("main #checklist + p")).to_have_text(_("No checklist yet."))
    page.locator("main form[action$='/release/generate'] button.primary").click()
    expect(page).to_have_url(client_url + "/release")
    rows = page.locator("main table.checklist tbody tr")
    expect(rows.first).to_be_visible()
    total = rows.count()
    expect_message(
        page,
        "Checklist updated: %(added)d tasks added, %(updated)d due dates updated.",
        added=total,
        updated=0,
    )

    def row(task: str) -> Locator:
        found = rows.filter(has=page.locator("th[scope=row]", has_text=_(task)))
        expect(found).to_have_count(1)
        return found

    # Each generated item goes to whom the plan names responsible for its area, else the worker.
    for task, responsible in (
        ("Housing application", HOUSING.name),
        ("Application for basic social assistance (Kela)", KELA.name),
        ("Bank account and online banking codes", KELA.name),
        ("Identity card or passport", WORKER),
        ("First meeting after release", WORKER),
    ):
        expect(row(task).locator("td").nth(1)).to_have_text(responsible)
        expect(row(task).locator("td").nth(2)).to_have_text(_("Open"))
    # Applied for three months before release day, which is 45 days away: overdue already.
    expect(row("Housing application").locator("td strong.overdue")).to_have_text(_("Overdue"))
    check(page)  # the checklist, fresh from the dates

    # The identity card: the NGO's support person helps, by a date of the worker's choosing.
    due = helsinki_today() + timedelta(days=20)
    row("Identity card or passport").locator("td.actions a").click()
    expect(page).to_have_url(re.compile(re.escape(client_url) + r"/release/items/[0-9a-f-]{36}$"))
    item_url = page.url
    expect(page.locator("main h2")).to_have_text(_("Identity card or passport"))
    expect(fact(page, "Responsible")).to_have_text(WORKER)
    check(page)  # an item
    page.locator("#item-responsible").select_option(label=public(NGO))
    page.locator("#item-due_on").fill(due.isoformat())
    submit(page, urlparse(item_url).path)
    expect(page).to_have_url(client_url + "/release")
    expect_message(page, "Item saved.")
    expect(row("Identity card or passport").locator("td").nth(0)).to_have_text(fi_date(due))
    expect(row("Identity card or passport").locator("td").nth(1)).to_have_text(NGO.name)

    # The bank account: done.
    row("Bank account and online banking codes").locator("form[action$='/done'] button").click()
    expect(page).to_have_url(client_url + "/release")
    expect_message(page, "Marked done.")
    done = row("Bank account and online banking codes")
    expect(done.locator("td").nth(2)).to_contain_text(_("Done"))
    expect(done.locator("td").nth(2)).to_contain_text(WORKER)
    expect(done.locator("form[action$='/done']")).to_have_count(0)
    expect(page.locator("main form[action$='/done']")).to_have_count(total - 1)
    overdue = page.locator("main table.checklist tbody td strong.overdue").count()
    assert overdue >= 1
    return overdue


# --------------------------------------------------------------------------- follow-up


def record_review(page: Page, client_url: str, check: Callable[[Any], None]) -> date:
    """A review held today with the housing service; the next one within the reminder window."""
    open_tab(page, client_url, "Follow-up", "/reviews")
    expect(page.locator("main")).to_contain_text(_("No reviews recorded yet."))
    today = helsinki_today()
    following = today + timedelta(days=10)
    expect(page.locator("#review-held_on")).to_have_value(today.isoformat())
    expect(page.locator("#review-client_took_part")).to_be_checked()
    page.locator("main fieldset.participants").get_by_label(public(HOUSING), exact=True).check()
    page.locator("#review-notes").fill(REVIEW_NOTES)
    # Each written goal of the plan is assessed; Livelihood is left "not assessed".
    goals = page.locator("main fieldset.review-goal")
    expect(goals.locator("> legend")).to_have_text([_("Housing"), _("Livelihood and Kela")])
    expect(goals.first).to_contain_text(HOUSING_GOALS)
    goals.first.get_by_label(_("In progress"), exact=True).check()
    goals.first.locator("textarea").fill(REVIEW_CLIENT_VIEW)
    page.locator("#review-next_review_on").fill(following.isoformat())
    submit(page, "/reviews")
    expect(page).to_have_url(client_url + "/reviews")
    expect_message(page, "Review recorded. The plan's review date was updated.")
    expect(fact(page, "Next review")).to_have_text(f"{fi_date(following)} – {_('Due soon')}")
    reviews = page.locator("main section[aria-labelledby=review-list] table.list tbody tr")
    expect(reviews).to_have_count(1)
    expect(reviews.locator("th")).to_have_text(fi_date(today))
    expect(reviews.locator("td").nth(0)).to_contain_text(_("The client"))
    expect(reviews.locator("td").nth(0)).to_contain_text(public(HOUSING))
    assessed = reviews.locator("td").nth(1)
    expect(assessed).to_contain_text(f"{_('Housing')}: {_('In progress')}")
    expect(assessed).to_contain_text(REVIEW_CLIENT_VIEW)
    expect(assessed).not_to_contain_text(_("Livelihood and Kela"))
    expect(reviews.locator("td").nth(2)).to_have_text(REVIEW_NOTES)
    expect(reviews.locator("td").nth(3)).to_have_text(fi_date(following))
    expect(reviews.locator("td").nth(4)).to_contain_text(WORKER)
    check(page)  # follow-up, with one review

    # The review date of the plan follows the review.
    open_tab(page, client_url, "Client plan", "/plan")
    expect(page.locator("main section[aria-labelledby=plan-review]")).to_contain_text(
        _("The plan is next reviewed on %(day)s.", day=fi_date(following))
    )
    return following


# --------------------------------------------------------------------------- dashboard


def check_dashboard(
    page: Page,
    before: dict[str, int],
    phase: str,
    overdue: int,
    following: date,
    check: Callable[[Any], None],
) -> None:
    """The client shows in the worker's numbers, and each number leads to its list."""
    after = dashboard_counts(page)
    expected = dict(before)
    expected.update(
        {f"phase:{phase}": before[f"phase:{phase}"] + 1},
        clients=before["clients"] + 1,
        releases_90=before["releases_90"] + 1,  # 45 days from now
        overdue=before["overdue"] + overdue,
        reviews=before["reviews"] + 1,  # within the 14-day reminder window
    )
    assert after == expected, {k: (before[k], after[k]) for k in after if after[k] != before[k]}
    check(page)  # the dashboard

    # Releases within 90 days: the client, with what is still open for release day.
    link = page.locator("main a[href$='/releases?within=90']")
    link.click()
    expect(page).to_have_url(re.compile(r"/caseworker/dashboard/releases\?within=90$"))
    expect(page.locator("main p.total")).to_contain_text(str(after["releases_90"]))
    row = find_row(page, "main table.list tbody tr", CLIENT_NAME)
    expect(row.locator("th a")).to_have_text(CLIENT_NAME)
    expect(row.locator("td").nth(0)).to_contain_text(fi_date(helsinki_today() + timedelta(days=45)))
    still_open = row.locator("td").nth(1)
    expect(still_open).to_contain_text(_("Housing application"))
    expect(still_open).to_contain_text(_("Identity card or passport"))
    expect(still_open).not_to_contain_text(_("Bank account and online banking codes"))  # done
    check(page)  # the releases list

    # Reviews due: the client, for the date the review set.
    page.goto("/caseworker/")
    page.locator("main a[href$='/dashboard/reviews']").click()
    expect(page).to_have_url(re.compile(r"/caseworker/dashboard/reviews$"))
    row = find_row(page, "main table.list tbody tr", CLIENT_NAME)
    expect(row).to_contain_text(fi_date(following))
    check(page)  # the reviews-due list
    row.locator("a").filter(has_text=CLIENT_NAME).first.click()
    expect(page).to_have_url(re.compile(r"/caseworker/clients/[0-9a-f-]{36}(/[a-z/-]*)?$"))
    expect(page.locator("main h1")).to_have_text(CLIENT_NAME)


# --------------------------------------------------------------------------- the partner


def partner_sees_housing(
    partner: Page, live_server: str, client_id: str, check: Callable[[Any], None]
) -> str:
    """Before closing: the housing partner's home lists the client; the housing section only."""
    sign_in(partner, HOUSING_PARTNER)
    expect(partner).to_have_url(live_server + "/partner/")
    expect(partner.locator("main h1")).to_have_text(HOUSING.name)
    check(partner)  # the partner's home
    row = find_row(partner, "main table.shared-clients tbody tr", CLIENT_NAME)
    expect(row.locator("th a")).to_have_text(CLIENT_NAME)
    expect(row.locator("td").nth(0).locator("li")).to_have_text([_("Housing")])
    row.locator("th a").click()
    client_path = f"/partner/clients/{client_id}"
    expect(partner).to_have_url(live_server + client_path)
    expect(partner.locator("main h1")).to_have_text(CLIENT_NAME)
    shown = partner.locator("main section.shared-section")
    expect(shown).to_have_count(1)
    expect(shown.locator("h2")).to_have_text(_("Housing"))
    content = shown.locator("dl.section-content")
    expect(content).to_contain_text(HOUSING_GOALS)
    expect(content).to_contain_text(HOUSING_MEASURES)
    expect(content).to_contain_text(HOUSING_VIEW)
    for secret in (LIVELIHOOD_GOALS, LIVELIHOOD_MEASURES, REVIEW_NOTES, ENDING_CLIENT_VIEW):
        expect(partner.locator("body")).not_to_contain_text(secret)
    check(partner)  # the partner's shared view
    return client_path


def partner_reads_nothing(partner: Page, client_path: str, check: Callable[[Any], None]) -> None:
    """After closing: the next page load says access has ended; home does not list the client."""
    response = partner.reload()
    assert response is not None and response.status == 403, response and response.status
    expect(partner.locator("main h1")).to_have_text(_("Access has ended"))
    expect(partner.locator("main")).to_contain_text(
        _("Your organisation's access to this client's information has ended.")
    )
    body = partner.locator("body")
    for secret in (CLIENT_NAME, HOUSING_GOALS, HOUSING_MEASURES, HOUSING_VIEW):
        expect(body).not_to_contain_text(secret)
    expect(partner.locator("main section.shared-section")).to_have_count(0)
    check(partner)  # the access-has-ended page

    partner.locator("main a[href='/partner/']").click()
    expect(partner.locator("main h1")).to_have_text(HOUSING.name)
    expect(partner.locator("main")).not_to_contain_text(CLIENT_NAME)
    absent_from_every_page(partner, f"main a[href='{client_path}']")


def no_partner_reads_anything(new_page: Callable[[], Page], client_path: str) -> None:
    """Every other partner organisation of the network: nothing listed, nothing to read."""
    for organisation, username in OTHER_PARTNERS.items():
        partner = new_page()
        sign_in(partner, username)
        expect(partner.locator("main h1")).to_have_text(organisation)
        absent_from_every_page(partner, f"main a[href='{client_path}']")
        response = partner.goto(client_path)
        assert response is not None and response.status in (403, 404), (
            username,
            response and response.status,
        )
        body = partner.locator("body")
        for secret in (CLIENT_NAME, HOUSING_GOALS, LIVELIHOOD_GOALS, LIVELIHOOD_MEASURES):
            expect(body).not_to_contain_text(secret)
        expect(partner.locator("main section.shared-section")).to_have_count(0)


# --------------------------------------------------------------------------- ending


def end_housing_service(page: Page, client_url: str, check: Callable[[Any], None]) -> None:
    """The housing service's ending, assessed with the client; its membership continues."""
    open_tab(page, client_url, "Ending", "/ending")
    services = page.locator("main section[aria-labelledby=services-heading] tbody tr")
    expect(services).to_have_count(len(MEMBERS))
    expect(page.locator("main")).to_contain_text(_("No endings recorded yet."))
    check(page)  # the ending page, nothing ended
    housing = services.filter(has=page.locator("th", has_text=HOUSING.name))
    housing.locator("a[href*='/ending/members/']").click()
    expect(page).to_have_url(re.compile(re.escape(client_url) + r"/ending/members/[0-9a-f-]{36}$"))
    expect(page.locator("main h2")).to_have_text(
        _("End a service: %(service)s", service=HOUSING.name)
    )
    expect(page.locator("#ended_on")).to_have_value(helsinki_today().isoformat())
    check(page)  # one service's ending
    page.locator("#client_view").fill(ENDING_CLIENT_VIEW)
    page.locator("#worker_assessment").fill(ENDING_ASSESSMENT)
    page.locator("input[name=client_agreed][value=yes]").check()
    page.locator("input[name=membership][value=keep]").check()
    page.locator("main form.narrow button[type=submit].primary").click()
    expect(page).to_have_url(client_url + "/ending#endings")
    expect_message(page, "The ending was recorded. The membership continues, as you chose.")
    ending = page.locator("main article.ending")
    expect(ending).to_have_count(1)
    expect(ending.locator("h3")).to_have_text(HOUSING.name)
    expect(ending).to_contain_text(ENDING_CLIENT_VIEW)
    expect(ending).to_contain_text(ENDING_ASSESSMENT)
    expect(ending).to_contain_text(_("Kept: the member continues in the network."))


def close_case(page: Page, client_url: str, check: Callable[[Any], None]) -> None:
    """The confirmation says what closing does; closing ends every membership and seal."""
    page.locator("main section[aria-labelledby=close-heading] a.button").click()
    expect(page).to_have_url(client_url + "/ending/close")
    expect(page.locator("main h2")).to_have_text(_("Close the case?"))
    effects = page.locator("main ul.closing-effects > li")
    expect(effects).to_have_count(5)
    seals = first_int(effects.nth(0))
    assert seals > 0, "members read parts of the plan now: their seals exist before closing"
    for member in MEMBERS:  # the housing membership was kept: closing ends it too
        expect(effects.nth(1)).to_contain_text(member.name)
    expect(effects.nth(2)).to_contain_text(
        CATALOGUE.ngettext(
            "%(num)d consent is in force now.", "%(num)d consents are in force now.", 3
        )
        % {"num": 3}
    )
    still_open = page.locator("main input[name=end_with_case]")
    expect(still_open).to_have_count(len(MEMBERS) - 1)  # all but the housing service
    check(page)  # the confirmation page

    # The release day is 45 days away and checklist items are open: closing warns, asks why.
    expect(page.locator("main section.close-warnings li")).to_have_count(2)
    page.locator("#summary").fill(CLOSING_SUMMARY)
    page.locator("#early_reason").fill(CLOSING_EARLY_REASON)
    for member in (PROBATION, KELA, NGO):
        page.get_by_label(
            _("End with the case: %(member)s", member=member.name), exact=True
        ).check()
    submit(page, "/ending/close")
    expect(page).to_have_url(client_url + "/ending")
    expect_message(
        page,
        "The case was closed. All sharing ended at once: no network member can read anything "
        "about the client any more.",
    )
    expect(page.locator("main #closed-heading")).to_have_text(_("The case is closed"))
    expect(fact(page, "Reason and summary")).to_have_text(CLOSING_SUMMARY)
    expect(fact(page, "Why it closed before the release transition was over")).to_have_text(
        CLOSING_EARLY_REASON
    )
    expect(fact(page, "Memberships ended by the closing")).to_have_text(str(len(MEMBERS)))
    expect(fact(page, "Key seals held by network members now")).to_have_text("0")
    expect(page.locator("main article.ending")).to_have_count(len(MEMBERS))
    expect(page.locator("main a[href$='/ending/close']")).to_have_count(0)
    check(page)  # the closed case's ending page


def closed_dashboard(page: Page, client_url: str, before: dict[str, int], phase: str) -> None:
    """The closed case stays among the worker's clients, as closed, and reminds of nothing."""
    page.goto(client_url)
    closed = page.locator("main p.client-facts").inner_text().split(" · ")[0].strip()
    assert closed != phase, closed
    after = dashboard_counts(page)
    expected = dict(before)
    expected.update(
        {f"phase:{closed}": before[f"phase:{closed}"] + 1}, clients=before["clients"] + 1
    )
    assert after == expected, {k: (before[k], after[k]) for k in after if after[k] != before[k]}


# --------------------------------------------------------------------------- the test


def test_client_from_agreed_network_through_plan_and_release_to_closure(
    new_page: Callable[[], Page],
    live_server: str,
    assert_accessible: Callable[[Any], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The issue-5 steps read the client's identity from their module: use this test's client.
    monkeypatch.setattr(journey, "CLIENT_NAME", CLIENT_NAME)
    monkeypatch.setattr(journey, "CLIENT_CODE", CLIENT_CODE)

    page = new_page()
    sign_in(page, "sosiaalityo.aino")
    expect(page).to_have_url(live_server + "/caseworker/")
    before = dashboard_counts(page)  # the worker's numbers before this client

    client_url = agreed_network(page, live_server)
    match = CLIENT_URL.search(client_url)
    assert match, client_url
    client_id = match.group(1)
    page.goto(client_url)
    phase = page.locator("main p.client-facts").inner_text().split(" · ")[0].strip()

    review_on = write_plan(page, client_url, assert_accessible)
    view_as_housing(page, client_url, assert_accessible)
    printable_plan(page, client_url, review_on, assert_accessible)
    overdue = release_day(page, client_url, assert_accessible)
    page.goto(client_url)
    following = record_review(page, client_url, assert_accessible)
    check_dashboard(page, before, phase, overdue, following, assert_accessible)

    page.goto(client_url)
    end_housing_service(page, client_url, assert_accessible)

    # Right before closing, the housing partner still reads the housing section.
    partner = new_page()
    client_path = partner_sees_housing(partner, live_server, client_id, assert_accessible)

    close_case(page, client_url, assert_accessible)
    closed_dashboard(page, client_url, before, phase)

    # After closing: no partner can read anything.
    partner_reads_nothing(partner, client_path, assert_accessible)
    no_partner_reads_anything(new_page, client_path)
