"""Bulk writes for the generated data: rows as the app's column types store them, fast.

The generator builds rows as plain dicts keyed by column name. ``Rows`` turns them into
tuples in the table's column order, filling every column the dict leaves out exactly as
SQLAlchemy Core's ``insert()`` would (the column's Python-side ``default``, else NULL), and
passing every value through the column type's own bind processor for the target dialect
(``Uuid`` → 32 hex digits on SQLite, ``UTCDateTime`` → UTC, enumerations → their values,
``JSON`` → text). Nothing is formatted by hand, so what lands in the database is what the
app's own inserts would have written.

The clients are built in chunks by worker processes while the main process loads what is
done, so building and loading overlap. Per backend, a sink (in a worker) and a loader (in
the main process):

- SQLite: ``SqlitePart`` writes a chunk into an untyped SQLite file of its own with the
  driver's ``executemany``; ``SqliteLoader`` copies each finished part into the real
  database (created by the app's migrations) with ``INSERT … SELECT``, so the real tables'
  types, keys, constraints and triggers apply as usual (SQLite has one writer: this is
  it). The tables' other indexes are dropped for the load and created again after it.
- PostgreSQL: ``PostgresCopy`` streams a chunk with ``COPY … FROM STDIN`` into the real
  tables, one connection per worker. ``PostgresLoader`` first sets the client tables'
  keys, indexes and foreign keys aside, exactly as the server describes them
  (``pg_get_constraintdef``, ``pg_get_indexdef``), and builds them again after the load:
  one sort per index instead of millions of random B-tree inserts, and each foreign key
  checked by one join instead of a trigger per row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Column, LargeBinary, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.schema import ColumnDefault

from consent.base import Base, UTCDateTime

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
            _Column(
                column.name,
                _default_of(column),
                column.type._cached_bind_processor(dialect),  # what Core itself applies
                # Most columns repeat a few values (the client's id, an enumeration): each
                # distinct value is processed once. Keys, instants, ciphertexts and hashes
                # are new on every row.
                distinct=not column.primary_key
                and not isinstance(column.type, (LargeBinary, UTCDateTime)),
            )
            for column in table.columns
        ]

    def tuples(self, rows: Sequence[Row]) -> list[tuple[Any, ...]]:
        """Each row in column order, completed and processed as Core would bind it.

        Column by column: a column's values are gathered, filled and processed in one pass
        (millions of rows make the per-value interpreter work the cost).
        """
        if not rows:
            return []
        return list(zip(*(column.values(rows) for column in self._columns), strict=True))


@dataclass(frozen=True)
class _Column:
    name: str
    default: Callable[[], Any]
    process: Callable[[Any], Any] | None
    distinct: bool

    def values(self, rows: Sequence[Row]) -> list[Any]:
        """This column's value in every row, completed and processed."""
        name, default = self.name, self.default
        try:
            values = list(map(itemgetter(name), rows))
        except KeyError:  # some rows leave the column to its default
            values = [row[name] if name in row else default() for row in rows]
        process = self.process
        if process is None:
            return values
        if self.distinct:
            try:
                processed = {value: process(value) for value in set(values) if value is not None}
            except TypeError:  # unhashable (JSON documents): one by one
                pass
            else:
                processed[None] = None
                return list(map(processed.__getitem__, values))
        return [None if value is None else process(value) for value in values]


def tables_in_order(names: Iterable[str]) -> list[Table]:
    """The named tables, parents before children (the order foreign keys need)."""
    wanted = set(names)
    return [table for table in Base.metadata.sorted_tables if table.name in wanted]


class SqlitePart:
    """One chunk of clients' rows, in an untyped SQLite file of its own (a worker's)."""

    def __init__(self, path: Path, dialect: Dialect, tables: Sequence[Table]) -> None:
        self.path = path
        self._connection = sqlite3.connect(path, isolation_level=None)
        self._connection.execute("PRAGMA journal_mode=OFF")
        self._connection.execute("PRAGMA synchronous=OFF")
        self._rows = {table.name: Rows(table, dialect) for table in tables}
        for table in tables:
            columns = ", ".join(f'"{name}"' for name in self._rows[table.name].names)
            self._connection.execute(f'CREATE TABLE "{table.name}" ({columns})')
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


class SqliteLoader:
    """The main process's side on SQLite: copies each finished part into the real database.

    The client tables' own indexes are set aside for the load and built again after it
    (one sort each rather than millions of B-tree inserts); the indexes that back a key or
    a unique constraint are part of the table and fill as rows arrive. The copy runs
    without a rollback journal and without fsync (the file is rebuilt from scratch if
    anything fails); ``finish`` puts the file back in the app's journal mode (WAL) with
    nothing left to checkpoint.
    """

    def __init__(self, database: Path, tables: Sequence[Table]) -> None:
        self._tables = tables
        self._indexes: list[tuple[str, str]] = []  # (name, the statement that created it)
        self._connection = sqlite3.connect(database, isolation_level=None)
        self._connection.execute("PRAGMA journal_mode=OFF")
        self._connection.execute("PRAGMA synchronous=OFF")
        self._connection.execute("PRAGMA cache_size=-2000000")  # 2 GB for the indexes' pages

    def prepare(self) -> None:
        """Drop the client tables' own indexes (noting how each was created)."""
        loaded = {table.name for table in self._tables}
        self._indexes = [
            (name, sql)
            for name, table, sql in self._connection.execute(
                "SELECT name, tbl_name, sql FROM sqlite_master"
                " WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
            )
            if table in loaded
        ]
        for name, _ in self._indexes:
            self._connection.execute(f'DROP INDEX "{name}"')

    def load(self, part: Path | None) -> None:
        """Copy one part in, table by table in foreign-key order, and delete it."""
        assert part is not None, "an SQLite chunk is written to a part file"
        connection = self._connection
        connection.execute("ATTACH DATABASE ? AS part", (str(part),))
        connection.execute("BEGIN")
        for table in self._tables:
            columns = ", ".join(f'"{column.name}"' for column in table.columns)
            connection.execute(
                f'INSERT INTO main."{table.name}" ({columns}) '  # noqa: S608
                f'SELECT {columns} FROM part."{table.name}"'
            )
        connection.execute("COMMIT")
        connection.execute("DETACH DATABASE part")
        part.unlink()

    def finish(self) -> str:
        """Build the indexes again, then switch back to WAL."""
        for _, sql in self._indexes:
            self._connection.execute(sql)
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._connection.close()
        return "indexes built again; back in WAL mode"


class PostgresCopy:
    """One chunk of clients' rows, streamed into PostgreSQL with COPY in one transaction.

    In COPY's binary format, each column sent as the type the server says it has: no text
    to format here and parse there.
    """

    def __init__(self, dsn: str, dialect: Dialect, tables: Sequence[Table]) -> None:
        self._connection = psycopg.connect(dsn)
        self._rows = {table.name: Rows(table, dialect) for table in tables}
        self._types = {table.name: self._column_types(table.name) for table in tables}

    def _column_types(self, table: str) -> list[int]:
        oids: dict[str, int] = dict(
            self._connection.execute(
                "SELECT attname, atttypid::int FROM pg_attribute"
                " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                (table,),
            ).fetchall()
        )
        return [oids[name] for name in self._rows[table].names]

    def write(self, table: str, rows: Sequence[Row]) -> None:
        if not rows:
            return
        shape = self._rows[table]
        columns = ", ".join(f'"{name}"' for name in shape.names)
        with (
            self._connection.cursor() as cursor,
            cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN (FORMAT BINARY)') as copy,
        ):
            copy.set_types(self._types[table])
            for values in shape.tuples(rows):
                copy.write_row(values)

    def close(self) -> None:
        self._connection.commit()
        self._connection.close()


@dataclass(frozen=True)
class _SetAside:
    """A key, index or foreign key of a table, as the server describes it."""

    table: str
    name: str
    kind: str  # "p" primary key, "u" unique, "f" foreign key, "i" an index of its own
    definition: str

    @property
    def drop(self) -> str:
        if self.kind == "i":
            return f"DROP INDEX {self.name}"
        return f"ALTER TABLE {self.table} DROP CONSTRAINT {self.name}"

    @property
    def create(self) -> str:
        if self.kind == "i":
            return self.definition
        return f"ALTER TABLE {self.table} ADD CONSTRAINT {self.name} {self.definition}"


# Every primary key, unique constraint and foreign key on or to the named tables, and the
# indexes of those tables that back no constraint; names quoted as the server quotes them.
_CATALOG = """
    WITH loaded AS (
        SELECT oid FROM pg_class
        WHERE relname = ANY(%(tables)s) AND relnamespace = 'public'::regnamespace
    )
    SELECT conrelid::regclass::text, quote_ident(conname), contype::text,
           pg_get_constraintdef(oid)
    FROM pg_constraint
    WHERE contype IN ('p', 'u', 'f')
      AND (conrelid IN (SELECT oid FROM loaded) OR confrelid IN (SELECT oid FROM loaded))
    UNION ALL
    SELECT indrelid::regclass::text, indexrelid::regclass::text, 'i',
           pg_get_indexdef(indexrelid)
    FROM pg_index
    WHERE indrelid IN (SELECT oid FROM loaded)
      AND NOT EXISTS (
          SELECT 1 FROM pg_constraint WHERE conindid = indexrelid AND conrelid = indrelid
      )
    ORDER BY 1, 2
"""


class PostgresLoader:
    """The main process's side on PostgreSQL: the client tables' keys, indexes and foreign
    keys are set aside for the load and built again after it, as they were."""

    def __init__(self, dsn: str, tables: Sequence[Table], workers: int) -> None:
        self._dsn = dsn
        self._tables = [table.name for table in tables]
        self._workers = workers
        self._set_aside: list[_SetAside] = []

    def _catalog(self, connection: psycopg.Connection[Any]) -> list[_SetAside]:
        rows = connection.execute(_CATALOG, {"tables": self._tables}).fetchall()
        return [_SetAside(*row) for row in rows]

    def prepare(self) -> None:
        """Drop the foreign keys on or to the client tables, then their keys and indexes."""
        with psycopg.connect(self._dsn, autocommit=True) as connection:
            self._set_aside = self._catalog(connection)
            # Foreign keys first: they lean on the keys they point to.
            for aside in sorted(self._set_aside, key=lambda aside: aside.kind != "f"):
                connection.execute(aside.drop)

    def load(self, part: Path | None) -> None:
        """Nothing left to do: the worker copied its chunk into the tables."""

    def finish(self) -> str:
        """Build the keys and indexes again (a table per worker at a time, the largest
        first), then the foreign keys (each checked once over the loaded rows); check that
        the catalog says what it said before the load; ``ANALYZE``, as autovacuum would
        soon after a load.

        :raises RuntimeError: when a key, index or foreign key did not come back as it was.
        """
        by_table: dict[str, list[_SetAside]] = {}
        for aside in self._set_aside:
            if aside.kind != "f":
                by_table.setdefault(aside.table, []).append(aside)
        with psycopg.connect(self._dsn, autocommit=True) as connection:
            sizes: dict[str, int] = dict(
                connection.execute(
                    "SELECT oid::regclass::text, pg_relation_size(oid) FROM pg_class"
                    " WHERE oid::regclass::text = ANY(%s)",
                    (list(by_table),),
                ).fetchall()
            )
        largest_first = sorted(by_table, key=lambda table: -sizes.get(table, 0))
        with ThreadPoolExecutor(self._workers) as pool:
            list(pool.map(self._create, [by_table[table] for table in largest_first]))
        self._create([aside for aside in self._set_aside if aside.kind == "f"])
        with psycopg.connect(self._dsn, autocommit=True) as connection:
            if self._catalog(connection) != self._set_aside:
                raise RuntimeError("the keys, indexes and foreign keys differ from before the load")
            connection.execute("ANALYZE")
        return "keys, indexes and foreign keys built again; analysed"

    def _create(self, statements: Sequence[_SetAside]) -> None:
        with psycopg.connect(self._dsn, autocommit=True) as connection:
            connection.execute("SET maintenance_work_mem = '256MB'")  # the sorts in memory
            for aside in statements:
                connection.execute(aside.create)


def libpq_dsn(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://…`` as the plain ``postgresql://…`` psycopg connects to."""
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)
