"""An appointment as an iCalendar file (RFC 5545), built with the maintained ``icalendar``.

The file leaves Tukiverkko for whatever calendar the recipient uses (often a cloud service),
so it carries only what every participant may see anyway and nothing that identifies the
client: the purpose's words, the start and end in Europe/Helsinki (with the VTIMEZONE that
icalendar builds from zoneinfo, so any calendar shows the right wall-clock time on either
side of a DST change), the channel or the place's organisation name, the status and SEQUENCE.
Never the client's name, a participant's name, a reference, a section or a note. The caller
passes the words in the recipient's language; the UID (``Appointment.uid``) never changes,
so a reschedule or cancellation replaces the copy in the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import icalendar

from app.models.appointment import Appointment, AppointmentState
from consent.status import HELSINKI

PRODUCT = "-//Tukiverkko//Appointments//FI"


@dataclass(frozen=True)
class CalendarWords:
    """What the event says, already in the recipient's language."""

    summary: str
    location: str


def calendar_file(appointment: Appointment, words: CalendarWords, *, stamp: datetime) -> bytes:
    """The ``.ics`` bytes of one appointment (a VCALENDAR with its VTIMEZONE and one VEVENT)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", appointment.uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", appointment.starts_at.astimezone(HELSINKI))
    event.add("dtend", appointment.ends_at.astimezone(HELSINKI))
    event.add("summary", words.summary)
    event.add("location", words.location)
    event.add("sequence", appointment.sequence)
    cancelled = appointment.state is AppointmentState.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def calendar_filename(appointment: Appointment) -> str:
    """A filename that names nobody: the Helsinki day and time only."""
    local = appointment.starts_at.astimezone(HELSINKI)
    return f"tukiverkko-{local:%Y-%m-%d-%H%M}.ics"
