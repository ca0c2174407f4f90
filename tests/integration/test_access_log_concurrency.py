"""Concurrent writers extend the same chains with no gap, no duplicate and no broken link.

PostgreSQL only: SQLite serialises writers, so it cannot race. The writers are separate
processes with their own connections and commits, so this test owns a database of its own
(the suite's database name + ``_concurrency``) instead of the rolled-back ``db`` session.
Each append takes its chains' advisory locks before reading their heads, so writers queue
per chain and never lose a race for a ``seq``.
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
import uuid
from datetime import UTC, datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.orm import Session

# Light imports only: every spawned writer imports this module to find its target.
from consent.base import Base
from sharing import access_log
from sharing.access_log import AccessAction, AccessLogEntry, LogRecord, append, verify
from sharing.keys import LogKeys

WRITERS = 6
APPENDS_PER_WRITER = 20  # each append carries one record for each of the two chains
CHAINS = (uuid.UUID(int=0xA), uuid.UUID(int=0xB))


@pytest.fixture
def concurrency_url() -> str:
    """An empty access_log table in a database of this test's own, committed for real."""
    # Imported here, not at the top, so spawned writers need not import the Flask app.
    from tests.conftest import create_database, postgresql_url

    base = make_url(postgresql_url())
    url = base.set(database=f"{base.database}_concurrency")
    create_database(url)

    engine = create_engine(url)
    tables = [Base.metadata.tables["access_log"]]
    Base.metadata.drop_all(engine, tables=tables)
    Base.metadata.create_all(engine, tables=tables)  # with the append-only triggers
    engine.dispose()
    return url.render_as_string(hide_password=False)


def _write(url: str, keys: LogKeys, writer: int, start: Barrier, done: Queue[int]) -> None:
    """One writer process: append to both chains, committing after every append."""
    engine = create_engine(url)
    access_log.use_keys(engine, keys)
    actor = uuid.UUID(int=writer + 1)
    with Session(engine) as session:
        session.execute(text("SELECT 1"))  # connect before the start line, not after it
        session.commit()
        start.wait(timeout=30)
        for n in range(APPENDS_PER_WRITER):
            # Alternate the order within a batch: append() must not deadlock on either.
            chains = CHAINS if (writer + n) % 2 else CHAINS[::-1]
            append(
                session,
                [
                    LogRecord(
                        client_id=client_id,
                        at=datetime.now(UTC),
                        actor_user_id=actor,
                        actor_role="caseworker",
                        action=AccessAction.READ,
                        allowed=True,
                        reason="responsible_worker",
                        scope="basic",
                        purpose="case_work",
                    )
                    for client_id in chains
                ],
            )
            session.commit()
    engine.dispose()
    done.put(writer)


def test_concurrent_writers_leave_whole_chains(concurrency_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WRITERS)
    done: Queue[int] = context.Queue()
    keys = LogKeys.generate()
    writers = [
        context.Process(target=_write, args=(concurrency_url, keys, writer, start, done))
        for writer in range(WRITERS)
    ]
    began = time.monotonic()
    for process in writers:
        process.start()
    finished = sorted(done.get(timeout=60) for _ in writers)
    for process in writers:
        process.join(timeout=30)
    elapsed = time.monotonic() - began
    assert [p.exitcode for p in writers] == [0] * WRITERS

    assert finished == list(range(WRITERS))
    engine = create_engine(concurrency_url)
    access_log.use_keys(engine, keys)
    with Session(engine) as session:
        per_chain = APPENDS_PER_WRITER * WRITERS
        for client_id in CHAINS:
            seqs = session.scalars(
                select(AccessLogEntry.seq)
                .where(AccessLogEntry.client_id == client_id)
                .order_by(AccessLogEntry.seq)
            ).all()
            assert seqs == list(range(1, per_chain + 1))
        per_writer = session.execute(
            select(AccessLogEntry.actor_user_id, func.count()).group_by(
                AccessLogEntry.actor_user_id
            )
        ).all()
        assert sorted(n for _, n in per_writer) == [2 * APPENDS_PER_WRITER] * WRITERS
        report = verify(session)
        # Committed for real: the chains split over processes verify alike.
        parallel = verify(session, workers=3)
    engine.dispose()

    assert (report.ok, report.chains, report.entries) == (True, 2, 2 * per_chain)
    assert (parallel.ok, parallel.chains, parallel.entries, parallel.workers) == (
        True,
        2,
        2 * per_chain,
        3,
    )
    print(f"{2 * per_chain} entries, {elapsed:.2f} s")

    # And the operator's command agrees, run as it would be from the shell.
    from app import create_app
    from app.extensions import db as flask_db
    from sharing.keys import generate_keyring
    from tests.conftest import make_settings

    keyring = generate_keyring().with_log_keys(keys)
    app = create_app(make_settings(concurrency_url, Path(tempfile.mkdtemp()), keyring))
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"ok: {2 * per_chain} entries in 2 chains" in result.output
    with app.app_context():
        flask_db.engine.dispose()
