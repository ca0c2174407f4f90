"""The client asks for the log of their information and reads the answer: "Ask who has
processed my information".

The client starts a request (the language of the answer, the period: two years back by
default), sees its state and due date, and reads the answer on their own pages: the
printable document, or the written refusal with its reasons. Free of charge. Every step
goes through the gate and is logged (``app.log_requests.commands``).
"""

from __future__ import annotations

import uuid

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.extensions import db_session
from app.log_requests import commands, queries
from app.models import Client, Role
from app.models.log_request import LogRequestState
from app.security import allow, gate
from app.settings import Settings
from app.web.forms import refusals_shown_on
from app.web.log_request_document import StartForm, reasons, render_document
from app.web.portal import bp
from app.web.portal.views import own_page
from consent.facts import Purpose
from sharing.fields import sealed


def _settings() -> Settings:
    settings: Settings = current_app.extensions["tukiverkko.settings"]
    return settings


@bp.route("/log-requests", methods=["GET", "POST"])
@allow(Role.CLIENT)
def log_requests() -> Response | str | tuple[str, int]:
    oc = own_page()
    form = StartForm().fill(current_user.locale)
    if form.validate_on_submit():
        with refusals_shown_on(form):
            started = commands.start_request(
                db_session(),
                gate(),
                oc.actor,
                case=oc.case,
                language=form.language.data or "",
                period=form.period(),
                due_days=_settings().log_request_days,
            )
            return redirect(url_for("portal.log_request", log_request_id=started.id))
    html = render_template(
        "portal/log_requests.html",
        requests=queries.client_requests(db_session(), oc.client.id),
        form=form,
    )
    return (html, 400) if form.is_submitted() else html


@bp.route("/log-requests/<uuid:log_request_id>")
@allow(Role.CLIENT)
def log_request(log_request_id: uuid.UUID) -> str:
    """The request's state; once answered, the document; once refused, the reasons."""
    oc = own_page()
    found = queries.client_request(db_session(), oc.client.id, log_request_id)
    if found is None:
        abort(404)
    if found.state is LogRequestState.PENDING:
        extension, _ = reasons(found, oc.actor, Purpose.OWN_DATA)
        return render_template("portal/log_request.html", request_row=found, extension=extension)
    name = gate().read_texts(
        oc.actor, [sealed(oc.client, Client.name_ct)], purpose=Purpose.OWN_DATA
    )[0]
    return render_document(
        found,
        client_name=name or "",
        reader=oc.actor,
        purpose=Purpose.OWN_DATA,
        page=request.args.get("page", 1, type=int) or 1,
        back_url=url_for("portal.log_requests"),
        page_endpoint="portal.log_request",
        page_args={"log_request_id": found.id},
    )
