"""Staff's second factor: enrolment, the code at sign-in, replay, recovery codes, the API.

Codes are computed from the secret the page shows (or the factory set up) for the step of
now: the step of now and the next one are both inside the ±1 window, so a code made here
is still accepted if the server's clock has moved on to the next step meanwhile.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import OrgKind, Role, User
from app.models.second_factor import RecoveryCode, SecondFactor
from app.models.staff import AccountAction, AccountEvent
from app.request_log import JsonFormatter
from app.second_factor import commands, queries
from app.second_factor.rules import code_at, provisioning_uri, time_step
from app.security import current_keyring
from app.web.auth.second_factor import qr_svg
from consent.base import utcnow
from tests import factories
from tests.conftest import api_token, csrf_token, login, smallest_limit

SECRET_KEY = re.compile(r'<p class="secret-key"><code>([A-Z2-7 ]+)</code></p>')
RECOVERY = re.compile(r"<li><code>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</code></li>")
PROBLEM = "application/problem+json"
COOKIE = "tukiverkko_session"


def code_now(secret: bytes, ahead: int = 0) -> str:
    return code_at(secret, time_step(utcnow()) + ahead)


@pytest.fixture
def worker(db: Session) -> User:
    county = factories.organisation(db, OrgKind.COUNTY)
    account = factories.user(db, Role.CASEWORKER, county)
    db.commit()
    return account


@pytest.fixture
def enrolled(db: Session, worker: User) -> factories.Enrolled:
    with_factor = factories.second_factor(db, worker)
    db.commit()
    return with_factor


@pytest.fixture
def required(app: Flask) -> Iterator[None]:
    """The service as production runs it: staff must have a second factor."""
    settings = app.extensions["tukiverkko.settings"]
    app.extensions["tukiverkko.settings"] = dataclasses.replace(
        settings, require_second_factor=True
    )
    yield
    app.extensions["tukiverkko.settings"] = settings


def send_code(client: FlaskClient, code: str, path: str = "/login/code"):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, path), "code": code})


def sign_in(client: FlaskClient, username: str, code: str):  # type: ignore[no-untyped-def]
    assert login(client, username).headers["Location"] == "/login/code"
    return send_code(client, code)


def logout(client: FlaskClient, page: str = "/caseworker/") -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client, page)})


def enrol_on_the_web(client: FlaskClient) -> tuple[bytes, str, list[str]]:
    """Set up two-step sign-in through the pages: the secret, the enrolment page, the codes."""
    start = csrf_token(client, "/account/second-factor")
    started = client.post("/account/second-factor/start", data={"csrf_token": start})
    assert started.headers["Location"] == "/account/second-factor/enrol"
    page = client.get("/account/second-factor/enrol").get_data(as_text=True)
    shown = SECRET_KEY.search(page)
    assert shown, page
    text = shown.group(1).replace(" ", "")
    secret = base64.b32decode(text + "=" * (-len(text) % 8))
    done = send_code(client, code_now(secret), "/account/second-factor/enrol")
    assert done.status_code == 200, done.get_data(as_text=True)
    return secret, page, RECOVERY.findall(done.get_data(as_text=True))


# -- enrolment -------------------------------------------------------------------------------


def test_enrolment_round_trip_with_a_code_computed_from_the_shown_secret(
    client: FlaskClient, db: Session, worker: User
) -> None:
    login(client, worker.username)
    assert "Set up two-step sign-in" in client.get("/account/second-factor").get_data(as_text=True)
    secret, page, recovery = enrol_on_the_web(client)

    # The QR code is drawn on the server from the same secret; the page needs no script.
    assert str(qr_svg(provisioning_uri(secret, worker.username))) in page
    assert "<script" not in page and "<img" not in page
    assert len(recovery) == len(set(recovery)) == 10
    assert client.get("/caseworker/").status_code == 200  # this session goes on
    factor = db.scalars(select(SecondFactor).where(SecondFactor.user_id == worker.id)).one()
    assert factor.active and factor.confirmed_at is not None
    # The confirming code cannot sign anyone in afterwards.
    assert factor.last_used_step is not None and factor.last_used_step >= time_step(utcnow()) - 1


def test_a_wrong_first_code_does_not_turn_the_factor_on(
    client: FlaskClient, db: Session, worker: User
) -> None:
    login(client, worker.username)
    client.post(
        "/account/second-factor/start",
        data={"csrf_token": csrf_token(client, "/account/second-factor")},
    )
    answer = send_code(client, "000000", "/account/second-factor/enrol")
    assert answer.status_code == 400
    assert "The code is not right" in answer.get_data(as_text=True)
    assert not queries.has_second_factor(db, worker)


def test_the_secret_and_the_recovery_codes_are_not_stored_in_clear(
    client: FlaskClient, db: Session, worker: User
) -> None:
    login(client, worker.username)
    secret, _, recovery = enrol_on_the_web(client)
    text = base64.b32encode(secret)
    stored = [
        value
        for table in (SecondFactor.__table__, RecoveryCode.__table__)
        for row in db.execute(select(table)).all()
        for value in row
    ]
    raw = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in stored)
    assert secret not in raw and text not in raw and text.rstrip(b"=") not in raw
    for code in recovery:
        assert code.encode() not in raw and code.replace("-", "").encode() not in raw
    wrapped = db.scalars(select(SecondFactor.secret_wrapped)).one()
    assert len(wrapped) > len(secret)  # nonce, ciphertext and tag


# -- signing in ------------------------------------------------------------------------------


def test_with_a_second_factor_the_password_alone_signs_nobody_in(
    client: FlaskClient, worker: User, enrolled: factories.Enrolled
) -> None:
    assert login(client, worker.username).headers["Location"] == "/login/code"
    assert client.get("/caseworker/").status_code == 302
    page = client.get("/login/code").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    assert '<label for="code">' in page
    wrong = send_code(client, "000000" if code_now(enrolled.secret) != "000000" else "111111")
    assert wrong.status_code == 400
    assert 'class="error-summary"' in wrong.get_data(as_text=True)
    assert client.get("/caseworker/").status_code == 302
    right = send_code(client, code_now(enrolled.secret))
    assert right.headers["Location"] == "/caseworker/"
    assert client.get("/caseworker/").status_code == 200


def test_a_code_is_refused_the_second_time(
    client: FlaskClient,
    worker: User,
    enrolled: factories.Enrolled,
    caplog: pytest.LogCaptureFixture,
) -> None:
    code = code_now(enrolled.secret)
    with caplog.at_level(logging.INFO, logger="tukiverkko.security"):
        assert sign_in(client, worker.username, code).status_code == 302
        logout(client)
        again = sign_in(client, worker.username, code)
        api = client.post(
            "/api/v1/tokens", json={"username": worker.username, "password": "pw", "totp": code}
        )
    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)
    assert client.get("/caseworker/").status_code == 302
    assert api.status_code == 401 and api.json["errors"][0]["code"] == "code_used"

    events = [r for r in caplog.records if r.name == "tukiverkko.security"]
    every = [json.loads(JsonFormatter().format(r)) for r in events]
    lines = [line for line in every if line["event"].startswith("second_factor.")]
    assert [(line["event"], line["outcome"]) for line in lines] == [
        ("second_factor.used", "success"),
        ("second_factor.replay_refused", "failure"),
        ("second_factor.replay_refused", "failure"),
    ]
    assert {line["user_id"] for line in lines} == {str(worker.id)}
    assert [line["channel"] for line in lines] == ["web", "web", "api"]
    assert all(code not in json.dumps(line) for line in every)


def test_the_sign_in_waiting_for_a_code_is_single_use(
    client: FlaskClient, worker: User, enrolled: factories.Enrolled
) -> None:
    login(client, worker.username)
    token = csrf_token(client, "/login/code")
    waiting = client.get_cookie(COOKIE)
    assert waiting is not None
    assert send_code(client, code_now(enrolled.secret)).status_code == 302
    logout(client)
    client.set_cookie(COOKIE, waiting.value)  # the cookie from before the code
    replayed = client.post(
        "/login/code", data={"csrf_token": token, "code": code_now(enrolled.secret, 1)}
    )
    assert replayed.headers["Location"] == "/login"
    assert client.get("/caseworker/").status_code == 302


def test_the_sign_in_waiting_for_a_code_lives_a_few_minutes(db: Session, worker: User) -> None:
    started = utcnow()
    token = commands.begin_challenge(db, worker, now=started)
    just_in_time = started + commands.CHALLENGE_LIFETIME - timedelta(seconds=1)
    assert queries.challenged_user(db, token, now=just_in_time) == worker
    assert queries.challenged_user(db, token, now=started + commands.CHALLENGE_LIFETIME) is None
    assert queries.challenged_user(db, "not-a-token", now=started) is None


def test_without_a_challenge_the_code_page_sends_back_to_sign_in(client: FlaskClient, db) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/login/code")
    assert answer.headers["Location"] == "/login"


def test_wrong_codes_count_as_failed_sign_ins_and_a_right_password_does_not_reset_them(
    app: Flask, client: FlaskClient, db: Session, worker: User, enrolled: factories.Enrolled
) -> None:
    """Wrong codes count against the address's sign-in limit (``app.rate_limits``): once it
    is reached even the right code is refused from there, and signing in again with the
    right password does not reset the count. The account itself is not locked."""
    wrong = "000000" if code_now(enrolled.secret) != "000000" else "111111"
    allowed = smallest_limit(app, "sign_in_failures_per_address")
    login(client, worker.username)
    for _ in range(allowed - 1):
        assert send_code(client, wrong).status_code == 400
    login(client, worker.username)  # the right password again: the count goes on
    assert send_code(client, wrong).status_code == 400
    refused = send_code(client, code_now(enrolled.secret))
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    assert client.get("/caseworker/").status_code == 302  # nobody signed in
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.77"  # the owner, from another address
    assert login(elsewhere, worker.username).headers["Location"] == "/login/code"


def test_a_recovery_code_signs_in_once_and_ends_every_other_session_and_token(
    app: Flask, client: FlaskClient, worker: User, enrolled: factories.Enrolled
) -> None:
    elsewhere = app.test_client()
    elsewhere.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert sign_in(elsewhere, worker.username, code_now(enrolled.secret)).status_code == 302
    token = client.post(
        "/api/v1/tokens",
        json={"username": worker.username, "password": "pw", "totp": code_now(enrolled.secret, 1)},
    )
    assert token.status_code == 201
    bearer = {"Authorization": f"Bearer {token.json['token']}"}

    login(client, worker.username)
    page = client.get("/login/recovery-code").get_data(as_text=True)
    assert 'name="code"' in page and "Type a recovery code" in page
    used = send_code(client, enrolled.recovery_codes[0].lower(), "/login/recovery-code")
    assert used.headers["Location"] == "/caseworker/"
    assert client.get("/caseworker/").status_code == 200
    assert elsewhere.get("/caseworker/").status_code == 302  # signed out
    assert client.get("/api/v1/me", headers=bearer).status_code == 401

    logout(client)
    login(client, worker.username)
    again = send_code(client, enrolled.recovery_codes[0], "/login/recovery-code")
    assert again.status_code == 400
    assert "The code is not right" in again.get_data(as_text=True)
    other = send_code(client, enrolled.recovery_codes[1], "/login/recovery-code")
    assert other.status_code == 302


def test_clients_sign_in_with_a_password_alone(client: FlaskClient, db: Session, required) -> None:  # type: ignore[no-untyped-def]
    world = factories.county_case(db)
    account = factories.user(db, Role.CLIENT, client=world.client)
    db.commit()
    assert login(client, account.username).headers["Location"] == "/my/"
    assert client.get("/my/").status_code == 200


# -- required where the service says so ------------------------------------------------------


def test_where_required_staff_without_a_factor_are_taken_to_enrolment_first(
    client: FlaskClient, db: Session, worker: User, required: None
) -> None:
    assert login(client, worker.username).headers["Location"] == "/caseworker/"
    assert client.get("/caseworker/").headers["Location"] == "/account/second-factor"
    setup = client.get("/account/second-factor").get_data(as_text=True)
    assert "Staff must use two-step sign-in" in setup
    enrol_on_the_web(client)
    assert client.get("/caseworker/").status_code == 200
    # Required: it cannot be turned off.
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert 'value="remove"' not in page


def test_not_required_the_demo_signs_staff_in_with_a_password(
    client: FlaskClient, worker: User
) -> None:
    assert login(client, worker.username).headers["Location"] == "/caseworker/"
    assert client.get("/caseworker/").status_code == 200


# -- changing the factor ---------------------------------------------------------------------


def change(client: FlaskClient, action: str, password: str, code: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/account/second-factor",
        data={
            "csrf_token": csrf_token(client, "/account/second-factor"),
            "action": action,
            "password": password,
            "code": code,
        },
    )


def test_turning_the_factor_off_needs_the_password_and_a_code_and_ends_tokens(
    client: FlaskClient, db: Session, worker: User, enrolled: factories.Enrolled
) -> None:
    sign_in(client, worker.username, code_now(enrolled.secret))
    bearer = api_token_with(client, worker.username, code_now(enrolled.secret, 1))
    refused = change(client, "remove", "wrong password", enrolled.recovery_codes[0])
    assert refused.status_code == 400
    assert "The password is not right." in refused.get_data(as_text=True)
    no_code = change(client, "remove", "pw", "123")
    assert no_code.status_code == 400
    assert queries.has_second_factor(db, worker)

    done = change(client, "remove", "pw", enrolled.recovery_codes[0])
    assert done.headers["Location"] == "/account/second-factor"
    assert not queries.has_second_factor(db, worker)
    assert client.get("/caseworker/").status_code == 200  # this session goes on
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    logout(client)
    assert login(client, worker.username).headers["Location"] == "/caseworker/"


def test_new_recovery_codes_replace_the_old_ones(
    client: FlaskClient, worker: User, enrolled: factories.Enrolled
) -> None:
    sign_in(client, worker.username, code_now(enrolled.secret))
    page = change(client, "codes", "pw", code_now(enrolled.secret, 1))
    assert page.status_code == 200
    fresh = RECOVERY.findall(page.get_data(as_text=True))
    assert len(fresh) == 10 and not set(fresh) & set(enrolled.recovery_codes)
    logout(client)
    login(client, worker.username)
    assert send_code(client, enrolled.recovery_codes[2], "/login/recovery-code").status_code == 400
    assert send_code(client, fresh[0], "/login/recovery-code").status_code == 302


def test_setting_up_again_keeps_the_old_factor_until_the_new_one_is_confirmed(
    client: FlaskClient, db: Session, worker: User, enrolled: factories.Enrolled
) -> None:
    sign_in(client, worker.username, code_now(enrolled.secret))
    answer = change(client, "replace", "pw", enrolled.recovery_codes[0])
    assert answer.headers["Location"] == "/account/second-factor/enrol"
    old = queries.factor_of(db, worker, active=True)
    assert old is not None and queries.secret_of(current_keyring(), old) == enrolled.secret
    page = client.get("/account/second-factor/enrol").get_data(as_text=True)
    shown = SECRET_KEY.search(page)
    assert shown
    text = shown.group(1).replace(" ", "")
    new_secret = base64.b32decode(text + "=" * (-len(text) % 8))
    assert new_secret != enrolled.secret
    done = send_code(client, code_now(new_secret), "/account/second-factor/enrol")
    assert done.status_code == 200
    db.expire_all()
    now_active = queries.factor_of(db, worker, active=True)
    assert now_active is not None
    assert queries.secret_of(current_keyring(), now_active) == new_secret


# -- the API ---------------------------------------------------------------------------------


def api_token_with(client: FlaskClient, username: str, code: str) -> dict[str, str]:
    body = {"username": username, "password": "pw", "totp": code}
    response = client.post("/api/v1/tokens", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_the_token_endpoint_asks_staff_with_a_factor_for_the_code(
    client: FlaskClient, worker: User, enrolled: factories.Enrolled
) -> None:
    body = {"username": worker.username, "password": "pw"}  # read before a refusal expires it
    missing = client.post("/api/v1/tokens", json=body)
    assert (missing.status_code, missing.mimetype) == (422, PROBLEM)
    assert missing.json["errors"] == [
        {"pointer": "#/totp", "code": "code_required", "detail": missing.json["detail"]}
    ]
    wrong = client.post("/api/v1/tokens", json={**body, "totp": "12345"})
    assert (wrong.status_code, wrong.mimetype) == (401, PROBLEM)
    assert wrong.json["errors"][0]["pointer"] == "#/totp"
    assert wrong.json["errors"][0]["code"] == "wrong_code"
    headers = api_token_with(client, body["username"], code_now(enrolled.secret))
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_where_required_staff_without_a_factor_get_no_token_but_clients_do(
    client: FlaskClient, db: Session, worker: User, required: None
) -> None:
    refused = client.post("/api/v1/tokens", json={"username": worker.username, "password": "pw"})
    assert (refused.status_code, refused.mimetype) == (403, PROBLEM)
    assert "two-step sign-in" in refused.json["detail"]
    world = factories.county_case(db)
    account = factories.user(db, Role.CLIENT, client=world.client)
    db.commit()
    assert api_token(client, account.username)


def test_the_api_reference_documents_the_code(app: Flask, client: FlaskClient, db) -> None:  # type: ignore[no-untyped-def]
    document = client.get("/api/v1/openapi.json").json
    request_body = document["components"]["schemas"]["TokenRequest"]
    assert "totp" in request_body["properties"] and "totp" not in request_body["required"]
    responses = document["paths"]["/api/v1/tokens"]["post"]["responses"]
    assert {"201", "401", "403", "422", "429"} <= set(responses)


# -- key rotation ----------------------------------------------------------------------------


def test_rotation_rewraps_the_secrets_under_the_new_master_key(
    db: Session, worker: User, enrolled: factories.Enrolled
) -> None:
    rotated = current_keyring().with_new_active_key()
    assert queries.wrapped_secret_counts(db) == {current_keyring().active_id: 1}
    assert commands.rewrap_secrets(db, rotated) == 1
    assert commands.rewrap_secrets(db, rotated) == 0
    assert queries.wrapped_secret_counts(db) == {rotated.active_id: 1}
    factor = queries.factor_of(db, worker, active=True)
    assert factor is not None and queries.secret_of(rotated, factor) == enrolled.secret


# -- two requests with the same code at once, for real ---------------------------------------


@pytest.mark.postgresql_only
def test_of_two_requests_racing_with_the_same_code_one_wins(race_app: Flask) -> None:
    from app.extensions import db as flask_db

    with race_app.app_context():
        session = flask_db.session
        account = factories.user(session, Role.CASEWORKER, factories.organisation(session))
        enrolled = factories.second_factor(session, account)
        session.commit()
        username = account.username
        flask_db.session.remove()
    code = code_now(enrolled.secret)
    start = threading.Barrier(2)
    answers: dict[int, Any] = {}

    def ask(n: int) -> None:
        caller = race_app.test_client()  # its own client, app context and connection
        start.wait(timeout=30)
        answers[n] = caller.post(
            "/api/v1/tokens", json={"username": username, "password": "pw", "totp": code}
        )

    callers = [threading.Thread(target=ask, args=(n,)) for n in (1, 2)]
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join(timeout=60)
    assert sorted(a.status_code for a in answers.values()) == [201, 401]
    loser = next(a for a in answers.values() if a.status_code == 401)
    assert loser.json["errors"][0]["code"] == "code_used"


def test_an_operator_can_reset_a_lost_factor_from_the_command_line(
    app: Flask, client: FlaskClient, db: Session, worker: User, enrolled: factories.Enrolled
) -> None:
    username = worker.username
    sign_in(client, username, code_now(enrolled.secret))
    result = app.test_cli_runner().invoke(args=["second-factor", "reset", username])
    assert result.exit_code == 0, result.output
    assert not queries.has_second_factor(db, worker)
    assert client.get("/caseworker/").status_code == 302  # the session ended
    assert login(client, username).headers["Location"] == "/caseworker/"
    history = db.scalars(select(AccountEvent).where(AccountEvent.user_id == worker.id)).all()
    assert [(e.action, e.by_id) for e in history] == [(AccountAction.SECOND_FACTOR_RESET, None)]
    unknown = app.test_cli_runner().invoke(args=["second-factor", "reset", "nobody"])
    assert unknown.exit_code != 0 and "no user" in unknown.output
