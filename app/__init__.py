"""Tukiverkko's Flask application factory."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, ExecutionContext
from sqlalchemy.engine.default import DefaultExecutionContext

from app import (
    cli,
    errors,
    headers,
    health,
    i18n,
    labels,
    public_url,
    rate_limits,
    request_bodies,
    request_log,
    security,
    security_log,
    transactions,
)
from app.client_log import days
from app.extensions import csrf, db, migrate
from app.partner_work import shares as _shares  # noqa: F401  (keeps the share periods current)
from app.settings import MIGRATIONS_DIR, Settings
from sharing import access_log, write_lock
from sharing.keys import KeyFile


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app; never touches the schema (run ``flask db upgrade`` for that).

    Production logs JSON lines (``app.request_log``) and, when the app is built to serve
    (not by the ``flask`` command line, whose ``db upgrade`` must run on an old schema),
    refuses a database whose schema is not at the migrations' head.

    :raises app.health.PendingMigrations: production, serving, schema not at head.
    """
    settings = settings or Settings.from_env()
    production = settings.environment == "production"
    if production:
        request_log.configure()
    app = Flask(
        __name__,
        instance_path=str(settings.instance_path),
        template_folder="web/templates",
        static_folder="web/static",
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        SESSION_COOKIE_NAME="tukiverkko_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        MAX_CONTENT_LENGTH=1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session, which idles out
        TESTING=settings.environment == "test",
    )
    app.extensions["tukiverkko.settings"] = settings
    # The keyring is read through its source on each use, so a rotation reaches a running server.
    app.extensions["tukiverkko.key_file"] = (
        None if settings.keyring is None else KeyFile(settings.keyring, settings.keyring_file)
    )
    app.extensions["tukiverkko.password_hasher"] = security.make_password_hasher(
        settings.argon2_time_cost, settings.argon2_memory_cost, settings.argon2_parallelism
    )

    db.init_app(app)
    if (key_file := app.extensions["tukiverkko.key_file"]) is not None:
        with app.app_context():
            # The log's MAC keys, as the key file holds them at each append.
            access_log.use_keys(db.engine, lambda: key_file.current().log)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    request_log.init_app(app)  # first: its after_request hook runs last, timing everything
    request_bodies.init_app(app)  # a form that is not UTF-8 is refused before CSRF reads it
    public_url.init_app(app)  # proxies, and (production) the host: before anything else reads
    i18n.init_app(app)
    labels.init_app(app)
    security_log.init_app(app)
    security.init_app(app)
    transactions.init_app(app)
    headers.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    health.init_app(app)

    from app import api
    from app.web import admin, auth, caseworker, log_review, partner, person, portal, statistics
    from app.web import messages as web_messages
    from app.web import research as research_web

    blueprints = (
        auth.bp,
        caseworker.bp,
        partner.bp,
        portal.bp,
        admin.bp,
        log_review.bp,
        person.bp,
        statistics.bp,
        research_web.bp,
    )
    for blueprint in (*blueprints, api.bp):
        app.register_blueprint(blueprint)
    web_messages.init_app(app)
    csrf.exempt(api.bp)  # bearer tokens only: no cookie, so nothing to forge
    # Wraps the views it limits, so after the blueprints; after `transactions`, so that its
    # after_request hook (which counts failures) runs inside the request's unit of work.
    rate_limits.init_app(app)
    if production and click.get_current_context(silent=True) is None:
        health.require_schema_at_head(app)
    return app


def engine_options(settings: Settings) -> dict[str, Any]:
    """The database engine's options: connections checked before use, statement parameters
    (client data) never in an error's text or a log in production, and psycopg's server-side
    prepared statements off when a transaction-mode pooler sits in between."""
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        "hide_parameters": settings.environment == "production",
    }
    if not settings.database_prepared_statements and settings.database_url.startswith(
        "postgresql+psycopg:"
    ):
        options["connect_args"] = {"prepare_threshold": None}
    return options


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing (RFC 9110): the request reads, and logs what it read."""


def writes_expected() -> bool:
    """Whether a transaction beginning now is expected to write: it belongs to a request
    whose method may change state. CLI commands and pages that read begin as readers."""
    return has_request_context() and request.method not in SAFE_METHODS


SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite connection waits for the write lock before the request fails."""


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite: WAL, a busy timeout, full sync, foreign keys; SQLAlchemy (not pysqlite) begins.

    pysqlite's own transaction handling breaks SAVEPOINT; the documented fix is to switch it
    off here and emit BEGIN from the ``begin`` event below. WAL lets pages read while one
    connection writes; ``synchronous=FULL`` syncs the WAL at every commit, so a committed
    transaction, such as the log entry of a page already shown, survives a power cut too
    (NORMAL could lose the last commits; the price is one fsync per commit). WAL is a
    property of the database file, so setting it again on every connection costs nothing;
    an in-memory database stays in its "memory" journal mode. The file must be on a local
    disk (WAL needs shared memory; no network file systems).
    """
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")  # first: WAL may wait
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        days.register_sqlite(dbapi_connection)  # the client log's days (app/client_log/days.py)


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Connection) -> None:
    """SQLite: a request that may write begins IMMEDIATE; a read begins DEFERRED.

    See ``writes_expected`` and ``sharing.write_lock``.
    """
    if connection.dialect.name == "sqlite":
        write_lock.begin(connection, immediate=writes_expected())


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_first_write_of_a_read(
    connection: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: ExecutionContext | None,
    executemany: bool,
) -> None:
    """SQLite: a page that reads (GET) and then writes anyway takes the write lock first.

    Such writes are a page's own bookkeeping (a person link's "last used" time), never a
    read-modify-write (that belongs in a POST, which begins IMMEDIATE), so ending the read
    first is safe; without it the write would fail whenever another request wrote meanwhile.
    """
    if (
        connection.dialect.name == "sqlite"
        and isinstance(context, DefaultExecutionContext)
        and context.is_crud  # INSERT, UPDATE or DELETE
        and has_request_context()
    ):
        write_lock.take(connection)
