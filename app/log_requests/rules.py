"""The log request's time limits, period and reference. Pure: no database, no clock.

The controller answers a client's request for the log of their information without undue
delay and at the latest within ``DUE_DAYS`` of the request (GDPR Art 12(3): one month; the
Client Data Act 703/2023 refers to it), extendable once by a reasoned decision
(``EXTENSION_DAYS``; Art 12(3) allows two further months). Both are settings
(``log_request_days``, ``log_request_extension_days``). The period asked about is two years
back by default (``app.client_log.queries.LOG_YEARS``); answering is free of charge.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from app.client_log import rules as query_rules
from consent.status import HELSINKI

DUE_DAYS = 30
EXTENSION_DAYS = 60
DEFAULT_YEARS = 2
LANGUAGES = ("fi", "sv", "en")
PREFIX = "LR-"


def default_period(today: date) -> tuple[date, date]:
    """Two years back from today, today included (29 February counts from 1 March)."""
    try:
        start = today.replace(year=today.year - DEFAULT_YEARS)
    except ValueError:
        start = date(today.year - DEFAULT_YEARS, 3, 1)
    return start, today


def period_valid(period_from: date, period_to: date, today: date) -> bool:
    """A period that starts no later than it ends and ends no later than today."""
    return period_from <= period_to <= today


def due_on(requested_on: date, days: int = DUE_DAYS) -> date:
    return requested_on + timedelta(days=days)


def overdue(due: date, today: date) -> bool:
    return today > due


def period_bounds(
    period_from: date, period_to: date, answered_at: datetime | None
) -> tuple[datetime, datetime]:
    """The instants the document covers: from the first Helsinki midnight to the one after
    the last day, but never past the answer (the log goes on; the document does not)."""
    start = datetime.combine(period_from, time(0), HELSINKI)
    end = datetime.combine(period_to + timedelta(days=1), time(0), HELSINKI)
    return start, min(end, answered_at) if answered_at is not None else end


def reference(length: int, choose: Callable[[str], str] = secrets.choice) -> str:
    """A new reference such as ``LR-7K3M``, in the log queries' alphabet."""
    return PREFIX + "".join(choose(query_rules.ALPHABET) for _ in range(length))
