"""Health endpoints for the load balancer and the operator: ``/healthz`` and ``/readyz``.

Both are public and cheap, set no cookie and say nothing beyond ``ok`` / ``not ready``
(no versions, no revision ids, no paths). ``/healthz``: the process answers (no database).
``/readyz``: the database answers, its schema is at the migrations' head and the keyring is
loaded. The request log leaves both out (``app.request_log.UNLOGGED_ENDPOINTS``).
"""

from __future__ import annotations

import logging

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, Response, current_app
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.security import current_keyring, public
from app.settings import MIGRATIONS_DIR, ConfigError
from sharing.errors import SharingError

log = logging.getLogger(__name__)

HEADS = "tukiverkko.migration_heads"
UPGRADE_HINT = "run `flask --app app db upgrade` first"


class PendingMigrations(ConfigError):
    """The database schema is not at the migrations' head: the app refuses to serve."""


def migration_heads() -> frozenset[str]:
    """The head revisions of the migrations shipped with this package."""
    return frozenset(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def database_heads(engine: Engine) -> frozenset[str]:
    """The revisions the database is at (empty before the first ``flask db upgrade``)."""
    with engine.connect() as connection:
        return frozenset(MigrationContext.configure(connection).get_current_heads())


def require_schema_at_head(app: Flask) -> None:
    """Refuse to serve a database whose schema lags (or leads) the shipped migrations.

    :raises PendingMigrations: naming ``flask db upgrade`` as the fix.
    """
    with app.app_context():
        if database_heads(db.engine) != app.extensions[HEADS]:
            raise PendingMigrations(
                f"the database schema is not at the latest migration: {UPGRADE_HINT} "
                "(with the same TUKIVERKKO_* environment), then start the server again"
            )


def _plain(body: str, status: int) -> Response:
    response = Response(body + "\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


@public
def healthz() -> Response:
    """The process is up; touches nothing else."""
    return _plain("ok", 200)


@public
def readyz() -> Response:
    """Ready to serve: database reachable, schema at head, keyring loaded (with the access
    log's keys, without which no read can be logged); else 503."""
    try:
        keyring = current_keyring()
        ready = bool(keyring.keys) and keyring.log is not None
    except SharingError:
        log.warning("readiness check: the keyring is not loaded", exc_info=True)
        ready = False
    if ready:
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                current = MigrationContext.configure(connection).get_current_heads()
            ready = frozenset(current) == current_app.extensions[HEADS]
        except SQLAlchemyError:
            log.warning("readiness check: the database did not answer", exc_info=True)
            ready = False
    return _plain("ok" if ready else "not ready", 200 if ready else 503)


def init_app(app: Flask) -> None:
    app.extensions[HEADS] = migration_heads()
    app.add_url_rule("/healthz", "healthz", healthz, methods=["GET", "HEAD"])
    app.add_url_rule("/readyz", "readyz", readyz, methods=["GET", "HEAD"])
