"""The client's appointments: when and where, who else comes, confirming, and the .ics file.

The client sees their own appointments only (the URLs name an appointment, and
``URL_ARGUMENTS`` lets only its own client reach it). A person taking part is shown by
kind ("Close person"), organisations and staff by name.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice, SelectField

from app.appointments import commands, queries
from app.appointments.rules import may_change
from app.extensions import db_session
from app.i18n import current_language
from app.labels import CLIENT_ASK_REASONS, CLIENT_ASKS, CLIENT_PREFERENCES
from app.models import Role
from app.models.appointment import ClientAsk, ClientAskReason, ClientPreference
from app.security import allow
from app.web.appointments import calendar_response, participant_label
from app.web.portal import bp
from app.web.portal.views import own_page
from consent.base import utcnow


class ConfirmForm(FlaskForm):
    """A button only: the client confirms they will come."""


class AskForm(FlaskForm):
    """The client's request to move or cancel: choices only, no free text."""

    ask = SelectField(
        _l("What would you like?"),
        choices=[SelectChoice(v.value, label) for v, label in CLIENT_ASKS.items()],
        validate_choice=True,
    )
    reason = SelectField(
        _l("Why?"),
        choices=[SelectChoice(v.value, label) for v, label in CLIENT_ASK_REASONS.items()],
        validate_choice=True,
    )
    preference = SelectField(
        _l("Which time would suit you better? (you can leave this out)"),
        choices=[SelectChoice("", _l("No wish"))]
        + [SelectChoice(v.value, label) for v, label in CLIENT_PREFERENCES.items()],
        validate_choice=True,
        description=_l("Only if you ask to move the meeting."),
    )


@bp.route("/appointments")
@allow(Role.CLIENT)
def appointments() -> str:
    """The client's appointments that have not ended, the soonest first."""
    page = own_page()
    now = utcnow()
    listing = queries.client_appointments(
        db_session(), page.client.id, now=now, page=request.args.get("page", 1, type=int)
    )
    return render_template(
        "portal/appointments.html",
        listing=listing,
        rows=[
            (
                row,
                [participant_label(p) for p in row.participants],
                may_change(row.appointment.state, row.appointment.starts_at, now),
            )
            for row in listing.rows
        ],
        form=ConfirmForm(),
    )


def _own_row(appointment_id: uuid.UUID) -> queries.AppointmentRow:
    page = own_page()
    row = queries.appointment_row(db_session(), appointment_id)
    if row is None or row.appointment.client_id != page.client.id:
        abort(404)
    return row


@bp.route("/appointments/<uuid:appointment_id>/confirm", methods=["POST"])
@allow(Role.CLIENT)
def confirm_appointment(appointment_id: uuid.UUID) -> Response:
    row = _own_row(appointment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    commands.confirm_appointment(
        db_session(), row.appointment, by_user_id=current_user.id, now=utcnow()
    )
    flash(gettext("Thank you. Your worker sees that you will come."), "info")
    return redirect(url_for("portal.appointments"))


@bp.route("/appointments/<uuid:appointment_id>/calendar.ics")
@allow(Role.CLIENT)
def appointment_calendar(appointment_id: uuid.UUID) -> Response:
    """The appointment as an .ics file for the client's own calendar (naming nobody)."""
    return calendar_response(_own_row(appointment_id), stamp=utcnow(), language=current_language())


@bp.route("/appointments/<uuid:appointment_id>/ask", methods=["GET", "POST"])
@allow(Role.CLIENT)
def ask_about_appointment(appointment_id: uuid.UUID) -> Response | tuple[str, int]:
    """Ask the worker to move or cancel a meeting; the worker answers by doing it."""
    row = _own_row(appointment_id)
    now = utcnow()
    if not may_change(row.appointment.state, row.appointment.starts_at, now):
        abort(409)
    form = AskForm()
    if form.validate_on_submit():
        commands.ask_about_appointment(
            db_session(),
            row.appointment,
            ask=ClientAsk(form.ask.data),
            reason=ClientAskReason(form.reason.data),
            preference=ClientPreference(form.preference.data) if form.preference.data else None,
            by_user_id=current_user.id,
            now=now,
        )
        flash(gettext("Your worker sees your request and will answer you."), "info")
        return redirect(url_for("portal.appointments"))
    return render_template(
        "portal/appointment_ask.html", row=row, form=form
    ), 400 if form.is_submitted() else 200
