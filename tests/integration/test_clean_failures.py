"""Bad input and a lost database end in a clear 4xx or 503, never a 500.

Oversized forms get a 413 page in the reader's language (the error page reads nothing of the
body again); JSON that is not text, or nests too deep, is a 400 problem; a form that is not
UTF-8 is a 400 page; with the database unreachable, pages answer 503 and the API a 503
problem. Absolute URLs come from the configured public address, whatever ``Host`` says.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login.utils import _create_identifier
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app import create_app
from app.extensions import db as flask_db
from app.issued_secrets import new_token
from sharing.keys import Keyring
from tests import factories
from tests.conftest import api_token, app_with, csrf_token, login, make_settings

HTML = "text/html"
PROBLEM = "application/problem+json"
MIB = 1024 * 1024
Send = Callable[[FlaskClient], TestResponse]


def form(path: str, size: int, *, with_token: bool = True) -> Send:
    def send(client: FlaskClient) -> TestResponse:
        data = {"username": "x" * size, "password": "y"}
        if with_token:
            data["csrf_token"] = csrf_token(client, path)
        return client.post(path, data=data)

    return send


def raw_json(body: bytes) -> Send:
    def send(client: FlaskClient) -> TestResponse:
        return client.post("/api/v1/tokens", data=body, content_type="application/json")

    return send


def undecodable_form(client: FlaskClient) -> TestResponse:
    token = csrf_token(client)
    body = f"csrf_token={token}&username=%FF%FEkuka&password=x".encode()
    return client.post("/login", data=body, content_type="application/x-www-form-urlencoded")


DEEP = ("[" * 5000 + "]" * 5000).encode()
CASES: dict[str, tuple[Send, int, str]] = {
    "a 10 MB form to /login": (form("/login", 10 * MIB), 413, HTML),
    "a 1.5 MB form to /login": (form("/login", 3 * MIB // 2), 413, HTML),
    "a 10 MB form to /activate": (form("/activate", 10 * MIB), 413, HTML),
    "a 1.5 MB form to /activate": (form("/activate", 3 * MIB // 2), 413, HTML),
    "a 1.5 MB form without its CSRF token": (
        form("/login", 3 * MIB // 2, with_token=False),
        413,
        HTML,
    ),
    "a form that is not UTF-8": (undecodable_form, 400, HTML),
    "a 100 KB JSON body": (
        raw_json(json.dumps({"username": "x" * 100_000, "password": "y"}).encode()),
        413,
        PROBLEM,
    ),
    "a lone surrogate in JSON": (
        raw_json(b'{"username": "\\ud800", "password": "x"}'),
        400,
        PROBLEM,
    ),
    "a lone surrogate in a JSON key": (raw_json(b'{"\\udfff": 1}'), 400, PROBLEM),
    "JSON nested 5,000 deep": (
        raw_json(b'{"username": ' + DEEP + b', "password": "x"}'),
        400,
        PROBLEM,
    ),
    "JSON nested 40 deep": (raw_json(b"[" * 40 + b"]" * 40), 400, PROBLEM),
    "JSON that is not UTF-8": (
        raw_json(b'{"username": "\xff\xfe", "password": "x"}'),
        400,
        PROBLEM,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_with_its_own_status_never_500(
    client: FlaskClient, db: Session, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    send, status, mimetype = CASES[case]
    with caplog.at_level(logging.ERROR):
        response = send(client)
    assert (response.status_code, response.mimetype) == (status, mimetype)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "an error was logged"
    if mimetype == PROBLEM:
        assert response.json is not None and response.json["status"] == status


def test_the_too_large_page_is_in_the_readers_language(client: FlaskClient, db: Session) -> None:
    for language, title in [
        ("fi", "Pyyntö oli liian suuri"),
        ("sv", "Begäran var för stor"),
        ("en", "The request was too large"),
    ]:
        response = client.post(
            "/login", data={"username": "x" * (2 * MIB)}, headers={"Accept-Language": language}
        )
        assert response.status_code == 413
        page = response.get_data(as_text=True)
        assert f'<html lang="{language}">' in page and f"<h1>{title}</h1>" in page


def test_a_json_problem_says_what_was_wrong(client: FlaskClient, db: Session) -> None:
    surrogate = raw_json(b'{"username": "\\ud800", "password": "x"}')(client)
    assert "lone surrogate" in surrogate.json["detail"]  # type: ignore[index]
    deep = raw_json(b'{"username": ' + DEEP + b', "password": "x"}')(client)
    assert "nests deeper than 32 levels" in deep.json["detail"]  # type: ignore[index]


# -- the database is gone ------------------------------------------------------------------


@pytest.fixture
def database_down(keyring: Keyring, tmp_path: Path) -> Iterator[Flask]:
    """The app pointed at a PostgreSQL server that is not there (nothing listens on port 1)."""
    url = "postgresql+psycopg://tukiverkko:tukiverkko@127.0.0.1:1/tukiverkko"
    app = create_app(make_settings(url, tmp_path, keyring))
    yield app
    with app.app_context():
        flask_db.engine.dispose()


def test_without_the_database_pages_answer_503_and_the_api_a_problem(
    database_down: Flask,
) -> None:
    client = database_down.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    signing_in = client.post(
        "/login", data={"csrf_token": csrf_token(client), "username": "kuka", "password": "x"}
    )
    assert (signing_in.status_code, signing_in.mimetype) == (503, HTML)
    assert signing_in.headers["Retry-After"] == "60"
    assert "The service is not available right now" in signing_in.get_data(as_text=True)

    # A signed-in user's page: loading the user needs the database, the 503 page does not.
    with database_down.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()  # Flask-Login's "strong" session protection
    with client.session_transaction() as session:
        session.update(_user_id=new_token(), _id=identifier, _fresh=True)  # a session's shape
    page = client.get("/caseworker/")
    assert (page.status_code, page.mimetype) == (503, HTML)
    assert "Sign out" not in page.get_data(as_text=True)  # drawn as if signed out

    # A person's link is looked up before the view runs; the 503 page needs nothing from it.
    link = client.get("/p/some-link-token")
    assert (link.status_code, link.mimetype) == (503, HTML)
    assert "Nothing you entered was saved." in link.get_data(as_text=True)

    api = client.post("/api/v1/tokens", json={"username": "kuka", "password": "x"})
    assert (api.status_code, api.mimetype) == (503, PROBLEM)
    assert api.json is not None and api.json["status"] == 503
    assert client.get("/readyz").status_code == 503


# -- absolute URLs from the public address, not from Host ----------------------------------

PUBLIC_URL = "https://tukiverkko.example.fi"


@pytest.fixture
def published(app: Flask, db: Session) -> Iterator[Flask]:
    """The app configured with a public address of its own (``TUKIVERKKO_PUBLIC_URL``)."""
    with app_with(app, public_url=PUBLIC_URL) as public:
        yield public


def test_links_and_fhir_urls_come_from_the_public_address_not_the_host_header(
    published: Flask, db: Session
) -> None:
    made = factories.county_case(db)
    db.commit()
    client = published.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.environ_base["HTTP_HOST"] = "evil.example"
    login(client, made.worker.username)
    access = f"/caseworker/clients/{made.client.id}/portal-access"
    slip = client.post(f"{access}/codes", data={"csrf_token": csrf_token(client, access)})
    assert slip.status_code == 200
    assert f"Go to {PUBLIC_URL}/activate" in slip.get_data(as_text=True)

    headers = api_token(client, made.worker.username)
    bundle = client.get(f"/api/v1/clients/{made.client.id}/fhir", headers=headers)
    assert bundle.status_code == 200
    text = bundle.get_data(as_text=True)
    assert f"{PUBLIC_URL}/fhir/CodeSystem/" in text
    assert "evil.example" not in text + slip.get_data(as_text=True)


def test_no_absolute_url_is_built_from_the_request() -> None:
    """Every absolute URL goes through ``app.public_url``; a new one from the request fails."""
    root = Path(__file__).resolve().parents[2] / "app"
    pattern = re.compile(r"_external\s*=\s*True|url_root|host_url|request\.host\b")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*"))
        if path.suffix in {".py", ".html"} and path.name != "public_url.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
