"""The statistics page, its CSV download and (in ``app.api.statistics``) its JSON.

County managers and analysts see their own county; a caseworker sees their own caseload
(responsible worker or case team). Only protected tables reach a page: no client, no
name, no link to a client (``app.statistics``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, abort, render_template, request
from flask_login import current_user

from app.extensions import db_session
from app.i18n import helsinki_today
from app.models import Role, User
from app.security import allow, settings
from app.statistics import export
from app.statistics.disclosure import Shown
from app.statistics.queries import Report, report
from app.web.statistics import bp

READERS = (Role.MANAGER, Role.ANALYST, Role.CASEWORKER)
FIRST_YEAR = 2020


def current_report(user: User) -> Report:
    """The report of the requested year (default: this one) for the user's scope."""
    today = helsinki_today()
    year = request.args.get("year", today.year, type=int)
    if year is None or not FIRST_YEAR <= year <= today.year:
        abort(404)
    if user.organisation_id is None:
        abort(404)
    worker = user.id if user.role is Role.CASEWORKER else None
    return report(
        db_session(),
        user.organisation_id,
        year,
        today,
        settings().statistics_threshold,
        worker_id=worker,
    )


@dataclass(frozen=True)
class Bar:
    label: str  # indicator key
    text: str  # what the table says: a count, "< 5" or "x"
    width: int  # of the bar, in chart units (0: nothing to draw)
    y: int


CHART_WIDTH = 400
BAR_HEIGHT = 28


def funnel_bars(data: Report) -> list[Bar]:
    """The year's funnel as bars scaled to the largest shown count; suppressed: no bar."""
    funnel = data.sections[0]
    cells = [funnel.table.cell(i.key, "year") for i in funnel.indicators]
    largest = max((c.value or 0 for c in cells if c.shown is Shown.VALUE), default=0)
    return [
        Bar(
            indicator.key,
            cell.text(data.threshold),
            (cell.value or 0) * CHART_WIDTH // largest
            if largest and cell.shown is Shown.VALUE
            else 0,
            k * (BAR_HEIGHT + 8),
        )
        for k, (indicator, cell) in enumerate(zip(funnel.indicators, cells, strict=True))
    ]


@dataclass(frozen=True)
class Group:
    """One indicator's quarterly bars in a chart (``y``: where its heading line is)."""

    key: str
    y: int
    bars: list[Bar]


QUARTER_BAR = 14


def quarterly_groups(data: Report, key: str) -> list[Group]:
    """A section's indicators by quarter, bars scaled to the largest shown count."""
    section = next(s for s in data.sections if s.key == key)
    quarters = section.table.columns[:-1]
    cells = {(i.key, q): section.table.cell(i.key, q) for i in section.indicators for q in quarters}
    largest = max((c.value or 0 for c in cells.values() if c.shown is Shown.VALUE), default=0)
    step = QUARTER_BAR + 4
    height = 20 + len(quarters) * step
    return [
        Group(
            indicator.key,
            k * height,
            [
                Bar(
                    quarter,
                    cells[(indicator.key, quarter)].text(data.threshold),
                    (cells[(indicator.key, quarter)].value or 0) * CHART_WIDTH // largest
                    if largest and cells[(indicator.key, quarter)].shown is Shown.VALUE
                    else 0,
                    k * height + 20 + n * step,
                )
                for n, quarter in enumerate(quarters)
            ],
        )
        for k, indicator in enumerate(section.indicators)
    ]


@dataclass(frozen=True)
class Box:
    """One column's quartiles drawn as a box (``low``..``high``) with the median's line."""

    label: str
    y: int
    low: int
    median: int
    high: int
    shown: bool


def assessment_boxes(data: Report) -> list[Box]:
    """Days to assessment by quarter and year, scaled to the largest upper quartile shown."""
    spread = data.spreads[0].by_column
    largest = max((q[2] for q in spread.values() if q is not None), default=0.0) or 1.0

    def x(days: float) -> int:
        return int(days * CHART_WIDTH / largest)

    step = QUARTER_BAR + 10
    boxes = []
    for k, (column, q) in enumerate(spread.items()):
        if q is None:
            boxes.append(Box(column, k * step, 0, 0, 0, False))
        else:
            boxes.append(Box(column, k * step, x(q[0]), x(q[1]), x(q[2]), True))
    return boxes


@bp.route("/")
@allow(*READERS)
def home() -> str:
    data = current_report(current_user)
    return render_template(
        "statistics/home.html",
        report=data,
        bars=funnel_bars(data),
        outcome_groups=quarterly_groups(data, "release"),
        quarter_bar=QUARTER_BAR,
        boxes=assessment_boxes(data),
        chart_width=CHART_WIDTH,
        bar_height=BAR_HEIGHT,
        caseload=current_user.role is Role.CASEWORKER,
        years=range(helsinki_today().year, FIRST_YEAR - 1, -1),
    )


@bp.route("/statistics.csv")
@allow(*READERS)
def download() -> Response:
    data = current_report(current_user)
    return Response(
        export.as_csv(data),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="statistics-{data.year}.csv"',
        },
    )
