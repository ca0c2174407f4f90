"""The benchmark data generator writes what the app writes: a small set, read through the app.

``benchmarks.data`` bulk-inserts rows instead of going through the app's commands, so this
checks the result the way the app sees it: every log chain verifies, the key seals are
exactly those ``AccessGate.sync_seals`` would keep, the partners' share periods are those the
app's listener computes, foreign keys hold, and a partner reads
a shared plan section through the real pages and API (decision, HPKE seal, AES-GCM, log).
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import create_engine, delete, make_url, select, text
from sqlalchemy.orm.attributes import flag_modified

from app import create_app
from app.cases.facts import FACTS_VERSIONS
from app.extensions import db
from app.models import Case, Client
from app.models.partner import SharePeriod
from app.settings import Settings
from benchmarks.clients import ref
from benchmarks.data import Manifest, ensure, remove, sets
from benchmarks.load import endpoints
from benchmarks.micro import signed_in
from benchmarks.scale import Scale
from consent.base import Base
from consent.models import Consent
from sharing.fields import field_ref
from tests.conftest import BACKENDS, postgresql_url

SMALL = Scale(clients=50, consents_per_client=20, log_rows_per_client=60)


@pytest.fixture(scope="module", params=BACKENDS)
def manifest(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Manifest]:
    # On PostgreSQL the set gets a database of its own beside the suite's, dropped after.
    server = postgresql_url() if request.param == "postgresql" else None
    folder = tmp_path_factory.mktemp("bench")
    built = ensure(SMALL, postgresql=server, folder=folder)
    yield built
    for home in sets(folder, request.param, SMALL):
        remove(home, postgresql=server)


@pytest.fixture(scope="module")
def bench_app(manifest: Manifest) -> Iterator[Flask]:
    # The instance folder the generator wrote holds the master keys the data is sealed under.
    settings = Settings.from_env(
        {
            "TUKIVERKKO_ENV": "test",
            "TUKIVERKKO_INSTANCE_PATH": manifest.instance,
            "TUKIVERKKO_DATABASE_URL": manifest.url,
        }
    )
    app = create_app(settings)
    yield app
    with app.app_context():
        db.engine.dispose()


def audit_verify(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_counts_follow_the_scale(manifest: Manifest) -> None:
    counts = manifest.counts
    assert counts["clients"] == 50
    assert counts["consents"] == 50 * 20
    assert counts["consent_events"] > counts["consents"]
    assert 0.5 * 50 * 60 <= counts["access_log"] <= 1.5 * 50 * 60
    assert counts["key_seals"] > 0 and manifest.shared
    assert counts["key_seal_records"] == counts["key_seals"]  # each seal with its record


def test_every_chain_verifies_and_foreign_keys_hold(bench_app: Flask, manifest: Manifest) -> None:
    assert audit_verify(bench_app).startswith(f"ok: {manifest.counts['access_log']} entries in 50")
    engine = create_engine(manifest.url)
    with engine.connect() as connection:
        if manifest.backend == "sqlite":
            assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        else:  # set aside for the load, then added again: each checked every row then
            foreign_keys = "SELECT convalidated FROM pg_constraint WHERE contype = 'f'"
            assert set(connection.execute(text(foreign_keys)).scalars()) == {True}
    engine.dispose()


def test_the_indexes_set_aside_for_the_load_are_back(manifest: Manifest, tmp_path: Path) -> None:
    if manifest.backend != "sqlite":
        # The PostgreSQL loader compares the server's catalog before and after the load
        # itself; here, every index the models declare is in the built database.
        engine = create_engine(manifest.url)
        with engine.connect() as connection:
            built = set(
                connection.execute(
                    text("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
                ).scalars()
            )
        engine.dispose()
        declared = {i.name for table in Base.metadata.tables.values() for i in table.indexes}
        assert declared and declared <= built, declared - built
        with engine.connect() as connection:  # the facts version triggers enabled again
            disabled = "SELECT tgname FROM pg_trigger WHERE tgenabled = 'D'"
            assert connection.execute(text(disabled)).all() == []
        engine.dispose()
        return
    reference = create_app(
        Settings.from_env(
            {
                "TUKIVERKKO_ENV": "test",
                "TUKIVERKKO_INSTANCE_PATH": manifest.instance,
                "TUKIVERKKO_DATABASE_URL": f"sqlite:///{tmp_path / 'reference.db'}",
            }
        )
    )
    with reference.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    # The indexes of their own, and the triggers (the ones a key or a unique constraint makes stay with the
    # table). Tables are left out: a batch migration orders their constraints by chance.
    catalog = (
        "SELECT name, tbl_name, sql FROM sqlite_master"
        " WHERE type IN ('index', 'trigger') ORDER BY name"
    )
    built = sqlite3.connect(make_url(manifest.url).database or "")
    migrated = sqlite3.connect(tmp_path / "reference.db")
    assert built.execute(catalog).fetchall() == migrated.execute(catalog).fetchall()


def test_seals_are_exactly_what_sync_seals_keeps(bench_app: Flask) -> None:
    from app.security import new_gate

    with bench_app.app_context():
        gate = new_gate()
        for client_id in db.session.scalars(select(Client.id)).all():
            synced = gate.sync_seals(client_id)
            assert (synced.created, synced.removed, synced.retired_keys) == (0, 0, 0), client_id
        db.session.rollback()


def test_share_periods_are_what_the_apps_listener_computes(bench_app: Flask) -> None:
    # The generator computes them in its workers; here they are deleted and the app's own
    # after-flush listener computes them again for every client (a change to each case).
    period = (
        SharePeriod.organisation_id,
        SharePeriod.client_id,
        SharePeriod.starts_at,
        SharePeriod.ends_at,
        SharePeriod.last_day,
    )
    with bench_app.app_context():
        built = sorted(tuple(row) for row in db.session.execute(select(*period)))
        assert len({client for _, client, *_ in built}) > 25  # most clients share something
        db.session.execute(delete(SharePeriod))
        for case in db.session.scalars(select(Case)):
            flag_modified(case, "phase")
        db.session.flush()
        assert sorted(tuple(row) for row in db.session.execute(select(*period))) == built
        db.session.rollback()


def test_every_client_has_a_facts_version(bench_app: Flask, manifest: Manifest) -> None:
    with bench_app.app_context():
        versions = db.session.scalars(select(FACTS_VERSIONS.c.client_id)).all()
        assert sorted(versions) == sorted(db.session.scalars(select(Client.id)).all())


def test_references_are_the_ones_the_models_declare(bench_app: Flask) -> None:
    with bench_app.app_context():
        consent = db.session.scalars(select(Consent).limit(1)).one()
        built = ref(Consent.purpose_text_ct, consent.id, consent.client_id)
        assert built == field_ref(consent, Consent.purpose_text_ct)


def test_a_partner_reads_a_shared_section_through_the_app(
    bench_app: Flask, manifest: Manifest
) -> None:
    client_id, kind = manifest.shared[0]
    browser = bench_app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    signed_in = browser.post(
        "/login",
        data={
            "csrf_token": token.group(1),
            "username": manifest.partner,
            "password": manifest.password,
        },
    )
    assert signed_in.status_code == 302
    shown = browser.get(f"/partner/clients/{client_id}")
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert "Kuvitteellinen Asiakas" in html and "Kuvitteellinen tavoite" in html

    api = bench_app.test_client()
    issued = api.post(
        "/api/v1/tokens", json={"username": manifest.partner, "password": manifest.password}
    )
    assert issued.status_code == 201, issued.get_data(as_text=True)
    bearer = {"Authorization": f"Bearer {issued.get_json()['token']}"}
    section = api.get(f"/api/v1/clients/{client_id}/plan/sections/{kind}", headers=bearer)
    assert section.status_code == 200, section.get_data(as_text=True)
    assert section.get_json()["goals"].startswith("Kuvitteellinen tavoite")

    # The reads were appended to the generated chains, which still verify.
    assert audit_verify(bench_app).startswith("ok:")
    with bench_app.app_context():
        from sharing.access_log import AccessLogEntry

        newest = db.session.scalars(
            select(AccessLogEntry)
            .where(AccessLogEntry.client_id == uuid.UUID(client_id))
            .order_by(AccessLogEntry.seq.desc())
            .limit(1)
        ).one()
        assert newest.actor_role == "partner" and newest.allowed


def test_every_page_the_load_runs_answers_its_user(bench_app: Flask, manifest: Manifest) -> None:
    """The benchmark's endpoints and sign-ins (``benchmarks.load.endpoints``,
    ``Manifest.logins``): a page refused or failing would be measured as a fast one."""
    for endpoint in endpoints(manifest, sample=1):
        browser, headers = bench_app.test_client(), {}
        if endpoint.who is not None and endpoint.api:
            user = {"username": manifest.logins[endpoint.who], "password": manifest.password}
            issued = browser.post("/api/v1/tokens", json=user)
            headers = {"Authorization": f"Bearer {issued.get_json()['token']}"}
        elif endpoint.who is not None:
            browser = signed_in(bench_app, manifest.logins[endpoint.who], manifest.password)
        answer = browser.get(endpoint.paths[0], headers=headers)
        assert answer.status_code == 200, (endpoint.name, answer.status_code)


def test_a_rerun_reuses_the_set(manifest: Manifest) -> None:
    folder = Path(manifest.instance).parent.parent
    server = postgresql_url() if manifest.backend == "postgresql" else None
    again = ensure(SMALL, postgresql=server, folder=folder)
    assert again.built_at == manifest.built_at
