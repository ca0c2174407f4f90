"""Issue 15: a partner ticks its release-checklist task done with a note, and the responsible
worker sees it at once on the client's checklist, on the dashboard and in the updates list.

The demo's housing service (asuminen.anna) is responsible for the housing application of
Aino's clients in the release phase (the plan names it for Housing), left open by the seed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from .test_caseworker_journey import _
from .test_portals import DemoClient, own_clients, partner_row
from .test_roles import sign_in

NOTE = "Asuntohakemus jätetty Esimerkkilän vuokrataloille (kuvitteellinen)"


def housing_task(anna: Page, live_server: str, candidates: list[DemoClient]) -> DemoClient:
    """The first of Aino's clients whose open housing application is Anna's to tick."""
    for client in candidates:
        if not partner_row(anna, client.name).count():
            continue
        anna.goto(f"{live_server}/partner/clients/{client.id}")
        task = anna.locator("main li.partner-task").filter(has_text=_("Housing application"))
        if task.locator("form").count():
            return client
    raise AssertionError("no demo client with an open housing application for the partner")


def test_a_partner_ticks_its_task_done_and_the_worker_sees_it(
    new_page: Callable[[], Page], live_server: str, assert_accessible: Callable[[Any], None]
) -> None:
    aino = new_page()
    sign_in(aino, "sosiaalityo.aino")
    candidates = own_clients(aino, live_server, "release")
    anna = new_page()
    sign_in(anna, "asuminen.anna")
    expect(anna).to_have_url(live_server + "/partner/")
    client = housing_task(anna, live_server, candidates)

    # The partner's part: its task and whom to contact at the county (the release day only
    # where the release transition is shared with it, which the demo's housing service is not).
    main = anna.locator("main")
    expect(main.locator("h2#work-heading")).to_have_text(_("Your organisation's part"))
    summary = main.locator("section.partner-work dl.summary")
    expect(summary.locator("dt")).to_have_text([_("Responsible worker")])
    expect(summary.locator("dd")).to_contain_text("Aino Esimerkki (demo)")
    assert_accessible(anna)

    task = main.locator("li.partner-task").filter(has_text=_("Housing application"))
    task.get_by_label(_("Done"), exact=True).check()
    task.get_by_label(_("Note for the responsible worker")).fill(NOTE)
    task.get_by_role("button", name=_("Send the task's state")).click()
    expect(anna.locator("main .flash-info[role=status]")).to_have_text(
        _("The task's state was sent to the client's responsible worker.")
    )
    ticked = anna.locator("main li.partner-task").filter(has_text=_("Housing application"))
    expect(ticked.locator("strong")).to_have_text(_("Done"))
    expect(ticked.locator("form")).to_have_count(0)

    # The worker sees it at once: on the checklist, with the note and who reported it.
    aino.goto(f"{client.url}/release")
    row = aino.locator("main table.checklist tbody tr").filter(
        has=aino.locator("th[scope=row]", has_text=_("Housing application"))
    )
    expect(row.locator("td").nth(2)).to_contain_text(_("Done"))
    report = row.locator(".task-report")
    expect(report).to_contain_text(NOTE)
    expect(report).to_contain_text("Esimerkkilän asumispalvelut (demo)")
    assert_accessible(aino)

    # ... on the dashboard, and in the client's updates, where it is acknowledged.
    aino.goto("/caseworker/")
    expect(aino.locator("main ul.updates")).to_contain_text(NOTE)
    aino.goto(f"{client.url}/updates")
    update = aino.locator("main li.record-update").filter(has_text=NOTE)
    expect(update.locator("h3")).to_contain_text(_("Task done"))
    assert_accessible(aino)
    update.get_by_role("button").click()
    expect(aino.locator("main .flash-info[role=status]")).to_have_text(_("Update acknowledged."))
    acknowledged = aino.locator("main li.record-update").filter(has_text=NOTE)
    expect(acknowledged.locator("p.acknowledged")).to_contain_text("Aino Esimerkki (demo)")
