"""How long a closed case's records are kept, and the day they are past retention.

Client Data Act 703/2023, annex: the period depends on the service task the case belongs
to and counts from the day the case closed. Pure: no database, no clock.
"""

from __future__ import annotations

from datetime import date, datetime

from app.models import ServiceTask
from consent.status import helsinki_day

# How many years a closed case's records are kept, by the case's service task.
RETENTION_YEARS: dict[ServiceTask, int] = {
    ServiceTask.ADULT_SOCIAL_WORK: 10,  # working-age adults' social work
    ServiceTask.SUBSTANCE_ABUSE: 10,  # substance-abuse work
}


def retention_years_of(task: ServiceTask, override: int | None = None) -> int:
    """The retention period of a service task: the annex's, or ``override`` for every task."""
    return RETENTION_YEARS[task] if override is None else override


def disposal_on(closed_at: datetime, task: ServiceTask, override: int | None = None) -> date:
    """The Helsinki day from which a case closed at ``closed_at`` is past retention.

    The close day plus the task's years; a close on 29 February counts to 1 March, so
    nothing is disposed of before the full period has run.
    """
    closed_on = helsinki_day(closed_at)
    year = closed_on.year + retention_years_of(task, override)
    try:
        return closed_on.replace(year=year)
    except ValueError:  # 29 February in a year without one
        return date(year, 3, 1)
