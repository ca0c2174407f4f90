"""Operator commands on a committed demo database: key rotation, key status, audit, maintenance."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text, update

from app import create_app
from app.extensions import db
from app.models import Case, Client
from app.security import new_gate
from app.settings import Settings
from consent.base import Base, utcnow
from consent.facts import SYSTEM_ACTOR, Purpose
from sharing import keys as sharing_keys
from sharing.access_log import AccessLogEntry
from sharing.errors import KeyDestroyed
from sharing.fields import sealed
from sharing.keys import Keyring
from sharing.models import DataKey


@pytest.fixture
def demo_app(tmp_path: Path) -> Flask:
    """A development app on its own SQLite file, with instance keys and the demo world."""
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    Base.metadata.create_all(create_engine(url))
    env = {"TUKIVERKKO_INSTANCE_PATH": str(tmp_path / "instance"), "TUKIVERKKO_DATABASE_URL": url}
    create_app(Settings.from_env(env)).test_cli_runner().invoke(args=["keys", "init"])
    app = create_app(Settings.from_env(env))
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    return app


def names(app: Flask) -> list[str | None]:
    with app.app_context():
        clients = db.session.scalars(select(Client).order_by(Client.id)).all()
        return new_gate().read_texts(
            SYSTEM_ACTOR,
            [sealed(c, Client.name_ct) for c in clients],
            purpose=Purpose.ADMINISTRATION,
        )


def test_key_rotation_killed_half_way_resumes_and_loses_nothing(
    demo_app: Flask, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    before = names(demo_app)
    keyfile = demo_app.extensions["tukiverkko.settings"].keyring_file
    old_active = demo_app.extensions["tukiverkko.key_file"].current().active_id
    real = sharing_keys.rewrap_data_keys
    calls = {"n": 0}

    def crash_after_first_batch(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed during rotation (test)")
        return real(*args, **kwargs)

    monkeypatch.setattr(sharing_keys, "rewrap_data_keys", crash_after_first_batch)
    killed = demo_app.test_cli_runner().invoke(args=["keys", "rotate", "--batch-size", "10"])
    assert killed.exit_code != 0
    monkeypatch.setattr(sharing_keys, "rewrap_data_keys", real)

    rotated = Keyring.from_json(keyfile.read_text())
    assert rotated.active_id != old_active and old_active in rotated.keys
    with demo_app.app_context():
        counts = sharing_keys.wrapped_counts(db.session)
    assert counts[rotated.active_id] >= 10 and counts[old_active] > 0  # half-way

    # A new process (new app) reads the key file and resumes with the same new key.
    resumed_app = create_app(
        demo_app.extensions["tukiverkko.settings"].__class__.from_env(
            {
                "TUKIVERKKO_INSTANCE_PATH": str(keyfile.parent),
                "TUKIVERKKO_DATABASE_URL": demo_app.config["SQLALCHEMY_DATABASE_URI"],
            }
        )
    )
    resumed = resumed_app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert resumed.exit_code == 0, resumed.output
    assert "resuming" in resumed.output
    with resumed_app.app_context():
        assert sharing_keys.wrapped_counts(db.session) == {rotated.active_id: sum(counts.values())}
    assert names(resumed_app) == before
    status = resumed_app.test_cli_runner().invoke(args=["keys", "status"])
    assert (
        f"{old_active}: 0 data keys" in status.output and "re-wrap pending: none" in status.output
    )


def test_a_staged_key_is_held_but_unused_until_rotate_makes_it_active(demo_app: Flask) -> None:
    """Several nodes: ``keys add`` puts a key in the file for distribution, wrapping nothing
    under it; ``keys rotate --to`` makes exactly that key active and re-wraps everything."""
    runner = demo_app.test_cli_runner()
    keyfile = demo_app.extensions["tukiverkko.settings"].keyring_file
    old = Keyring.from_json(keyfile.read_text()).active_id
    before = names(demo_app)

    added = runner.invoke(args=["keys", "add"])
    assert added.exit_code == 0, added.output
    staged = Keyring.from_json(keyfile.read_text())
    [new] = set(staged.keys) - {old}
    assert staged.active_id == old and f"rotate --to {new}" in added.output
    assert names(demo_app) == before
    with demo_app.app_context():
        assert set(sharing_keys.wrapped_counts(db.session)) == {old}

    unknown = runner.invoke(args=["keys", "rotate", "--to", "mk-20260101-00000000"])
    assert unknown.exit_code != 0 and "run `flask keys add`" in unknown.output
    rotated = runner.invoke(args=["keys", "rotate", "--to", new])
    assert rotated.exit_code == 0, rotated.output
    assert f"done: every key is wrapped under {new}" in rotated.output
    assert Keyring.from_json(keyfile.read_text()).active_id == new
    with demo_app.app_context():
        assert set(sharing_keys.wrapped_counts(db.session)) == {new}
    again = runner.invoke(args=["keys", "rotate", "--to", new])  # on another node: a no-op
    assert again.exit_code == 0 and "re-wrapped" not in again.output, again.output
    assert names(demo_app) == before


def test_audit_verify_passes_then_names_a_tampered_entry(demo_app: Flask) -> None:
    runner = demo_app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and ok.output.startswith("ok:"), ok.output
    with demo_app.app_context():
        victim = db.session.scalars(select(AccessLogEntry).where(AccessLogEntry.seq == 2)).first()
        assert victim is not None
        victim_id, victim_client = victim.id, victim.client_id
        db.session.rollback()  # end the read transaction before another connection writes
        with db.engine.begin() as conn:  # a privileged hand switches the guard off first
            conn.execute(text("DROP TRIGGER access_log_no_update"))
            conn.execute(
                update(AccessLogEntry).where(AccessLogEntry.id == victim_id).values(allowed=False)
            )
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code != 0
    assert f"client {victim_client} entry 2" in broken.output


def test_maintenance_shreds_cases_past_retention_and_is_idempotent(demo_app: Flask) -> None:
    runner = demo_app.test_cli_runner()
    with demo_app.app_context():
        closed = db.session.scalars(select(Case).where(Case.closed_at.is_not(None))).first()
        assert closed is not None
        closed.closed_at = utcnow() - timedelta(days=365 * 11)
        closed.disposal_on = (utcnow() - timedelta(days=1)).date()  # stored when it closed
        db.session.commit()
        client_id = closed.client_id
        log_rows = db.session.scalar(
            select(func.count(AccessLogEntry.id)).where(AccessLogEntry.client_id == client_id)
        )
    first = runner.invoke(args=["maintenance", "run"])
    assert first.exit_code == 0, first.output
    assert "cases disposed 1" in first.output
    second = runner.invoke(args=["maintenance", "run"])
    assert "consents expired 0" in second.output and "cases disposed 0" in second.output
    with demo_app.app_context():
        live = db.session.scalar(
            select(func.count(DataKey.id)).where(
                DataKey.client_id == client_id, DataKey.wrapped.is_not(None)
            )
        )
        assert live == 0
        assert (
            db.session.scalar(
                select(func.count(AccessLogEntry.id)).where(AccessLogEntry.client_id == client_id)
            )
            >= log_rows
        )
    with demo_app.app_context():
        others = db.session.scalars(select(Client).where(Client.id != client_id)).all()
        shredded = db.session.get(Client, client_id)
        gate = new_gate()
        texts = gate.read_texts(
            SYSTEM_ACTOR,
            [sealed(c, Client.name_ct) for c in others],
            purpose=Purpose.ADMINISTRATION,
        )
        assert all(texts)  # every other client is intact
        with pytest.raises(KeyDestroyed):
            gate.read_texts(
                SYSTEM_ACTOR,
                [sealed(shredded, Client.name_ct)],
                purpose=Purpose.ADMINISTRATION,
            )


def test_maintenance_checkpoints_the_log_and_audit_verify_holds_the_database_to_it(
    demo_app: Flask,
) -> None:
    """The operator's flow on a committed database: checkpoint, tamper, catch."""
    runner = demo_app.test_cli_runner()
    settings = demo_app.extensions["tukiverkko.settings"]
    first = runner.invoke(args=["maintenance", "run"])
    assert first.exit_code == 0, first.output
    assert "checkpoint 1 written" in first.output
    assert settings.checkpoints_path.parent == settings.instance_path
    again = runner.invoke(args=["maintenance", "run"])
    assert "checkpoint 1 unchanged" in again.output  # idempotent: nothing moved, no new line
    assert len(settings.checkpoints_path.read_text().splitlines()) == 1
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "checkpoint 1 of" in ok.output, ok.output

    with demo_app.app_context():
        newest = db.session.scalars(
            select(AccessLogEntry).order_by(AccessLogEntry.seq.desc()).limit(1)
        ).one()
        victim, seq = newest.client_id, newest.seq
        db.session.rollback()
        with db.engine.begin() as conn:  # a privileged hand removes the newest entry
            conn.execute(text("DROP TRIGGER access_log_no_delete"))
            conn.execute(
                text("DELETE FROM access_log WHERE client_id = :c AND seq = :s"),
                {"c": victim.hex, "s": seq},
            )

    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert f"client {victim} entry {seq - 1}: deleted newest entries (checkpoint 1" in broken.output
    refused = runner.invoke(args=["maintenance", "run"])
    assert refused.exit_code == 1 and "checkpoint refused" in refused.output
    assert f"client {victim}: chain ends at seq {seq - 1}" in refused.output
    assert len(settings.checkpoints_path.read_text().splitlines()) == 1  # never blessed


def test_keys_init_adds_log_keys_to_an_older_key_file_and_rotate_log_keeps_old_entries(
    demo_app: Flask, tmp_path: Path
) -> None:
    runner = demo_app.test_cli_runner()
    keyfile = demo_app.extensions["tukiverkko.settings"].keyring_file
    before = Keyring.from_json(keyfile.read_text())
    assert before.log is not None
    # A key file as the release before the log's keys wrote it: master keys only.
    old = json.loads(keyfile.read_text())
    del old["log"]
    keyfile.write_text(json.dumps(old))
    assert "access-log keys: NONE" in runner.invoke(args=["keys", "status"]).output
    added = runner.invoke(args=["keys", "init"])
    assert added.exit_code == 0 and "access-log keys: added" in added.output, added.output
    fresh = Keyring.from_json(keyfile.read_text())
    assert fresh.log is not None and fresh.keys == before.keys  # master keys untouched
    # (The demo's entries were MACed under the keys just removed: a keyring that lost them
    # cannot verify them, which is why no command ever removes log keys.)
    unknown = runner.invoke(args=["audit", "verify"])
    assert unknown.exit_code == 1 and "unknown log key" in unknown.output
    keyfile.write_text(before.to_json())

    rotated = runner.invoke(args=["keys", "rotate-log"])
    assert rotated.exit_code == 0, rotated.output
    after = Keyring.from_json(keyfile.read_text())
    assert after.log is not None and before.log.active_mac_id in after.log.mac_keys
    assert after.log.active_mac_id != before.log.active_mac_id
    names(demo_app)  # new reads, MACed under the new key by a server that re-read the file
    with demo_app.app_context():
        used = set(db.session.scalars(select(AccessLogEntry.key_id).distinct()))
    assert used == {before.log.active_mac_id, after.log.active_mac_id}
    status = runner.invoke(args=["keys", "status"]).output
    assert f"access-log MAC key {after.log.active_mac_id} (active)" in status
    assert f"checkpoint signing key {after.log.active_signing_id} (active): public key" in status
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
