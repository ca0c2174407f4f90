"""The client's messages with the county: their conversations, one conversation, a new one.

The URLs carry no client id: every thread is the signed-in client's own (``thread_id`` is
checked as the client's row before the view runs), read as ``Purpose.OWN_DATA``. A
message sent in a staff-assisted session says who helped.
"""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from app.extensions import db_session
from app.messages import commands, queries
from app.models import Role
from app.models.message import ThreadKind
from app.security import allow, gate
from app.web.forms import refusals_shown_on
from app.web.messages import ClientMessageForm, ClientReplyForm, answered, lines, with_subjects
from app.web.portal import bp
from app.web.portal.views import own_page
from consent.base import utcnow
from consent.facts import Purpose


@bp.route("/messages")
@allow(Role.CLIENT)
def messages() -> str:
    page = own_page()
    listing = queries.client_threads(
        db_session(), page.client.id, current_user.id, page=request.args.get("page", 1, type=int)
    )
    return render_template(
        "portal/messages.html",
        listing=listing,
        rows=with_subjects(page.actor, listing, Purpose.OWN_DATA),
        closed=page.case.closed_at is not None,
    )


@bp.route("/messages/new", methods=["GET", "POST"])
@allow(Role.CLIENT)
def message_new() -> Response | tuple[str, int]:
    page = own_page()
    form = ClientMessageForm()
    if form.validate_on_submit():
        with refusals_shown_on(form):
            thread = commands.start_thread(
                db_session(),
                gate(),
                page.actor,
                client_id=page.client.id,
                kind=ThreadKind.CLIENT,
                subject=form.subject.data or "",
                body=form.body.data or "",
                now=utcnow(),
            )
            flash(gettext("Your message was sent."), "info")
            return redirect(url_for("portal.message_thread", thread_id=thread.id))
    status = 400 if request.method == "POST" else 200
    return render_template("portal/message_new.html", form=form), status


@bp.route("/messages/<uuid:thread_id>", methods=["GET", "POST"])
@allow(Role.CLIENT)
def message_thread(thread_id: uuid.UUID) -> Response | tuple[str, int]:
    page = own_page()
    form = ClientReplyForm()
    status = 200
    if request.method == "POST":
        back = url_for("portal.message_thread", thread_id=thread_id)
        sent = gettext("Your message was sent.")
        if done := answered(form, page.actor, page.client.id, thread_id, sent=sent, back_to=back):
            return done
        status = 400
    view = commands.read_thread(
        db_session(),
        gate(),
        page.actor,
        client_id=page.client.id,
        thread_id=thread_id,
        now=utcnow(),
    )
    return render_template(
        "portal/message_thread.html",
        view=view,
        lines=lines(view, current_user.id, for_client=True),
        form=form,
        closed=page.case.closed_at is not None,
    ), status
