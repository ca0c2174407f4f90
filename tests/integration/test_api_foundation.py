"""The API's ground rules: bearer tokens only, problem details, strict validation, the spec."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.commands import end_sessions
from app.models import OrgKind, Role, User
from app.models.api_token import ApiToken
from consent.base import utcnow
from tests import factories
from tests.conftest import api_token, login

PROBLEM = "application/problem+json"


@pytest.fixture
def worker(db: Session) -> User:
    county = factories.organisation(db, OrgKind.COUNTY, name="Testin hyvinvointialue (fictional)")
    account = factories.user(db, Role.CASEWORKER, county, username="api.worker")
    db.commit()
    return account


def _assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.json
    assert body["status"] == status and body["title"] and body["type"]
    return body


def test_a_token_signs_in_without_any_cookie(client: FlaskClient, worker: User) -> None:
    response = client.post("/api/v1/tokens", json={"username": "api.worker", "password": "pw"})
    assert response.status_code == 201
    assert response.json["token"].startswith("tkv_")
    assert response.json["token_type"] == "Bearer"
    assert 0 < response.json["expires_in"] <= 30 * 60
    assert "Set-Cookie" not in response.headers
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.json['token']}"})
    assert me.status_code == 200
    assert me.json["username"] == "api.worker"
    assert me.json["role"] == "caseworker"
    assert me.json["organisation"]["kind"] == "county"
    assert me.json["client_id"] is None
    assert "Set-Cookie" not in me.headers
    assert me.headers["Cache-Control"] == "no-store"


def test_the_token_is_stored_only_as_a_digest(
    client: FlaskClient, worker: User, db: Session
) -> None:
    secret = api_token(client, "api.worker")["Authorization"].removeprefix("Bearer ")
    stored = db.scalars(select(ApiToken).where(ApiToken.user_id == worker.id)).one()
    assert secret not in stored.digest and len(stored.digest) == 64


def test_a_wrong_password_is_the_same_problem_for_an_unknown_username(
    client: FlaskClient, worker: User
) -> None:
    wrong = client.post("/api/v1/tokens", json={"username": "api.worker", "password": "x"})
    unknown = client.post("/api/v1/tokens", json={"username": "nobody", "password": "pw"})
    assert _assert_problem(wrong, 401) == _assert_problem(unknown, 401)
    assert wrong.json["detail"] == "Wrong username or password."


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer tkv_not-a-real-token", "Basic YXBpLndvcmtlcjpwdw==", "tkv_x"],
)
def test_without_a_valid_token_the_answer_is_401(
    client: FlaskClient, worker: User, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/api/v1/me", headers=headers)
    _assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="tukiverkko"')


def test_a_signed_in_browser_session_means_nothing_to_the_api(
    client: FlaskClient, worker: User
) -> None:
    login(client, "api.worker")
    assert client.get("/caseworker/").status_code == 200  # the cookie works for pages
    _assert_problem(client.get("/api/v1/me"), 401)


def test_revoking_ends_the_token_at_once(client: FlaskClient, worker: User) -> None:
    first, second = api_token(client, "api.worker"), api_token(client, "api.worker")
    assert client.delete("/api/v1/tokens/current", headers=first).status_code == 204
    _assert_problem(client.get("/api/v1/me", headers=first), 401)
    assert client.get("/api/v1/me", headers=second).status_code == 200
    assert client.delete("/api/v1/tokens", headers=second).status_code == 204
    _assert_problem(client.get("/api/v1/me", headers=second), 401)


def test_expiry_deactivation_and_ending_every_session_end_tokens(
    app: Flask, client: FlaskClient, worker: User, db: Session
) -> None:
    headers = api_token(client, "api.worker")
    token = db.scalars(select(ApiToken).where(ApiToken.user_id == worker.id)).one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    _assert_problem(client.get("/api/v1/me", headers=headers), 401)

    headers = api_token(client, "api.worker")
    end_sessions(db, worker.id, now=utcnow())  # e.g. a password change
    db.commit()
    _assert_problem(client.get("/api/v1/me", headers=headers), 401)

    headers = api_token(client, "api.worker")
    db.get(User, worker.id).active = False
    db.commit()
    _assert_problem(client.get("/api/v1/me", headers=headers), 401)


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"username": "api.worker", "password": "pw", "extra": 1}, "#/extra"),
        ({"username": "api.worker"}, "#/password"),
        ({"username": "", "password": "pw"}, "#/username"),
        ({"username": "x" * 121, "password": "pw"}, "#/username"),
        ({"username": ["api.worker"], "password": "pw"}, "#/username"),
    ],
)
def test_a_body_the_schema_refuses_names_each_field(
    client: FlaskClient, worker: User, body: dict, pointer: str
) -> None:
    problem = _assert_problem(client.post("/api/v1/tokens", json=body), 422)
    assert problem["type"].endswith("#problem-validation")
    assert [e["pointer"] for e in problem["errors"]] == [pointer]
    assert all(e["detail"] for e in problem["errors"])


def test_a_body_that_is_not_a_json_object(client: FlaskClient, worker: User) -> None:
    for data in ("{not json", "[1, 2]", '"text"'):
        response = client.post("/api/v1/tokens", data=data, content_type="application/json")
        _assert_problem(response, 400)
    form = client.post("/api/v1/tokens", data={"username": "api.worker", "password": "pw"})
    _assert_problem(form, 415)
    huge = client.post(
        "/api/v1/tokens", json={"username": "api.worker", "password": "p" * (70 * 1024)}
    )
    _assert_problem(huge, 413)


def test_query_parameters_are_validated(client: FlaskClient, worker: User) -> None:
    headers = api_token(client, "api.worker")
    for query, parameter in [
        ("per_page=1000", "per_page"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("colour=red", "colour"),
        ("kind=castle", "kind"),
        ("page=1&page=2", "page"),
    ]:
        response = client.get(f"/api/v1/organisations?{query}", headers=headers)
        problem = _assert_problem(response, 422)
        assert [e["parameter"] for e in problem["errors"]] == [parameter], query


def test_organisations_are_paged_and_filtered(
    client: FlaskClient, worker: User, db: Session
) -> None:
    for i in range(3):
        factories.organisation(db, OrgKind.NGO, name=f"Testijärjestö {i} (fictional)")
    db.commit()
    headers = api_token(client, "api.worker")
    page = client.get("/api/v1/organisations?kind=ngo&per_page=2", headers=headers).json
    assert (page["total"], page["pages"], len(page["items"])) == (3, 2, 2)
    second = client.get("/api/v1/organisations?kind=ngo&per_page=2&page=2", headers=headers).json
    assert [o["name"] for o in second["items"]] == ["Testijärjestö 2 (fictional)"]
    found = client.get("/api/v1/organisations?q=JÄRJESTÖ 1", headers=headers).json
    assert [o["name"] for o in found["items"]] == ["Testijärjestö 1 (fictional)"]
    assert client.get("/api/v1/organisations?q=%25", headers=headers).json["total"] == 0


def test_unknown_paths_and_methods_are_problems_too(client: FlaskClient, worker: User) -> None:
    _assert_problem(client.get("/api/v1/nothing-here"), 404)
    wrong_method = client.put("/api/v1/tokens", json={})
    _assert_problem(wrong_method, 405)
    assert "POST" in wrong_method.headers["Allow"]


def test_the_openapi_document_describes_every_operation(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.0")
    documented = {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    served = {
        (re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint not in {"api.openapi", "api.docs"}
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == served
    token = document["paths"]["/api/v1/tokens"]["post"]
    assert token["security"] == [] and "422" in token["responses"]
    me = document["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"bearer": []}] and "401" in me["responses"]
