"""The national pooled statistics page and its CSV: the count tables of every county that
joined, pooled and protected (``app.statistics.national``).

Managers and analysts of a county that joined see it; of a county that has not, they are
told how their county joins. No client, no name, no link to a client.
"""

from __future__ import annotations

import csv
import io

from flask import Response, abort, render_template, request
from flask_login import current_user

from app.extensions import db_session
from app.i18n import helsinki_today
from app.security import allow, settings
from app.statistics import national
from app.statistics.national import NationalReport
from app.web.statistics import bp
from app.web.statistics.views import FIRST_YEAR


def _report() -> NationalReport | None:
    """The pooled report of the requested year, or None for a county that has not joined."""
    today = helsinki_today()
    year = request.args.get("year", today.year, type=int)
    if year is None or not FIRST_YEAR <= year <= today.year:
        abort(404)
    county = current_user.organisation_id
    if county is None or not national.may_see(
        current_user.role, national.has_joined(db_session(), county)
    ):
        return None
    return national.national_report(db_session(), year, today, settings().statistics_threshold)


@bp.route("/national")
@allow(*national.READERS)
def national_home() -> str:
    return render_template(
        "statistics/national.html",
        report=_report(),
        minimum=national.MIN_COUNTIES,
        years=range(helsinki_today().year, FIRST_YEAR - 1, -1),
    )


def as_csv(data: NationalReport) -> str:
    """The pooled tables, then each indicator's county rows where they are shown (only the
    header while fewer than ``MIN_COUNTIES`` have joined)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["table", "indicator", "county", *data.columns])
    for section in data.sections:
        for indicator in section.indicators:
            cells = [section.table.cell(indicator.key, c) for c in section.table.columns]
            writer.writerow(
                [section.key, indicator.key, "", *(c.text(data.threshold) for c in cells)]
            )
            for county, values in section.by_county.get(indicator.key, []):
                writer.writerow([section.key, indicator.key, county, *values])
    return out.getvalue()


@bp.route("/national.csv")
@allow(*national.READERS)
def national_download() -> Response:
    data = _report()
    if data is None:
        abort(403)  # the county has not joined (the page says how it joins)
    return Response(
        as_csv(data),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="national-statistics-{data.year}.csv"'
        },
    )
