"""The machine a benchmark ran on, for the results file: cores, memory, CPU, versions, load."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
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

    def lines(self) -> list[str]:
        return [
            f"- {self.cores} cores (`nproc`), {self.memory_gb:.1f} GB memory, {self.cpu}",
            f"- Python {self.python}, SQLite {self.sqlite}, PostgreSQL "
            + (self.postgresql or "not reachable"),
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


def describe(root: Path, postgresql_url: str | None) -> Machine:
    return Machine(
        cores=os.cpu_count() or 0,
        memory_gb=_memory_gb(),
        cpu=_cpu(),
        python=platform.python_version(),
        sqlite=sqlite3.sqlite_version,
        postgresql=_postgresql(postgresql_url),
        commit=_commit(root),
    )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"
