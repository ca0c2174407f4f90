"""Health endpoints, request ids, the JSON request log, and production's schema check."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app, request_log
from app.extensions import db
from app.health import PendingMigrations
from app.settings import Settings
from sharing.keys import Keyring
from tests.conftest import make_settings


def test_healthz_answers_ok_without_a_cookie_or_a_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_on_a_schema_built_without_migrations_is_not_ready(client: FlaskClient) -> None:
    # The suite's databases come from create_all: no alembic_version, so not "at head".
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "not ready\n"
    assert "Set-Cookie" not in response.headers


def test_a_sane_request_id_is_echoed_and_anything_else_replaced(client: FlaskClient) -> None:
    given = "3f2a9c1e-proxy-0001"
    assert client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given
    for bad in ("short", "x" * 200, "has space in it", "<script>alert(1)</script>"):
        echoed = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert echoed != bad and len(echoed) == 32
    generated = {client.get("/healthz").headers["X-Request-ID"] for _ in range(3)}
    assert len(generated) == 3


def test_one_log_record_per_request_with_the_route_rule_and_no_client_data(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tukiverkko.request")
    client.get("/healthz")
    client.get("/readyz")
    response = client.get(
        "/login?next=/cases/secret-name", headers={"X-Request-ID": "req-12345678"}
    )
    records = [r for r in caplog.records if r.name == "tukiverkko.request"]
    assert len(records) == 1  # the probes are not logged
    fields = records[0].fields  # type: ignore[attr-defined]
    assert fields["request_id"] == "req-12345678"
    assert fields["method"] == "GET"
    assert fields["route"] == "/login"
    assert fields["status"] == response.status_code
    assert isinstance(fields["duration_ms"], float)
    line = request_log.JsonFormatter().format(records[0])
    assert "\n" not in line and "secret-name" not in line and "next" not in line
    entry = json.loads(line)
    assert entry["level"] == "INFO" and entry["message"] == "request" and entry["time"]
    assert set(entry) == {"time", "level", "logger", "message", *fields}


def test_a_route_with_ids_logs_its_rule_not_its_path(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tukiverkko.request")
    client.get("/caseworker/clients/00000000-0000-0000-0000-000000000001/ending")
    client.get("/no/such/page")
    routes = [
        r.fields["route"]  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == "tukiverkko.request"
    ]
    assert routes == ["/caseworker/clients/<uuid:client_id>/ending", "<unmatched>"]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Production installs a JSON handler on the root logger: take it away afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def production(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, environment="production", session_cookie_secure=True, allow_sqlite=True
    )


def test_production_refuses_to_serve_until_the_migrations_ran_then_is_ready(
    tmp_path: Path, keyring: Keyring, restore_logging: None
) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'prod.db'}", tmp_path / "instance", keyring)
    with pytest.raises(PendingMigrations, match=r"flask --app app db upgrade"):
        create_app(production(settings))

    migrating = create_app(settings)
    with migrating.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()

    app: Flask = create_app(production(settings))
    assert any(isinstance(h, request_log._Installed) for h in logging.getLogger().handlers)
    create_app(production(settings))  # configured once: no second handler
    assert sum(isinstance(h, request_log._Installed) for h in logging.getLogger().handlers) == 1
    client = app.test_client()
    response = client.get("/readyz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok\n")
    assert "Set-Cookie" not in response.headers

    app.extensions["tukiverkko.key_file"] = None  # the keyring gone
    assert client.get("/readyz").status_code == 503
    with app.app_context():
        db.engine.dispose()
