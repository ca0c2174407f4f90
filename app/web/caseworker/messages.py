"""Messages about a client: the worker's threads with the client and with the network.

The worker's own list (``/caseworker/messages``) shows the threads of their cases, the
client's record a tab of every thread about the client; opening a thread reads it through
the gate (``Purpose.CASE_WORK``), which also decides a colleague's work task.
"""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import Optional

from app.extensions import db_session
from app.labels import MEMBER_KINDS
from app.messages import commands, queries
from app.messages.rules import BODY_MAX, SUBJECT_MAX
from app.models import NetworkMember, Role
from app.models.message import ThreadKind
from app.security import allow, gate
from app.web.caseworker import bp
from app.web.caseworker.context import ClientPage, client_page, list_names
from app.web.forms import refusals_shown_on
from app.web.messages import (
    THREAD_KINDS,
    ReplyForm,
    answered,
    lines,
    section_choices,
    with_subjects,
)
from consent.base import utcnow
from consent.facts import Purpose
from consent.sections import SectionKind
from sharing.fields import sealed


class NewThreadForm(FlaskForm):
    kind = RadioField(
        _l("Who is the conversation with?"),
        choices=[SelectChoice(kind.value, label) for kind, label in THREAD_KINDS.items()],
        default=ThreadKind.CLIENT.value,
        invalid_choice_message=_l("Choose who the conversation is with."),
    )
    members = SelectMultipleField(
        _l("Who takes part"),
        description=_l(
            "For a conversation with an organisation choose one; for a network meeting, "
            "everyone taking part. Close persons and peer experts take part only in a "
            "network meeting, and read it through their own link."
        ),
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validators=[Optional()],
        validate_choice=False,
    )
    section = SelectField(
        _l("Part of the plan the conversation is about"),
        description=_l(
            "Needed with organisations: the conversation is shared with them as this part "
            "of the plan is, and ends for them when their consent or membership does."
        ),
        validators=[Optional()],
    )
    includes_client = BooleanField(_l("The client takes part in the network meeting"))
    subject = StringField(_l("Subject"), render_kw={"maxlength": SUBJECT_MAX})
    body = TextAreaField(
        _l("Message"),
        description=_l("At most 5,000 characters."),
        render_kw={"rows": 8, "maxlength": BODY_MAX},
    )
    refers_to = SelectField(
        _l("Refers to a part of the plan (optional)"),
        validators=[Optional()],
        description=_l(
            "Only a part that everyone in the conversation may see now can be referred to."
        ),
    )


@bp.route("/messages")
@allow(Role.CASEWORKER)
def messages() -> str:
    """The threads of the worker's own cases, newest first, with unread ones marked (the
    dashboard's number links to the unread ones alone: ``?unread=1``)."""
    unread_only = request.args.get("unread") == "1"
    listing = queries.worker_threads(
        db_session(),
        current_user.id,
        page=request.args.get("page", 1, type=int),
        unread_only=unread_only,
    )
    names = list_names([row.client for row in listing.rows]) if listing.rows else []
    return render_template(
        "caseworker/messages.html",
        listing=listing,
        unread_only=unread_only,
        rows=list(zip(listing.rows, names, strict=True)),
    )


@bp.route("/clients/<uuid:client_id>/messages")
@allow(Role.CASEWORKER)
@client_page
def client_messages(page: ClientPage) -> str:
    listing = queries.case_threads(
        db_session(), page.client.id, current_user.id, page=request.args.get("page", 1, type=int)
    )
    return render_template(
        "caseworker/client_messages.html",
        page=page,
        listing=listing,
        rows=with_subjects(page.actor, listing, Purpose.CASE_WORK),
    )


@bp.route("/clients/<uuid:client_id>/messages/new", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def message_new(page: ClientPage) -> Response | tuple[str, int]:
    form = NewThreadForm()
    organisations = queries.network_organisations(db_session(), page.case.id, at=utcnow())
    persons = queries.network_persons(db_session(), page.case.id, at=utcnow())
    names = _person_names(page, persons)
    form.members.choices = [SelectChoice(str(o.member_id), o.name) for o in organisations] + [
        SelectChoice(str(m.id), f"{names[m.id]} ({MEMBER_KINDS[m.kind]})") for m in persons
    ]
    form.section.choices = section_choices(gettext("Choose"))
    form.refers_to.choices = section_choices(gettext("None"))
    if form.validate_on_submit():
        with refusals_shown_on(form):
            thread = commands.start_thread(
                db_session(),
                gate(),
                page.actor,
                client_id=page.client.id,
                kind=ThreadKind(form.kind.data),
                subject=form.subject.data or "",
                body=form.body.data or "",
                section=SectionKind(form.section.data) if form.section.data else None,
                member_ids=[_uuid(value) for value in form.members.data or []],
                includes_client=bool(form.includes_client.data),
                refers_to=SectionKind(form.refers_to.data) if form.refers_to.data else None,
                now=utcnow(),
            )
            flash(gettext("The message was sent."), "info")
            return redirect(
                url_for("caseworker.message_thread", client_id=page.client.id, thread_id=thread.id)
            )
    status = 400 if request.method == "POST" else 200
    return render_template("caseworker/message_new.html", page=page, form=form), status


def _person_names(page: ClientPage, persons: list[NetworkMember]) -> dict[uuid.UUID, str]:
    """The person members' names, opened through the gate as the worker (one read)."""
    if not persons:
        return {}
    texts = gate().read_texts(
        page.actor,
        [sealed(m, NetworkMember.person_name_ct) for m in persons],
        purpose=Purpose.CASE_WORK,
    )
    return {m.id: text or "" for m, text in zip(persons, texts, strict=True)}


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.UUID(int=0)  # no member has it: refused as not in the network


@bp.route("/clients/<uuid:client_id>/messages/<uuid:thread_id>", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page(answers_when_closed=False)
def message_thread(page: ClientPage, thread_id: uuid.UUID) -> Response | tuple[str, int]:
    form = ReplyForm()
    status = 200
    if request.method == "POST":
        back = url_for("caseworker.message_thread", client_id=page.client.id, thread_id=thread_id)
        sent = gettext("The message was sent.")
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
    persons = _person_names(page, queries.thread_persons(db_session(), view.thread.id))
    return render_template(
        "caseworker/message_thread.html",
        page=page,
        view=view,
        lines=lines(view, current_user.id, for_client=False, person_names=persons),
        participants=queries.thread_participants(db_session(), view.thread.id)
        + list(persons.values()),
        form=form,
    ), status
