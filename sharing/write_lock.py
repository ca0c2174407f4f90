"""SQLite's one writer: a transaction that has only read takes the write lock before it writes.

In WAL mode SQLite lets any number of readers work beside one writer, but a transaction
that began ``DEFERRED`` and has read holds a snapshot, and a snapshot cannot become the
writer: while another connection writes, the upgrade fails at once with SQLITE_BUSY
(``busy_timeout`` does not apply to it, as waiting could deadlock), and once another
connection has committed since the snapshot it fails with SQLITE_BUSY_SNAPSHOT, which no
wait can cure. A transaction that begins ``IMMEDIATE`` takes the write lock before it reads
anything, waiting its turn on ``busy_timeout``, so it never meets either error.

So whoever begins SQLite transactions does it through ``begin``, which records whether the
transaction holds the lock, and code about to write in a transaction that has only read so
far calls ``take``: it ends the read (a COMMIT of nothing) and begins ``IMMEDIATE``. That is
safe for a write that does not depend on what the transaction read before (an access-log
append reads its chain's head again under the lock; a page's "last used" time), never for
a read-modify-write, which must begin ``IMMEDIATE`` from the start. PostgreSQL needs none of
this (its writers wait on row locks), and every function here does nothing there.

``take`` and ``give_back`` act on the DBAPI connection behind SQLAlchemy's back on purpose:
SQLAlchemy's transaction, and the Session's loaded objects, carry on unchanged, and only
SQLite's snapshot is renewed, as PostgreSQL's READ COMMITTED renews it for every statement.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.engine import Connection

_READ_SINCE = "tukiverkko.sqlite.read_only_since"
"""``Connection.info`` key: the connection's ``total_changes`` when its transaction began
``DEFERRED``; absent while the transaction holds the write lock (or on another database)."""


def _sqlite(connection: Connection) -> sqlite3.Connection | None:
    dbapi = connection.connection.dbapi_connection
    return dbapi if isinstance(dbapi, sqlite3.Connection) else None


def begin(connection: Connection, *, immediate: bool) -> None:
    """Begin a SQLite transaction (from SQLAlchemy's ``begin`` event).

    ``immediate`` takes the write lock now, waiting on ``busy_timeout`` while another
    connection holds it; otherwise the transaction only reads until ``take``.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
    dbapi = _sqlite(connection)
    if immediate or dbapi is None:
        connection.info.pop(_READ_SINCE, None)
    else:
        connection.info[_READ_SINCE] = dbapi.total_changes


def take(connection: Connection) -> bool:
    """Make this connection's transaction the writer, if it has only read so far.

    Ends the read (nothing written, so nothing to lose) and begins ``IMMEDIATE``, which waits
    on ``busy_timeout``; what the transaction reads from then on is current. Returns whether
    it did so. It does nothing (False) on PostgreSQL, when the transaction already holds the
    lock or has written, and inside a savepoint (a transaction someone else opened, such as a
    test's, must not be ended here).
    """
    if connection.dialect.name != "sqlite" or connection.in_nested_transaction():
        return False
    since = connection.info.get(_READ_SINCE)
    dbapi = _sqlite(connection)
    if since is None or dbapi is None or not connection.in_transaction():
        return False
    if dbapi.total_changes != since:
        return False  # it has written, so it holds the lock already
    dbapi.execute("COMMIT")
    dbapi.execute("BEGIN IMMEDIATE")
    del connection.info[_READ_SINCE]
    return True


def has_only_read(connection: Connection) -> bool:
    """Whether this SQLite connection has written nothing it has not committed (so another
    connection sees what it sees). False on other databases: ask them."""
    dbapi = _sqlite(connection)
    if dbapi is None:
        return False
    if not dbapi.in_transaction:
        return True
    since = connection.info.get(_READ_SINCE)
    return since is not None and dbapi.total_changes == since


def give_back(connection: Connection) -> None:
    """Commit what was written since ``take`` and go on reading in a new ``DEFERRED`` transaction.

    Only for a caller whose ``take`` returned True: then everything the transaction wrote
    is the caller's own, and nobody else's work is committed early.
    """
    dbapi = _sqlite(connection)
    assert dbapi is not None, "give_back() without a successful take()"
    dbapi.execute("COMMIT")
    dbapi.execute("BEGIN")
    connection.info[_READ_SINCE] = dbapi.total_changes
