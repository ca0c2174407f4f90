"""The partner's messages with the county about shared clients.

Only the organisation's own threads about clients it shares something with now are listed;
opening one reads it through the gate as ``Purpose.NETWORK_COOPERATION`` under the thread's
plan section, so a thread whose section is no longer shared (consent or membership ended)
is the same 404 as one that does not exist, and the denial is in the client's log.
"""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField, TextAreaField

from app.extensions import db_session
from app.messages import commands, queries
from app.messages.rules import BODY_MAX, SUBJECT_MAX
from app.models import Role
from app.models.case import Client
from app.models.message import ThreadKind
from app.security import allow, current_actor, gate
from app.web.forms import refusals_shown_on
from app.web.messages import ReplyForm, answered, lines, section_choices
from app.web.partner import bp
from consent.base import utcnow
from consent.facts import Action, Purpose
from consent.sections import DataScope, SectionKind
from sharing.fields import sealed

COOP = Purpose.NETWORK_COOPERATION


class PartnerThreadForm(FlaskForm):
    section = SelectField(
        _l("Part of the plan the conversation is about"),
        description=_l("A part of the client's plan your organisation may see now."),
    )
    subject = StringField(_l("Subject"), render_kw={"maxlength": SUBJECT_MAX})
    body = TextAreaField(
        _l("Message"),
        description=_l("At most 5,000 characters."),
        render_kw={"rows": 8, "maxlength": BODY_MAX},
    )


@bp.route("/messages")
@allow(Role.PARTNER)
def messages() -> str:
    listing = queries.organisation_threads(
        db_session(),
        current_user.organisation_id,
        current_user.id,
        at=utcnow(),
        page=request.args.get("page", 1, type=int),
    )
    names = (
        gate().read_texts(
            current_actor(),
            [sealed(row.client, Client.name_ct) for row in listing.rows],
            purpose=COOP,
        )
        if listing.rows
        else []
    )
    return render_template(
        "partner/messages.html", listing=listing, rows=list(zip(listing.rows, names, strict=True))
    )


def _client_name(client_id: uuid.UUID) -> str:
    """The client's name, read through the gate (a client not shared is a logged 404)."""
    actor = current_actor()
    gate().check(actor, client_id, Action.READ, COOP, DataScope.NAME)
    client = db_session().get(Client, client_id)
    assert client is not None
    return gate().read_text(actor, *sealed(client, Client.name_ct), purpose=COOP) or ""


@bp.route("/clients/<uuid:client_id>/messages/new", methods=["GET", "POST"])
@allow(Role.PARTNER)
def message_new(client_id: uuid.UUID) -> Response | tuple[str, int]:
    name = _client_name(client_id)
    form = PartnerThreadForm()
    form.section.choices = section_choices(gettext("Choose"))
    if form.validate_on_submit():
        members = [
            o.member_id
            for o in queries.client_memberships(
                db_session(), client_id, current_user.organisation_id, at=utcnow()
            )
        ]
        with refusals_shown_on(form):
            thread = commands.start_thread(
                db_session(),
                gate(),
                current_actor(),
                client_id=client_id,
                kind=ThreadKind.NETWORK,
                subject=form.subject.data or "",
                body=form.body.data or "",
                section=SectionKind(form.section.data) if form.section.data else None,
                member_ids=members[:1],
                now=utcnow(),
            )
            flash(gettext("The message was sent."), "info")
            return redirect(
                url_for("partner.message_thread", client_id=client_id, thread_id=thread.id)
            )
    status = 400 if request.method == "POST" else 200
    return render_template(
        "partner/message_new.html", form=form, client_id=client_id, name=name
    ), status


@bp.route("/clients/<uuid:client_id>/messages/<uuid:thread_id>", methods=["GET", "POST"])
@allow(Role.PARTNER)
def message_thread(client_id: uuid.UUID, thread_id: uuid.UUID) -> Response | tuple[str, int]:
    actor = current_actor()
    form = ReplyForm()
    status = 200
    if request.method == "POST":
        back = url_for("partner.message_thread", client_id=client_id, thread_id=thread_id)
        sent = gettext("The message was sent.")
        if done := answered(form, actor, client_id, thread_id, sent=sent, back_to=back):
            return done
        status = 400
    view = commands.read_thread(
        db_session(), gate(), actor, client_id=client_id, thread_id=thread_id, now=utcnow()
    )
    return render_template(
        "partner/message_thread.html",
        view=view,
        name=_client_name(client_id),
        lines=lines(view, current_user.id, for_client=False),
        participants=queries.thread_participants(db_session(), view.thread.id),
        form=form,
    ), status
