"""The client's own access log: who has looked at their information (the client's token only).

The same entries as the portal's "Who has looked at my information"
(``app/portal/access_log.py``, ``app.client_log.queries.log_page``), described by the same
``app.client_log.queries.describe_entries`` and sent in its codes and names: reads, writes
and previews, allowed or refused, newest first, with the organisation, the role, the part
of the information and the basis. Staff names and exact times only when the settings say so
(``log_show_staff_names``, ``log_show_exact_times``); the client's own use is left out
unless asked for (``include_own``), but use with staff helping at the terminal is always
listed. The names of person grantees, and the worker's answers to the client's "I don't
recognise this" queries, are read through the gate as the client, as the portal reads
them, so reading the log is logged like the page.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from marshmallow import fields

from app.api import bp
from app.api.access import reach
from app.api.schemas import PageQuery, Strict, enum_field, page_body, page_of
from app.api.spec import operation
from app.client_log.queries import (
    DescribedEntry,
    LogPage,
    describe_entries,
    log_page,
    named_persons,
)
from app.extensions import db_session
from app.models import MemberKind, Role
from app.models.log_query import LogQuery, LogQueryStatus
from app.models.network import NetworkMember
from app.security import gate
from app.settings import Settings
from consent.facts import Actor, ActorRole, Purpose
from consent.sections import SectionKind
from consent.status import helsinki_day
from sharing.access_log import AccessAction
from sharing.fields import sealed


class AccessLogQuery(PageQuery):
    include_own = fields.Boolean(
        load_default=False,
        metadata={"description": "Also list your own use of your information."},
    )


class AssistingStaff(Strict):
    organisation = fields.String(required=True, allow_none=True)
    staff_name = fields.String(
        required=True, allow_none=True, metadata={"description": "Only when names are shown."}
    )


class LogQueryOut(Strict):
    id = fields.UUID(required=True)
    reference = fields.String(
        required=True,
        metadata={"description": "The short reference you and your worker name it by (LQ-7K3M)."},
    )
    status = enum_field(LogQueryStatus, required=True)
    asked_at = fields.AwareDateTime(required=True)
    answer = fields.String(
        required=True, allow_none=True, metadata={"description": "Your worker's answer."}
    )
    answered_at = fields.AwareDateTime(required=True, allow_none=True)


class AccessLogEntryOut(Strict):
    id = fields.UUID(required=True)
    date = fields.Date(required=True, metadata={"description": "The day (Helsinki time)."})
    at = fields.AwareDateTime(
        required=True,
        allow_none=True,
        metadata={"description": "The exact time, only when the county shows exact times."},
    )
    action = enum_field(AccessAction, required=True)
    allowed = fields.Boolean(required=True)
    role = enum_field(ActorRole, required=True)
    you = fields.Boolean(required=True, metadata={"description": "It was you."})
    who = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The organisation, or the name of a person in your network."},
    )
    member_kind = enum_field(
        MemberKind,
        required=True,
        allow_none=True,
        metadata={"description": "For a person in your network: how they belong to it."},
    )
    staff_name = fields.String(
        required=True, allow_none=True, metadata={"description": "Only when names are shown."}
    )
    assisted_by = fields.Nested(
        AssistingStaff,
        required=True,
        allow_none=True,
        metadata={"description": "Staff helped at the terminal in your own session."},
    )
    previewed_as = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "A preview: whose view of your information was checked."},
    )
    scope = fields.String(
        required=True, metadata={"description": "name, basic, or section:<plan section>."}
    )
    section = enum_field(SectionKind, required=True, allow_none=True)
    reason = fields.String(required=True, metadata={"description": "The decision's reason code."})
    basis = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "consent, statutory, relationship or work_task; null for your own "
            "information, automatic processing and refusals."
        },
    )
    provision = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The legal provision of a statutory disclosure."},
    )
    open_query_id = fields.UUID(
        required=True,
        allow_none=True,
        metadata={"description": 'Your open "I don\'t recognise this" query about it.'},
    )
    query = fields.Nested(
        LogQueryOut,
        required=True,
        allow_none=True,
        metadata={
            "description": 'Your newest "I don\'t recognise this" query about it, with the '
            "answer once your worker has given it."
        },
    )


@operation(
    bp,
    "/clients/<uuid:client_id>/access-log",
    "GET",
    summary="Who has looked at my information",
    tag="Access log",
    roles=[Role.CLIENT],
    query=AccessLogQuery,
    response=page_of(AccessLogEntryOut, "AccessLogPage"),
    statuses=(404,),
)
def access_log(client_id: uuid.UUID, query: dict[str, Any]) -> dict[str, Any]:
    """Your own log only (use the client_id of GET /me), the last two years, newest first."""
    r = reach(client_id)
    page, per_page = query["page"], query["per_page"]
    logged = log_page(
        db_session(),
        r.client.id,
        page=page,
        per_page=per_page,
        include_own=query["include_own"],
    )
    entries = logged.entries if logged.page == page else []
    items = _describe(logged, r.actor) if entries else []
    return page_body(items, page=page, per_page=per_page, total=logged.total)


def _describe(logged: LogPage, actor: Actor) -> list[dict[str, Any]]:
    """The entries as the portal describes them, as data (one gate read for the names of
    person grantees and the answers to queries)."""
    settings: Settings = current_app.extensions["tukiverkko.settings"]
    persons = named_persons(logged)
    answered = [q for q in logged.queries.values() if q.answer_ct is not None]
    refs = [sealed(m, NetworkMember.person_name_ct) for m in persons]
    refs += [sealed(q, LogQuery.answer_ct) for q in answered]
    texts = iter(gate().read_texts(actor, refs, purpose=Purpose.OWN_DATA) if refs else [])
    names = {m.id: next(texts) for m in persons}
    answers = {q.id: next(texts) for q in answered}
    return [
        _item(described, answers, exact_times=settings.log_show_exact_times)
        for described in describe_entries(
            logged, names, show_staff_names=settings.log_show_staff_names
        )
    ]


def _item(
    d: DescribedEntry, answers: dict[uuid.UUID, str | None], *, exact_times: bool
) -> dict[str, Any]:
    entry, query = d.entry, d.query
    return {
        "id": entry.id,
        "date": helsinki_day(entry.at),
        "at": entry.at if exact_times else None,
        "action": d.action,
        "allowed": entry.allowed,
        "role": d.role,
        "you": d.you,
        "who": d.who.name,
        "member_kind": d.who.member_kind,
        "staff_name": d.staff_name,
        "assisted_by": {
            "organisation": d.assisted_by.organisation,
            "staff_name": d.assisted_by.staff_name,
        }
        if d.assisted_by is not None
        else None,
        "previewed_as": d.previewed.name if d.previewed is not None else None,
        "scope": entry.scope,
        "section": d.section,
        "reason": entry.reason,
        "basis": d.basis,
        "provision": d.provision,
        "open_query_id": query.id
        if query is not None and query.status is LogQueryStatus.OPEN
        else None,
        "query": _query(query, answers) if query is not None else None,
    }


def _query(query: LogQuery, answers: dict[uuid.UUID, str | None]) -> dict[str, Any]:
    return {
        "id": query.id,
        "reference": query.reference,
        "status": query.status,
        "asked_at": query.created_at,
        "answer": answers.get(query.id),
        "answered_at": query.resolved_at,
    }
