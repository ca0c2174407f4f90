"""The protected report as plain rows: the CSV download and the JSON API share these.

Only what the page shows: counts shown, "< 5" and "x" for suppressed ones, quartiles and
shares where the rules allow them (``app.statistics.disclosure``). Pure: no database.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from app.statistics.disclosure import Shown
from app.statistics.queries import Report, Spread

SUPPRESSED = {Shown.SMALL: "small", Shown.HIDDEN: "hidden"}


def rows(report: Report) -> list[dict[str, Any]]:
    """One row per indicator: table, indicator, definition (English), one value per column."""
    result: list[dict[str, Any]] = []
    t = report.threshold
    for section in report.sections:
        for indicator in section.indicators:
            result.append(
                {
                    "table": section.key,
                    "indicator": indicator.key,
                    "definition": indicator.definition,
                    "values": {
                        column: section.table.cell(indicator.key, column).text(t)
                        for column in section.table.columns
                    },
                }
            )
    for table, spreads in (("durations", report.spreads), ("phase_days", report.phase_days)):
        result.extend(_spreads(table, spreads))
    for shares in report.shares:
        result.append(
            {
                "table": "shares",
                "indicator": shares.indicator.key,
                "definition": shares.indicator.definition,
                "values": {
                    column: "x" if p is None else f"{p} %" for column, p in shares.by_column.items()
                },
            }
        )
    return result


def _spreads(table: str, spreads: tuple[Spread, ...]) -> list[dict[str, Any]]:
    return [
        {
            "table": table,
            "indicator": spread.indicator.key,
            "definition": spread.indicator.definition,
            "values": {
                column: "x" if q is None else "/".join(f"{v:g}" for v in q)
                for column, q in spread.by_column.items()
            },
        }
        for spread in spreads
    ]


def as_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["table", "indicator", *report.columns, "definition"])
    for row in rows(report):
        writer.writerow(
            [
                row["table"],
                row["indicator"],
                *(row["values"].get(column, "") for column in report.columns),
                row["definition"],
            ]
        )
    return out.getvalue()


def as_json(report: Report) -> dict[str, Any]:
    return {
        "year": report.year,
        "threshold": report.threshold,
        "columns": list(report.columns),
        "notes": {
            f"< {report.threshold}": "a count under the threshold (zero included)",
            "x": "hidden so that no small count can be recomputed, or too few clients",
            "–": "a quarter of the phase snapshot withheld: no phase had enough clients",
            "phases": "clients in each phase at each quarter's end (no year column)",
            "durations": "lower quartile/median/upper quartile in days",
        },
        "rows": rows(report),
    }
