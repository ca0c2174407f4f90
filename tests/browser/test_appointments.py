"""Issue 17: the worker books a network meeting on either side of the spring clock change,
downloads each as an .ics file, and a calendar parser (icalendar's) reads the same Helsinki
wall-clock time with the right UTC instant; the client then sees them on "My page" and
confirms one.

The client is the demo's asiakas.demo1 (county A's first client: Aino is responsible).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from playwright.sync_api import Page, expect

from .test_caseworker_journey import _
from .test_portals import DemoClient, own_clients
from .test_roles import sign_in

HELSINKI = ZoneInfo("Europe/Helsinki")
CLIENT = "asiakas.demo1"


def next_spring_change(today: date) -> date:
    """The next last Sunday of March after ``today`` (when Finland moves to summer time)."""
    year = today.year if today < date(today.year, 3, 20) else today.year + 1
    day = date(year, 3, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def book(aino: Page, client: DemoClient, day: date) -> None:
    aino.goto(f"{client.url}/appointments")
    form = aino.locator("main form[action$='/appointments']")
    form.get_by_label(_("Network meeting"), exact=True).check()
    form.get_by_label(_("Day"), exact=True).fill(day.isoformat())
    form.get_by_label(_("Starts"), exact=True).fill("10:00")
    form.get_by_label(_("Ends"), exact=True).fill("11:30")
    form.get_by_label(_("Video"), exact=True).check()
    form.get_by_role("button", name=_("Book the appointment")).click()
    expect(aino.locator("main .flash-info[role=status]")).to_have_text(_("Appointment booked."))


def download_calendar(page: Page, link_text: str, nth: int) -> tuple[str, Any]:
    """Download the nth .ics link on the page as a person does, and parse it."""
    link = page.get_by_role("link", name=link_text).nth(nth)
    href = link.get_attribute("href") or ""
    answer = page.context.request.get(href)
    assert answer.headers["content-type"].startswith("text/calendar")
    assert 'filename="tukiverkko-' in answer.headers["content-disposition"]
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("tukiverkko-")
    text = Path(download.path()).read_text(encoding="utf-8")
    calendar = icalendar.Calendar.from_ical(text)
    return text, calendar.walk("VEVENT")[0]


def test_a_network_meeting_is_booked_and_its_ics_keeps_helsinki_time_across_dst(
    new_page: Callable[[], Page], live_server: str, assert_accessible: Callable[[Any], None]
) -> None:
    change = next_spring_change(datetime.now(HELSINKI).date())
    before, after = change - timedelta(days=1), change + timedelta(days=1)  # Sat, Mon
    me = new_page()
    sign_in(me, CLIENT)
    greeting = (me.locator("main h1").text_content() or "").strip()
    aino = new_page()
    sign_in(aino, "sosiaalityo.aino")
    (client,) = [
        c for c in own_clients(aino, live_server, "follow_up") if greeting.endswith(c.name)
    ]
    book(aino, client, before)
    book(aino, client, after)
    assert_accessible(aino)

    rows = aino.locator("main table.appointments-list tbody tr")
    expect(rows).to_have_count(2)
    expected = {
        before: datetime.combine(before, time(8), UTC),  # winter time, UTC+2
        after: datetime.combine(after, time(7), UTC),  # summer time, UTC+3
    }
    for n, (day, instant) in enumerate(expected.items()):
        aino.goto(f"{client.url}/appointments")
        aino.locator("main table.appointments-list tbody tr th a").nth(n).click()
        assert_accessible(aino)
        text, event = download_calendar(aino, _("Download for your calendar (.ics)"), 0)
        assert event["DTSTART"].params["TZID"] == "Europe/Helsinki"
        assert "BEGIN:VTIMEZONE" in text and "TZID:Europe/Helsinki" in text
        start = event.start
        assert (start.date(), start.hour, start.minute) == (day, 10, 0)  # as the worker booked
        assert start.astimezone(UTC) == instant
        assert event.end.astimezone(UTC) == instant + timedelta(minutes=90)
        assert str(event["STATUS"]) == "CONFIRMED" and event["SEQUENCE"] == 0
        assert client.name not in text and client.first_name not in text
        assert client.id not in text

    # The client sees both on "My page" and in their appointments, and confirms the first.
    me.goto("/my/")
    expect(me.locator("main section[aria-labelledby=next-appointments] li")).to_have_count(2)
    me.get_by_role("link", name=_("My appointments")).first.click()
    cards = me.locator("main section.appointment-card")
    expect(cards).to_have_count(2)
    assert_accessible(me)
    cards.first.get_by_role("button", name=_("I will come")).click()
    expect(me.locator("main .flash-info[role=status]")).to_have_text(
        _("Thank you. Your worker sees that you will come.")
    )
    expect(cards.first).to_contain_text(_("You have confirmed that you will come."))
    mine, event = download_calendar(me, _("Save to my calendar"), 1)
    assert event.start.astimezone(UTC) == expected[after]
    assert client.name not in mine
