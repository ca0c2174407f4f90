"""Rate-limit counters in the app's own database: a ``limits`` storage every worker shares.

Flask-Limiter counts in a storage of the ``limits`` library, which offers memory (one process:
each gunicorn worker and node would count alone), Redis, Memcached and MongoDB, but nothing
over SQL. Every deployment already has the database, so this module is that storage: one row
per counter and window (``app.models.rate_limit``), incremented by one atomic
``INSERT … ON CONFLICT DO UPDATE`` (SQLite ≥ 3.35 and PostgreSQL), so parallel hits from
several workers and nodes neither lose a count nor race to create the row. A row past its
window is treated as absent and reused by the next hit; ``flask maintenance run`` deletes
the leftovers (``purge_expired``). A Redis URL, where one is configured, replaces this
(``TUKIVERKKO_RATELIMIT_STORAGE_URL``).

Counts go through the request's own session, as kept writes (``app.transactions.execute_kept``):
a failed sign-in is counted in the request's transaction, and the count outlasts the
rollback of a refused answer. Writing through a second connection would deadlock SQLite's one
writer against the request that already holds the write lock, and would escape the test
suite's per-test rollback. The functions take a ``Session`` and a time and flush nothing
else; ``DatabaseStorage`` binds them to the request's session and the clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from limits.storage import Storage
from sqlalchemy import case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.extensions import db_session
from app.models.rate_limit import rate_limit_counters as counters
from app.transactions import execute_kept
from consent.base import UTCDateTime

SCHEME = "tukiverkko+database"
"""``TUKIVERKKO_RATELIMIT_STORAGE_URL`` empty: Flask-Limiter is given ``tukiverkko+database://``."""


def _instant(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def hit(session: Session, key: str, *, expiry: float, amount: int, now: float) -> int:
    """Add ``amount`` to the counter ``key`` and return its count; a counter that is absent
    or past its window starts again with a window of ``expiry`` seconds from ``now``."""
    ends = literal(_instant(now) + timedelta(seconds=expiry), UTCDateTime())
    expired = counters.c.expires_at <= literal(_instant(now), UTCDateTime())
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(counters)
        .values(key=key, hits=amount, expires_at=ends)
        .on_conflict_do_update(
            index_elements=[counters.c.key],
            set_={
                "hits": case((expired, amount), else_=counters.c.hits + amount),
                "expires_at": case((expired, ends), else_=counters.c.expires_at),
            },
        )
        .returning(counters.c.hits)
    )
    return int(execute_kept(session, statement).scalar_one())


def count(session: Session, key: str, *, now: float) -> int:
    """The count of ``key`` in its current window (0 when absent or past)."""
    found = session.scalar(
        select(counters.c.hits).where(counters.c.key == key, counters.c.expires_at > _instant(now))
    )
    return int(found or 0)


def window_end(session: Session, key: str, *, now: float) -> float:
    """When the current window of ``key`` ends (``now`` when it has none)."""
    ends = session.scalar(
        select(counters.c.expires_at).where(
            counters.c.key == key, counters.c.expires_at > _instant(now)
        )
    )
    return ends.timestamp() if ends is not None else now


def purge_expired(session: Session, *, now: datetime) -> int:
    """Delete every counter past its window; how many there were (the caller commits)."""
    result = session.execute(delete(counters).where(counters.c.expires_at <= now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a DELETE's result is a CursorResult


class DatabaseStorage(Storage):
    """The ``limits`` storage over the request's session (see the module docstring).

    ``session`` and ``clock`` are what a test may replace; Flask-Limiter builds it from the
    URL ``tukiverkko+database://`` with the defaults.
    """

    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012  (how `limits` registers a storage's URL scheme)

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        *,
        session: Callable[[], Session] = db_session,
        clock: Callable[[], float] = time.time,
        **options: Any,
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._session = session
        self._clock = clock

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return hit(self._session(), key, expiry=expiry, amount=amount, now=self._clock())

    def get(self, key: str) -> int:
        return count(self._session(), key, now=self._clock())

    def get_expiry(self, key: str) -> float:
        return window_end(self._session(), key, now=self._clock())

    def check(self) -> bool:
        try:
            self._session().execute(select(literal(1)))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        result = execute_kept(self._session(), delete(counters))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a DELETE's result is a CursorResult

    def clear(self, key: str) -> None:
        execute_kept(self._session(), delete(counters).where(counters.c.key == key))
