"""The directory of organisations (no client data: every signed-in role may read it).

The same search as the administration's directory page (``app.directory.queries``):
organisations by name, their kind, whether they are an authority (may receive statutory
disclosures), the county a local one belongs to, business id, contact details and state.
An administrator changes an organisation's kind and authority flag by the same command as
the directory page (``app.directory.commands.update_organisation``).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort
from flask_login import current_user
from marshmallow import fields, validate

from app import security_log
from app.api import bp
from app.api.accounts import ALL_ROLES
from app.api.schemas import PageQuery, Strict, enum_field, page_body, page_of
from app.api.spec import operation
from app.directory import commands as directory
from app.directory.queries import search
from app.directory.rules import OrganisationFacts, kind_change_logged
from app.extensions import db_session
from app.models import Organisation, OrgKind, Role
from app.staff.commands import scope_of


class OrganisationQuery(PageQuery):
    kind = enum_field(OrgKind, metadata={"description": "Only organisations of this kind."})
    q = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Part of the name or the business id, in any case."},
    )
    active = fields.Boolean(
        metadata={"description": "Only active (true) or inactive (false) organisations."}
    )


class OrganisationOut(Strict):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    kind = enum_field(OrgKind, required=True)
    municipality = fields.String(required=True, allow_none=True)
    authority = fields.Boolean(
        required=True,
        attribute="is_authority",
        metadata={"description": "May receive statutory disclosures (never an NGO)."},
    )
    county_id = fields.UUID(
        required=True,
        allow_none=True,
        metadata={
            "description": "The county a local organisation belongs to; null: it spans counties."
        },
    )
    business_id = fields.String(
        required=True, allow_none=True, metadata={"description": "Y-tunnus, e.g. 0109862-8."}
    )
    phone = fields.String(required=True, allow_none=True)
    email = fields.String(required=True, allow_none=True)
    address = fields.String(required=True, allow_none=True)
    active = fields.Boolean(required=True)


class OrganisationKindIn(Strict):
    kind = enum_field(OrgKind, required=True)
    authority = fields.Boolean(
        required=True,
        metadata={"description": "Whether it may receive statutory disclosures (never an NGO)."},
    )


@operation(
    bp,
    "/organisations",
    "GET",
    summary="The directory of organisations",
    tag="Directory",
    roles=ALL_ROLES,
    query=OrganisationQuery,
    response=page_of(OrganisationOut, "OrganisationPage"),
)
def organisations(query: dict[str, Any]) -> dict[str, Any]:
    page, per_page = query["page"], query["per_page"]
    listing = search(
        db_session(),
        q=query.get("q", ""),
        kind=query.get("kind"),
        active=query.get("active"),
        page=page,
        per_page=per_page,
    )
    return page_body(
        [org for org, _ in listing.rows], page=listing.page, per_page=per_page, total=listing.total
    )


@operation(
    bp,
    "/organisations/<uuid:organisation_id>",
    "GET",
    summary="One organisation of the directory",
    tag="Directory",
    roles=ALL_ROLES,
    response=OrganisationOut,
    statuses=(404,),
)
def organisation(organisation_id: uuid.UUID) -> Organisation:
    """Its kind, whether it is an authority, its county, business id, contacts and state."""
    found = db_session().get(Organisation, organisation_id)
    if found is None:
        abort(404)
    return found


@operation(
    bp,
    "/organisations/<uuid:organisation_id>/kind",
    "POST",
    summary="Change an organisation's kind and whether it is an authority",
    tag="Directory",
    roles=[Role.ADMIN],
    body=OrganisationKindIn,
    response=OrganisationOut,
    statuses=(404, 409),
)
def change_organisation_kind(organisation_id: uuid.UUID, body: dict[str, Any]) -> Organisation:
    """Its other details stay. An organisation in clients' networks keeps its kind until
    those memberships end (409 `kind_has_members`, field `kind`); it stays an authority
    while it receives statutory disclosures (409 `authority_has_disclosures`) or has
    memberships without a confidentiality commitment (409 `authority_members_uncommitted`,
    field `authority`): the detail says how many, and the clients' responsible workers end
    those first. A kind that cannot be an authority, or must be one, is refused per field
    (422). A county's administrator changes only its own county's organisations (404)."""
    found = db_session().get(Organisation, organisation_id)
    if found is None:
        abort(404)
    was = (found.kind, found.is_authority)
    facts = OrganisationFacts(
        name=found.name,
        kind=body["kind"],
        authority=body["authority"],
        county_id=found.county_id,
        business_id=found.business_id or "",
        municipality=found.municipality or "",
        phone=found.phone or "",
        email=found.email or "",
        address=found.address or "",
    )
    directory.update_organisation(db_session(), found, facts, scope=scope_of(current_user))
    changes = kind_change_logged(was, (found.kind, found.is_authority))
    security_log.event(
        security_log.Kind.ORGANISATION,
        outcome=security_log.Outcome.SUCCESS,
        user_id=current_user.id,
        operation="change_kind" if changes else "update",
        organisation_id=found.id,
        **changes,
    )
    return found
