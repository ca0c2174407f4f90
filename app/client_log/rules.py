"""Short references for the client's log queries, read out on the phone: ``LQ-7K3M``.

Pure: the caller gives the random source (by default ``secrets``) and makes sure the
reference is not taken (``app.client_log.commands``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

PREFIX = "LQ-"
ALPHABET = "23456789ABCDEFGHJKMNPQRTVWXY"
"""Letters and digits read out and heard one way only: no 0/O, 1/I/L, S (5), U (V), Z (2)."""
LENGTH = 4
"""28**4 = 614,656 references; ``commands`` takes a longer one once four letters are crowded."""


def reference(length: int = LENGTH, choose: Callable[[str], str] = secrets.choice) -> str:
    """A new reference such as ``LQ-7K3M``."""
    return PREFIX + "".join(choose(ALPHABET) for _ in range(length))
