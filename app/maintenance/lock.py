"""The maintenance lock: one ``flask maintenance run`` at a time across every node.

PostgreSQL: a transaction-scoped advisory lock (``pg_try_advisory_xact_lock``), released by the
run's commit or rollback; a second run does not wait, it skips. SQLite (one node): the write
lock (``BEGIN IMMEDIATE``, see ``sharing.write_lock``); a second run waits for it up to
``wait_seconds`` and then skips. Either way a run that got the lock finds what an earlier run
left (maintenance is idempotent), so running on two nodes at once is safe.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import text
from sqlalchemy.orm import Session

from sharing import write_lock

LOCK_KEY = 0x74756B69_6D61696E  # "tukimain": the advisory lock's 64-bit key, ours alone
"""Nothing else in the application takes advisory locks; the key names this one."""


def try_lock(session: Session, *, wait_seconds: float = 10.0) -> bool:
    """Take the maintenance lock for the session's transaction; False when another run has it.

    Call first in the transaction (on SQLite the transaction must not have written yet). The
    lock is given back when the transaction ends.
    """
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        taken = connection.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK_KEY}
        ).scalar_one()
        return bool(taken)
    if dialect != "sqlite":
        return True
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None  # a live connection: session.connection() just checked it out
    cursor = dbapi.cursor()
    before = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
    cursor.execute(f"PRAGMA busy_timeout={int(wait_seconds * 1000)}")
    try:
        write_lock.take(connection)  # acts on the DBAPI connection: sqlite3's own errors
    except sqlite3.OperationalError:  # "database is locked": another run kept it too long
        return False
    finally:
        cursor.execute(f"PRAGMA busy_timeout={int(before)}")
        cursor.close()
    return True
