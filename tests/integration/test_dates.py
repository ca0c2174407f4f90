"""Dates on every page: English reads "7 Dec 2026", never "12/7/26"; fi and sv keep theirs.

Every page formats dates through Flask-Babel (the ``date`` and ``datetime`` filters and the
views' ``format_date``), so the patterns are checked there, in each language, as a request
draws them; one client page in English shows the form end to end.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale, format_date, format_datetime

DAY = date(2026, 12, 7)
AT = datetime(2026, 12, 7, 12, 5, tzinfo=UTC)  # 14:05 in Helsinki (UTC+2 in December)
TEMPLATE = "{{ day|date }} | {{ at|datetime }}"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "7 Dec 2026 | 7 Dec 2026, 14:05"),
        ("fi", "7.12.2026 | 7.12.2026 14.05"),
        ("sv", "7 dec. 2026 | 2026-12-07 14:05"),
    ],
)
def test_date_filters_in_each_language(app: Flask, language: str, expected: str) -> None:
    with app.test_request_context(), force_locale(language):
        assert render_template_string(TEMPLATE, day=DAY, at=AT) == expected


@pytest.mark.parametrize("form", [None, "short", "medium"])
def test_english_never_puts_the_month_first(app: Flask, form: str | None) -> None:
    """What views and the access log call directly: the day comes first, the month in words."""
    with app.test_request_context(), force_locale("en"):
        assert format_date(DAY, form) == "7 Dec 2026"
        assert format_datetime(AT, form).startswith("7 Dec 2026, 14:05")
        assert format_date(date(2026, 7, 12), form) == "12 Jul 2026"


def test_the_language_is_read_for_each_request(app: Flask) -> None:
    """English patterns apply only while English is drawn: Finnish right after is Finnish."""
    with app.test_request_context():
        with force_locale("en"):
            assert format_date(DAY) == "7 Dec 2026"
        with force_locale("fi"):
            assert format_date(DAY) == "7.12.2026"
