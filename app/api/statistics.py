"""The county's statistics as JSON: the same protected tables as the page and its CSV.

For the county's management and the national statistics of the model's spread: a manager's
or analyst's token reads their own county (``app.statistics``); nothing names a client.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user
from marshmallow import fields, validate

from app.api import bp
from app.api.schemas import Strict
from app.api.spec import operation
from app.extensions import db_session
from app.i18n import helsinki_today
from app.models import Role
from app.security import settings
from app.statistics import export
from app.statistics.queries import report


class StatisticsQuery(Strict):
    year = fields.Integer(
        validate=validate.Range(min=2020, max=2100),
        metadata={"description": "The calendar year (default: this one)."},
    )


class StatisticsRow(Strict):
    table = fields.String(required=True)
    indicator = fields.String(required=True)
    definition = fields.String(required=True)
    values = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={
            "description": 'By quarter and "year": a count, "< 5", "x" (hidden) or "–" '
            "(a withheld quarter of the phase snapshot, which has no year)."
        },
    )


class StatisticsOut(Strict):
    year = fields.Integer(required=True)
    threshold = fields.Integer(required=True)
    columns = fields.List(fields.String(), required=True)
    notes = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    rows = fields.List(fields.Nested(StatisticsRow), required=True)


@operation(
    bp,
    "/statistics",
    "GET",
    summary="The county's outcome statistics, with small counts suppressed",
    tag="Statistics",
    roles=(Role.MANAGER, Role.ANALYST),
    query=StatisticsQuery,
    response=StatisticsOut,
    statuses=(404,),
)
def statistics(query: dict[str, Any]) -> dict[str, Any]:
    """Indicators of the token owner's county by quarter and for the year, protected."""
    today = helsinki_today()
    year = query.get("year", today.year)
    if year > today.year or current_user.organisation_id is None:
        abort(404)
    data = report(
        db_session(), current_user.organisation_id, year, today, settings().statistics_threshold
    )
    return export.as_json(data)
