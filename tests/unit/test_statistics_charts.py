"""The statistics page's charts draw only what the tables publish."""

from __future__ import annotations

from app.statistics import rules
from app.statistics.disclosure import CountTable, protect
from app.statistics.queries import Report, Section, Spread
from app.web.statistics.views import CHART_WIDTH, assessment_boxes, funnel_bars

COLUMNS = (*rules.quarters(2026), "year")


def test_boxes_scale_to_the_largest_upper_quartile_and_skip_hidden_columns() -> None:
    spread = dict.fromkeys(COLUMNS, None) | {"2026-Q1": (2.0, 5.0, 10.0), "year": (3.0, 6.0, 20.0)}
    data = Report(2026, COLUMNS, 5, (), (Spread(rules.DURATIONS[0], spread),), (), ())
    boxes = {b.label: b for b in assessment_boxes(data)}
    assert (boxes["year"].low, boxes["year"].median, boxes["year"].high) == (60, 120, CHART_WIDTH)
    assert not boxes["2026-Q2"].shown and boxes["2026-Q1"].high == CHART_WIDTH // 2


def test_the_funnel_draws_no_bar_for_a_suppressed_count() -> None:
    counts = {("notified", "2026-Q1"): 9, ("notified", "2026-Q2"): 9, ("assessed", "2026-Q1"): 3}
    table = protect(CountTable(tuple(i.key for i in rules.FUNNEL), rules.quarters(2026), counts))
    data = Report(2026, COLUMNS, 5, (Section("funnel", rules.FUNNEL, table),), (), (), ())
    bars = {b.label: b for b in funnel_bars(data)}
    assert (bars["notified"].text, bars["notified"].width) == ("18", CHART_WIDTH)
    assert (bars["assessed"].text, bars["assessed"].width) == ("< 5", 0)
