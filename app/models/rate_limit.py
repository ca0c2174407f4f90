"""Rate-limit counters: the storage of ``app.rate_limit_storage`` when no Redis is configured.

One row per counter and window; the key names the limit and a pseudonym of who is counted
(``app.rate_limits``), never an address or username in clear. A row past ``expires_at``
counts nothing and is deleted by ``flask maintenance run``.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table

from consent.base import Base, UTCDateTime

KEY_LENGTH = 255

rate_limit_counters = Table(
    "rate_limit_counters",
    Base.metadata,
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("hits", Integer, nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False, index=True),
)
