"""Behind PgBouncer in transaction mode: no server-side prepared statements when told so.

psycopg prepares a statement on the server after its fifth run on one connection; a pooler
that hands the next transaction another server connection then fails it ("prepared statement
… does not exist" / "already exists"). ``TUKIVERKKO_DATABASE_PREPARED_STATEMENTS=0`` turns
preparing off; ARCHITECTURE.md ("Past one machine") says when.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.settings import Settings
from sharing.keys import Keyring
from tests.conftest import make_settings, postgresql_url


def prepared_after_ten_runs(settings: Settings) -> int:
    """How many statements the server holds prepared after one query ran ten times."""
    app = create_app(settings)
    with app.app_context(), db.engine.connect() as connection:
        for _ in range(10):
            connection.execute(text("SELECT count(*) FROM pg_class WHERE relpages > :n"), {"n": 0})
        prepared = connection.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    with app.app_context():
        db.engine.dispose()
    return int(prepared or 0)


@pytest.mark.postgresql_only
def test_prepared_statements_can_be_turned_off_for_a_transaction_mode_pooler(
    tmp_path: Path, keyring: Keyring
) -> None:
    settings = make_settings(postgresql_url(), tmp_path, keyring)
    assert prepared_after_ten_runs(settings) > 0  # psycopg's default: prepared on the server
    pooled = dataclasses.replace(settings, database_prepared_statements=False)
    assert prepared_after_ten_runs(pooled) == 0


def test_the_environment_turns_prepared_statements_off(tmp_path: Path) -> None:
    env = {"TUKIVERKKO_INSTANCE_PATH": str(tmp_path)}
    assert Settings.from_env(env).database_prepared_statements
    off = Settings.from_env({**env, "TUKIVERKKO_DATABASE_PREPARED_STATEMENTS": "0"})
    assert not off.database_prepared_statements
