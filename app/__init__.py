"""Tukiverkko's Flask application factory."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from app import cli, errors, headers, i18n, labels, security, transactions
from app.extensions import csrf, db, migrate
from app.settings import ROOT, Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app; never touches the schema (run ``flask db upgrade`` for that)."""
    settings = settings or Settings.from_env()
    app = Flask(
        __name__,
        instance_path=str(settings.instance_path),
        template_folder="web/templates",
        static_folder="web/static",
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
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
    app.extensions["tukiverkko.keyring"] = settings.keyring
    app.extensions["tukiverkko.password_hasher"] = security.make_password_hasher(
        settings.argon2_time_cost, settings.argon2_memory_cost, settings.argon2_parallelism
    )

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    i18n.init_app(app)
    labels.init_app(app)
    security.init_app(app)
    transactions.init_app(app)
    headers.init_app(app)
    errors.init_app(app)
    cli.init_app(app)

    from app import api
    from app.web import admin, auth, caseworker, partner, person, portal

    for blueprint in (auth.bp, caseworker.bp, partner.bp, portal.bp, admin.bp, person.bp, api.bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api.bp)  # bearer tokens only: no cookie, so nothing to forge
    return app


@event.listens_for(Engine, "connect")
def _sqlite_connect(
    dbapi_connection: DBAPIConnection, connection_record: ConnectionPoolEntry
) -> None:
    """SQLite: enforce foreign keys, and let SQLAlchemy (not pysqlite) begin transactions.

    pysqlite's own transaction handling breaks SAVEPOINT; the documented fix is to
    switch it off here and emit BEGIN from the ``begin`` event below.
    """
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")
