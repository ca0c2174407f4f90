"""When an e-mail may be sent: retries with exponential backoff, and quiet hours (pure).

Quiet hours are in Helsinki time (``Europe/Helsinki``, summer time included): notifications
wait through them; invitation and reset links, which an administrator has just asked for,
do not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.models.outbox import MailKind
from consent.status import HELSINKI

MAX_ATTEMPTS = 8  # waits of 1, 2, 4 … 32 and 60 minutes between: about two hours in all
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
# A claim older than this is taken to be a sender that died: the row is sent again.
CLAIM_LEASE = timedelta(minutes=15)
LINK_KINDS = frozenset({MailKind.STAFF_INVITATION, MailKind.PASSWORD_RESET})
_HOURS = re.compile(r"^\s*(\d{1,2})\s*[-–]\s*(\d{1,2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    """From ``start`` to ``end`` o'clock Helsinki time (across midnight when start > end)."""

    start: int
    end: int

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """``"21-08"`` → QuietHours(21, 8); empty → None (no quiet hours).

        :raises ValueError: when the text is not two hours 0–24 apart from each other.
        """
        if not text.strip():
            return None
        match = _HOURS.match(text)
        if match is None:
            raise ValueError(f"quiet hours must look like 21-08, not {text!r}")
        start, end = int(match.group(1)), int(match.group(2))
        if not (0 <= start <= 24 and 0 <= end <= 24) or start % 24 == end % 24:
            raise ValueError(f"quiet hours must be two different hours 0-24, not {text!r}")
        return cls(start % 24, end % 24)

    def contains(self, at: datetime) -> bool:
        """Whether the instant ``at`` (aware) falls in the quiet hours, Helsinki time."""
        hour = at.astimezone(HELSINKI).hour
        if self.start < self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end


def waits_for_quiet_hours(kind: MailKind, quiet: QuietHours | None, now: datetime) -> bool:
    """Whether a message of ``kind`` must wait now: notifications in quiet hours do."""
    return quiet is not None and kind not in LINK_KINDS and quiet.contains(now)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 1, 2, 4 … minutes, at most
    an hour."""
    doubled: timedelta = FIRST_RETRY * (2 ** min(max(attempts - 1, 0), 20))
    return min(doubled, LONGEST_WAIT)


def gives_up(attempts: int) -> bool:
    """Whether a message that failed ``attempts`` times is given up on."""
    return attempts >= MAX_ATTEMPTS


def masked(address: str) -> str:
    """An address as the administrator's list shows it: the first letter of the name and the
    domain (``k…@example.fi``), enough to recognise a typo in the domain, not to write to."""
    name, _, domain = address.rpartition("@")
    return f"{name[:1]}…@{domain}" if name else "…"
