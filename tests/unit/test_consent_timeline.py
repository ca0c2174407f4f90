"""Consents follow the release timeline: the one release-day rule, the templates on the
current dates, and when a consent given with a template falls out of step (issue 15,
point 4)."""

from __future__ import annotations

from datetime import date

import pytest

from app.consents.rules import (
    PeriodTemplate,
    Timeline,
    derived_template,
    follows_timeline,
    period,
)
from app.models import Case
from consent.status import release_day

T = PeriodTemplate
TODAY = date(2026, 12, 7)
CONDITIONAL = date(2027, 3, 15)
PROBATION_START = date(2027, 1, 15)
PROBATION_END = date(2027, 3, 14)


@pytest.mark.parametrize(
    ("conditional", "probation", "expected"),
    [
        (CONDITIONAL, None, CONDITIONAL),
        (CONDITIONAL, PROBATION_START, PROBATION_START),  # leaves prison on probation
        (None, PROBATION_START, PROBATION_START),
        (None, None, None),
        # A probationary liberty recorded on or after the conditional release is not earlier.
        (CONDITIONAL, CONDITIONAL, CONDITIONAL),
    ],
)
def test_the_release_day_is_the_day_the_client_leaves_prison(
    conditional: date | None, probation: date | None, expected: date | None
) -> None:
    assert release_day(conditional, probation) == expected
    case = Case(conditional_release=conditional, probation_start=probation)
    assert case.release_day == expected  # what every page shows


def test_the_templates_read_the_release_day_not_the_conditional_release() -> None:
    """The walk's example: probationary liberty from 15 Jan 2027, conditional release on
    15 Mar 2027 — "while in prison" ends on 14 Jan, the first 90 days start on 15 Jan."""
    case = Case(
        conditional_release=CONDITIONAL,
        probation_start=PROBATION_START,
        probation_end=PROBATION_END,
    )
    timeline = Timeline(TODAY, case.release_day, case.probation_end)
    got = {t: period(t, timeline) for t in PeriodTemplate}
    assert (got[T.IN_PRISON].valid_from, got[T.IN_PRISON].valid_until) == (
        TODAY,
        date(2027, 1, 14),
    )
    assert (got[T.RELEASE_DAY].valid_from, got[T.RELEASE_DAY].valid_until) == (
        date(2027, 1, 8),
        date(2027, 1, 22),
    )
    assert (got[T.FIRST_90_DAYS].valid_from, got[T.FIRST_90_DAYS].valid_until) == (
        PROBATION_START,
        date(2027, 4, 14),
    )
    assert got[T.PROBATIONARY_LIBERTY].valid_until == PROBATION_END


def test_a_period_a_template_gave_is_recognised_and_others_are_not() -> None:
    timeline = Timeline(TODAY, PROBATION_START, PROBATION_END)
    for template in PeriodTemplate:
        p = period(template, timeline)
        assert p.valid_from is not None
        found = derived_template(p.valid_from, p.valid_until, timeline)
        # IN_PRISON and PROBATIONARY_LIBERTY both start today; they differ in their end.
        assert found is template
    assert derived_template(TODAY, date(2027, 2, 1), timeline) is None
    assert derived_template(TODAY, None, timeline) is None


def test_a_consent_follows_its_template_while_the_dates_stand_and_days_pass() -> None:
    given = Timeline(TODAY, CONDITIONAL)
    p = period(T.IN_PRISON, given)
    assert p.valid_from is not None
    assert follows_timeline(T.IN_PRISON, p.valid_from, p.valid_until, given)
    # A month later the template starts a month later; the consent begun then still follows.
    later = Timeline(date(2027, 1, 7), CONDITIONAL)
    assert follows_timeline(T.IN_PRISON, p.valid_from, p.valid_until, later)
    upcoming = period(T.FIRST_90_DAYS, given)
    assert upcoming.valid_from is not None
    assert follows_timeline(T.FIRST_90_DAYS, upcoming.valid_from, upcoming.valid_until, later)


@pytest.mark.parametrize("template", list(PeriodTemplate))
def test_moving_the_release_day_or_the_probation_end_puts_a_consent_out_of_step(
    template: PeriodTemplate,
) -> None:
    before = Timeline(TODAY, CONDITIONAL, date(2027, 6, 30))
    p = period(template, before)
    assert p.valid_from is not None
    after = Timeline(TODAY, PROBATION_START, PROBATION_END)  # probation starts earlier
    assert not follows_timeline(template, p.valid_from, p.valid_until, after)
    # Back to the old dates: in step again.
    assert follows_timeline(template, p.valid_from, p.valid_until, before)


def test_a_template_whose_dates_are_gone_is_out_of_step() -> None:
    before = Timeline(TODAY, CONDITIONAL, PROBATION_END)
    p = period(T.PROBATIONARY_LIBERTY, before)
    assert p.valid_from is not None
    assert not follows_timeline(
        T.PROBATIONARY_LIBERTY, p.valid_from, p.valid_until, Timeline(TODAY, CONDITIONAL)
    )
