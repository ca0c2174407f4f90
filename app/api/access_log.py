"""The client's own access log: who has looked at their information (the client's token only).

The same entries as the portal's "Who has looked at my information"
(``app/portal/access_log.py``, ``app.services.client_log.log_page``): reads, writes and
previews, allowed or refused, newest first, with the organisation, the role, the part of
the information and the basis. Staff names and exact times only when the settings say so
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
from app.client_log.queries import LogPage, log_page, previewed_id
from app.extensions import db
from app.models import MemberKind, Role
from app.models.log_query import LogQueryStatus
from app.security import gate
from app.services.fields import sealed
from app.settings import Settings
from consent.decision import Actor, ActorRole, Purpose, helsinki_day
from consent.sections import SectionKind
from sharing.access_log import AccessAction


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
        db.session,
        r.client.id,
        page=page,
        per_page=per_page,
        include_own=query["include_own"],
    )
    entries = logged.entries if logged.page == page else []
    items = _describe(logged, r.actor, r.client.id, entries) if entries else []
    return page_body(items, page=page, per_page=per_page, total=logged.total)


def _describe(
    logged: LogPage, actor: Actor, client_id: uuid.UUID, entries: list[Any]
) -> list[dict[str, Any]]:
    """The entries as the portal describes them, as data (one gate read for the names of
    person grantees and the answers to queries)."""
    settings: Settings = current_app.extensions["tukiverkko.settings"]
    persons = [m for m in logged.members.values() if m.person_name_ct is not None]
    answered = [q for q in logged.queries.values() if q.answer_ct is not None]
    refs = [sealed(m, "person_name_ct") for m in persons]
    refs += [sealed(q, "answer_ct") for q in answered]
    texts = iter(gate().read_texts(actor, refs, purpose=Purpose.OWN_DATA) if refs else [])
    names = {m.id: next(texts) for m in persons}
    answers = {q.id: next(texts) for q in answered}

    def org_name(org_id: uuid.UUID | None) -> str | None:
        org = logged.organisations.get(org_id) if org_id else None
        return org.name if org else None

    def member_of(member_id: uuid.UUID | None) -> tuple[str | None, MemberKind | None]:
        member = logged.members.get(member_id) if member_id else None
        if member is None:
            return None, None
        return names.get(member.id) or org_name(member.organisation_id), member.kind

    items = []
    for entry in entries:
        role = ActorRole(entry.actor_role)
        user = logged.users.get(entry.actor_user_id) if entry.actor_user_id else None
        who, member_kind = org_name(entry.organisation_id), None
        staff_name = user.display_name if user and settings.log_show_staff_names else None
        you = False
        if role is ActorRole.PERSON:
            who, member_kind = member_of(entry.member_id)
            staff_name = None
        elif role is ActorRole.CLIENT:
            you = user is not None and user.client_id == client_id
            who, staff_name = None, None
        assisted = None
        if entry.assisted_by_user_id is not None:
            helper = logged.users.get(entry.assisted_by_user_id)
            assisted = {
                "organisation": helper.organisation.name
                if helper and helper.organisation
                else None,
                "staff_name": helper.display_name
                if helper and settings.log_show_staff_names
                else None,
            }
        previewed_as = None
        if (target := previewed_id(entry)) is not None:
            previewed_as = (
                org_name(target[1]) if target[0] == "organisation" else member_of(target[1])[0]
            )
        disclosure = logged.disclosures.get(entry.basis_id) if entry.basis_id else None
        query = logged.queries.get(entry.id)
        items.append(
            {
                "id": entry.id,
                "date": helsinki_day(entry.at),
                "at": entry.at if settings.log_show_exact_times else None,
                "action": AccessAction(entry.action),
                "allowed": entry.allowed,
                "role": role,
                "you": you,
                "who": who,
                "member_kind": member_kind,
                "staff_name": staff_name,
                "assisted_by": assisted,
                "previewed_as": previewed_as,
                "scope": entry.scope,
                "section": _section(entry.scope),
                "reason": entry.reason,
                "basis": entry.basis_kind if entry.allowed else None,
                "provision": disclosure.provision
                if disclosure is not None and entry.basis_kind == "statutory"
                else None,
                "open_query_id": query.id
                if query is not None and query.status is LogQueryStatus.OPEN
                else None,
                "query": {
                    "id": query.id,
                    "status": query.status,
                    "asked_at": query.created_at,
                    "answer": answers.get(query.id),
                    "answered_at": query.resolved_at,
                }
                if query is not None
                else None,
            }
        )
    return items


def _section(scope: str) -> SectionKind | None:
    try:
        return SectionKind(scope.removeprefix("section:")) if scope.startswith("section:") else None
    except ValueError:
        return None
