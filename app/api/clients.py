"""Clients: the county's caseload, one client's overview, their network and information flows.

Each operation reads what the matching web page reads, with the same services and one
batched gate call: the caseload (``app/caseworker/views.py``), the overview (the
caseworker's overview, the client's own home, the partner's client page), and the network
(``read_network``, as the caseworker's and the client's network pages).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask_login import current_user
from marshmallow import ValidationError, fields, validate, validates_schema

from app.api import bp
from app.api.access import Reach, reach
from app.api.accounts import OrganisationRef
from app.api.schemas import PageQuery, Strict, enum_field, page_body, page_of
from app.api.spec import operation
from app.cases import queries as case_queries
from app.cases.rules import current_appointment
from app.extensions import db_session
from app.models import Case, MemberKind, Phase, Role
from app.models.case import Client
from app.models.flows import FlowChannel, FlowDirection
from app.network.queries import MemberView, NetworkView, read_network
from app.partner_work.rules import client_reference
from app.security import current_actor, gate
from consent.facts import Purpose
from consent.status import MembershipStatus
from sharing.fields import sealed

CLIENT_ROLES = (Role.CASEWORKER, Role.CLIENT)


# -- schemas -------------------------------------------------------------------------------


class WorkerRef(Strict):
    id = fields.UUID(required=True)
    display_name = fields.String(required=True)


class ClientsQuery(PageQuery):
    phase = enum_field(Phase, metadata={"description": "Only cases in this phase."})
    release_from = fields.Date(
        metadata={
            "description": "Release day (the start of probationary liberty when it comes "
            "first, else the conditional release) on or after this day."
        }
    )
    release_to = fields.Date(metadata={"description": "Release day on or before this day."})
    responsible = fields.String(
        validate=validate.OneOf(["me"]),
        metadata={"description": "`me`: only the cases whose responsible worker you are."},
    )

    @validates_schema
    def _window(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("release_from"), data.get("release_to")
        if start is not None and end is not None and end < start:
            raise ValidationError("Give a day on or after release_from.", "release_to")


class ClientItem(Strict):
    id = fields.UUID(required=True)
    name = fields.String(required=True, allow_none=True)
    phase = enum_field(Phase, required=True)
    sentence_start = fields.Date(required=True, allow_none=True)
    conditional_release = fields.Date(
        required=True, allow_none=True, metadata={"description": "Expected."}
    )
    probation_start = fields.Date(required=True, allow_none=True)
    probation_end = fields.Date(required=True, allow_none=True)
    responsible_worker = fields.Nested(WorkerRef, required=True, allow_none=True)
    opened_at = fields.AwareDateTime(required=True)
    closed_at = fields.AwareDateTime(required=True, allow_none=True)


class ClientOverview(Strict):
    """One client as the caller's own web page shows them: which fields are present depends
    on the role (caseworkers get them all; the client their own home page's; partner staff
    the name and their organisation's reference)."""

    id = fields.UUID(required=True)
    name = fields.String(required=True, allow_none=True)
    reference = fields.String(
        metadata={"description": "Partner staff: your organisation's own reference."}
    )
    phase = enum_field(Phase)
    sentence_start = fields.Date(allow_none=True)
    conditional_release = fields.Date(allow_none=True, metadata={"description": "Expected."})
    probation_start = fields.Date(allow_none=True)
    probation_end = fields.Date(allow_none=True)
    responsible_worker = fields.Nested(WorkerRef, allow_none=True)
    case_team = fields.List(fields.Nested(WorkerRef), metadata={"description": "Current."})
    opened_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)


class ConfidentialityCommitment(Strict):
    needed = fields.Boolean(
        required=True, metadata={"description": "False for authorities (bound by law)."}
    )
    committed_on = fields.Date(required=True, allow_none=True)


class NetworkMemberOut(Strict):
    id = fields.UUID(required=True)
    kind = enum_field(MemberKind, required=True)
    organisation = fields.Nested(OrganisationRef, required=True, allow_none=True)
    person_name = fields.String(
        required=True, allow_none=True, metadata={"description": "A person member's name."}
    )
    role = fields.String(required=True, allow_none=True)
    contact = fields.String(required=True, allow_none=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True, allow_none=True, metadata={"description": "Inclusive."})
    ended_at = fields.AwareDateTime(required=True, allow_none=True)
    status = enum_field(MembershipStatus, required=True)
    confidentiality_commitment = fields.Nested(
        ConfidentialityCommitment, metadata={"description": "Caseworkers only."}
    )


class ClientNetwork(Strict):
    members = fields.List(fields.Nested(NetworkMemberOut), required=True)


class FlowMember(Strict):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    kind = enum_field(MemberKind, required=True)


class FlowQuery(PageQuery):
    active = fields.Boolean(
        metadata={"description": "true: only agreements in force; false: only ended ones."}
    )
    member_id = fields.UUID(metadata={"description": "Only the agreements with this member."})


class FlowOut(Strict):
    id = fields.UUID(required=True)
    member = fields.Nested(FlowMember, required=True)
    direction = enum_field(FlowDirection, required=True)
    channel = enum_field(FlowChannel, required=True)
    subject = fields.String(required=True, metadata={"description": "What information flows."})
    practice = fields.String(required=True, metadata={"description": "Who informs whom, when."})
    agreed_on = fields.Date(required=True)
    ended_at = fields.AwareDateTime(required=True, allow_none=True)


# -- the caseload --------------------------------------------------------------------------


@operation(
    bp,
    "/clients",
    "GET",
    summary="The county's clients, soonest release first",
    tag="Clients",
    roles=[Role.CASEWORKER],
    query=ClientsQuery,
    response=page_of(ClientItem, "ClientPage"),
)
def list_clients(query: dict[str, Any]) -> dict[str, Any]:
    """Every case of your county that is not yet disposed of, as on the caseload page.
    Names are read for the list only (one logged read per client)."""
    page = case_queries.county_caseload(
        db_session(),
        current_user.organisation_id,
        phase=query.get("phase"),
        release_from=query.get("release_from"),
        release_to=query.get("release_to"),
        responsible_id=current_user.id if query.get("responsible") == "me" else None,
        page=query["page"],
        per_page=query["per_page"],
    )
    # The query serves the last page for a page past the end; the API serves none.
    rows = page.rows if page.page == query["page"] else []
    names = (
        gate().read_texts(
            current_actor(),
            [sealed(row.client, Client.name_ct) for row in rows],
            purpose=Purpose.LIST,
        )
        if rows
        else []
    )
    items = [
        _dates(row.case)
        | {"id": row.client.id, "name": name, "responsible_worker": row.responsible_worker}
        for row, name in zip(rows, names, strict=True)
    ]
    return page_body(items, page=query["page"], per_page=query["per_page"], total=page.total)


def _dates(case: Case) -> dict[str, Any]:
    return {
        "phase": case.phase,
        "sentence_start": case.sentence_start,
        "conditional_release": case.conditional_release,
        "probation_start": case.probation_start,
        "probation_end": case.probation_end,
        "opened_at": case.opened_at,
        "closed_at": case.closed_at,
    }


# -- one client ----------------------------------------------------------------------------


@operation(
    bp,
    "/clients/<uuid:client_id>",
    "GET",
    summary="One client: the overview your web page shows",
    tag="Clients",
    roles=[Role.CASEWORKER, Role.CLIENT, Role.PARTNER],
    response=ClientOverview,
    statuses=(404,),
)
def client_overview(client_id: uuid.UUID) -> dict[str, Any]:
    """Caseworkers: phase, key dates, responsible worker, case team, opened and closed.
    The client (their own id, from `GET /me`): what their own home page shows. Partner
    staff with something shared now: the name and your organisation's reference."""
    found = reach(client_id)
    name = gate().read_texts(
        found.actor, [sealed(found.client, Client.name_ct)], purpose=found.purpose
    )[0]
    body: dict[str, Any] = {"id": found.client.id, "name": name}
    case = found.case
    if found.role is Role.PARTNER:
        assert found.actor.organisation_id is not None  # reach() refuses partners without one
        body["reference"] = client_reference(found.client.id, found.actor.organisation_id)
        return body
    appointment = current_appointment(case_queries.appointments(db_session(), case.id))
    worker = appointment.worker if appointment else None
    if found.role is Role.CLIENT:
        return body | {
            "phase": case.phase,
            "conditional_release": case.conditional_release,
            "responsible_worker": worker,
        }
    team = case_queries.team(db_session(), case.id)
    return (
        body
        | _dates(case)
        | {
            "responsible_worker": worker,
            "case_team": [row.user for row in team.current],
        }
    )


# -- the network and its information flows -------------------------------------------------


def _network(found: Reach) -> NetworkView:
    return read_network(db_session(), gate(), found.actor, found.case, purpose=found.purpose)


def _shown_to_client(view: MemberView) -> bool:
    return view.status is not MembershipStatus.ENDED


@operation(
    bp,
    "/clients/<uuid:client_id>/network",
    "GET",
    summary="The client's support network",
    tag="ClientNetwork",
    roles=CLIENT_ROLES,
    response=ClientNetwork,
    statuses=(404,),
)
def client_network(client_id: uuid.UUID) -> dict[str, Any]:
    """Every member the case has had, current and ended, in the order they joined. The
    client sees a member who has left by name, kind and dates only, as on "My network"."""
    found = reach(client_id)
    view = _network(found)
    caseworker = found.role is Role.CASEWORKER
    members = []
    for m in view.members:
        member = m.member
        hidden = not caseworker and not _shown_to_client(m)
        item: dict[str, Any] = {
            "id": member.id,
            "kind": member.kind,
            "organisation": member.organisation,
            "person_name": m.label if member.organisation is None else None,
            "role": None if hidden else m.role or None,
            "contact": None if hidden else m.contact or None,
            "starts_on": member.starts_on,
            "ends_on": member.ends_on,
            "ended_at": member.ended_at,
            "status": m.status,
        }
        if caseworker:
            item["confidentiality_commitment"] = {
                "needed": member.needs_confidentiality_commitment,
                "committed_on": member.confidentiality_committed_on,
            }
        members.append(item)
    return {"members": members}


@operation(
    bp,
    "/clients/<uuid:client_id>/flows",
    "GET",
    summary="The information flows agreed with the client",
    tag="ClientNetwork",
    roles=CLIENT_ROLES,
    query=FlowQuery,
    response=page_of(FlowOut, "FlowPage"),
    statuses=(404,),
)
def client_flows(client_id: uuid.UUID, query: dict[str, Any]) -> dict[str, Any]:
    """In the order they were recorded. Caseworkers see ended agreements too (with
    `ended_at`); the client sees the agreements in force with current members, as on
    "My network"."""
    found = reach(client_id)
    view = _network(found)
    caseworker = found.role is Role.CASEWORKER
    rows = [
        (m, f)
        for m in view.members
        if caseworker or _shown_to_client(m)
        for f in (m.flows if caseworker else m.active_flows)
        if query.get("member_id") in (None, m.member.id)
        and query.get("active") in (None, f.flow.ended_at is None)
    ]
    rows.sort(key=lambda pair: (pair[1].flow.recorded_at, str(pair[1].flow.id)))
    page, per_page = query["page"], query["per_page"]
    chosen = rows[(page - 1) * per_page : page * per_page]
    items = [
        {
            "id": f.flow.id,
            "member": {"id": m.member.id, "name": m.label, "kind": m.member.kind},
            "direction": f.flow.direction,
            "channel": f.flow.channel,
            "subject": f.subject,
            "practice": f.practice,
            "agreed_on": f.flow.agreed_on,
            "ended_at": f.flow.ended_at,
        }
        for m, f in chosen
    ]
    return page_body(items, page=page, per_page=per_page, total=len(rows))
