"""What every audience's appointment pages share: the participants in words, the .ics answer.

Who sees what (SECURITY.md, "Appointments"): the worker sees the participants' names (a
person's through the gate); the client and partner staff see organisations by name and
persons only by their kind ("Close person"), because a person's name is county-only data.
"""

from __future__ import annotations

from datetime import datetime

from flask import Response
from flask_babel import force_locale

from app.appointments.calendar import CalendarWords, calendar_file, calendar_filename
from app.appointments.queries import AppointmentRow, Participant
from app.labels import APPOINTMENT_CHANNELS, APPOINTMENT_PURPOSES, MEMBER_KINDS
from app.models.appointment import AppointmentChannel


def participant_label(participant: Participant, names: dict[object, str] | None = None) -> str:
    """An organisation's name, a member of staff's name, or a person's kind (their name only
    when ``names`` holds it: the worker's pages)."""
    if participant.organisation_name is not None:
        return participant.organisation_name
    if participant.staff_name is not None:
        return participant.staff_name
    assert participant.member is not None and participant.member_kind is not None
    kind = str(MEMBER_KINDS[participant.member_kind])
    name = (names or {}).get(participant.member.id)
    return f"{name} ({kind})" if name else kind


def calendar_response(row: AppointmentRow, *, stamp: datetime, language: str) -> Response:
    """The appointment as a ``text/calendar`` download in ``language``, naming nobody."""
    appointment = row.appointment
    with force_locale(language):
        summary = f"Tukiverkko: {APPOINTMENT_PURPOSES[appointment.purpose]}"
        if appointment.channel is AppointmentChannel.FACE_TO_FACE and row.place_name:
            location = row.place_name
        else:
            location = str(APPOINTMENT_CHANNELS[appointment.channel])
    body = calendar_file(appointment, CalendarWords(summary, location), stamp=stamp)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{calendar_filename(appointment)}"'
    )
    return response
