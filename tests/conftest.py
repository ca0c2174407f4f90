"""Fixtures: settings → app → database session (rolled back per test) → HTTP client.

Every test that asks for ``db`` runs twice: on SQLite and on PostgreSQL
(``TEST_DATABASE_URL``). Without PostgreSQL the second run is skipped — and with
``CI=true`` any skipped test fails the run, so CI can never be green by skipping.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import URL, create_engine, make_url, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from app import create_app
from app.extensions import db as flask_db
from app.settings import Settings
from consent.base import Base
from sharing.keys import Keyring, generate_keyring

BACKENDS = ["sqlite", "postgresql"]


def pytest_configure(config: pytest.Config) -> None:
    from hypothesis import settings as hypothesis_settings

    hypothesis_settings.register_profile("ci", max_examples=200, deadline=None)
    hypothesis_settings.register_profile("dev", max_examples=100, deadline=None)
    hypothesis_settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``make test`` runs the suite on a worker per core (pytest-xdist): each test file goes to
    one worker whole, so its module fixtures (a built benchmark set, a server) are built once;
    the browser tests all go to one worker in file order, since they share one seeded demo
    server (``tests/browser/conftest.py``) whose data each file finds as the files before it
    left it."""
    from xdist.scheduler import LoadScopeScheduling

    class ByFile(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith("tests/browser/"):
                return "tests/browser"
            return nodeid.split("::", 1)[0]

    return ByFile(config, log)


_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI") == "true" and _skipped:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    if _skipped:
        verdict = (
            "FAILS the run because CI=true" if os.environ.get("CI") == "true" else "were skipped"
        )
        terminalreporter.section(f"{len(_skipped)} SKIPPED TESTS {verdict}", sep="!", bold=True)
        terminalreporter.write_line(
            "Enable them: run `make test` as root (installs PostgreSQL and Chromium), or set "
            "TEST_DATABASE_URL / CHROMIUM_PATH."
        )


@pytest.fixture(scope="session")
def keyring() -> Keyring:
    return generate_keyring()


def make_settings(database_url: str, instance: Path, keyring: Keyring) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        instance_path=instance,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        keyring=keyring,
        session_cookie_secure=False,
        argon2_time_cost=1,
        argon2_memory_cost=8,
        argon2_parallelism=1,
    )


def postgresql_url() -> str:
    """``TEST_DATABASE_URL``; under pytest-xdist, a database of the worker's own beside it
    (``<name>_gw0``…), created on first use: every database a test derives from this URL
    (``_race``, backups, migrations) is then the worker's own too."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL suite: set TEST_DATABASE_URL (make test provides it as root)")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    own = base.set(database=f"{base.database}_{worker}")
    create_database(own)
    return own.render_as_string(hide_password=False)


def drop_database(url: URL) -> None:
    """Drops ``url``'s database if it exists, ending its connections first (``FORCE``).

    Only this role's connections can be ended; an autovacuum worker that has just started on
    a new database is the server's, so the drop is tried again until it has gone (a few
    seconds at most).
    """
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        for attempt in range(50):
            try:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
                return
            except ProgrammingError as error:
                if "pg_signal_backend" not in str(error) or attempt == 49:
                    raise
                time.sleep(0.2)
    finally:
        admin.dispose()


def create_database(url: URL) -> None:
    """Creates ``url``'s database on its server unless it exists."""
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = "SELECT 1 FROM pg_database WHERE datname = :n"
            if conn.scalar(text(exists), {"n": url.database}) is None:
                conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "postgresql":
        url = postgresql_url()
        engine = create_engine(url)
        with engine.begin() as conn:
            Base.metadata.drop_all(conn)
            Base.metadata.create_all(conn)
        engine.dispose()
        return url
    path = tmp_path_factory.mktemp("sqlite") / "test.db"
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def app(
    database_url: str, keyring: Keyring, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    import app.models  # noqa: F401

    application = create_app(
        make_settings(database_url, tmp_path_factory.mktemp("instance"), keyring)
    )
    yield application
    with application.app_context():
        flask_db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session whose commits are savepoints inside one transaction rolled back after the test."""
    with app.app_context():
        connection = flask_db.engine.connect()
        outer = connection.begin()
        original = flask_db.session
        flask_db.session = scoped_session(
            sessionmaker(
                bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            )
        )
        try:
            yield flask_db.session
        finally:
            flask_db.session.remove()
            flask_db.session = original
            outer.rollback()
            connection.close()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context (its own ``g``), as it does in production.

    Without this, requests made while the ``db`` fixture holds an app context
    would share ``g`` (and so a stale CSRF token or gate) with each other.
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        from flask.globals import _cv_app  # private, but the only way to step outside

        token = _cv_app.set(None)  # type: ignore[arg-type]
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


@pytest.fixture
def client(app: Flask, db: Session) -> FlaskClient:
    """A browser-like client. Each request closes the session: re-read objects after it."""
    app.test_client_class = IsolatedClient
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # tests read the English source strings
    return browser


CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@contextmanager
def app_with(app: Flask, **changes: Any) -> Iterator[Flask]:
    """Another app like ``app`` with some settings changed (a proxy count, a public URL), on the
    same database: with the ``db`` fixture, its requests run in the test's transaction too."""
    variant = create_app(dataclasses.replace(app.extensions["tukiverkko.settings"], **changes))
    variant.test_client_class = IsolatedClient
    try:
        yield variant
    finally:
        with variant.app_context():
            flask_db.engine.dispose()


def smallest_limit(app: Flask, setting: str) -> int:
    """The fewest attempts any window of a rate-limit setting allows (``app.rate_limits``)."""
    from limits import parse_many

    return min(
        item.amount for item in parse_many(getattr(app.extensions["tukiverkko.settings"], setting))
    )


def login(client: FlaskClient, username: str, password: str = "pw"):  # type: ignore[no-untyped-def]
    return client.post(
        "/login",
        data={"csrf_token": csrf_token(client), "username": username, "password": password},
    )


def fresh_postgresql_database() -> str:
    """The URL of a PostgreSQL database of the suite's own (``<test database>_race``), with
    every table created empty: for apps whose requests commit for real."""
    base = make_url(postgresql_url())
    name = f"{base.database}_race"
    url = base.set(database=name)
    create_database(url)
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url.render_as_string(hide_password=False)


@pytest.fixture
def race_app(keyring: Keyring, tmp_path: Path) -> Iterator[Flask]:
    """An app on a PostgreSQL database of its own, where requests commit for real: for
    tests of concurrent writers (threads, each with its own test client and connection)."""
    app = create_app(make_settings(fresh_postgresql_database(), tmp_path, keyring))
    yield app
    with app.app_context():
        flask_db.session.remove()
        Base.metadata.drop_all(flask_db.engine)
        flask_db.engine.dispose()


def api_token(client: FlaskClient, username: str, password: str = "pw") -> dict[str, str]:
    """Headers with a fresh bearer token of the API for ``username``."""
    response = client.post("/api/v1/tokens", json={"username": username, "password": password})
    assert response.status_code == 201, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.json['token']}"}


class Statements(list[str]):
    """Statements counted from a cold worker: clearing the count also clears the case facts
    the process keeps (``app.cases.facts.RECENT``), so a count never depends on which
    facts an earlier request left behind; pins hold the cold (largest) count."""

    def clear(self) -> None:
        from app.cases.facts import RECENT

        super().clear()
        RECENT.clear()


@pytest.fixture
def sql_count(db: Session) -> Iterator[list[str]]:
    """The SQL statements run on the test's connection (for query-count assertions)."""
    from sqlalchemy import event

    statements = Statements()
    engine = db.get_bind()

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield statements
    event.remove(engine, "before_cursor_execute", record)


__all__ = ["api_token", "csrf_token", "login", "text"]
