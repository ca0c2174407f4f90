"""Appointments and network meetings for partner systems, with the pages' rules.

Caseworkers book, move and cancel on a client's case they may work on (``reach``); partner
staff read the meetings their organisation takes part in while something of the client is
shared with it (another meeting of the client is a 404); the client confirms their own.
Times go in as a Helsinki day and wall-clock times and come out as UTC instants; a time that
does not exist or happens twice on that day is refused on its field (422, problem+json).
Participants who are persons are named only by kind: a person's name is county-only data.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, abort, url_for
from flask_login import current_user
from marshmallow import fields, validate

from app.api import bp
from app.api.access import reach, require_open
from app.api.schemas import PageQuery, Strict, enum_field, page_body, page_of
from app.api.spec import MarshalResult, operation
from app.appointments import commands, queries
from app.appointments.queries import AppointmentRow
from app.extensions import db_session
from app.i18n import current_language
from app.models import MemberKind, Role
from app.models.appointment import (
    WORKER_REASONS,
    AppointmentChannel,
    AppointmentPurpose,
    AppointmentState,
    ChangeReason,
    ClientAsk,
    ClientAskReason,
    ClientPreference,
)
from app.security import current_actor
from app.security import gate as request_gate
from app.web.appointments import calendar_response
from consent.base import utcnow
from consent.facts import Action, Purpose
from consent.sections import DataScope

MAX_PARTICIPANTS = 50

# -- schemas ----------------------------------------------------------------------------------


class PlaceOut(Strict):
    id = fields.UUID(required=True)
    name = fields.String(required=True)


class ParticipantOut(Strict):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["organisation", "person", "staff"]),
        metadata={"description": "`organisation`, `person` (a network member) or `staff`."},
    )
    organisation_id = fields.UUID(required=True, allow_none=True)
    name = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "An organisation's or staff member's name; null for a person."},
    )
    member_kind = enum_field(MemberKind, required=True, allow_none=True)


class ClientAskOut(Strict):
    ask = enum_field(ClientAsk, required=True)
    reason = enum_field(ClientAskReason, required=True)
    preference = enum_field(ClientPreference, required=True, allow_none=True)
    asked_at = fields.AwareDateTime(required=True)


class AppointmentOut(Strict):
    id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    uid = fields.String(required=True, metadata={"description": "The iCalendar UID."})
    sequence = fields.Integer(
        required=True, metadata={"description": "The iCalendar SEQUENCE: grows with each change."}
    )
    starts_at = fields.AwareDateTime(required=True, metadata={"description": "UTC."})
    ends_at = fields.AwareDateTime(required=True, metadata={"description": "UTC."})
    timezone = fields.String(
        required=True, metadata={"description": "The wall-clock zone: Europe/Helsinki."}
    )
    channel = enum_field(AppointmentChannel, required=True)
    purpose = enum_field(AppointmentPurpose, required=True)
    place = fields.Nested(PlaceOut, required=True, allow_none=True)
    state = enum_field(AppointmentState, required=True)
    confirmed_at = fields.AwareDateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When the client confirmed the time in force; null if not."},
    )
    participants = fields.List(fields.Nested(ParticipantOut), required=True)
    client_ask = fields.Nested(
        ClientAskOut,
        required=True,
        allow_none=True,
        metadata={
            "description": (
                "The client's open request to move or cancel (answered by doing it); "
                "null if none, and always null for partner staff."
            )
        },
    )


class _TimesIn(Strict):
    day = fields.Date(required=True, metadata={"description": "The day in Finland."})
    start_time = fields.Time(
        required=True, metadata={"description": "Helsinki wall-clock time, e.g. 10:00."}
    )
    end_time = fields.Time(
        required=True, metadata={"description": "Helsinki wall-clock time, e.g. 11:00."}
    )


class BookingIn(_TimesIn):
    channel = enum_field(AppointmentChannel, required=True)
    purpose = enum_field(AppointmentPurpose, required=True)
    place_organisation_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "For `face_to_face`: the county or an organisation in the network."
        },
    )
    member_ids = fields.List(
        fields.UUID(), load_default=list, validate=validate.Length(max=MAX_PARTICIPANTS)
    )
    staff_ids = fields.List(
        fields.UUID(),
        load_default=list,
        validate=validate.Length(max=MAX_PARTICIPANTS),
        metadata={"description": "The county's caseworkers; none: you."},
    )


def _worker_reason() -> fields.Enum[Any]:
    return enum_field(
        ChangeReason,
        required=True,
        validate=validate.OneOf(WORKER_REASONS),
        metadata={"description": "Not `case_closed`, `case_transferred` or `membership_ended`."},
    )


class RescheduleIn(_TimesIn):
    reason = _worker_reason()


class CancelIn(Strict):
    reason = _worker_reason()


class AskIn(Strict):
    ask = enum_field(ClientAsk, required=True)
    reason = enum_field(ClientAskReason, required=True)
    preference = enum_field(
        ClientPreference,
        load_default=None,
        allow_none=True,
        metadata={"description": "A better time, kept only with `move`."},
    )


AppointmentPage = page_of(AppointmentOut, "AppointmentPage")


def _body(row: AppointmentRow, *, partner: bool = False) -> dict[str, Any]:
    a = row.appointment
    ask = (
        None
        if partner or a.ask is None
        else {
            "ask": a.ask,
            "reason": a.ask_reason,
            "preference": a.ask_preference,
            "asked_at": a.asked_at,
        }
    )
    return {
        "id": a.id,
        "client_id": a.client_id,
        "uid": a.uid,
        "sequence": a.sequence,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "timezone": "Europe/Helsinki",
        "channel": a.channel,
        "purpose": a.purpose,
        "place": (
            {"id": a.place_organisation_id, "name": row.place_name}
            if a.place_organisation_id is not None and row.place_name is not None
            else None
        ),
        "state": a.state,
        "confirmed_at": a.confirmed_at,
        "participants": [
            {
                "kind": (
                    "staff"
                    if p.staff_name is not None
                    else "organisation"
                    if p.organisation_id is not None
                    else "person"
                ),
                "organisation_id": p.organisation_id,
                "name": p.staff_name or p.organisation_name,
                "member_kind": p.member_kind,
            }
            for p in row.participants
        ],
        "client_ask": ask,
    }


def _organisation_id() -> uuid.UUID:
    organisation_id = current_actor().organisation_id
    if organisation_id is None:  # partner accounts always belong to an organisation
        abort(403)
    return organisation_id


# -- reading ----------------------------------------------------------------------------------


@operation(
    bp,
    "/appointments",
    "GET",
    summary="The meetings your organisation takes part in",
    tag="Appointments",
    roles=[Role.PARTNER],
    query=PageQuery,
    response=AppointmentPage,
)
def organisation_appointments(query: dict[str, Any]) -> dict[str, Any]:
    """Meetings that have not ended in which a membership of your organisation takes part,
    while the client shares something with it now; the soonest first."""
    page, per_page = query["page"], query["per_page"]
    found = queries.organisation_appointments(
        db_session(), _organisation_id(), now=utcnow(), page=page, per_page=per_page
    )
    items = [_body(row, partner=True) for row in found.rows] if found.page == page else []
    return page_body(items, page=page, per_page=per_page, total=found.total)


@operation(
    bp,
    "/clients/<uuid:client_id>/appointments",
    "GET",
    summary="A client's appointments",
    tag="Appointments",
    roles=[Role.CASEWORKER, Role.PARTNER],
    query=PageQuery,
    response=AppointmentPage,
    statuses=(404,),
)
def client_appointments(client_id: uuid.UUID, query: dict[str, Any]) -> dict[str, Any]:
    """Caseworkers: every appointment of the client's case, earliest first. Partner staff:
    those your organisation takes part in that have not ended."""
    r = reach(client_id)
    page, per_page = query["page"], query["per_page"]
    if r.role is Role.PARTNER:
        found = queries.organisation_appointments(
            db_session(),
            _organisation_id(),
            now=utcnow(),
            page=page,
            per_page=per_page,
            client_id=r.client.id,
        )
    else:
        found = queries.case_appointments(db_session(), r.case.id, page=page, per_page=per_page)
    partner = r.role is Role.PARTNER
    items = [_body(row, partner=partner) for row in found.rows] if found.page == page else []
    return page_body(items, page=page, per_page=per_page, total=found.total)


def _reached_row(client_id: uuid.UUID, appointment_id: uuid.UUID) -> tuple[Any, AppointmentRow]:
    r = reach(client_id)
    if r.role is Role.PARTNER:
        row = queries.organisation_appointment(
            db_session(), _organisation_id(), appointment_id, now=utcnow()
        )
    else:
        row = queries.appointment_row(db_session(), appointment_id)
        if row is not None and row.appointment.case_id != r.case.id:
            row = None
    if row is None or row.appointment.client_id != r.client.id:
        abort(404)
    return r, row


@operation(
    bp,
    "/clients/<uuid:client_id>/appointments/<uuid:appointment_id>",
    "GET",
    summary="One appointment",
    tag="Appointments",
    roles=[Role.CASEWORKER, Role.PARTNER],
    response=AppointmentOut,
    statuses=(404,),
)
def appointment(client_id: uuid.UUID, appointment_id: uuid.UUID) -> dict[str, Any]:
    """An appointment of the client as you may see it (partner staff: one your organisation
    takes part in, while the client shares something with it)."""
    r, row = _reached_row(client_id, appointment_id)
    return _body(row, partner=r.role is Role.PARTNER)


@operation(
    bp,
    "/clients/<uuid:client_id>/appointments/<uuid:appointment_id>.ics",
    "GET",
    summary="One appointment as an iCalendar file",
    tag="Appointments",
    roles=[Role.CASEWORKER, Role.PARTNER, Role.CLIENT],
    statuses=(404,),
    media_type="text/calendar",
)
def appointment_calendar(client_id: uuid.UUID, appointment_id: uuid.UUID) -> Response:
    """The `.ics` (RFC 5545) the web pages give, with the same rules: the start and end in
    Europe/Helsinki with its VTIMEZONE, a stable UID, SEQUENCE and STATUS (CANCELLED once
    cancelled), the purpose and the place or channel in your language, and nothing that
    names the client or a participant. Partner staff: a meeting your organisation takes
    part in while the client shares something with it; each download is recorded in the
    client's access log."""
    r, row = _reached_row(client_id, appointment_id)
    if r.role is Role.PARTNER:
        request_gate().record(
            r.actor, r.client.id, Action.READ, Purpose.NETWORK_COOPERATION, DataScope.NAME
        )
    return calendar_response(row, stamp=utcnow(), language=current_language())


# -- changing ---------------------------------------------------------------------------------


@operation(
    bp,
    "/clients/<uuid:client_id>/appointments",
    "POST",
    summary="Book an appointment or a network meeting",
    tag="Appointments",
    roles=[Role.CASEWORKER],
    body=BookingIn,
    response=AppointmentOut,
    status=201,
    statuses=(404, 409, 422),
)
def book_appointment(client_id: uuid.UUID, body: dict[str, Any]) -> MarshalResult:
    """Book on the client's case at a Helsinki day and times; participants from the
    client's current network and the county's caseworkers. Responds with Location."""
    r = reach(client_id)
    require_open(r)
    booked = commands.book_appointment(
        db_session(),
        request_gate(),
        r.actor,
        r.case,
        day=body["day"],
        start=body["start_time"],
        end=body["end_time"],
        channel=body["channel"],
        purpose=body["purpose"],
        place_organisation_id=body["place_organisation_id"],
        member_ids=body["member_ids"],
        staff_ids=body["staff_ids"],
        by_id=current_user.id,
        now=utcnow(),
    )
    row = queries.appointment_row(db_session(), booked.id)
    assert row is not None
    return MarshalResult(
        _body(row),
        location=url_for("api.appointment", client_id=r.client.id, appointment_id=booked.id),
    )


@operation(
    bp,
    "/clients/<uuid:client_id>/appointments/<uuid:appointment_id>/reschedule",
    "POST",
    summary="Move an appointment to a new time",
    tag="Appointments",
    roles=[Role.CASEWORKER],
    body=RescheduleIn,
    response=AppointmentOut,
    statuses=(404, 409, 422),
)
def reschedule_appointment(
    client_id: uuid.UUID, appointment_id: uuid.UUID, body: dict[str, Any]
) -> dict[str, Any]:
    """A booked appointment that has not started moves to a new time, with a reason; the
    client's confirmation is asked again and the SEQUENCE grows."""
    r, row = _reached_row(client_id, appointment_id)
    require_open(r)
    commands.reschedule_appointment(
        db_session(),
        request_gate(),
        r.actor,
        row.appointment,
        day=body["day"],
        start=body["start_time"],
        end=body["end_time"],
        reason=body["reason"],
        by_id=current_user.id,
        now=utcnow(),
    )
    return _body(row)


@operation(
    bp,
    "/clients/<uuid:client_id>/appointments/<uuid:appointment_id>/cancel",
    "POST",
    summary="Cancel an appointment",
    tag="Appointments",
    roles=[Role.CASEWORKER],
    body=CancelIn,
    response=AppointmentOut,
    statuses=(404, 409),
)
def cancel_appointment(
    client_id: uuid.UUID, appointment_id: uuid.UUID, body: dict[str, Any]
) -> dict[str, Any]:
    """A booked appointment that has not started is cancelled, with a reason."""
    r, row = _reached_row(client_id, appointment_id)
    require_open(r)
    commands.cancel_appointment(
        db_session(),
        request_gate(),
        r.actor,
        row.appointment,
        reason=body["reason"],
        by_id=current_user.id,
        now=utcnow(),
    )
    return _body(row)


@operation(
    bp,
    "/appointments/<uuid:appointment_id>/confirm",
    "POST",
    summary="Confirm your appointment (the client)",
    tag="Appointments",
    roles=[Role.CLIENT],
    response=AppointmentOut,
    statuses=(404, 409),
)
def confirm_appointment(appointment_id: uuid.UUID) -> dict[str, Any]:
    """The client confirms they will come at the time in force (once; again after a move)."""
    row = queries.appointment_row(db_session(), appointment_id)
    if row is None or row.appointment.client_id != current_user.client_id:
        abort(404)
    commands.confirm_appointment(
        db_session(), row.appointment, by_user_id=current_user.id, now=utcnow()
    )
    return _body(row)


@operation(
    bp,
    "/appointments/<uuid:appointment_id>/ask",
    "POST",
    summary="Ask to move or cancel your appointment (the client)",
    tag="Appointments",
    roles=[Role.CLIENT],
    body=AskIn,
    response=AppointmentOut,
    statuses=(404, 409),
)
def ask_about_appointment(appointment_id: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
    """The client asks the worker to move or cancel a booked appointment that has not
    started, with a coded reason (and, moving, an optional better time); a new request
    replaces an open one. The worker answers by moving or cancelling it."""
    row = queries.appointment_row(db_session(), appointment_id)
    if row is None or row.appointment.client_id != current_user.client_id:
        abort(404)
    commands.ask_about_appointment(
        db_session(),
        row.appointment,
        ask=body["ask"],
        reason=body["reason"],
        preference=body["preference"],
        by_user_id=current_user.id,
        now=utcnow(),
    )
    return _body(row)
