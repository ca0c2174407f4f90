"""Appointments and network meetings on the client's record: booked, moved, cancelled, held.

Times are entered as Helsinki wall-clock times and stored as UTC instants
(``app.appointments.rules``); a time that does not exist on that day (the spring change) or
happens twice (the autumn change) is refused on its field.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from app.appointments import commands, queries
from app.appointments.queries import AppointmentRow
from app.appointments.rules import local_parts, may_change, may_record_held
from app.extensions import db_session
from app.i18n import current_language
from app.labels import APPOINTMENT_CHANNELS, APPOINTMENT_PURPOSES, CHANGE_REASONS, MEMBER_KINDS
from app.models import NetworkMember, Role
from app.models.appointment import (
    WORKER_REASONS,
    Appointment,
    AppointmentChannel,
    AppointmentPurpose,
    ChangeReason,
)
from app.reviews.queries import network_members
from app.security import allow, gate
from app.web.appointments import calendar_response, participant_label
from app.web.caseworker import bp
from app.web.caseworker.context import ClientPage, client_page
from app.web.forms import refusals_shown_on
from consent.base import utcnow
from consent.facts import Purpose
from consent.status import membership_active
from sharing.fields import sealed


class _Times:
    day = DateField(
        _l("Day"),
        validators=[InputRequired(message=_l("Give the day."))],
        description=_l("For example 2027-03-29."),
    )
    start_time = TimeField(
        _l("Starts"),
        validators=[InputRequired(message=_l("Give the start time."))],
        description=_l("Finnish time, for example 10:00."),
    )
    end_time = TimeField(
        _l("Ends"),
        validators=[InputRequired(message=_l("Give the end time."))],
        description=_l("Finnish time, for example 11:00."),
    )


class BookingForm(FlaskForm, _Times):
    purpose = RadioField(
        _l("What the meeting is for"),
        choices=[SelectChoice(v, label) for v, label in APPOINTMENT_PURPOSES.items()],
        invalid_choice_message=_l("Choose what the meeting is for."),
    )
    channel = RadioField(
        _l("How the meeting is held"),
        choices=[SelectChoice(v, label) for v, label in APPOINTMENT_CHANNELS.items()],
        invalid_choice_message=_l("Choose how the meeting is held."),
    )
    place = SelectField(
        _l("Place (face to face)"),
        description=_l("The county's office or an organisation in the client's network."),
        validate_choice=False,  # the command checks it against the network
    )
    members = SelectMultipleField(
        _l("Participants from the network"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,  # the command checks them against the network
    )
    staff = SelectMultipleField(
        _l("Staff taking part"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
    )


def _reason_field() -> SelectField:
    return SelectField(
        _l("Reason"),
        choices=[SelectChoice(v, CHANGE_REASONS[v]) for v in WORKER_REASONS],
        validate_choice=True,
        coerce=str,
    )


class RescheduleForm(FlaskForm, _Times):
    reason = _reason_field()


class CancelForm(FlaskForm):
    reason = _reason_field()


class HeldForm(FlaskForm):
    staff_assisted = BooleanField(
        _l("Staff-assisted"),
        description=_l(
            "Someone else's staff helped the client take part, for example prison staff "
            "at the terminal or on the phone."
        ),
    )
    note = TextAreaField(
        _l("Short note (optional)"),
        validators=[Length(max=1000, message=_l("The note can be at most 1,000 characters long."))],
        description=_l("What the contact was about, briefly. At most 1,000 characters."),
    )


def _person_names(page: ClientPage, rows: Sequence[AppointmentRow]) -> dict[object, str]:
    """The names of the persons taking part, read through the gate as the worker (one call)."""
    people = {
        p.member.id: p.member
        for row in rows
        for p in row.participants
        if p.member is not None and p.organisation_id is None
    }
    if not people:
        return {}
    texts = gate().read_texts(
        page.actor,
        [sealed(m, NetworkMember.person_name_ct) for m in people.values()],
        purpose=Purpose.CASE_WORK,
    )
    return {member_id: text or "" for member_id, text in zip(people, texts, strict=True)}


def _choices(page: ClientPage, form: BookingForm) -> None:
    now = utcnow()
    members = [
        m
        for m in network_members(db_session(), page.case.id)
        if membership_active(m.membership(), now)
    ]
    people = [m for m in members if m.organisation is None]
    names = (
        gate().read_texts(
            page.actor,
            [sealed(m, NetworkMember.person_name_ct) for m in people],
            purpose=Purpose.CASE_WORK,
        )
        if people
        else []
    )
    person_names = {m.id: n or "" for m, n in zip(people, names, strict=True)}
    form.members.choices = [
        (
            str(m.id),
            f"{m.organisation.name if m.organisation else person_names[m.id]} "
            f"({MEMBER_KINDS[m.kind]})",
        )
        for m in members
    ]
    form.place.choices = [("", gettext("No place: video or phone"))] + [
        (str(i), name)
        for i, name in queries.place_choices(db_session(), page.case.county_id, page.case.id)
    ]
    form.staff.choices = [
        (str(u.id), u.display_name)
        for u in queries.case_staff(db_session(), page.case.id, current_user.id)
    ]


def _uuids(values: Sequence[str] | None) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values or []]
    except ValueError:
        abort(400)


@bp.route("/clients/<uuid:client_id>/appointments", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def appointments(page: ClientPage) -> Response | tuple[str, int]:
    """The case's appointments, earliest first, under the form for booking one."""
    if request.method == "POST":
        form = BookingForm()
        _choices(page, form)
        if form.validate_on_submit():
            place = _uuids([form.place.data] if form.place.data else [])
            with refusals_shown_on(form):
                commands.book_appointment(
                    db_session(),
                    gate(),
                    page.actor,
                    page.case,
                    day=form.day.data,
                    start=form.start_time.data,
                    end=form.end_time.data,
                    channel=AppointmentChannel(form.channel.data),
                    purpose=AppointmentPurpose(form.purpose.data),
                    place_organisation_id=place[0] if place else None,
                    member_ids=_uuids(form.members.data),
                    staff_ids=_uuids(form.staff.data),
                    by_id=current_user.id,
                    now=utcnow(),
                )
                flash(gettext("Appointment booked."), "info")
                return redirect(url_for("caseworker.appointments", client_id=page.client.id))
        status = 400
    else:
        form = BookingForm(
            formdata=None,
            purpose=AppointmentPurpose.NETWORK_MEETING.value,
            channel=AppointmentChannel.FACE_TO_FACE.value,
            place=str(page.case.county_id),
            staff=[str(current_user.id)],
        )
        _choices(page, form)
        status = 200
    listing = queries.case_appointments(
        db_session(), page.case.id, page=request.args.get("page", 1, type=int)
    )
    names = _person_names(page, listing.rows)
    return render_template(
        "caseworker/appointments.html",
        page=page,
        form=form,
        listing=listing,
        rows=[(r, [participant_label(p, names) for p in r.participants]) for r in listing.rows],
    ), status


def _row_of(page: ClientPage, appointment_id: uuid.UUID) -> AppointmentRow:
    row = queries.appointment_row(db_session(), appointment_id)
    if row is None or row.appointment.case_id != page.case.id:
        abort(404)
    return row


def _detail(
    page: ClientPage,
    row: AppointmentRow,
    *,
    reschedule: RescheduleForm | None = None,
    cancel: CancelForm | None = None,
    held: HeldForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    appointment = row.appointment
    now = utcnow()
    names = _person_names(page, [row])
    day, start = local_parts(appointment.starts_at)
    _, end = local_parts(appointment.ends_at)
    return render_template(
        "caseworker/appointment.html",
        page=page,
        row=row,
        labels=[participant_label(p, names) for p in row.participants],
        events=queries.history(db_session(), appointment.id),
        changeable=page.editable and may_change(appointment.state, appointment.starts_at, now),
        recordable=page.editable and may_record_held(appointment.state, appointment.starts_at, now),
        reschedule=reschedule
        or RescheduleForm(formdata=None, day=day, start_time=start, end_time=end),
        cancel=cancel or CancelForm(formdata=None),
        held=held or HeldForm(formdata=None),
    ), status


@bp.route("/clients/<uuid:client_id>/appointments/<uuid:appointment_id>")
@allow(Role.CASEWORKER)
@client_page
def appointment(page: ClientPage, appointment_id: uuid.UUID) -> tuple[str, int]:
    """One appointment: its time, place, participants and history, and what can be done."""
    return _detail(page, _row_of(page, appointment_id))


def _back(page: ClientPage, appointment: Appointment) -> Response:
    return redirect(
        url_for("caseworker.appointment", client_id=page.client.id, appointment_id=appointment.id)
    )


@bp.route(
    "/clients/<uuid:client_id>/appointments/<uuid:appointment_id>/reschedule", methods=["POST"]
)
@allow(Role.CASEWORKER)
@client_page
def reschedule_appointment(
    page: ClientPage, appointment_id: uuid.UUID
) -> Response | tuple[str, int]:
    row = _row_of(page, appointment_id)
    form = RescheduleForm()
    if form.validate_on_submit():
        with refusals_shown_on(form):
            commands.reschedule_appointment(
                db_session(),
                gate(),
                page.actor,
                row.appointment,
                day=form.day.data,
                start=form.start_time.data,
                end=form.end_time.data,
                reason=ChangeReason(form.reason.data),
                by_id=current_user.id,
                now=utcnow(),
            )
            flash(
                gettext("The appointment was moved. The client is asked to confirm again."), "info"
            )
            return _back(page, row.appointment)
    return _detail(page, row, reschedule=form, status=400)


@bp.route("/clients/<uuid:client_id>/appointments/<uuid:appointment_id>/cancel", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def cancel_appointment(page: ClientPage, appointment_id: uuid.UUID) -> Response | tuple[str, int]:
    row = _row_of(page, appointment_id)
    form = CancelForm()
    if form.validate_on_submit():
        commands.cancel_appointment(
            db_session(),
            gate(),
            page.actor,
            row.appointment,
            reason=ChangeReason(form.reason.data),
            by_id=current_user.id,
            now=utcnow(),
        )
        flash(gettext("The appointment was cancelled."), "info")
        return _back(page, row.appointment)
    return _detail(page, row, cancel=form, status=400)


@bp.route("/clients/<uuid:client_id>/appointments/<uuid:appointment_id>/held", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def record_appointment_held(
    page: ClientPage, appointment_id: uuid.UUID
) -> Response | tuple[str, int]:
    row = _row_of(page, appointment_id)
    form = HeldForm()
    if form.validate_on_submit():
        with refusals_shown_on(form):
            commands.record_as_contact(
                db_session(),
                gate(),
                page.actor,
                row.appointment,
                page.case,
                staff_assisted=bool(form.staff_assisted.data),
                note=form.note.data,
                by_id=current_user.id,
                now=utcnow(),
            )
            flash(gettext("The appointment was recorded as a contact."), "info")
            return redirect(url_for("caseworker.contacts", client_id=page.client.id))
    return _detail(page, row, held=form, status=400)


@bp.route("/clients/<uuid:client_id>/appointments/<uuid:appointment_id>/calendar.ics")
@allow(Role.CASEWORKER)
@client_page
def appointment_calendar(page: ClientPage, appointment_id: uuid.UUID) -> Response:
    """The appointment as an .ics file for the worker's calendar (naming nobody)."""
    return calendar_response(
        _row_of(page, appointment_id), stamp=utcnow(), language=current_language()
    )
