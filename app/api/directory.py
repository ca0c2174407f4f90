"""The directory of organisations (no client data: every signed-in role may read it)."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate
from sqlalchemy import func, select

from app.api import bp
from app.api.accounts import ALL_ROLES
from app.api.schemas import PageQuery, Strict, enum_field, page_body, page_of
from app.api.spec import operation
from app.extensions import db_session
from app.models import Organisation, OrgKind


class OrganisationQuery(PageQuery):
    kind = enum_field(OrgKind, metadata={"description": "Only organisations of this kind."})
    q = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Part of the name, in any case."},
    )


class OrganisationOut(Strict):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    kind = enum_field(OrgKind, required=True)
    municipality = fields.String(required=True, allow_none=True)


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
    conditions = []
    if "kind" in query:
        conditions.append(Organisation.kind == query["kind"])
    if "q" in query:
        escaped = query["q"].lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(func.lower(Organisation.name).like(f"%{escaped}%", escape="\\"))
    total = db_session().scalar(select(func.count(Organisation.id)).where(*conditions)) or 0
    page, per_page = query["page"], query["per_page"]
    rows = (
        db_session()
        .scalars(
            select(Organisation)
            .where(*conditions)
            .order_by(Organisation.name, Organisation.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        .all()
    )
    return page_body(list(rows), page=page, per_page=per_page, total=total)
