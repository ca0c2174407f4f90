"""Secure messages for partner systems: the same commands and rules as the partner's pages.

A partner organisation lists its threads with the county about clients it shares something
with now, reads one (through the gate, under the thread's plan section), answers it, and
starts one about a client. When the client's consent or the organisation's membership ends,
the thread is a 404 like any other (the refusal is in the client's log), and a message may
refer to a plan section only if everyone in the thread may see it now (422, `refers_to`).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask_login import current_user
from marshmallow import ValidationError, fields, validate, validates

from app.api import bp
from app.api.access import reach, require_open
from app.api.schemas import PageQuery, Strict, enum_field, page_body, page_of
from app.api.spec import MarshalResult, operation
from app.extensions import db_session
from app.messages import commands, queries
from app.messages.commands import ThreadView
from app.messages.rules import BODY_MAX, SUBJECT_MAX
from app.models import Role
from app.models.case import Client
from app.models.message import ThreadKind
from app.security import current_actor, gate
from consent.base import utcnow
from consent.facts import Purpose
from consent.sections import SectionKind, scope_of
from sharing.fields import sealed

# -- schemas ----------------------------------------------------------------------------------


class ThreadSummaryOut(Strict):
    id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    client_name = fields.String(required=True, allow_none=True)
    kind = enum_field(ThreadKind, required=True)
    section = enum_field(
        SectionKind, required=True, metadata={"description": "The plan section it is about."}
    )
    last_message_at = fields.DateTime(required=True)
    unread = fields.Boolean(required=True)


class MessageOut(Strict):
    id = fields.UUID(required=True)
    sent_at = fields.DateTime(required=True)
    author = fields.String(required=True, allow_none=True)
    organisation_id = fields.UUID(required=True, allow_none=True)
    mine = fields.Boolean(required=True)
    sent_with_help_of = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Staff at the client's terminal in a staff-assisted session."},
    )
    refers_to = enum_field(SectionKind, required=True, allow_none=True)
    body = fields.String(required=True)


class ThreadOut(Strict):
    id = fields.UUID(required=True)
    client_id = fields.UUID(required=True)
    kind = enum_field(ThreadKind, required=True)
    section = enum_field(SectionKind, required=True)
    includes_client = fields.Boolean(required=True)
    subject = fields.String(required=True)
    messages = fields.List(fields.Nested(MessageOut), required=True)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Write something.")


class MessageIn(Strict):
    body = fields.String(required=True, validate=validate.Length(min=1, max=BODY_MAX))
    refers_to = enum_field(
        SectionKind,
        load_default=None,
        allow_none=True,
        metadata={"description": "A plan section everyone in the thread may see now."},
    )

    @validates("body")
    def _body(self, value: str, **_: Any) -> None:
        _not_blank(value)


class ThreadIn(MessageIn):
    section = enum_field(
        SectionKind,
        required=True,
        metadata={"description": "A plan section your organisation may see now."},
    )
    subject = fields.String(required=True, validate=validate.Length(min=1, max=SUBJECT_MAX))

    @validates("subject")
    def _subject(self, value: str, **_: Any) -> None:
        _not_blank(value)


# -- operations -------------------------------------------------------------------------------


@operation(
    bp,
    "/threads",
    "GET",
    summary="Your organisation's message threads with the county",
    tag="Messages",
    roles=[Role.PARTNER],
    query=PageQuery,
    response=page_of(ThreadSummaryOut, "ThreadSummaryPage"),
)
def threads(query: dict[str, Any]) -> dict[str, Any]:
    """Threads about clients who share something with your organisation now, newest first;
    `unread` when someone else wrote after you last read it."""
    actor = current_actor()
    assert actor.organisation_id is not None and actor.user_id is not None
    page, per_page = query["page"], query["per_page"]
    found = queries.organisation_threads(
        db_session(),
        actor.organisation_id,
        actor.user_id,
        at=utcnow(),
        page=page,
        per_page=per_page,
    )
    rows = found.rows if found.page == page else []  # the API serves no page past the end
    names = (
        gate().read_texts(
            actor,
            [sealed(row.client, Client.name_ct) for row in rows],
            purpose=Purpose.NETWORK_COOPERATION,
        )
        if rows
        else []
    )
    items = [
        {
            "id": row.thread.id,
            "client_id": row.client.id,
            "client_name": name,
            "kind": row.thread.kind,
            "section": scope_of(row.thread.scope),
            "last_message_at": row.thread.last_message_at,
            "unread": row.unread,
        }
        for row, name in zip(rows, names, strict=True)
    ]
    return page_body(items, page=page, per_page=per_page, total=found.total)


def _thread_body(view: ThreadView, reader: uuid.UUID | None) -> dict[str, Any]:
    def name(user_id: uuid.UUID | None) -> str | None:
        user = view.users.get(user_id) if user_id else None
        return user.display_name if user is not None else None

    return {
        "id": view.thread.id,
        "client_id": view.thread.client_id,
        "kind": view.thread.kind,
        "section": scope_of(view.thread.scope),
        "includes_client": view.thread.includes_client,
        "subject": view.subject,
        "messages": [
            {
                "id": m.message.id,
                "sent_at": m.message.sent_at,
                "author": name(m.message.author_id),
                "organisation_id": m.message.author_organisation_id,
                "mine": m.message.author_id == reader,
                "sent_with_help_of": name(m.message.assisted_by_id),
                "refers_to": m.message.refers_to,
                "body": m.body,
            }
            for m in view.messages
        ],
    }


@operation(
    bp,
    "/clients/<uuid:client_id>/threads",
    "POST",
    summary="Start a thread with the client's responsible worker",
    tag="Messages",
    roles=[Role.PARTNER],
    body=ThreadIn,
    response=ThreadOut,
    status=201,
    statuses=(404, 409),
)
def start_thread(client_id: uuid.UUID, body: dict[str, Any]) -> MarshalResult:
    """A thread about a plan section your organisation may see now (422, `section`:
    `section_not_shared`, otherwise), with its first message."""
    r = reach(client_id)
    require_open(r)
    members = queries.client_memberships(
        db_session(), r.client.id, r.actor.organisation_id or uuid.UUID(int=0), at=utcnow()
    )
    thread = commands.start_thread(
        db_session(),
        gate(),
        r.actor,
        client_id=r.client.id,
        kind=ThreadKind.NETWORK,
        subject=body["subject"],
        body=body["body"],
        section=body["section"],
        member_ids=[m.member_id for m in members[:1]],
        refers_to=body["refers_to"],
        now=utcnow(),
    )
    view = commands.read_thread(
        db_session(), gate(), r.actor, client_id=r.client.id, thread_id=thread.id, now=utcnow()
    )
    return MarshalResult(_thread_body(view, r.actor.user_id))


@operation(
    bp,
    "/clients/<uuid:client_id>/threads/<uuid:thread_id>",
    "GET",
    summary="Read a thread",
    tag="Messages",
    roles=[Role.PARTNER],
    response=ThreadOut,
    statuses=(404,),
)
def thread(client_id: uuid.UUID, thread_id: uuid.UUID) -> dict[str, Any]:
    """The thread's subject and messages, oldest first (the read is in the client's log)."""
    r = reach(client_id)
    view = commands.read_thread(
        db_session(), gate(), r.actor, client_id=r.client.id, thread_id=thread_id, now=utcnow()
    )
    return _thread_body(view, r.actor.user_id)


@operation(
    bp,
    "/clients/<uuid:client_id>/threads/<uuid:thread_id>/messages",
    "POST",
    summary="Send a message to a thread",
    tag="Messages",
    roles=[Role.PARTNER],
    body=MessageIn,
    response=MessageOut,
    status=201,
    statuses=(404, 409),
)
def post_message(client_id: uuid.UUID, thread_id: uuid.UUID, body: dict[str, Any]) -> MarshalResult:
    """Answer a thread; `refers_to` names a plan section everyone in the thread may see now
    (422, `refers_to`: `reference_not_shared`, otherwise)."""
    r = reach(client_id)
    require_open(r)
    message = commands.post_message(
        db_session(),
        gate(),
        r.actor,
        client_id=r.client.id,
        thread_id=thread_id,
        body=body["body"],
        refers_to=body["refers_to"],
        now=utcnow(),
    )
    return MarshalResult(
        {
            "id": message.id,
            "sent_at": message.sent_at,
            "author": current_user.display_name,
            "organisation_id": message.author_organisation_id,
            "mine": True,
            "sent_with_help_of": None,
            "refers_to": message.refers_to,
            "body": body["body"].strip(),
        }
    )
