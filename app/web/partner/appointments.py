"""The meetings an organisation's staff take part in, as .ics files.

The organisation sees a meeting while one of its memberships in the client's network takes
part in it and something of the client is shared with it now
(``app.appointments.queries.organisation_appointments``); otherwise the meeting is a 404
like one that does not exist. The home page lists them by the organisation's own client
reference (the name is on the client's page, read through the gate there); the .ics file
names nobody. Each download is recorded in the client's access log through the gate.
"""

from __future__ import annotations

import uuid

from flask import abort
from werkzeug.wrappers import Response

from app.appointments import queries
from app.extensions import db_session
from app.i18n import current_language
from app.models import Role
from app.security import allow, current_actor, gate
from app.web.appointments import calendar_response
from app.web.partner import bp
from consent.base import utcnow
from consent.facts import Action, Purpose
from consent.sections import DataScope


@bp.route("/clients/<uuid:client_id>/appointments/<uuid:appointment_id>/calendar.ics")
@allow(Role.PARTNER)
def appointment_calendar(client_id: uuid.UUID, appointment_id: uuid.UUID) -> Response:
    actor = current_actor()
    if actor.organisation_id is None:
        abort(403)
    now = utcnow()
    row = queries.organisation_appointment(
        db_session(), actor.organisation_id, appointment_id, now=now
    )
    if row is None or row.appointment.client_id != client_id:
        abort(404)
    gate().record(actor, client_id, Action.READ, Purpose.NETWORK_COOPERATION, DataScope.NAME)
    return calendar_response(row, stamp=now, language=current_language())
