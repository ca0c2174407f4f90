"""Bulk writes for the generated data: rows as the app's column types store them, fast.

The generator builds rows as plain dicts keyed by column name. ``Rows`` turns them into
tuples in the table's column order, filling every column the dict leaves out exactly as
SQLAlchemy Core's ``insert()`` would (the column's Python-side ``default``, else NULL), and
passing every value through the column type's own bind processor for the target dialect
(``Uuid`` → 32 hex digits on SQLite, ``UTCDateTime`` → UTC, enumerations → their values,
``JSON`` → text). Nothing is formatted by hand, so what lands in the database is what the
app's own inserts would have written.

Two sinks take those tuples:

- ``SqlitePart``: an untyped SQLite file per worker process, written with the driver's
  ``executemany``; ``merge_sqlite_parts`` then copies every part into the real database
  (created by the app's migrations) with ``INSERT … SELECT``, so the real tables' types,
  indexes and triggers apply as usual.
- ``PostgresCopy``: ``COPY … FROM STDIN`` into the real PostgreSQL tables, one connection per
  worker process, parents before children so the foreign keys are checked as rows arrive.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Column, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.schema import ColumnDefault

from consent.base import Base

Row = Mapping[str, Any]


def _default_of(column: Column[Any]) -> Callable[[], Any]:
    """How Core fills ``column`` when an insert leaves it out: its Python default or NULL.

    :raises ValueError: when the column has neither and may not be NULL (a generator bug).
    """
    default = column.default
    if isinstance(default, ColumnDefault):
        if default.is_callable:
            wrapped = default.arg  # SQLAlchemy wraps callables to take an execution context
            return lambda: wrapped(None)
        value = default.arg
        return lambda: value
    if column.nullable:
        return lambda: None

    def missing() -> Any:
        raise ValueError(f"{column.table.name}.{column.name} needs a value: no default, not NULL")

    return missing


class Rows:
    """A table's column order, defaults and bind processors for one dialect."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table = table
        self.names = [column.name for column in table.columns]
        self._columns = [
            (
                column.name,
                _default_of(column),
                column.type._cached_bind_processor(dialect),  # what Core itself applies
            )
            for column in table.columns
        ]

    def tuples(self, rows: Iterable[Row]) -> list[tuple[Any, ...]]:
        """Each row in column order, completed and processed as Core would bind it."""
        out = []
        columns = self._columns
        for row in rows:
            values = []
            for name, default, process in columns:
                value = row[name] if name in row else default()
                values.append(value if process is None or value is None else process(value))
            out.append(tuple(values))
        return out


def tables_in_order(names: Iterable[str]) -> list[Table]:
    """The named tables, parents before children (the order foreign keys need)."""
    wanted = set(names)
    return [table for table in Base.metadata.sorted_tables if table.name in wanted]


class SqlitePart:
    """One worker's share of the rows, in an untyped SQLite file of its own."""

    def __init__(self, path: Path, dialect: Dialect, tables: Sequence[Table]) -> None:
        self.path = path
        self._connection = sqlite3.connect(path, isolation_level=None)
        self._connection.execute("PRAGMA journal_mode=OFF")
        self._connection.execute("PRAGMA synchronous=OFF")
        self._rows = {table.name: Rows(table, dialect) for table in tables}
        for table in tables:
            columns = ", ".join(f'"{name}"' for name in self._rows[table.name].names)
            self._connection.execute(f'CREATE TABLE IF NOT EXISTS "{table.name}" ({columns})')
        self._connection.execute("BEGIN")

    def write(self, table: str, rows: Sequence[Row]) -> None:
        if not rows:
            return
        shape = self._rows[table]
        marks = ", ".join("?" for _ in shape.names)
        self._connection.executemany(
            f'INSERT INTO "{table}" VALUES ({marks})',  # noqa: S608  (names from the metadata)
            shape.tuples(rows),
        )

    def close(self) -> None:
        self._connection.execute("COMMIT")
        self._connection.close()


def merge_sqlite_parts(database: Path, parts: Sequence[Path], tables: Sequence[Table]) -> None:
    """Copy every part into the real database, table by table in foreign-key order.

    Runs without a rollback journal and without fsync (the file is rebuilt from scratch if
    anything fails); neither setting outlives this connection.
    """
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-3000000")  # 3 GB for the indexes' pages
        for n, part in enumerate(parts):
            connection.execute(f"ATTACH DATABASE ? AS part{n}", (str(part),))
        connection.execute("BEGIN")
        # Secondary indexes are built once after the copy (a sort) rather than row by row.
        wanted = {table.name for table in tables}
        indexes = [
            (name, sql)
            for name, table, sql in connection.execute(
                "SELECT name, tbl_name, sql FROM sqlite_master "
                "WHERE type = 'index' AND sql IS NOT NULL"
            )
            if table in wanted
        ]
        for name, _ in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        for table in tables:
            columns = ", ".join(f'"{column.name}"' for column in table.columns)
            order = _merge_order(table)
            for n in range(len(parts)):
                connection.execute(
                    f'INSERT INTO main."{table.name}" ({columns}) '  # noqa: S608
                    f'SELECT {columns} FROM part{n}."{table.name}"{order}'
                )
        for _, sql in indexes:
            connection.execute(sql)
        connection.execute("COMMIT")
        for n in range(len(parts)):
            connection.execute(f"DETACH DATABASE part{n}")
    finally:
        connection.close()


def _merge_order(table: Table) -> str:
    # The log's unique (client_id, seq) index fills fastest in its own order.
    return ' ORDER BY "client_id", "seq"' if table.name == "access_log" else ""


class PostgresCopy:
    """One worker's share of the rows, streamed into PostgreSQL with COPY in one transaction."""

    def __init__(self, dsn: str, dialect: Dialect, tables: Sequence[Table]) -> None:
        self._connection = psycopg.connect(dsn)
        self._rows = {table.name: Rows(table, dialect) for table in tables}

    def write(self, table: str, rows: Sequence[Row]) -> None:
        if not rows:
            return
        shape = self._rows[table]
        columns = ", ".join(f'"{name}"' for name in shape.names)
        with (
            self._connection.cursor() as cursor,
            cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy,
        ):
            for values in shape.tuples(rows):
                copy.write_row(values)

    def close(self) -> None:
        self._connection.commit()
        self._connection.close()


def libpq_dsn(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://…`` as the plain ``postgresql://…`` psycopg connects to."""
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)
