"""Wrong attempts in a row that lock something: an activation code, a link's code.

One rule counts them for both: each wrong attempt adds one, and the attempt that brings the
count to the limit locks. Each feature keeps its own limit and what a lock means to it: an
activation code can no longer be used (``app.activation.rules``), a person's link is locked
for good (``app.person_access.rules``). Passwords lock nothing (an attacker could lock the
owner out at will): failed sign-ins are rate-limited at the edge (``app.rate_limits``).

The rule reads a number, or a column: given ``Model.failed_attempts`` it builds the SQL of
the same rule, so that an UPDATE counts and locks in one statement and parallel wrong
guesses cannot overwrite each other's count. Pure: no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, SQLColumnExpression

Count = TypeVar("Count")  # a number, or the SQL of one
Flag = TypeVar("Flag")  # a bool, or the SQL of one


@dataclass(frozen=True)
class Counted(Generic[Count, Flag]):
    """The count of wrong attempts in a row after one more, and whether that one locks."""

    failures: Count
    locks: Flag


@dataclass(frozen=True)
class AttemptLimit:
    """How many wrong attempts in a row something takes: the last one allowed locks it."""

    max_failures: int

    def __post_init__(self) -> None:
        if self.max_failures < 1:
            raise ValueError("a limit of wrong attempts must allow at least one")

    @overload
    def after_failure(self, failures: int) -> Counted[int, bool]: ...

    @overload
    def after_failure(
        self, failures: SQLColumnExpression[int]
    ) -> Counted[ColumnElement[int], ColumnElement[bool]]: ...

    def after_failure(self, failures: int | SQLColumnExpression[int]) -> Counted[Any, Any]:
        """One more wrong attempt after ``failures`` in a row (a count, or its column)."""
        counted = failures + 1
        return Counted(counted, counted >= self.max_failures)

    def remaining(self, failures: int) -> int:
        """How many wrong attempts are left after ``failures`` (0: it is locked)."""
        return max(0, self.max_failures - failures)
