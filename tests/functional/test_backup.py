"""Backup and restore: ``flask backup create`` of a seeded world, ``flask backup restore`` into a
fresh instance holding the same master keys, on SQLite and on PostgreSQL.

The restored world reads the same through the gate (every client's name and every version of
every plan section, as the system actor), its access log verifies, and the file is refused when
a byte of it changed, when it is at another schema revision, when the keyring lacks its master
key, and when the target database is not empty.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, inspect, make_url, select, text

from app import create_app
from app.extensions import db
from app.models import Client
from app.models.plan import PlanSectionVersion
from app.security import new_gate
from app.settings import MASTER_KEY_FILE, Settings
from consent.facts import SYSTEM_ACTOR, Purpose
from sharing import access_log
from sharing.archive import open_archive, seal_archive
from sharing.fields import sealed
from sharing.keys import Keyring, generate_keyring, write_key_file
from tests.conftest import drop_database, postgresql_url


@pytest.fixture(params=["sqlite", "postgresql"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A source and an empty target database of one kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'source.db'}", f"sqlite:///{tmp_path / 'target.db'}"
        return
    server = make_url(postgresql_url())
    names = [f"{server.database}_backup_{role}_{uuid.uuid4().hex[:8]}" for role in ("src", "dst")]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield tuple(  # type: ignore[misc]  (two names, two URLs)
            server.set(database=name).render_as_string(hide_password=False) for name in names
        )
    finally:
        admin.dispose()
        for name in names:
            drop_database(server.set(database=name))


_apps: list[Flask] = []


@pytest.fixture(autouse=True)
def _dispose_engines(urls: tuple[str, str]) -> Iterator[None]:
    """Close every app's connections before the databases go (PostgreSQL drops them)."""
    yield
    while _apps:
        with _apps.pop().app_context():
            db.engine.dispose()


def instance(folder: Path, url: str) -> Flask:
    env = {"TUKIVERKKO_INSTANCE_PATH": str(folder), "TUKIVERKKO_DATABASE_URL": url}
    app = create_app(Settings.from_env(env))
    _apps.append(app)
    return app


def cli(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def refused(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code != 0, result.output
    return result.output


def plaintexts(app: Flask) -> tuple[list[str | None], list[str | None]]:
    """Every client's name and every plan section version's content, read through the gate."""
    with app.app_context():
        clients = db.session.scalars(select(Client).order_by(Client.id)).all()
        versions = db.session.scalars(
            select(PlanSectionVersion).order_by(PlanSectionVersion.id)
        ).all()
        gate = new_gate()
        names = gate.read_texts(
            SYSTEM_ACTOR,
            [sealed(c, Client.name_ct) for c in clients],
            purpose=Purpose.ADMINISTRATION,
        )
        sections = gate.read_texts(
            SYSTEM_ACTOR,
            [sealed(v, PlanSectionVersion.content_ct) for v in versions],
            purpose=Purpose.ADMINISTRATION,
        )
        db.session.commit()  # the reads' log entries
        db.engine.dispose()
    return names, sections


def tables(app: Flask) -> set[str]:
    with app.app_context():
        found = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    return found


def test_backup_restores_into_a_fresh_instance_and_refuses_what_it_must(
    tmp_path: Path, urls: tuple[str, str]
) -> None:
    source_url, target_url = urls
    cli(instance(tmp_path / "source", source_url), "keys", "init")
    source = instance(tmp_path / "source", source_url)
    cli(source, "db", "upgrade")
    cli(source, "demo", "seed")
    names, sections = plaintexts(source)
    assert len(names) > 5 and len(sections) > 5 and all(sections) and all(names)

    backup = tmp_path / "backups" / "world.tkbackup"
    created = cli(source, "backup", "create", str(backup))
    assert f"backup written to {backup}" in created
    assert "exists" in refused(source, "backup", "create", str(backup))  # never overwrites
    assert backup.stat().st_mode & 0o777 == 0o600  # readable by the owner only
    blob = backup.read_bytes()
    keyring = Keyring.from_json((tmp_path / "source" / MASTER_KEY_FILE).read_text())
    for secret in keyring.keys.values():
        assert secret not in blob  # no master key in the file
    assert cli(source, "audit", "verify").startswith("ok:")

    # A fresh instance holding the same master keys, on an empty database.
    (tmp_path / "target").mkdir()
    shutil.copy(tmp_path / "source" / MASTER_KEY_FILE, tmp_path / "target" / MASTER_KEY_FILE)
    target = instance(tmp_path / "target", target_url)

    # Refused before anything is written: one changed byte (header, manifest or dump), a
    # keyring without the backup's master key, another schema revision.
    for offset in (30, len(blob) // 2, len(blob) - 1):
        tampered = bytearray(blob)
        tampered[offset] ^= 0x01
        altered = tmp_path / f"tampered-{offset}"
        altered.write_bytes(bytes(tampered))
        message = refused(target, "backup", "restore", str(altered))
        assert "altered" in message or "damaged" in message, message
    opened = open_archive(keyring, blob)
    with source.app_context():  # the manifest names each chain's head: its seq and MAC
        heads = access_log.heads(db.session())
        db.session.rollback()
    assert opened.manifest["chains"] == {
        "count": len(heads),
        "heads": {
            str(c): {"seq": seq, "hash": mac.hex()} for c, (seq, mac) in sorted(heads.items())
        },
    }
    other_revision = tmp_path / "other-revision"
    other_revision.write_bytes(
        seal_archive(
            keyring, {**opened.manifest, "schema_revision": "19990101_0001"}, opened.payload
        )
    )
    message = refused(target, "backup", "restore", str(other_revision))
    assert "schema revision 19990101_0001" in message, message
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    write_key_file(stranger / MASTER_KEY_FILE, generate_keyring())
    message = refused(instance(stranger, target_url), "backup", "restore", str(backup))
    assert f"master key {keyring.active_id}, which is not in the keyring" in message, message
    assert tables(target) == set()

    restored = cli(target, "backup", "restore", str(backup))
    assert "log chain heads match its manifest" in restored
    assert cli(target, "audit", "verify").startswith("ok:")
    assert plaintexts(target) == (names, sections)
    assert cli(target, "audit", "verify").startswith("ok:")  # the restored chains go on

    # Never onto a database that has data.
    assert "not empty" in refused(target, "backup", "restore", str(backup))
