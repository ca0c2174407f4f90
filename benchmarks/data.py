"""Build a national-scale data set, valid and encrypted as the app writes it, in minutes.

    .venv/bin/python -m benchmarks.data --clients 10000 [--postgresql URL] [--folder .bench]

What it builds (``benchmarks.scale``; per client on average): a case with a responsible
worker, a portal account, 10 network members, a plan of 6 sections with 2 versions each,
100 consents with their events, the key seals of the live grants, and 1,000 access-log
entries in a valid chain. At 10,000 clients: about 100,000 members, 1,000,000 consents,
2,000,000 consent events and 10,000,000 log rows.

How: the schema comes from the app's migrations (``flask db upgrade``); the country
(``benchmarks.world``) is inserted with Core ``insert()``; the clients are built in chunks
of up to a hundred by one process per core (``benchmarks.clients``), each chunk written
with the driver's bulk path (``benchmarks.bulk``: an SQLite part file that the main
process copies into the database while the workers build the next chunks, or binary COPY
on PostgreSQL), the client tables' indexes set aside until the load is done. The partners'
lists (``share_periods``) are computed in the same workers, a batch at a time, by the very
function the app's listener runs on every change (``app.partner_work.shares.rebuild``:
the app's fact loader, then ``app.partner_work.rules.share_periods``), over the batch's
fact rows in an in-memory SQLite database, and written with the chunk. Every phase is
printed with its time, so a slow build says where it spent it.

Each data set lives in its own folder, named by a content key over its parameters and the
source of everything that shapes it (the generator, the models' packages, the migrations):
``ensure`` reuses a complete set and rebuilds a stale one. The folder holds
``manifest.json`` (what the benchmarks need: logins, sample clients, counts, build time),
``instance/`` (the master keys and secret key the app reads), and the SQLite file.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import gc
import hashlib
import json
import math
import multiprocessing
import os
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from flask_migrate import upgrade
from sqlalchemy import Engine, Table, create_engine, insert, make_url, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from app import create_app
from app.cases.facts import FACT_TABLES, FACTS_VERSIONS, NEW_VERSION
from app.extensions import db
from app.models.partner import SharePeriod
from app.partner_work.shares import rebuild
from app.settings import MASTER_KEY_FILE, SECRET_KEY_FILE, Settings
from benchmarks import ROOT
from benchmarks.bulk import (
    PostgresCopy,
    PostgresLoader,
    SqliteLoader,
    SqlitePart,
    libpq_dsn,
    tables_in_order,
)
from benchmarks.clients import ClientFactory
from benchmarks.scale import Scale
from benchmarks.world import ADMIN, PASSWORD, World, build_world, password_hash
from consent.base import Base, utcnow
from sharing.keys import Keyring, generate_keyring, write_key_file

DEFAULT_FOLDER = ROOT / ".bench"
CHUNK = 100  # clients per task of a worker process at most (an SQLite part file)
BATCH = 50  # clients per bulk write
T = TypeVar("T")
CLIENT_TABLES = (
    "clients",
    "users",
    "cases",
    "responsible_workers",
    "data_keys",
    "network_members",
    "grantee_keys",
    "client_plans",
    "plan_sections",
    "plan_section_versions",
    "consents",
    "consent_events",
    "statutory_disclosures",
    "key_seals",
    "key_seal_records",
    "access_log",
    "share_periods",
)
# What shapes the data: a change to any of these makes a new data set.
SOURCES = (
    "benchmarks/data.py",
    "benchmarks/bulk.py",
    "benchmarks/clients.py",
    "benchmarks/log_rows.py",
    "benchmarks/scale.py",
    "benchmarks/world.py",
    "app/cases/facts.py",
    "app/partner_work",
    "consent",
    "sharing",
    "app/models",
    "migrations/versions",
)
SAMPLES = 400  # clients (and sections) shared with Kela kept for the load runs


@dataclass
class Manifest:
    """What a generated data set holds and how to reach it."""

    scale: dict[str, Any]
    backend: str  # "sqlite" or "postgresql"
    url: str  # SQLAlchemy URL of the database
    instance: str  # the folder with the master keys and the secret key
    password: str
    caseworker: str  # a caseworker of the busiest county
    partner: str  # a Kela employee: Kela is a member of nearly every network
    client_users: list[str]
    shared: list[tuple[str, str]]  # (client id, section) Kela may read now
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    built_at: str = ""

    @property
    def logins(self) -> dict[str, str]:
        """The user the benchmarks sign in as, by the role whose pages they load."""
        return {
            "partner": self.partner,
            "caseworker": self.caseworker,
            "client": self.client_users[0],
            "admin": ADMIN,
        }

    def save(self, folder: Path) -> None:
        (folder / "manifest.json").write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        data = json.loads((folder / "manifest.json").read_text())
        data["shared"] = [tuple(pair) for pair in data["shared"]]
        return cls(**data)


def content_key(scale: Scale, backend: str) -> str:
    """A digest of the parameters and of every source file that shapes the data."""
    digest = hashlib.sha256(f"{scale.fingerprint()}:{backend}".encode())
    for top in SOURCES:
        found = [ROOT / top] if top.endswith(".py") else sorted((ROOT / top).rglob("*.py"))
        for path in found:
            digest.update(str(path.relative_to(ROOT)).encode())
            # The syntax tree, not the bytes: reformatting or a comment builds nothing anew.
            digest.update(ast.dump(ast.parse(path.read_text())).encode())
    return digest.hexdigest()[:12]


def ensure(
    scale: Scale, *, postgresql: str | None = None, folder: Path = DEFAULT_FOLDER
) -> Manifest:
    """The data set for ``scale`` on SQLite (or on the PostgreSQL server whose maintenance
    URL is given), built unless an identical one is already there."""
    backend = "postgresql" if postgresql else "sqlite"
    key = content_key(scale, backend)
    home = folder / f"{backend}-{scale.name}-{key}"
    if (home / "manifest.json").is_file():
        manifest = Manifest.load(home)
        if _reachable(manifest):
            return manifest
    for stale in sets(folder, backend, scale):
        remove(stale, postgresql=postgresql)
    home.mkdir(parents=True)
    if postgresql:
        url = _fresh_postgresql_database(postgresql, _database_name(postgresql, scale, key))
    else:
        url = f"sqlite:///{home / 'bench.db'}"
    try:
        return generate(scale, url, home)
    except BaseException:  # interrupted or failed: half a set is of no use, and gigabytes
        if postgresql:
            _drop_postgresql_database(postgresql, url)
        shutil.rmtree(home)
        raise


def sets(folder: Path, backend: str, scale: Scale) -> list[Path]:
    """The folders of every set of this size and backend, current or stale."""
    return sorted(folder.glob(f"{backend}-{scale.name}-*"))


def remove(home: Path, *, postgresql: str | None = None) -> None:
    """Delete a data set: its folder and, on PostgreSQL, its database (gigabytes at national
    scale) if it is one the server of ``postgresql`` names as this generator does."""
    if postgresql and (home / "manifest.json").is_file():
        _drop_postgresql_database(postgresql, Manifest.load(home).url)
    shutil.rmtree(home)


def _reachable(manifest: Manifest) -> bool:
    try:
        engine = create_engine(manifest.url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1 FROM access_log LIMIT 1"))
        engine.dispose()
        return True
    except SQLAlchemyError:  # gone or half-built: build it again
        return False


def _database_name(maintenance_url: str, scale: Scale, key: str) -> str:
    """The set's own database, named after the one the URL names (``tukiverkko_bench_…``
    beside the server's maintenance database ``postgres``): sets built through different
    URLs of one server never meet."""
    return f"{_database_prefix(maintenance_url)}_{scale.clients}_{key}"


def _database_prefix(maintenance_url: str) -> str:
    named = make_url(maintenance_url).database
    return "tukiverkko_bench" if named in (None, "", "postgres") else named


def _drop_postgresql_database(maintenance_url: str, url: str) -> None:
    """Drop a set's database, if it is named as this URL's sets are."""
    name = make_url(url).database or ""
    if name.startswith(f"{_database_prefix(maintenance_url)}_"):
        _on_server(maintenance_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh_postgresql_database(maintenance_url: str, name: str) -> str:
    """Drop and create ``name`` on the server; the URL of the new database."""
    _on_server(
        maintenance_url,
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}"',
    )
    return make_url(maintenance_url).set(database=name).render_as_string(hide_password=False)


def _on_server(maintenance_url: str, *statements: str) -> None:
    admin = create_engine(make_url(maintenance_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    admin.dispose()


def _say(started: float, what: str) -> None:
    print(
        f"[bench data {time.perf_counter() - started:7.1f} s] {what}", file=sys.stderr, flush=True
    )


def generate(scale: Scale, url: str, home: Path) -> Manifest:
    """Build the data set into the (empty) database at ``url``; folder ``home`` gets the
    instance keys, the parts and the manifest."""
    started = time.perf_counter()
    _say(started, f"{scale.clients} clients into {make_url(url).render_as_string()}")
    now = utcnow()
    keyring = generate_keyring()
    instance = home / "instance"
    write_key_file(instance / MASTER_KEY_FILE, keyring)
    (instance / SECRET_KEY_FILE).write_text(secrets.token_urlsafe(48))
    settings = Settings(
        environment="production",
        database_url=url,
        instance_path=instance,
        secret_key=(instance / SECRET_KEY_FILE).read_text(),
        keyring=keyring,
    )
    _migrate(settings)
    _say(started, "schema migrated")
    engine = create_engine(url)
    world, world_rows = build_world(scale, keyring, password_hash(settings), now)
    with engine.begin() as connection:
        for table in tables_in_order(world_rows):
            connection.execute(insert(table), world_rows[table.name])
    backend = engine.dialect.name
    engine.dispose()

    restore_triggers = _facts_versions_aside(url)
    results = _build_clients(started, _WorkerContext(world, keyring, scale, url, home), backend)
    restore_triggers()
    _say(started, "facts version triggers back; a token for every client")

    counts = {name: len(rows) for name, rows in world_rows.items()}
    for result in results:
        for name, n in result.counts.items():
            counts[name] = counts.get(name, 0) + n
    manifest = Manifest(
        scale=asdict(scale),
        backend=backend,
        url=url,
        instance=str(instance),
        password=PASSWORD,
        caseworker=world.usernames["caseworker"],
        partner=world.usernames["partner"],
        client_users=[u for result in results for u in result.client_users][:20],
        shared=[pair for result in results for pair in result.shared][:SAMPLES],
        counts=counts,
        seconds=round(time.perf_counter() - started, 1),
        built_at=datetime.now().astimezone().isoformat(timespec="seconds"),
    )
    manifest.save(home)
    return manifest


def _facts_versions_aside(url: str) -> Callable[[], None]:
    """Set the facts version triggers aside for the load; the function that puts them back
    and gives every client a token, as the migration does for the clients already there.

    They fire for every row and look up the row's case and member: millions of lookups,
    and on PostgreSQL without the keys the load sets aside.
    """
    engine = create_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as connection:
        if sqlite:
            found = connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE name GLOB 'facts_version_*'")
            ).all()
            for name, _ in found:
                connection.execute(text(f'DROP TRIGGER "{name}"'))
        else:
            found = connection.execute(
                text(
                    "SELECT tgname, tgrelid::regclass::text FROM pg_trigger"
                    " WHERE tgname LIKE 'facts\\_version\\_%'"
                )
            ).all()
            for name, table in found:
                connection.execute(text(f'ALTER TABLE {table} DISABLE TRIGGER "{name}"'))
    engine.dispose()  # SQLite leaves WAL for the load only with no other connection open

    def restore() -> None:
        with engine.begin() as connection:
            for name, second in found:
                connection.execute(
                    text(second if sqlite else f'ALTER TABLE {second} ENABLE TRIGGER "{name}"')
                )
            connection.execute(
                text(
                    "INSERT INTO facts_versions (client_id, version)"  # noqa: S608  (constants)
                    f" SELECT id, {NEW_VERSION[engine.dialect.name]} FROM clients"
                )
            )
        engine.dispose()

    return restore


def _build_clients(started: float, context: _WorkerContext, backend: str) -> list[_ChunkResult]:
    """Build the clients in chunks, one worker process per core, and load each chunk into
    the database as it is done while the workers build the next ones."""
    clients = context.scale.clients
    workers = max(1, min(os.cpu_count() or 1, clients))
    # At least four chunks a worker, so that no worker is left with a long last one alone.
    size = max(1, min(CHUNK, math.ceil(clients / (4 * workers))))
    chunks = [range(start, min(start + size, clients)) for start in range(0, clients, size)]
    _say(started, f"country inserted; building {len(chunks)} chunks in {workers} processes")
    results: list[_ChunkResult] = []
    loading = 0.0
    every = max(1, len(chunks) // 10)
    # Forked before the loader connects: no worker inherits its connection.
    with multiprocessing.get_context("fork").Pool(workers, _start_worker, (context,)) as pool:
        loader = _loader(backend, context.url, tables_in_order(CLIENT_TABLES), workers)
        for done, result in enumerate(pool.imap_unordered(_build_chunk, chunks), start=1):
            began = time.perf_counter()
            loader.load(result.part)
            loading += time.perf_counter() - began
            results.append(result)
            if done % every == 0 and done < len(chunks):
                _say(started, f"{done} of {len(chunks)} chunks done")
    _say(started, f"clients built and loaded (loading the chunks: {loading:.1f} s)")
    _say(started, loader.finish())
    return sorted(results, key=lambda result: result.start)


def _migrate(settings: Settings) -> None:
    """The app's own schema: ``flask db upgrade`` on the new database.

    Outside production, as ``flask db upgrade`` runs: a production app refuses to start
    until the schema is at head (``app.health.require_schema_at_head``).
    """
    app = create_app(dataclasses.replace(settings, environment="development"))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _loader(
    backend: str, url: str, tables: Sequence[Table], workers: int
) -> SqliteLoader | PostgresLoader:
    loader: SqliteLoader | PostgresLoader
    if backend == "sqlite":
        loader = SqliteLoader(Path(make_url(url).database or ""), tables)
    else:
        loader = PostgresLoader(libpq_dsn(url), tables, workers)
    loader.prepare()
    return loader


@dataclass(frozen=True)
class _WorkerContext:
    """What every worker process builds from (handed over once, at the fork)."""

    world: World
    keyring: Keyring
    scale: Scale
    url: str
    home: Path


@dataclass
class _ChunkResult:
    start: int
    part: Path | None  # the SQLite part file to load (None on PostgreSQL: already loaded)
    counts: dict[str, int]
    shared: list[tuple[str, str]]
    client_users: list[str]


_context: _WorkerContext | None = None


def _start_worker(context: _WorkerContext) -> None:
    global _context
    _context = context


def _build_chunk(chunk: range) -> _ChunkResult:
    """In a worker process: build one chunk of clients and write them, a batch at a time."""
    assert _context is not None, "not in a worker process"
    context = _context
    tables = tables_in_order(CLIENT_TABLES)
    dialect = create_engine(context.url).dialect
    sink: SqlitePart | PostgresCopy
    if dialect.name == "sqlite":
        sink = SqlitePart(context.home / f"part-{chunk.start:06d}.db", dialect, tables)
        result = _ChunkResult(chunk.start, sink.path, {}, [], [])
    else:
        sink = PostgresCopy(libpq_dsn(context.url), dialect, tables)
        result = _ChunkResult(chunk.start, None, {}, [], [])
    factory = ClientFactory(context.world, context.keyring, context.scale)
    periods = _SharePeriods()
    # The rows hold no reference cycles: the collector would only walk millions of them.
    gc.disable()
    try:
        for batch in _batches(chunk, BATCH):
            rows: dict[str, list[dict[str, Any]]] = {}
            for index in batch:
                built = factory.build(index)
                for name, table_rows in built.rows.items():
                    rows.setdefault(name, []).extend(table_rows)
                if len(result.shared) < SAMPLES:
                    result.shared += [
                        (str(client), kind.value) for client, kind in built.shared_with_kela[:1]
                    ]
                if built.client_username and len(result.client_users) < 20:
                    result.client_users.append(built.client_username)
            rows["share_periods"] = periods.of(rows)
            for table in tables:
                table_rows = rows.get(table.name, [])
                sink.write(table.name, table_rows)
                result.counts[table.name] = result.counts.get(table.name, 0) + len(table_rows)
        sink.close()
    finally:
        gc.enable()
    return result


class _SharePeriods:
    """The partners' lists of a batch of built clients, as the app's listener keeps them.

    The batch's fact rows go into an in-memory SQLite database with the app's own tables,
    through Core as the app inserts them; ``rebuild`` (what the app's ``after_flush``
    listener runs) reads them back with the app's fact loader, applies the rule and writes
    the periods; those rows are what the chunk carries. The transaction is rolled back, so
    the next batch starts from empty tables.
    """

    FACTS = tables_in_order(FACT_TABLES)  # every table the app's fact loader reads
    PERIODS = Base.metadata.tables[SharePeriod.__tablename__]

    def __init__(self) -> None:
        # One connection, in memory, for as long as the worker lives.
        self._engine: Engine = create_engine("sqlite://", poolclass=StaticPool)
        # The foreign keys point at tables left out (the app's engines enforce them); the
        # pragma works only outside a transaction, so on the driver's connection itself.
        raw = self._engine.raw_connection()
        raw.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]  # sqlite3
        raw.close()
        Base.metadata.create_all(self._engine, tables=[*self.FACTS, self.PERIODS])
        # Empty, and without its triggers: the loader reads it, and keeps no facts then.
        FACTS_VERSIONS.create(self._engine)

    def of(self, rows: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
        with Session(self._engine) as session:
            connection = session.connection()
            for table in self.FACTS:
                # Core takes the columns of a multi-row insert from its first row: rows
                # that leave out different columns (to their defaults) go in separately.
                shapes: dict[frozenset[str], list[dict[str, Any]]] = {}
                for row in rows.get(table.name, ()):
                    shapes.setdefault(frozenset(row), []).append(row)
                for alike in shapes.values():
                    connection.execute(insert(table), alike)
            rebuild(session, [case["client_id"] for case in rows.get("cases", ())])
            periods = [dict(row._mapping) for row in connection.execute(select(self.PERIODS))]
            session.rollback()
        return periods


def _batches(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1_000)
    parser.add_argument(
        "--postgresql",
        metavar="URL",
        help="maintenance URL of a PostgreSQL server (the set gets its own database)",
    )
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument(
        "--remove", action="store_true", help="delete the sets of this size instead (disk)"
    )
    args = parser.parse_args()
    scale = Scale(clients=args.clients)
    if args.remove:
        backend = "postgresql" if args.postgresql else "sqlite"
        for home in sets(args.folder, backend, scale):
            remove(home, postgresql=args.postgresql)
            print(f"removed {home}")
        return
    manifest = ensure(scale, postgresql=args.postgresql, folder=args.folder)
    print(json.dumps({k: v for k, v in asdict(manifest).items() if k != "shared"}, indent=1))


if __name__ == "__main__":
    main()
