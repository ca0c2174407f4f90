"""The Finnish calendar day of a timestamp, in SQL: ``helsinki_day(column)``.

The client's log groups entries per day (``queries.grouped_log_page``), and a day must be
the one the page prints (Europe/Helsinki, summer time included), not the UTC day: an entry
at 23:30 UTC on 6 Dec is on 7 Dec in Finland. PostgreSQL converts with ``AT TIME ZONE``;
SQLite has no time zones, so ``register_sqlite`` gives each SQLite connection a function
that converts in Python (``consent.status.helsinki_day``), registered where the app sets up
its SQLite connections (``app._sqlite_connect``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction

from consent.status import helsinki_day as python_helsinki_day

SQLITE_NAME = "tukiverkko_helsinki_day"


class helsinki_day(GenericFunction[date]):
    """``helsinki_day(AccessLogEntry.at)``: the Finnish date of a UTC timestamp."""

    type = Date()
    inherit_cache = True


@compiles(helsinki_day, "postgresql")
def _postgresql(element: helsinki_day, compiler: SQLCompiler, **kw: Any) -> str:
    at = compiler.process(element.clauses, **kw)
    return f"CAST(({at} AT TIME ZONE 'Europe/Helsinki') AS DATE)"


@compiles(helsinki_day, "sqlite")
def _sqlite(element: helsinki_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_NAME}({compiler.process(element.clauses, **kw)})"


def _from_sqlite(stored: str | None) -> str | None:
    """A stored SQLite timestamp (UTC, written without a zone) as its Finnish ISO date."""
    if stored is None:
        return None
    at = datetime.fromisoformat(stored)
    return python_helsinki_day(at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat()


def register_sqlite(dbapi_connection: Any) -> None:
    """Give a new SQLite connection the function ``helsinki_day`` compiles to."""
    dbapi_connection.create_function(SQLITE_NAME, 1, _from_sqlite, deterministic=True)
