"""Statements run on the database driver's own cursor, in the session's transaction.

SQLAlchemy's execution (an execution context, a result object, row processing) costs about
20–40 µs a statement, against 2–5 µs for the driver's own point look-up on SQLite. On the
hot path that is most of a kept access decision's time (``app.cases.facts``) and of the
log append's head read (``sharing.access_log``), so those go to the driver directly.
Everything else SQLAlchemy gives stays true:

- ``DriverRead``'s statement is compiled by SQLAlchemy, once per dialect, and its values
  are bound and its columns loaded by the column types' own processors (a ``Uuid`` is hex
  on SQLite);
- it runs on the connection (and in the transaction) the session holds;
- ``before_cursor_execute`` listeners see it, so statement counts stay honest;
- a driver error is raised as SQLAlchemy's own (``DBAPIError.instance``), and a lost
  connection is invalidated, as ``Connection.execute`` would.

Written here rather than taken from a library: nothing in SQLAlchemy runs a compiled
statement with less work (``exec_driver_sql`` still builds the context and the result).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Select
from sqlalchemy.exc import DBAPIError


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # positional order (None: the driver takes names)
    binds: dict[str, Callable[[Any], Any]]
    loads: tuple[Callable[[Any], Any], ...]


def _same(value: Any) -> Any:
    return value


class DriverRead:
    """``first(connection, **values)``: the statement's first row as a tuple, or None."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, str], _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver)
        if (found := self._compiled.get(key)) is not None:
            return found
        compiled = self.statement.compile(dialect=dialect)
        binds: dict[str, Callable[[Any], Any]] = {
            bind.key: bind.type.dialect_impl(dialect).bind_processor(dialect) or _same
            for bind in compiled.binds.values()
        }
        loads = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) or _same
            for column in self.statement.selected_columns
        )
        names = tuple(compiled.positiontup or ()) if compiled.positional else None
        self._compiled[key] = found = _Compiled(compiled.string, names, binds, loads)
        return found

    def first(self, connection: Connection, **values: Any) -> tuple[Any, ...] | None:
        compiled = self._for(connection.dialect)
        bound = {name: compiled.binds[name](value) for name, value in values.items()}
        parameters: Any = (
            bound if compiled.names is None else tuple(bound[n] for n in compiled.names)
        )
        rows = driver_rows(connection, compiled.sql, parameters, limit=1)
        if not rows:
            return None
        return tuple(load(v) for load, v in zip(compiled.loads, rows[0], strict=True))


def driver_rows(
    connection: Connection, sql: str, parameters: Any, limit: int | None = None
) -> list[Any]:
    """Run ``sql`` (in the driver's own parameter style) on the driver's cursor: its rows
    (the first ``limit`` of them), as the driver gives them."""
    raw = connection.connection  # the pool's, in the transaction the connection began
    cursor = raw.cursor()
    for listener in connection.dispatch.before_cursor_execute:
        sql, parameters = listener(connection, cursor, sql, parameters, None, False)
    dbapi = connection.dialect.loaded_dbapi
    try:
        cursor.execute(sql, parameters)
        return list(cursor.fetchall() if limit is None else cursor.fetchmany(limit))
    except dbapi.Error as error:
        if connection.dialect.is_disconnect(error, raw, cursor):
            connection.invalidate(error)
        raise DBAPIError.instance(sql, parameters, error, dbapi.Error) from error
    finally:
        cursor.close()
