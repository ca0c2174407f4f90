"""The operator's commands: `flask keys init` and `flask demo seed`."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import aliased

from app import create_app, demo
from app.extensions import db
from app.models import Client, Organisation, User
from app.models.team_lead import TeamLead
from app.settings import Settings
from consent.base import Base


def fresh_app(tmp_path: Path, environment: str = "development"):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    Base.metadata.create_all(create_engine(url))
    env = {"TUKIVERKKO_INSTANCE_PATH": str(tmp_path / "instance"), "TUKIVERKKO_DATABASE_URL": url}
    return create_app(Settings.from_env(env))


def test_keys_init_creates_private_keys_once(tmp_path: Path) -> None:
    first = fresh_app(tmp_path).test_cli_runner().invoke(args=["keys", "init"])
    assert first.exit_code == 0, first.output
    keyfile = tmp_path / "instance" / "master-keys.json"
    secret = tmp_path / "instance" / "secret_key"
    for path in (keyfile, secret):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    before = keyfile.read_text(), secret.read_text()
    second = fresh_app(tmp_path).test_cli_runner().invoke(args=["keys", "init"])
    assert second.exit_code == 0 and "present" in second.output
    assert (keyfile.read_text(), secret.read_text()) == before


def test_demo_seed_is_idempotent_and_prints_logins(tmp_path: Path) -> None:
    fresh_app(tmp_path).test_cli_runner().invoke(args=["keys", "init"])
    app = fresh_app(tmp_path)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "sosiaalityo.aino" in first.output and "demo-tukiverkko" in first.output

    def counts() -> tuple[int, int, int]:
        with app.app_context():
            return tuple(  # type: ignore[return-value]
                db.session.scalar(select(func.count()).select_from(model))
                for model in (Organisation, User, Client)
            )

    after_first = counts()
    assert after_first[2] == 20 + demo.HISTORY_CLIENTS  # and the history county's clients
    with app.app_context():  # the two workers of Esimerkkilä answer for each other
        lead = aliased(User)
        pairs = db.session.execute(
            select(User.username, lead.username)
            .join(TeamLead, TeamLead.worker_id == User.id)
            .join(lead, lead.id == TeamLead.lead_id)
        ).all()
        assert sorted(pairs) == [
            ("sosiaalityo.aino", "sosiaalityo.eero"),
            ("sosiaalityo.eero", "sosiaalityo.aino"),
        ]
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0 and "already present" in second.output
    assert counts() == after_first
    # Every organisation has its grantee key, as the directory makes one with it.
    status = runner.invoke(args=["keys", "status"]).output
    assert f"organisations with a grantee key: {after_first[0]}" in status, status
    assert "organisations without one yet: none" in status, status


def test_demo_seed_without_keys_says_how_to_fix_it(tmp_path: Path) -> None:
    result = fresh_app(tmp_path).test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "flask keys init" in result.output
