"""Secure messages on every audience's pages: the forms and how a thread is shown.

The audiences' views (caseworker, portal, partner) call ``app.messages.commands``; this
module holds what they share: the reply and new-thread fields, the labels, and a thread's
messages as lines with their author and any staff who helped the client send them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, flash, redirect
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from app.extensions import db_session
from app.labels import SECTIONS
from app.messages import commands
from app.messages.commands import ThreadView
from app.messages.queries import ThreadRow
from app.messages.rules import BODY_MAX, SUBJECT_MAX
from app.models import Organisation, Role
from app.models.message import MessageThread, ThreadKind
from app.pagination import ListPage
from app.security import gate
from app.web.forms import refusals_shown_on
from consent.base import utcnow
from consent.facts import Actor, Purpose
from consent.sections import SectionKind, scope_of
from sharing.fields import sealed

THREAD_KINDS = {
    ThreadKind.CLIENT: _l("With the client"),
    ThreadKind.NETWORK: _l("With an organisation in the network"),
    ThreadKind.MEETING: _l("Network meeting"),
}


def section_choices(blank: str) -> list[SelectChoice]:
    """The plan sections to choose from, after ``blank`` (none chosen)."""
    return [
        SelectChoice("", blank),
        *(SelectChoice(kind.value, str(label)) for kind, label in SECTIONS.items()),
    ]


class ReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Message"),
        description=_l("At most 5,000 characters."),
        render_kw={"rows": 6, "maxlength": BODY_MAX},
    )
    refers_to = SelectField(
        _l("Refers to a part of the plan (optional)"),
        validators=[Optional()],
        description=_l(
            "Only a part that everyone in the conversation may see now can be referred to."
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.refers_to.choices = section_choices(gettext("None"))

    def refers_to_section(self) -> SectionKind | None:
        return SectionKind(self.refers_to.data) if self.refers_to.data else None


class ClientMessageForm(FlaskForm):
    """The client's new message to the county: plain words, no plan references."""

    subject = StringField(
        _l("What is it about?"),
        description=_l("A few words, for example: My housing."),
        render_kw={"maxlength": SUBJECT_MAX},
    )
    body = TextAreaField(
        _l("Your message"),
        description=_l("Write as you would speak. At most 5,000 characters."),
        render_kw={"rows": 8, "maxlength": BODY_MAX},
    )


class ClientReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Your answer"),
        description=_l("At most 5,000 characters."),
        render_kw={"rows": 6, "maxlength": BODY_MAX},
    )


@dataclass(frozen=True)
class Line:
    """One message as a page shows it."""

    id: uuid.UUID
    sent_at: datetime
    author: str  # a name or an organisation's, already translated where it is a role
    mine: bool
    helped_by: str | None  # staff at the client's terminal: "sent with the help of …"
    refers_to: SectionKind | None
    body: str


def lines(
    view: ThreadView,
    reader_id: uuid.UUID | None,
    *,
    for_client: bool,
    person_names: Mapping[uuid.UUID, str] | None = None,
) -> list[Line]:
    """The thread's messages, oldest first, with names (one query for the organisations).

    ``reader_id`` is the reader's user id, or a person member's id; ``person_names`` the
    person members' names where the reader has opened them (else a plain description)."""
    org_ids = {m.message.author_organisation_id for m in view.messages} - {None}
    names: dict[uuid.UUID | None, str] = (
        {
            org_id: name
            for org_id, name in db_session().execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
            )
        }
        if org_ids
        else {}
    )
    shown = []
    for item in view.messages:
        message = item.message
        author = view.users.get(message.author_id) if message.author_id else None
        mine = reader_id is not None and reader_id in (message.author_id, message.author_member_id)
        if mine:
            who = gettext("You")
        elif message.author_member_id is not None:
            who = (person_names or {}).get(message.author_member_id) or gettext(
                "A person in the client's network"
            )
        elif author is not None and author.role is Role.CLIENT:
            who = gettext("The client")
        elif author is not None and author.role is Role.PARTNER:
            org = (
                names.get(message.author_organisation_id)
                if message.author_organisation_id
                else None
            )
            who = f"{author.display_name} ({org})" if org else author.display_name
        elif author is not None:
            who = (
                gettext("%(name)s, your worker", name=author.display_name)
                if for_client
                else author.display_name
            )
        else:
            who = gettext("Someone who no longer has an account")
        helper = view.users.get(message.assisted_by_id) if message.assisted_by_id else None
        shown.append(
            Line(
                message.id,
                message.sent_at,
                who,
                mine,
                helper.display_name if helper is not None else None,
                message.refers_to,
                item.body,
            )
        )
    return shown


def answered(
    form: ReplyForm | ClientReplyForm,
    actor: Actor,
    client_id: uuid.UUID,
    thread_id: uuid.UUID,
    *,
    sent: str,
    back_to: str,
) -> Response | None:
    """Send the form's answer to the thread (``post_message``); the redirect back to the
    thread when sent, ``None`` when the form or the command refused it (shown on the form)."""
    if not form.validate_on_submit():
        return None
    refers_to = form.refers_to_section() if isinstance(form, ReplyForm) else None
    with refusals_shown_on(form):
        commands.post_message(
            db_session(),
            gate(),
            actor,
            client_id=client_id,
            thread_id=thread_id,
            body=form.body.data or "",
            refers_to=refers_to,
            now=utcnow(),
        )
        flash(sent, "info")
        return redirect(back_to)
    return None


def with_subjects(
    actor: Actor, listing: ListPage[ThreadRow], purpose: Purpose
) -> list[tuple[ThreadRow, str | None]]:
    """A page of threads with their subjects, opened in one gate read (logged)."""
    subjects = (
        gate().read_texts(
            actor,
            [sealed(row.thread, MessageThread.subject_ct) for row in listing.rows],
            purpose=purpose,
        )
        if listing.rows
        else []
    )
    return list(zip(listing.rows, subjects, strict=True))


def thread_topic(scope: str) -> str:
    """What a thread is about: a plan section's name, or the client's own thread."""
    named = scope_of(scope)
    if isinstance(named, SectionKind):
        return str(SECTIONS[named])
    return gettext("Between the client and the county")


def init_app(app: Flask) -> None:
    app.add_template_global(thread_topic)
    app.add_template_global(lambda kind: str(THREAD_KINDS[ThreadKind(kind)]), "thread_kind_label")
