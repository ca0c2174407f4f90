"""What closing a case warns of: the client not yet released, release tasks still open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.refusals import N_, Code


class CloseWarning(Code):
    """Why closing now may be premature; closing anyway asks for a reason."""

    BEFORE_RELEASE = (
        "before_release",
        N_("The client has not been released yet: the release day is %(release)s."),
    )
    OPEN_TASKS = (
        "open_tasks",
        N_("Tasks of the release-day checklist are still open: %(open)s."),
    )


@dataclass(frozen=True)
class CloseWarnings:
    """The warnings of closing a case today, with the facts their messages name."""

    warnings: tuple[CloseWarning, ...]
    release: date | None
    open_tasks: int

    @property
    def params(self) -> dict[str, object]:
        return {"release": self.release or "–", "open": self.open_tasks}


def close_warnings(today: date, release: date | None, open_tasks: int) -> CloseWarnings:
    """What closing on ``today`` warns of, given the release day and the open checklist tasks."""
    found = []
    if release is not None and today < release:
        found.append(CloseWarning.BEFORE_RELEASE)
    if open_tasks > 0:
        found.append(CloseWarning.OPEN_TASKS)
    return CloseWarnings(tuple(found), release, open_tasks)
