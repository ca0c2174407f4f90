"""`flask maintenance run` on two nodes at once: one database lock, one structured outcome,
and the access log's checkpoint written under that lock (and copied to syslog)."""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app import create_app
from app.extensions import db
from app.maintenance import lock
from app.request_log import JsonFormatter
from consent.base import Base
from sharing.keys import Keyring
from tests.conftest import make_settings, postgresql_url


@pytest.fixture
def sqlite_app(tmp_path: Path, keyring: Keyring) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path / 'maintenance.db'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app(make_settings(url, tmp_path / "instance", keyring))
    yield app
    with app.app_context():
        db.engine.dispose()


def outcomes(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [
        json.loads(JsonFormatter().format(r))
        for r in caplog.records
        if r.name == "tukiverkko.maintenance"
    ]


def test_a_run_logs_one_json_line_with_its_counts_and_duration(
    sqlite_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tukiverkko.maintenance")
    result = sqlite_app.test_cli_runner().invoke(args=["maintenance", "run"])
    assert result.exit_code == 0, result.output
    [entry] = outcomes(caplog)
    assert entry["message"] == "maintenance" and entry["outcome"] == "ran"
    for count in ("consents_expired", "clients_resealed", "seals_removed", "cases_disposed"):
        assert entry[count] == 0
    assert isinstance(entry["duration_ms"], float)
    assert (entry["checkpoint"], entry["checkpoint_n"]) == ("written", 1)


def test_each_checkpoint_line_goes_to_syslog_too(
    sqlite_app: Flask, tmp_path: Path, keyring: Keyring
) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(10)
    settings = dataclasses.replace(
        sqlite_app.extensions["tukiverkko.settings"],
        checkpoint_syslog=f"127.0.0.1:{receiver.getsockname()[1]}",
    )
    app = create_app(settings)
    try:
        result = app.test_cli_runner().invoke(args=["maintenance", "run"])
        assert result.exit_code == 0, result.output
        message = receiver.recv(8192).decode()
    finally:
        receiver.close()
        with app.app_context():
            db.engine.dispose()
    written = settings.checkpoints_path.read_text().strip()
    assert message.startswith("<") and "tukiverkko-checkpoint: " in message  # priority, ident
    assert message.rstrip("\x00").endswith(written)


def test_on_sqlite_a_second_run_waits_for_the_first(
    sqlite_app: Flask, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tukiverkko.maintenance")
    other = sqlite3.connect(
        tmp_path / "maintenance.db", isolation_level=None, check_same_thread=False
    )
    other.execute("BEGIN IMMEDIATE")  # another run holds the write lock
    releaser = threading.Timer(0.5, other.execute, args=("COMMIT",))
    releaser.start()
    started = time.monotonic()
    result = sqlite_app.test_cli_runner().invoke(args=["maintenance", "run"])
    releaser.join()
    other.close()
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started >= 0.4
    assert [e["outcome"] for e in outcomes(caplog)] == ["ran"]


def test_on_sqlite_a_run_that_cannot_get_the_lock_in_time_skips(
    sqlite_app: Flask, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "maintenance.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with sqlite_app.app_context():
            session = db.session()
            assert lock.try_lock(session, wait_seconds=0.2) is False
            session.rollback()
    finally:
        other.execute("COMMIT")
        other.close()
    with sqlite_app.app_context():
        session = db.session()
        assert lock.try_lock(session, wait_seconds=0.2) is True
        session.rollback()


def test_a_skipped_run_says_so_in_its_log_line(
    sqlite_app: Flask, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, logger="tukiverkko.maintenance")
    monkeypatch.setattr(lock, "try_lock", lambda session: False)
    result = sqlite_app.test_cli_runner().invoke(args=["maintenance", "run"])
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output
    [entry] = outcomes(caplog)
    assert entry["outcome"] == "skipped"


def test_on_postgresql_the_advisory_lock_lets_one_run_through() -> None:
    engine = create_engine(postgresql_url())
    try:
        with Session(engine) as first, Session(engine) as second:
            assert lock.try_lock(first) is True
            assert lock.try_lock(second) is False  # another node: skips, does not wait
            first.commit()  # the run ends: the transaction-scoped lock is released
            second.rollback()
            assert lock.try_lock(second) is True
            second.rollback()
    finally:
        engine.dispose()
