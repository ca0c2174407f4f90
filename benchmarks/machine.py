"""The machine a benchmark ran on, for the results file: cores, memory, CPU, versions, load."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError


@dataclass(frozen=True)
class Machine:
    cores: int
    memory_gb: float
    cpu: str
    python: str
    sqlite: str
    postgresql: str | None
    commit: str
    sqlite_commit_ms: float  # one small write transaction, as the app's SQLite is configured
    postgresql_commit_ms: float | None

    def lines(self) -> list[str]:
        pg_commit = (
            f", PostgreSQL {self.postgresql_commit_ms:.2f} ms"
            if self.postgresql_commit_ms is not None
            else ""
        )
        return [
            f"- {self.cores} cores (`nproc`), {self.memory_gb:.1f} GB memory, {self.cpu}",
            f"- Python {self.python}, SQLite {self.sqlite}, PostgreSQL "
            + (self.postgresql or "not reachable"),
            f"- one small committed write (the disk's sync cost): SQLite "
            f"{self.sqlite_commit_ms:.2f} ms{pg_commit}",
            f"- commit {self.commit}",
        ]


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _memory_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _postgresql(url: str | None) -> str | None:
    if not url:
        return None
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            version = str(connection.execute(text("SHOW server_version")).scalar())
        engine.dispose()
        return version
    except SQLAlchemyError:
        return None


def _commit(root: Path) -> str:
    found = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain"],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def sqlite_commit_ms(folder: Path, rounds: int = 30) -> float:
    """Median time of ``BEGIN IMMEDIATE; INSERT; COMMIT`` in a file in ``folder`` (default
    rollback journal, ``synchronous=FULL``: what the app's database does on every write)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "commit-probe.db"
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("CREATE TABLE IF NOT EXISTS probe (x)")
    samples = []
    for n in range(rounds):
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO probe VALUES (?)", (n,))
        connection.execute("COMMIT")
        samples.append((time.perf_counter() - started) * 1000)
    connection.close()
    path.unlink()
    return statistics.median(samples)


def postgresql_commit_ms(url: str | None, rounds: int = 30) -> float | None:
    """Median time of one INSERT committed on the server (its WAL flush)."""
    if not url:
        return None
    try:
        engine = create_engine(url)
        samples = []
        with engine.connect() as connection:
            connection.execute(text("CREATE TEMPORARY TABLE probe (x int)"))
            connection.commit()
            for n in range(rounds):
                started = time.perf_counter()
                connection.execute(text("INSERT INTO probe VALUES (:n)"), {"n": n})
                connection.commit()
                samples.append((time.perf_counter() - started) * 1000)
        engine.dispose()
        return statistics.median(samples)
    except SQLAlchemyError:
        return None


def describe(root: Path, postgresql_url: str | None, data_folder: Path) -> Machine:
    return Machine(
        cores=os.cpu_count() or 0,
        memory_gb=_memory_gb(),
        cpu=_cpu(),
        python=platform.python_version(),
        sqlite=sqlite3.sqlite_version,
        postgresql=_postgresql(postgresql_url),
        commit=_commit(root),
        sqlite_commit_ms=sqlite_commit_ms(data_folder),
        postgresql_commit_ms=postgresql_commit_ms(postgresql_url),
    )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"
