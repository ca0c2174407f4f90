"""``cases.release_on`` is the release day by the one rule, however the dates are set.

``Case._keep_release_on`` recomputes it whenever either date is assigned (at construction or
later, in any order), so the column the caseload sorts by never differs from
``consent.status.release_day``.
"""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from app.models import Case
from consent.status import release_day

DAYS = st.none() | st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31))


@given(st.lists(st.tuples(st.sampled_from(["conditional_release", "probation_start"]), DAYS)))
def test_any_sequence_of_date_changes_keeps_the_column_to_the_rule(
    changes: list[tuple[str, date | None]],
) -> None:
    case = Case()
    assert case.release_on is None
    for name, value in changes:
        setattr(case, name, value)
        assert case.release_on == release_day(case.conditional_release, case.probation_start)
        assert case.release_day == case.release_on


@given(DAYS, DAYS)
def test_a_new_case_starts_with_the_rules_day(
    conditional: date | None, probation: date | None
) -> None:
    case = Case(conditional_release=conditional, probation_start=probation)
    assert case.release_on == release_day(conditional, probation)


def test_probationary_liberty_first_is_the_release_day() -> None:
    case = Case(conditional_release=date(2027, 3, 15))
    assert case.release_on == date(2027, 3, 15)
    case.probation_start = date(2027, 1, 15)
    assert case.release_on == date(2027, 1, 15)
    case.conditional_release = date(2027, 1, 10)  # now the conditional release comes first
    assert case.release_on == date(2027, 1, 10)
    case.probation_start = None
    assert case.release_on == date(2027, 1, 10)
