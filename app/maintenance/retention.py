"""How long a closed case's records are kept, and the day they are past retention.

The period depends on the service task (palvelutehtävä) the case belongs to and counts from
the day the case closed (Act on the Processing of Client Data in Healthcare and Social
Welfare, asiakastietolaki 703/2023, annex; the National Archives' (Kansallisarkisto) and
THL's table of social-welfare client documents' retention periods from 1 January 2024).
The worker chooses the task when the case is opened (intake) and confirms it when closing
it; closing stores the resulting day on the case (``Case.disposal_on``), and
``flask maintenance run`` crypto-shreds the case from that day. Pure: no database, no clock.
"""

from __future__ import annotations

from datetime import date, datetime

from app.models import ServiceTask
from consent.status import helsinki_day

# How many years a closed case's records are kept, by the case's service task; the one
# table of retention periods. Legal basis: 703/2023 annex (Kansallisarkisto's table):
#   "Työikäisten palvelutehtävä: 10 vuotta asian sulkemisesta" and
#   "Päihdehuollon palvelutehtävä: 10 vuotta asian sulkemisesta".
# Tukiverkko serves adults released from prison, so only the working-age adults' and the
# substance-abuse service tasks are recorded. The annex's other tasks are outside the
# service and deliberately not offered: families with children (30 years after closing),
# child welfare (2 years after the client's death), family law about a child (120 years
# from the child's birth), older people (10 years) and disability services (10 years after
# the last case closes). The client relationship document and basic details (2 years after
# death) stay with the county's client register, not here.
RETENTION_YEARS: dict[ServiceTask, int] = {
    ServiceTask.ADULT_SOCIAL_WORK: 10,  # työikäisten palvelutehtävä, 703/2023 annex
    ServiceTask.SUBSTANCE_ABUSE: 10,  # päihdehuollon palvelutehtävä, 703/2023 annex
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
