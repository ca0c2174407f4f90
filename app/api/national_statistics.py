"""The national pooled statistics as JSON: the same tables as the national page.

For the managers and analysts of a county that joined the national statistics
(``app.statistics.national``): the pooled count tables of every joined county, with every
hidden number "x", and each indicator's county rows where every one of them passes the
threshold. A token of a county that has not joined is refused (403).
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user
from marshmallow import fields

from app.api import bp
from app.api.schemas import Strict
from app.api.spec import operation
from app.api.statistics import StatisticsQuery
from app.extensions import db_session
from app.i18n import helsinki_today
from app.security import settings
from app.statistics import national


class NationalRow(Strict):
    table = fields.String(required=True)
    indicator = fields.String(required=True)
    county = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The county of a county row; null for the pooled row."},
    )
    values = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": 'By quarter and "year": a count, or "x" (not shown).'},
    )


class NationalOut(Strict):
    year = fields.Integer(required=True)
    threshold = fields.Integer(required=True)
    minimum_counties = fields.Integer(required=True)
    counties = fields.List(fields.String(), required=True)
    columns = fields.List(fields.String(), required=True)
    rows = fields.List(fields.Nested(NationalRow), required=True)


@operation(
    bp,
    "/statistics/national",
    "GET",
    summary="The pooled statistics of the counties that joined, with small counts suppressed",
    tag="Statistics",
    roles=national.READERS,
    query=StatisticsQuery,
    response=NationalOut,
    statuses=(403, 404),
)
def national_statistics(query: dict[str, Any]) -> dict[str, Any]:
    """Pooled count tables by quarter and for the year; empty until enough counties joined."""
    today = helsinki_today()
    year = query.get("year", today.year)
    county = current_user.organisation_id
    if year > today.year or county is None:
        abort(404)
    if not national.may_see(current_user.role, national.has_joined(db_session(), county)):
        abort(403)
    data = national.national_report(db_session(), year, today, settings().statistics_threshold)
    rows: list[dict[str, Any]] = []
    for section in data.sections:
        for indicator in section.indicators:
            table = section.table
            rows.append(
                {
                    "table": section.key,
                    "indicator": indicator.key,
                    "county": None,
                    "values": {
                        c: table.cell(indicator.key, c).text(data.threshold) for c in table.columns
                    },
                }
            )
            rows += [
                {
                    "table": section.key,
                    "indicator": indicator.key,
                    "county": name,
                    "values": {c: str(v) for c, v in zip(table.columns, values, strict=True)},
                }
                for name, values in section.by_county.get(indicator.key, [])
            ]
    return {
        "year": data.year,
        "threshold": data.threshold,
        "minimum_counties": national.MIN_COUNTIES,
        "counties": list(data.counties),
        "columns": list(data.columns),
        "rows": rows,
    }
