"""Backup and restore of the database as one encrypted file (``flask backup create|restore``).

A backup is a consistent copy of the whole database taken while the app serves: SQLite's
online backup API (one read transaction's snapshot, WAL included) or ``pg_dump`` in its
custom format, run on a snapshot exported from the transaction that also reads the schema
revision and every access-log chain's head (its seq and MAC: ``sharing.access_log.heads_sql``,
the heads a checkpoint signs), so the manifest describes exactly the dumped data. The dump
and the manifest are sealed by ``sharing.archive`` under a backup key wrapped by the active
master key: the file never holds a master key, and it restores only with a keyring that
holds the key that was active when it was taken.

A restore goes only onto an empty database of the same kind, at the schema revision the
code's migrations are at (the backup's revision must equal it), and afterwards reads every
chain's head back and compares them with the manifest.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import URL, Connection, Engine

from sharing.access_log import heads_sql
from sharing.archive import ArchiveError, open_archive, seal_archive
from sharing.keys import Keyring

PG_TIMEOUT_SECONDS = 3600


class BackupRefused(Exception):
    """Raised when a backup cannot be taken or restored; the message says why."""


@dataclass(frozen=True)
class Backup:
    """A sealed backup file's bytes and the manifest sealed in it."""

    blob: bytes
    manifest: Mapping[str, Any]


def code_revision(migrations_dir: str) -> str:
    """The schema revision this code's migrations end at (alembic head)."""
    head = ScriptDirectory(migrations_dir).get_current_head()
    if head is None:
        raise BackupRefused(f"no migrations in {migrations_dir}")
    return head


def _chains(rows: Any) -> dict[str, Any]:
    heads = {
        str(uuid.UUID(str(client_id))): {"seq": int(seq), "hash": bytes(entry_hash).hex()}
        for client_id, seq, entry_hash in rows
    }
    return {"count": len(heads), "heads": dict(sorted(heads.items()))}


def _manifest(kind: str, revision: str | None, chains: dict[str, Any]) -> dict[str, Any]:
    return {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": kind,
        "schema_revision": revision,
        "chains": chains,
    }


def create(engine: Engine, keyring: Keyring) -> Backup:
    """Take a consistent backup of the database behind ``engine``, sealed under ``keyring``.

    :raises BackupRefused: when the database kind is not supported or the dump fails.
    """
    if engine.dialect.name == "sqlite":
        payload, manifest = _sqlite_dump(_sqlite_file(engine.url))
    elif engine.dialect.name == "postgresql":
        payload, manifest = _pg_dump(engine)
    else:
        raise BackupRefused(f"no backup for {engine.dialect.name} databases")
    return Backup(blob=seal_archive(keyring, manifest, payload), manifest=manifest)


def restore(
    engine: Engine, keyring: Keyring, migrations_dir: str, blob: bytes
) -> Mapping[str, Any]:
    """Restore a backup onto the empty database behind ``engine``; returns its manifest.

    :raises BackupRefused: when the file is not a backup, was altered, needs a master key
        the keyring lacks, is of another database kind or schema revision, when the target
        is not empty, or when the restored chain heads differ from the manifest.
    """
    try:
        opened = open_archive(keyring, blob)
    except ArchiveError as error:
        raise BackupRefused(f"refused: {error}") from None
    manifest = opened.manifest
    if manifest.get("database") != engine.dialect.name:
        raise BackupRefused(
            f"refused: this is a {manifest.get('database')} backup; the target database is "
            f"{engine.dialect.name}"
        )
    expected = code_revision(migrations_dir)
    if manifest.get("schema_revision") != expected:
        raise BackupRefused(
            f"refused: the backup is at schema revision {manifest.get('schema_revision')}, "
            f"this installation's migrations are at {expected}: restore it with the release "
            "that took it (then upgrade), or take the backup again"
        )
    if engine.dialect.name == "sqlite":
        path = _sqlite_file(engine.url)
        _sqlite_load(path, opened.payload)
        with closing(sqlite3.connect(path)) as conn:
            chains = _chains(conn.execute(heads_sql("sqlite")).fetchall())
    else:
        _pg_load(engine, opened.payload)
        with engine.connect() as conn:
            chains = _chains(conn.execute(text(heads_sql("postgresql"))).all())
    _compare_chains(manifest["chains"], chains)
    return manifest


def _compare_chains(expected: Mapping[str, Any], found: Mapping[str, Any]) -> None:
    if expected["count"] != found["count"]:
        raise BackupRefused(
            f"restored, but the access log has {found['count']} chains where the manifest "
            f"names {expected['count']}: do not use this database"
        )
    for client_id, head in expected["heads"].items():
        if found["heads"].get(client_id) != head:
            raise BackupRefused(
                f"restored, but client {client_id}'s chain head differs from the manifest's "
                f"(seq {head['seq']}): do not use this database"
            )


# -- SQLite -------------------------------------------------------------------------------


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupRefused("an in-memory SQLite database has no backup")
    return Path(url.database)


def _sqlite_dump(path: Path) -> tuple[bytes, dict[str, Any]]:
    if not path.is_file():
        raise BackupRefused(f"no database file at {path}")
    with tempfile.TemporaryDirectory(prefix="tukiverkko-backup-") as tmp:
        copy = Path(tmp) / "backup.db"
        with (
            closing(sqlite3.connect(path, timeout=10)) as source,
            closing(sqlite3.connect(copy)) as target,
        ):
            source.backup(target)  # one step: one read snapshot, WAL included
        with closing(sqlite3.connect(copy)) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            revision = _sqlite_revision(conn)
            chains = _chains(conn.execute(heads_sql("sqlite")).fetchall())
        return copy.read_bytes(), _manifest("sqlite", revision, chains)


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return None if row is None else str(row[0])


def _sqlite_load(path: Path, payload: bytes) -> None:
    with closing(sqlite3.connect(path, timeout=10)) as target:
        tables = target.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchone()[0]
        if tables:
            raise BackupRefused(
                f"refused: the target database {path} is not empty ({tables} tables); "
                "restore only onto an empty database"
            )
        with tempfile.TemporaryDirectory(prefix="tukiverkko-restore-") as tmp:
            copy = Path(tmp) / "restore.db"
            copy.write_bytes(payload)
            with closing(sqlite3.connect(copy)) as source:
                source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")


# -- PostgreSQL ---------------------------------------------------------------------------


def _pg_tool(name: str, conn: Connection) -> str:
    """The ``pg_dump``/``pg_restore`` of the server's major version when installed
    (Debian's ``/usr/lib/postgresql/<major>/bin``), else the one on the PATH."""
    major = int(conn.scalar(text("SHOW server_version_num")) or 0) // 10000
    for candidate in (
        os.environ.get("TUKIVERKKO_PG_BIN", ""),
        f"/usr/lib/postgresql/{major}/bin",
    ):
        if candidate and (Path(candidate) / name).is_file():
            return str(Path(candidate) / name)
    found = shutil.which(name)
    if found is None:
        raise BackupRefused(f"{name} not found: install the PostgreSQL client tools")
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and an environment carrying it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(  # noqa: S603 (our own arguments, no shell)
        command, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT_SECONDS, check=False
    )
    if done.returncode != 0:
        raise BackupRefused(f"{Path(command[0]).name} failed: {done.stderr.strip()}")


def _pg_dump(engine: Engine) -> tuple[bytes, dict[str, Any]]:
    dsn, env = _libpq(engine.url)
    with engine.connect() as plain:
        conn = plain.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            # pg_dump reads the very snapshot the manifest's revision and chain heads come from.
            snapshot = str(conn.scalar(text("SELECT pg_export_snapshot()")))
            revision = conn.scalar(text("SELECT version_num FROM alembic_version"))
            chains = _chains(conn.execute(text(heads_sql("postgresql"))).all())
            tool = _pg_tool("pg_dump", conn)
            with tempfile.TemporaryDirectory(prefix="tukiverkko-backup-") as tmp:
                dump = Path(tmp) / "backup.dump"
                _run(
                    [tool, "--format=custom", f"--snapshot={snapshot}", f"--file={dump}", dsn],
                    env,
                )
                payload = dump.read_bytes()
    return payload, _manifest("postgresql", None if revision is None else str(revision), chains)


def _pg_load(engine: Engine, payload: bytes) -> None:
    dsn, env = _libpq(engine.url)
    with engine.connect() as conn:
        tables = conn.scalar(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
        if tables:
            raise BackupRefused(
                f"refused: the target database is not empty ({tables} tables); "
                "restore only onto an empty database"
            )
        tool = _pg_tool("pg_restore", conn)
    with tempfile.TemporaryDirectory(prefix="tukiverkko-restore-") as tmp:
        dump = Path(tmp) / "restore.dump"
        dump.write_bytes(payload)
        _run(
            [
                tool,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={dsn}",
                str(dump),
            ],
            env,
        )
