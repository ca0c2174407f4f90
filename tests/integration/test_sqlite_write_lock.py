"""SQLite's one writer: a page that has read still appends its log entries and writes.

SQLite only, on a file database in WAL mode with two connections of its own that commit for
real (the rolled-back ``db`` session cannot show what another connection sees). The engine
events of ``app`` (WAL, busy timeout, how transactions begin) apply to every engine.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Column, Engine, Integer, MetaData, Table, create_engine, func, insert, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import app  # noqa: F401  (registers the SQLite engine events)
from consent.base import Base
from sharing import access_log, write_lock
from sharing.access_log import AccessAction, LogRecord, append, has_pending, verify
from sharing.keys import LogKeys

CLIENT = uuid.UUID(int=0x5)
VISITS = Table("visits", MetaData(), Column("id", Integer, primary_key=True))
REQUESTS = Flask(__name__)  # only for a request context: which method the request has


def record(n: int) -> LogRecord:
    return LogRecord(
        client_id=CLIENT,
        at=datetime(2026, 3, 2, 8, n, tzinfo=UTC),
        actor_user_id=uuid.UUID(int=n),
        actor_role="partner",
        action=AccessAction.READ,
        allowed=True,
        reason="consent",
        scope="section:housing",
        purpose="network_cooperation",
    )


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'write_lock.db'}")
    Base.metadata.create_all(engine, tables=[Base.metadata.tables["access_log"]])
    VISITS.create(engine)
    access_log.use_keys(engine, LogKeys.generate())
    yield engine
    engine.dispose()


def entries(engine: Engine) -> int:
    """How many entries another connection sees committed (a plain one: no engine events,
    so it does not begin IMMEDIATE inside a test's POST request context)."""
    assert engine.url.database
    with closing(sqlite3.connect(engine.url.database)) as conn:
        return int(conn.execute("SELECT count(*) FROM access_log").fetchone()[0])


def someone_else_writes(engine: Engine, n: int) -> None:
    with Session(engine) as other:
        append(other, [record(n)])
        other.commit()


def test_the_file_database_runs_in_wal_mode_with_full_sync(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


def test_sqlite_refuses_to_turn_a_stale_read_into_a_write(engine: Engine) -> None:
    """Why ``write_lock`` exists: no busy timeout helps a snapshot another writer has passed."""
    with Session(engine) as reader:
        reader.scalar(select(func.count()).select_from(VISITS))  # the read takes a snapshot
        someone_else_writes(engine, 1)
        with pytest.raises(OperationalError, match="database is locked"):
            reader.execute(insert(VISITS))


def test_a_read_appends_its_entry_after_another_writer_committed(engine: Engine) -> None:
    with Session(engine) as reader:
        reader.scalar(select(func.count()).select_from(VISITS))
        someone_else_writes(engine, 1)
        entry = append(reader, [record(2)])[0]
        # Committed at once, not at the end of the page: another connection sees it, and
        # nothing is left for a rollback to lose.
        assert entries(engine) == 2 and not has_pending(reader)
        reader.rollback()
        assert entries(engine) == 2
        assert entry.seq == 2
        assert verify(reader).ok


def test_a_read_waits_for_the_writer_to_finish_instead_of_failing(engine: Engine) -> None:
    outcome: list[object] = []
    with Session(engine) as writer, Session(engine) as reader:
        with REQUESTS.test_request_context("/", method="POST"):
            append(writer, [record(1)])  # a POST's transaction holds the lock until it commits
        reader.scalar(select(func.count()).select_from(VISITS))

        def read_and_log() -> None:
            try:
                outcome.append(append(reader, [record(2)])[0].seq)
            except Exception as error:
                outcome.append(error)

        appending = threading.Thread(target=read_and_log)
        appending.start()
        appending.join(timeout=0.3)
        assert appending.is_alive(), f"the append did not wait for the writer: {outcome}"
        writer.commit()
        appending.join(timeout=10)
    assert outcome == [2]


def test_a_post_appends_inside_its_own_unit_of_work(engine: Engine) -> None:
    with Session(engine) as session, REQUESTS.test_request_context("/", method="POST"):
        session.execute(insert(VISITS))
        append(session, [record(1)])
        assert entries(engine) == 0 and has_pending(session)  # commits with the work
        session.rollback()
    assert entries(engine) == 0


def test_a_page_that_reads_takes_the_lock_before_its_own_write(engine: Engine) -> None:
    """A GET that writes anyway (a link's "last used" time) after another writer committed."""
    with Session(engine) as page, REQUESTS.test_request_context("/", method="GET"):
        page.scalar(select(func.count()).select_from(VISITS))
        someone_else_writes(engine, 1)
        page.execute(insert(VISITS))
        page.commit()
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(VISITS)) == 1


def test_nothing_is_ended_inside_a_savepoint(engine: Engine) -> None:
    """A transaction someone else opened (a test's, rolled back at its end) is left alone."""
    with Session(engine) as session:
        session.scalar(select(func.count()).select_from(VISITS))
        with session.begin_nested():
            assert write_lock.take(session.connection()) is False
