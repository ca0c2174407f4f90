"""How big a generated data set is: the number of clients and the shape of each one.

The shape per client is the same at every size, so two sizes differ only in how many
clients there are: a page that takes longer at 10,000 clients than at 1,000 does more work
with the size of the country, not with a richer client.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Scale:
    """A data set: ``clients`` clients, each with (on average) the counts below."""

    clients: int
    members_per_client: int = 10  # 3 national organisations, local ones and close persons
    consents_per_client: int = 100  # with their amendments, revocations and expiries
    log_rows_per_client: int = 1_000
    sections_per_plan: int = 6
    versions_per_section: int = 2
    seed: int = 2026

    @property
    def name(self) -> str:
        return f"{self.clients}-clients"

    def fingerprint(self) -> str:
        """A short digest of every parameter (part of the data set's cache key)."""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


NATIONAL = Scale(clients=10_000)
"""About 100,000 members, 1,000,000 consents and 10,000,000 log rows: the issue's target."""

COMPARISON = Scale(clients=1_000)
"""The same shape for a tenth of the clients."""

DECISION_SMALL = Scale(clients=100)
"""10,000 consents: the small end of the decision's micro-benchmark."""
