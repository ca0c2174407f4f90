"""County transfers: the proposals waiting for your county's answer and those it made.

The same read model as the caseworkers' "County transfers" page (``app/transfer/queries``):
a waiting proposal to your county names its client (one logged list read, as on the page);
nothing else names a client, so the sending county's records stay without the name once
the case has gone.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from marshmallow import fields

from app.api import bp
from app.api.accounts import OrganisationRef
from app.api.schemas import PageQuery, Strict, enum_field, page_body, page_of
from app.api.spec import operation
from app.extensions import db_session
from app.models import Role
from app.models.transfer import DeclineReason, TransferReason, TransferState
from app.security import current_actor, gate
from app.transfer import queries
from app.transfer.queries import Direction


class TransfersQuery(PageQuery):
    direction = enum_field(
        Direction,
        load_default=Direction.INCOMING,
        metadata={"description": "`incoming`: proposed to your county; `outgoing`: by it."},
    )
    state = enum_field(TransferState, metadata={"description": "Only transfers in this state."})


class TransferClient(Strict):
    id = fields.UUID(required=True)
    name = fields.String(required=True)


class TransferOut(Strict):
    id = fields.UUID(required=True)
    state = enum_field(TransferState, required=True)
    reason = enum_field(TransferReason, required=True)
    from_county = fields.Nested(OrganisationRef, required=True)
    to_county = fields.Nested(OrganisationRef, required=True)
    proposed_at = fields.AwareDateTime(required=True)
    answered_at = fields.AwareDateTime(required=True, allow_none=True)
    decline_reason = enum_field(DeclineReason, required=True, allow_none=True)
    client = fields.Nested(
        TransferClient,
        required=True,
        allow_none=True,
        metadata={"description": "Only on a proposal waiting for your county's answer."},
    )


@operation(
    bp,
    "/transfers",
    "GET",
    summary="County transfers proposed to your county, or by it, newest first",
    tag="Transfers",
    roles=[Role.CASEWORKER],
    query=TransfersQuery,
    response=page_of(TransferOut, "TransferPage"),
)
def list_transfers(query: dict[str, Any]) -> dict[str, Any]:
    """A waiting proposal to your county names its client (a logged list read); every other
    transfer is its record alone. Accept or decline on the web page."""
    page = queries.county_transfers(
        db_session(),
        current_user.organisation_id,
        query["direction"],
        state=query.get("state"),
        page=query["page"],
        per_page=query["per_page"],
    )
    rows = page.rows if page.page == query["page"] else []
    names = queries.recognised_names(db_session(), gate(), current_actor(), rows)
    items = [
        {
            "id": t.id,
            "state": t.state,
            "reason": t.reason,
            "from_county": t.from_county,
            "to_county": t.to_county,
            "proposed_at": t.proposed_at,
            "answered_at": t.answered_at,
            "decline_reason": t.decline_reason,
            "client": {"id": t.client_id, "name": names[t.id]} if t.id in names else None,
        }
        for t in rows
    ]
    return page_body(items, page=query["page"], per_page=query["per_page"], total=page.total)
