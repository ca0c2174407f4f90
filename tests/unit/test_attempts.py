"""Wrong attempts in a row: one counting rule for activation codes and links."""

from __future__ import annotations

import pytest
from sqlalchemy import column

from app.activation.rules import CODE_ATTEMPTS
from app.attempts import AttemptLimit, Counted
from app.person_access import rules as person_access_rules

LIMIT = AttemptLimit(3)


def test_each_wrong_attempt_counts_and_the_last_allowed_one_locks() -> None:
    assert LIMIT.after_failure(0) == Counted(1, False)
    assert LIMIT.after_failure(1) == Counted(2, False)
    assert LIMIT.after_failure(2) == Counted(3, True)
    assert LIMIT.after_failure(3) == Counted(4, True)  # a race past the limit still locks


@pytest.mark.parametrize(("failures", "left"), [(0, 3), (2, 1), (3, 0), (7, 0)])
def test_the_attempts_left(failures: int, left: int) -> None:
    assert LIMIT.remaining(failures) == left


def test_the_same_rule_reads_a_column_as_sql() -> None:
    counted = LIMIT.after_failure(column("failed_attempts"))
    failures = counted.failures.compile(compile_kwargs={"literal_binds": True})
    locks = counted.locks.compile(compile_kwargs={"literal_binds": True})
    assert str(failures) == "failed_attempts + 1"
    assert str(locks) == "failed_attempts + 1 >= 3"


def test_a_limit_must_allow_an_attempt() -> None:
    with pytest.raises(ValueError, match="at least one"):
        AttemptLimit(0)


def test_each_feature_keeps_its_own_limit() -> None:
    assert CODE_ATTEMPTS.max_failures == 5
    assert person_access_rules.CODE_ATTEMPTS.max_failures == person_access_rules.MAX_ATTEMPTS == 5
