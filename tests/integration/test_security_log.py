"""The security log: one JSON line per event, with the user, the address and the outcome,
never a password, code or token."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app import security_log
from app.models import Role
from app.request_log import JsonFormatter
from tests import factories
from tests.conftest import csrf_token, login

NEW_PASSWORD = "sininen kettu juoksee metsässä"


def lines_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [JsonFormatter().format(r) for r in caplog.records if r.name == security_log.LOGGER]


def test_sign_in_sign_out_and_a_password_change_are_logged_without_secrets(
    app: Flask, client: FlaskClient, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=security_log.LOGGER)
    account = factories.user(db, Role.CASEWORKER, factories.organisation(db))
    db.commit()
    login(client, account.username, "wrong-password-typed")
    login(client, "nobody.here", "another-wrong-one")
    login(client, account.username)
    client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client, "/account/password"),
            "current_password": "pw",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    client.post("/logout", data={"csrf_token": csrf_token(client, "/caseworker/")})
    lines = lines_of(caplog)
    entries = [json.loads(line) for line in lines]
    summary = [(e["event"], e["outcome"], e.get("reason")) for e in entries]
    assert summary == [
        ("sign_in", "failure", "wrong"),
        ("sign_in", "failure", "wrong"),
        ("sign_in", "success", None),
        ("password_changed", "success", None),
        ("session_ended", "success", "signed_out"),
    ]
    assert [e["user_id"] for e in entries] == [str(account.id), None] + [str(account.id)] * 3
    assert all(e["address"] == "127.0.0.1" and e["request_id"] for e in entries)
    assert all(e["logger"] == "tukiverkko.security" for e in entries)
    text = "\n".join(lines)
    for secret in ("wrong-password-typed", "another-wrong-one", NEW_PASSWORD, "nobody.here"):
        assert secret not in text


def test_tokens_issued_and_revoked_are_logged_by_id_only(
    client: FlaskClient, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=security_log.LOGGER)
    account = factories.user(db, Role.PARTNER, factories.organisation(db))
    db.commit()
    issued = client.post("/api/v1/tokens", json={"username": account.username, "password": "pw"})
    secret = issued.json["token"]  # type: ignore[index]
    client.delete("/api/v1/tokens/current", headers={"Authorization": f"Bearer {secret}"})
    lines = lines_of(caplog)
    assert [json.loads(line)["event"] for line in lines] == ["token_issued", "token_revoked"]
    assert all(secret not in line for line in lines)


def test_a_key_operation_is_logged(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=security_log.LOGGER)
    active = app.extensions["tukiverkko.settings"].keyring.active_id
    result = app.test_cli_runner().invoke(args=["keys", "retire", active])
    assert result.exit_code != 0
    [entry] = [json.loads(line) for line in lines_of(caplog)]
    assert (entry["event"], entry["operation"], entry["outcome"]) == ("keys", "retire", "failure")
    assert entry["address"] is None and "os_user" in entry


def test_a_field_named_like_a_secret_is_refused() -> None:
    for name in ("password", "new_password", "code", "api_token", "secret"):
        with pytest.raises(TypeError):
            security_log.event(
                security_log.Kind.SIGN_IN, outcome=security_log.Outcome.FAILURE, **{name: "x"}
            )
    security_log.event(
        security_log.Kind.TOKEN_ISSUED, outcome=security_log.Outcome.SUCCESS, token_id="an id"
    )


@pytest.fixture
def restored_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger(security_log.LOGGER)
    handlers, propagate = list(logger.handlers), logger.propagate
    yield logger
    for handler in logger.handlers:
        if handler not in handlers:
            handler.close()
    logger.handlers[:] = handlers
    logger.propagate = propagate


def test_with_a_file_configured_the_log_goes_there_alone(
    tmp_path: Path, restored_logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "security.log"
    security_log.configure(path)
    security_log.configure(path)  # a second app in the same process adds no second handler
    caplog.set_level(logging.INFO)
    security_log.event(
        security_log.Kind.KEYS, outcome=security_log.Outcome.SUCCESS, operation="init"
    )
    [line] = path.read_text().splitlines()
    assert json.loads(line)["event"] == "keys"
    assert not [r for r in caplog.records if r.name == security_log.LOGGER]  # not on stderr too
