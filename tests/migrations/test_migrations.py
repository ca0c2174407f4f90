"""Migrations build the schema from nothing, agree with the models, and run only when asked."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app import create_app
from app.extensions import db
from consent.base import Base, utcnow
from sharing import access_log
from sharing.access_log import AccessAction, LogRecord
from tests.conftest import BACKENDS, make_settings, postgresql_url


@pytest.fixture(params=BACKENDS)
def empty_app(request, tmp_path, keyring) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    if request.param == "postgresql":
        # A database of its own next to the suite's (tukiverkko_test → tukiverkko_test_migrations):
        # these tests drop and rebuild the whole schema.
        base = make_url(postgresql_url())
        url = base.set(database=f"{base.database}_migrations")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        url_text = url.render_as_string(hide_password=False)
    else:
        url_text = f"sqlite:///{tmp_path / 'migrations.db'}"
    app = create_app(make_settings(url_text, tmp_path, keyring))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def schema_diff() -> list[object]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_upgrade_on_an_empty_database_builds_exactly_the_models(empty_app: Flask) -> None:
    flask_migrate.upgrade()
    tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)
    assert schema_diff() == []


def test_downgrade_to_base_and_upgrade_again(empty_app: Flask) -> None:
    flask_migrate.upgrade()
    flask_migrate.downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    flask_migrate.upgrade()
    assert schema_diff() == []


def test_the_app_never_migrates_on_its_own(empty_app: Flask) -> None:
    response = empty_app.test_client().get("/login")
    assert response.status_code == 200
    assert inspect(db.engine).get_table_names() == []


def trigger_names() -> set[str]:
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if db.engine.dialect.name == "sqlite"
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    )
    with db.engine.connect() as conn:
        return set(conn.scalars(text(query)))


def test_upgrade_installs_the_append_only_triggers_and_downgrade_removes_them(
    empty_app: Flask,
) -> None:
    flask_migrate.upgrade()
    for table in ("access_log", "consent_events"):
        assert {f"{table}_{s}" for s in ("no_update", "no_delete")} <= trigger_names() or {
            f"{table}_{s}" for s in ("append_only", "no_truncate")
        } <= trigger_names()
    with Session(db.engine) as session:
        access_log.append(
            session,
            [
                LogRecord(
                    client_id=uuid.uuid4(),
                    at=utcnow(),
                    actor_user_id=None,
                    actor_role="system",
                    action=AccessAction.READ,
                    allowed=True,
                    reason="allowed_system",
                    scope="basic",
                    purpose="administration",
                )
            ],
        )
        session.commit()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text("UPDATE access_log SET reason = 'forged'"))
    flask_migrate.downgrade(revision="base")
    assert trigger_names() == set()
