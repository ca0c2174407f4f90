"""The .ics file of an appointment: RFC 5545 with the Helsinki VTIMEZONE, stable UID,
SEQUENCE and STATUS, read back by icalendar's own parser."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import icalendar

from app.appointments.calendar import CalendarWords, calendar_file, calendar_filename
from app.models.appointment import (
    Appointment,
    AppointmentChannel,
    AppointmentPurpose,
    AppointmentState,
)

WORDS = CalendarWords("Tukiverkko: Verkostopalaveri", "Video")
STAMP = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)


def _appointment(state: AppointmentState, sequence: int) -> Appointment:
    return Appointment(
        case_id=uuid.uuid4(),
        client_id=uuid.uuid4(),
        starts_at=datetime(2027, 3, 29, 7, 0, tzinfo=UTC),
        ends_at=datetime(2027, 3, 29, 8, 30, tzinfo=UTC),
        channel=AppointmentChannel.VIDEO,
        purpose=AppointmentPurpose.NETWORK_MEETING,
        state=state,
        sequence=sequence,
    )


def _event(appointment: Appointment) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(calendar_file(appointment, WORDS, stamp=STAMP))
    (timezone,) = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Europe/Helsinki"
    (event,) = calendar.walk("VEVENT")
    return event


def test_the_event_is_in_helsinki_time_with_its_utc_instant() -> None:
    appointment = _appointment(AppointmentState.BOOKED, 0)
    event = _event(appointment)
    assert event["DTSTART"].params["TZID"] == "Europe/Helsinki"
    assert (event.start.hour, event.start.minute) == (10, 0)  # 07:00Z in summer time
    assert event.start.astimezone(UTC) == appointment.starts_at
    assert event.end.astimezone(UTC) == appointment.ends_at
    assert str(event["UID"]) == f"{appointment.id}@tukiverkko"
    assert str(event["STATUS"]) == "CONFIRMED" and event["SEQUENCE"] == 0
    assert str(event["SUMMARY"]) == WORDS.summary and str(event["LOCATION"]) == "Video"


def test_a_cancelled_appointment_keeps_its_uid_with_a_higher_sequence() -> None:
    appointment = _appointment(AppointmentState.CANCELLED, 2)
    event = _event(appointment)
    assert str(event["UID"]) == appointment.uid
    assert str(event["STATUS"]) == "CANCELLED" and event["SEQUENCE"] == 2


def test_the_filename_is_the_helsinki_day_and_time_only() -> None:
    assert calendar_filename(_appointment(AppointmentState.BOOKED, 0)) == (
        "tukiverkko-2027-03-29-1000.ics"
    )
