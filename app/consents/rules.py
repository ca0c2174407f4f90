"""Consent periods bound to the client's release timeline (pure functions, no database).

Inside → release day → the first 90 days → the end of supervised probationary
liberty (valvottu koevapaus): each template turns the client's own dates into a
``valid_from``/``valid_until`` pair. All dates are Europe/Helsinki calendar days,
inclusive at both ends. A consent cannot reach into the past, so a period starts
no earlier than today; a template whose date is unknown, or whose period is
already over, is offered disabled with the reason.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from consent.decision import helsinki_day

RELEASE_DAY_MARGIN = 7  # days either side of the release day
FIRST_DAYS_AFTER_RELEASE = 90


class PeriodTemplate(enum.StrEnum):
    """The release-timeline templates, in timeline order."""

    IN_PRISON = "in_prison"  # from today to the day before expected conditional release
    RELEASE_DAY = "release_day"  # release day ± RELEASE_DAY_MARGIN days
    FIRST_90_DAYS = "first_90_days"  # release day to release + 89 days
    PROBATIONARY_LIBERTY = "probationary_liberty"  # until supervised probationary liberty ends


class Unavailable(enum.StrEnum):
    """Why a template cannot be used for this client now."""

    NO_RELEASE_DATE = "no_release_date"
    NO_PROBATION_END = "no_probation_end"
    PERIOD_OVER = "period_over"  # the whole period lies before today


@dataclass(frozen=True)
class Timeline:
    """The client's dates a template reads; ``today`` is the Helsinki calendar day."""

    today: date
    conditional_release: date | None = None
    probation_end: date | None = None

    @classmethod
    def at(
        cls, now: datetime, conditional_release: date | None, probation_end: date | None
    ) -> Timeline:
        """The timeline as seen at the instant ``now`` (aware), on the Finnish calendar."""
        return cls(helsinki_day(now), conditional_release, probation_end)


@dataclass(frozen=True)
class TemplatePeriod:
    """A template's period for one client, or why it is not available."""

    template: PeriodTemplate
    valid_from: date | None
    valid_until: date | None
    unavailable: Unavailable | None = None

    @property
    def available(self) -> bool:
        return self.unavailable is None


def period(template: PeriodTemplate, timeline: Timeline) -> TemplatePeriod:
    """The period ``template`` gives for this timeline (from today at the earliest)."""
    release = timeline.conditional_release
    if template is PeriodTemplate.PROBATIONARY_LIBERTY:
        if timeline.probation_end is None:
            return TemplatePeriod(template, None, None, Unavailable.NO_PROBATION_END)
        return _from_today(template, timeline.today, timeline.today, timeline.probation_end)
    if release is None:
        return TemplatePeriod(template, None, None, Unavailable.NO_RELEASE_DATE)
    if template is PeriodTemplate.IN_PRISON:
        start, end = timeline.today, release - timedelta(days=1)
    elif template is PeriodTemplate.RELEASE_DAY:
        margin = timedelta(days=RELEASE_DAY_MARGIN)
        start, end = release - margin, release + margin
    else:
        start, end = release, release + timedelta(days=FIRST_DAYS_AFTER_RELEASE - 1)
    return _from_today(template, timeline.today, start, end)


def periods(timeline: Timeline) -> list[TemplatePeriod]:
    """Every template's period for this timeline, in timeline order."""
    return [period(template, timeline) for template in PeriodTemplate]


def _from_today(template: PeriodTemplate, today: date, start: date, end: date) -> TemplatePeriod:
    if end < today:
        return TemplatePeriod(template, None, None, Unavailable.PERIOD_OVER)
    return TemplatePeriod(template, max(start, today), end)
