"""What is shared with a partner organisation, its updates back, and notices to delete copies.

The partner's pages (``app/partner/views.py``) as operations: the clients shared with the
organisation now (names read through the gate, as the partner, in one batch), updates to
the client's responsible worker (stored as county data: the sender cannot read the text
back, the caseworker can), and the notices that ask the organisation to confirm it keeps
no copy after sharing ended early (consent revoked, membership ended, case closed).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort
from flask_login import current_user
from marshmallow import ValidationError, fields, validate, validates
from sqlalchemy import func, select

from app.api import bp
from app.api.access import reach, require_open
from app.api.schemas import PageQuery, Strict, enum_field, page_body, page_of
from app.api.spec import MarshalResult, operation
from app.extensions import db_session
from app.models import Organisation, Role, User
from app.models.case import Client
from app.models.partner import (
    TASK_REPORTS,
    NoticeReason,
    PartnerUpdate,
    PartnerUpdateKind,
    RevocationNotice,
)
from app.models.release import ChecklistItem, ItemState, ReleaseTask
from app.partner_work import commands, queries
from app.partner_work.rules import in_section_order
from app.security import current_actor, gate
from consent.base import utcnow
from consent.decision import BasisKind
from consent.facts import Purpose
from consent.sections import DataScope, SectionKind
from sharing.fields import sealed

# -- schemas ----------------------------------------------------------------------------------


class SharedBasisOut(Strict):
    kind = enum_field(BasisKind, required=True, metadata={"description": "consent or statutory"})
    sections = fields.List(enum_field(SectionKind), required=True)
    until = fields.Date(
        required=True, allow_none=True, metadata={"description": "The last day; null: no end."}
    )
    provision = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The legal provision of a statutory disclosure."},
    )


class SharedClientOut(Strict):
    client_id = fields.UUID(required=True)
    name = fields.String(required=True, allow_none=True)
    reference = fields.String(
        required=True,
        metadata={"description": "A reference only your organisation sees (also on notices)."},
    )
    sections = fields.List(enum_field(SectionKind), required=True)
    until = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "The last day anything stays shared; null: no end date."},
    )
    bases = fields.List(fields.Nested(SharedBasisOut), required=True)


class UpdateOrganisation(Strict):
    id = fields.UUID(required=True)
    name = fields.String(required=True)


class PartnerUpdateOut(Strict):
    id = fields.UUID(required=True)
    kind = enum_field(PartnerUpdateKind, required=True)
    created_at = fields.AwareDateTime(required=True)
    organisation = fields.Nested(UpdateOrganisation, required=True)
    author = fields.String(required=True, metadata={"description": "The sender's name."})
    acknowledged_at = fields.AwareDateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When the county acknowledged it; null until then."},
    )
    text = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "For caseworkers. Null for partner staff: once sent, the text is "
            "the county's data and the sender cannot read it back."
        },
    )
    sections = fields.List(
        enum_field(SectionKind),
        required=True,
        allow_none=True,
        metadata={
            "description": "The plan sections the client's consent to obtain information "
            "from the sender covered for this kind when it was received; null: sent by prison "
            "or probation under their own statutes, a task's report, or received before "
            "this was kept."
        },
    )


SENDABLE_KINDS = [k for k in PartnerUpdateKind if k not in TASK_REPORTS]


class PartnerUpdateIn(Strict):
    kind = enum_field(
        PartnerUpdateKind,
        required=True,
        validate=validate.OneOf(SENDABLE_KINDS),
        metadata={
            "description": "What the update is about; `other` is free text. A task's report "
            "(`task_done`, `task_not_possible`) is made on the task itself."
        },
    )
    text = fields.String(
        required=True, validate=validate.Length(min=1, max=commands.UPDATE_TEXT_MAX)
    )

    @validates("text")
    def _not_blank(self, value: str, **_: Any) -> None:
        if not value.strip():
            raise ValidationError("Write the update.")


class WorkerOut(Strict):
    name = fields.String(required=True)
    work_contact = fields.String(
        required=True, allow_none=True, metadata={"description": "A work phone or e-mail."}
    )


class TaskOut(Strict):
    id = fields.UUID(required=True)
    task = enum_field(
        ReleaseTask,
        required=True,
        allow_none=True,
        metadata={"description": "The generated task; null for one the worker added."},
    )
    due_on = fields.Date(required=True, allow_none=True)
    state = enum_field(ItemState, required=True)
    state_changed_at = fields.AwareDateTime(required=True, allow_none=True)


class TaskListOut(Strict):
    release_day = fields.Date(
        required=True,
        allow_none=True,
        metadata={
            "description": "The day the client leaves prison; null unless the release "
            "transition section is shared with your organisation (or not known yet)."
        },
    )
    responsible_worker = fields.Nested(WorkerOut, required=True, allow_none=True)
    responsible_sections = fields.List(
        enum_field(SectionKind),
        required=True,
        metadata={"description": "Shared plan sections that name your organisation responsible."},
    )
    tasks = fields.List(fields.Nested(TaskOut), required=True)


class TaskReportIn(Strict):
    state = enum_field(
        ItemState,
        required=True,
        validate=validate.OneOf([ItemState.DONE, ItemState.NOT_POSSIBLE]),
        metadata={"description": "`done` or `not_possible`."},
    )
    note = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=commands.UPDATE_TEXT_MAX),
        metadata={"description": "For the responsible worker; required for `not_possible`."},
    )


class NoticeOut(Strict):
    id = fields.UUID(required=True)
    reference = fields.String(
        required=True, metadata={"description": "The client's reference, as on /shared."}
    )
    sections = fields.List(enum_field(SectionKind), required=True)
    granted_on = fields.Date(required=True)
    reason = enum_field(
        NoticeReason,
        required=True,
        metadata={
            "description": "Why sharing ended early: the consent was revoked, the "
            "statutory disclosure was ended, your organisation's membership in the network "
            "ended, or the case was closed."
        },
    )
    revoked_at = fields.AwareDateTime(
        required=True, metadata={"description": "When sharing ended, whatever the reason."}
    )


class NoticeConfirmation(Strict):
    id = fields.UUID(required=True)
    confirmed_at = fields.AwareDateTime(required=True)
    already_confirmed = fields.Boolean(
        required=True, metadata={"description": "A colleague had confirmed it before you."}
    )


# -- what is shared ---------------------------------------------------------------------------


def _organisation_id() -> uuid.UUID:
    organisation_id = current_actor().organisation_id
    if organisation_id is None:  # partner accounts always belong to an organisation
        abort(403)
    return organisation_id


def _clamped(requested: int, served: int, rows: list[Any]) -> list[Any]:
    """The services serve the last page for a page past the end; the API serves none."""
    return rows if requested == served else []


@operation(
    bp,
    "/shared",
    "GET",
    summary="The clients shared with your organisation now",
    tag="Partner",
    roles=[Role.PARTNER],
    query=PageQuery,
    response=page_of(SharedClientOut, "SharedClientPage"),
)
def shared(query: dict[str, Any]) -> dict[str, Any]:
    """Clients with at least one plan section your organisation may read today, with the
    sections, until when and on which basis; the soonest-ending first."""
    organisation_id = _organisation_id()
    page, per_page = query["page"], query["per_page"]
    result = queries.shared_clients(
        db_session(), organisation_id, at=utcnow(), page=page, per_page=per_page
    )
    rows = _clamped(page, result.page, result.rows)
    names = (
        gate().read_texts(
            current_actor(),
            [sealed(row.client, Client.name_ct) for row in rows],
            purpose=Purpose.NETWORK_COOPERATION,
        )
        if rows
        else []
    )
    items = [
        {
            "client_id": row.client.id,
            "name": name,
            "reference": row.reference,
            "sections": row.access.sections,
            "until": row.access.until,
            "bases": [
                {
                    "kind": b.kind,
                    "sections": list(b.sections),
                    "until": b.until,
                    "provision": b.provision,
                }
                for b in row.access.bases
            ],
        }
        for row, name in zip(rows, names, strict=True)
    ]
    return page_body(items, page=page, per_page=per_page, total=result.total)


# -- updates ----------------------------------------------------------------------------------

UpdatePage = page_of(PartnerUpdateOut, "PartnerUpdatePage")


@operation(
    bp,
    "/clients/<uuid:client_id>/updates",
    "GET",
    summary="Updates from partners to the responsible worker",
    tag="Partner",
    roles=[Role.CASEWORKER, Role.PARTNER],
    query=PageQuery,
    response=UpdatePage,
    statuses=(404,),
)
def updates(client_id: uuid.UUID, query: dict[str, Any]) -> dict[str, Any]:
    """Partner staff: what your organisation has sent about the client (without the texts).
    Caseworkers: every update about the client's case, with its text. Newest first."""
    r = reach(client_id)
    page, per_page = query["page"], query["per_page"]
    if r.role is Role.PARTNER:
        sent = queries.sent_updates(
            db_session(), _organisation_id(), r.case.id, page=page, per_page=per_page
        )
        organisation = current_user.organisation
        items = [
            _update_body(update, organisation.id, organisation.name, author, None)
            for update, author in _clamped(page, sent.page, sent.rows)
        ]
        return page_body(items, page=page, per_page=per_page, total=sent.total)
    where = PartnerUpdate.case_id == r.case.id
    total = db_session().scalar(select(func.count(PartnerUpdate.id)).where(where)) or 0
    rows = [
        queries.WorkerUpdate(update, organisation, author)
        for update, organisation, author in db_session()
        .execute(
            select(PartnerUpdate, Organisation.name, User.display_name)
            .join(Organisation, Organisation.id == PartnerUpdate.organisation_id)
            .join(User, User.id == PartnerUpdate.author_id)
            .where(where)
            .order_by(PartnerUpdate.created_at.desc(), PartnerUpdate.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        .all()
    ]
    texts = queries.update_texts(gate(), r.actor, rows)
    items = [
        _update_body(u.update, u.update.organisation_id, u.organisation_name, u.author_name, text)
        for u, text in zip(rows, texts, strict=True)
    ]
    return page_body(items, page=page, per_page=per_page, total=total)


def _update_body(
    update: PartnerUpdate,
    organisation_id: uuid.UUID,
    organisation_name: str,
    author: str,
    text: str | None,
) -> dict[str, Any]:
    return {
        "id": update.id,
        "kind": update.kind,
        "created_at": update.created_at,
        "organisation": {"id": organisation_id, "name": organisation_name},
        "author": author,
        "acknowledged_at": update.acknowledged_at,
        "text": text,
        "sections": None if update.sections is None else in_section_order(update.sections),
    }


@operation(
    bp,
    "/clients/<uuid:client_id>/updates",
    "POST",
    summary="Send an update to the client's responsible worker",
    tag="Partner",
    roles=[Role.PARTNER],
    body=PartnerUpdateIn,
    response=PartnerUpdateOut,
    status=201,
    statuses=(404, 409),
)
def send_update(client_id: uuid.UUID, body: dict[str, Any]) -> MarshalResult:
    """What has happened on your side, as agreed in the information-flow agreement. The
    text is stored encrypted as the county's data, with your name and organisation.
    Refused (422, field `kind`: `no_flow_agreed`, `no_obtain_consent` or
    `kind_not_covered`) unless an information flow from your organisation to the county is
    agreed with the client and, except for prison and probation staff, the client's consent
    to the county obtaining information from you is in force and covers what the kind is
    about: `housing_offer` the housing section, `benefit_decision` livelihood,
    `release_date_changed` the release transition or probationary liberty; the other kinds
    any section the consent covers (write only about those)."""
    r = reach(client_id)
    require_open(r)
    update = commands.record_update(
        db_session(),
        gate(),
        r.actor,
        client_id=r.client.id,
        kind=body["kind"],
        text=body["text"],
    )
    organisation = current_user.organisation
    return MarshalResult(
        _update_body(update, organisation.id, organisation.name, current_user.display_name, None)
    )


# -- the organisation's checklist tasks --------------------------------------------------------


def _task_body(item: ChecklistItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "task": item.task,
        "due_on": item.due_on,
        "state": item.state,
        "state_changed_at": item.state_changed_at,
    }


@operation(
    bp,
    "/clients/<uuid:client_id>/tasks",
    "GET",
    summary="Your organisation's tasks on the client's release-day checklist",
    tag="Partner",
    roles=[Role.PARTNER],
    response=TaskListOut,
    statuses=(404,),
)
def tasks(client_id: uuid.UUID) -> dict[str, Any]:
    """The checklist items assigned to your organisation, by due date, with the release day
    (when the release transition section is shared with you), the shared sections whose
    goals name you responsible, and the client's responsible worker. Logged for the client."""
    r = reach(client_id)
    assert r.shared is not None  # a partner's reach carries what is shared
    work = queries.client_work(db_session(), r.case, r.shared)
    scopes: list[SectionKind | DataScope] = [DataScope.NAME]
    if work.release_day is not None:
        scopes.append(SectionKind.RELEASE_TRANSITION)
    gate().read_facts(r.actor, r.client.id, scopes, purpose=Purpose.NETWORK_COOPERATION)
    worker = work.worker
    return {
        "release_day": work.release_day,
        "responsible_worker": (
            {"name": worker.display_name, "work_contact": worker.work_contact} if worker else None
        ),
        "responsible_sections": work.responsible_sections,
        "tasks": [_task_body(item) for item in work.tasks],
    }


@operation(
    bp,
    "/clients/<uuid:client_id>/tasks/<uuid:item_id>/state",
    "POST",
    summary="Report one of your tasks done or not possible",
    tag="Partner",
    roles=[Role.PARTNER],
    body=TaskReportIn,
    response=TaskOut,
    statuses=(404, 409),
)
def report_task(client_id: uuid.UUID, item_id: uuid.UUID, body: dict[str, Any]) -> dict[str, Any]:
    """The responsible worker sees the state and your note at once (on the checklist, the
    dashboard and the client's updates). A task that cannot be done needs a note saying
    why (422). A task no longer open is a 409: the worker reopens it if needed."""
    r = reach(client_id)
    require_open(r)
    commands.report_task(
        db_session(),
        gate(),
        r.actor,
        client_id=r.client.id,
        item_id=item_id,
        state=body["state"],
        note=body["note"],
    )
    item = db_session().get(ChecklistItem, item_id)
    assert item is not None  # just reported
    return _task_body(item)


# -- revocation notices -----------------------------------------------------------------------


@operation(
    bp,
    "/notices",
    "GET",
    summary="Notices of ended sharing your organisation has not yet confirmed",
    tag="Partner",
    roles=[Role.PARTNER],
    query=PageQuery,
    response=page_of(NoticeOut, "NoticePage"),
)
def notices(query: dict[str, Any]) -> dict[str, Any]:
    """Each asks your organisation to confirm that it keeps no copy of what was shared under
    a consent whose sharing ended early (``reason``). Oldest first."""
    page, per_page = query["page"], query["per_page"]
    result = queries.pending_notices(db_session(), _organisation_id(), page=page, per_page=per_page)
    items = [
        {
            "id": row.notice.id,
            "reference": row.reference,
            "sections": row.sections,
            "granted_on": row.granted_on,
            "reason": row.notice.reason,
            "revoked_at": row.notice.created_at,
        }
        for row in _clamped(page, result.page, result.rows)
    ]
    return page_body(items, page=page, per_page=per_page, total=result.total)


@operation(
    bp,
    "/notices/<uuid:notice_id>/confirm",
    "POST",
    summary="Confirm that your organisation keeps no copy",
    tag="Partner",
    roles=[Role.PARTNER],
    response=NoticeConfirmation,
    statuses=(404,),
)
def confirm_notice(notice_id: uuid.UUID) -> dict[str, Any]:
    """The client sees that your organisation has confirmed. Confirming twice is harmless."""
    confirmed = commands.confirm_notice(
        db_session(),
        notice_id,
        organisation_id=_organisation_id(),
        by_user_id=current_user.id,
    )
    notice = db_session().get(RevocationNotice, notice_id)
    if notice is None or notice.confirmed_at is None:  # cannot happen: it was just confirmed
        abort(404)
    return {
        "id": notice.id,
        "confirmed_at": notice.confirmed_at,
        "already_confirmed": not confirmed,
    }
