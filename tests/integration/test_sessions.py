"""Server-side sessions: a copied cookie dies with its session; lifetimes, lists, ending them."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.commands import open_session
from app.models import Role, User
from app.models.api_token import ApiToken
from app.models.user_session import UserSession
from consent.base import utcnow
from tests import factories
from tests.conftest import api_token, csrf_token, login

COOKIE = "tukiverkko_session"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def sessions_of(db: Session, user: User) -> list[UserSession]:
    db.expire_all()
    return list(db.scalars(select(UserSession).where(UserSession.user_id == user.id)))


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie (a shared terminal)."""
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    other.set_cookie(COOKIE, cookie.value)
    return other


def second_browser(app: Flask, username: str) -> FlaskClient:
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert login(other, username).status_code == 302
    return other


@pytest.fixture
def worker(db: Session) -> User:
    account = factories.user(db, Role.CASEWORKER, factories.organisation(db))
    db.commit()
    return account


def test_the_cookie_carries_only_a_random_id_stored_hashed(
    client: FlaskClient, db: Session, worker: User
) -> None:
    client.environ_base["HTTP_USER_AGENT"] = FIREFOX
    login(client, worker.username)
    [record] = sessions_of(db, worker)
    with client.session_transaction() as cookie:
        secret = cookie["_user_id"]
    assert len(secret) == 43 and str(worker.id) not in secret
    assert record.digest != secret and secret not in record.digest
    assert (record.user_agent, record.assisted_by_id) == ("Firefox, Linux", None)
    assert record.expires_at == record.created_at + timedelta(hours=12)


def test_a_cookie_captured_before_logout_is_refused_after_it(
    app: Flask, client: FlaskClient, db: Session, worker: User
) -> None:
    login(client, worker.username)
    captured = copy_of(app, client)
    assert captured.get("/caseworker/").status_code == 200  # the copy works while signed in
    client.post("/logout", data={"csrf_token": csrf_token(client, "/caseworker/")})
    assert sessions_of(db, worker) == []
    refused = captured.get("/caseworker/")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")


def test_a_client_cookie_captured_before_logout_is_refused_after_it(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    record = factories.county_case(db)
    account = factories.user(db, Role.CLIENT, client=record.client)
    db.commit()
    login(client, account.username)
    captured = copy_of(app, client)
    assert captured.get("/my/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/my/")})
    assert captured.get("/my/").status_code == 302


@pytest.mark.parametrize(
    ("role", "hours"), [(Role.CASEWORKER, 12), (Role.CLIENT, 2)], ids=["staff", "client"]
)
def test_a_session_ends_at_its_absolute_lifetime_however_active(
    client: FlaskClient, db: Session, role: Role, hours: int
) -> None:
    if role is Role.CLIENT:
        account = factories.user(db, role, client=factories.county_case(db).client)
        home = "/my/"
    else:
        account = factories.user(db, role, factories.organisation(db))
        home = "/caseworker/"
    db.commit()
    login(client, account.username)
    [record] = sessions_of(db, account)
    assert record.expires_at - record.created_at == timedelta(hours=hours)
    # Used a minute ago, but signed in one lifetime ago.
    record.created_at = utcnow() - timedelta(hours=hours)
    record.last_seen_at = utcnow() - timedelta(minutes=1)
    db.commit()
    ended = client.get(home)
    assert ended.headers["Location"] == "/login?expired=1"
    assert sessions_of(db, account) == []
    assert "You were signed out" in client.get("/login?expired=1").get_data(as_text=True)


def test_an_idle_session_ends_and_last_seen_is_written_at_most_once_a_minute(
    client: FlaskClient, db: Session, worker: User
) -> None:
    login(client, worker.username)
    [record] = sessions_of(db, worker)
    signed_in_at = record.last_seen_at
    assert client.get("/caseworker/").status_code == 200
    assert sessions_of(db, worker)[0].last_seen_at == signed_in_at  # within the minute: no write
    record = sessions_of(db, worker)[0]
    record.last_seen_at = utcnow() - timedelta(minutes=2)
    db.commit()
    assert client.get("/caseworker/").status_code == 200
    assert utcnow() - sessions_of(db, worker)[0].last_seen_at < timedelta(minutes=1)
    record = sessions_of(db, worker)[0]
    record.last_seen_at = utcnow() - timedelta(minutes=31)  # staff idle out after 30
    db.commit()
    assert client.get("/caseworker/").headers["Location"] == "/login?expired=1"
    assert sessions_of(db, worker) == []


def test_a_page_loads_the_session_and_its_user_in_one_statement(
    client: FlaskClient, db: Session, worker: User, sql_count: list[str]
) -> None:
    login(client, worker.username)
    sql_count.clear()
    assert client.get("/caseworker/").status_code == 200
    touching = [s for s in sql_count if "user_sessions" in s]
    assert len(touching) == 1 and touching[0].lstrip().upper().startswith("SELECT")
    assert "JOIN users" in touching[0]
    assert not [
        s for s in sql_count if s.lstrip().upper().startswith("SELECT") and "FROM users" in s
    ]


def test_sign_out_everywhere_ends_every_session_and_token(
    app: Flask, client: FlaskClient, db: Session, worker: User
) -> None:
    login(client, worker.username)
    elsewhere = second_browser(app, worker.username)
    headers = api_token(app.test_client(), worker.username)
    done = client.post(
        "/account/sign-out-everywhere", data={"csrf_token": csrf_token(client, "/account")}
    )
    assert done.headers["Location"] == "/login"
    assert sessions_of(db, worker) == []
    assert client.get("/caseworker/").status_code == 302
    assert elsewhere.get("/caseworker/").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401


def test_the_list_shows_ones_own_sign_ins_and_ends_one_of_them(
    app: Flask, client: FlaskClient, db: Session, worker: User
) -> None:
    client.environ_base["HTTP_USER_AGENT"] = FIREFOX
    login(client, worker.username)
    elsewhere = second_browser(app, worker.username)
    api_token(app.test_client(), worker.username)
    stranger = factories.user(db, Role.CASEWORKER, factories.organisation(db))
    foreign = open_session(
        db, stranger, now=utcnow(), lifetime=timedelta(hours=1), user_agent=""
    ).record.id
    db.commit()
    page = client.get("/account")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Firefox, Linux" in text and "(this browser)" in text
    assert text.count("End this sign-in") == 2  # the other browser and the API token
    assert str(foreign) not in text
    other_id = next(s.id for s in sessions_of(db, worker) if s.user_agent != "Firefox, Linux")
    token = csrf_token(client, "/account")
    ended = client.post(f"/account/sessions/{other_id}/end", data={"csrf_token": token})
    assert ended.headers["Location"] == "/account"
    assert elsewhere.get("/caseworker/").status_code == 302
    assert client.get("/caseworker/").status_code == 200
    # Someone else's session cannot be ended from here, nor without the CSRF token.
    assert (
        client.post(f"/account/sessions/{foreign}/end", data={"csrf_token": token}).status_code
        == 404
    )
    assert db.get(UserSession, foreign) is not None
    [mine] = [s.id for s in sessions_of(db, worker)]
    assert client.post(f"/account/sessions/{mine}/end").status_code == 400
    [live] = db.scalars(select(ApiToken).where(ApiToken.user_id == worker.id)).all()
    revoked = client.post(f"/account/tokens/{live.id}/revoke", data={"csrf_token": token})
    assert revoked.headers["Location"] == "/account"
    db.expire_all()
    assert db.get(ApiToken, live.id).revoked_at is not None
    # Ending this browser's own session signs it out.
    out = client.post(f"/account/sessions/{mine}/end", data={"csrf_token": token})
    assert out.headers["Location"] == "/login" and sessions_of(db, worker) == []


def test_a_client_has_the_list_in_their_own_pages(client: FlaskClient, db: Session) -> None:
    account = factories.user(db, Role.CLIENT, client=factories.county_case(db).client)
    db.commit()
    login(client, account.username)
    text = client.get("/account").get_data(as_text=True)
    assert "My sign-ins" in text and 'class="portal-nav"' in text
    assert "Programs signed in with your account" not in text  # no tokens: nothing to explain


def test_an_assisted_sign_in_records_the_staff_member_on_the_session(
    client: FlaskClient, db: Session
) -> None:
    world = factories.county_case(db)
    account = factories.user(db, Role.CLIENT, client=world.client)
    db.commit()
    login(client, world.worker.username)
    client.post("/assist", data={"csrf_token": csrf_token(client, "/assist")})
    assert sessions_of(db, world.worker) == []  # the worker's own session ended at the terminal
    client.post(
        "/assist/sign-in",
        data={
            "csrf_token": csrf_token(client, "/assist/sign-in"),
            "username": account.username,
            "password": "pw",
        },
    )
    [record] = sessions_of(db, account)
    assert record.assisted_by_id == world.worker.id
    assert "A staff member was helping you" in client.get("/account").get_data(as_text=True)


def test_maintenance_purges_sessions_that_are_over(
    app: Flask, client: FlaskClient, db: Session, worker: User, caplog: pytest.LogCaptureFixture
) -> None:
    now = utcnow()
    over = open_session(db, worker, now=now, lifetime=timedelta(hours=12), user_agent="").record
    over.last_seen_at = now - timedelta(minutes=45)
    live = open_session(db, worker, now=now, lifetime=timedelta(hours=12), user_agent="").record
    over_id, live_id = over.id, live.id
    db.commit()
    caplog.set_level(logging.INFO, logger="tukiverkko.security")
    result = app.test_cli_runner().invoke(args=["maintenance", "run"])
    assert result.exit_code == 0, result.output
    assert "sessions ended 1" in result.output
    assert [s.id for s in sessions_of(db, worker)] == [live_id]
    [ended] = [r for r in caplog.records if r.name == "tukiverkko.security"]
    assert ended.fields["session_id"] == str(over_id) and ended.fields["reason"] == "idle"  # type: ignore[attr-defined]


def test_a_remember_me_cookie_would_follow_the_session_record(
    app: Flask, client: FlaskClient, db: Session, worker: User
) -> None:
    """Flask-Login's remember cookie is never set; were one presented, it names the same
    session, so it dies at logout too."""
    from flask_login.utils import encode_cookie

    login(client, worker.username)
    with client.session_transaction() as cookie:
        secret = cookie["_user_id"]
    with app.test_request_context():
        remembered = encode_cookie(secret)

    def with_remember_cookie() -> FlaskClient:
        other = app.test_client()
        other.set_cookie("remember_token", remembered)
        return other

    assert with_remember_cookie().get("/caseworker/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/caseworker/")})
    assert with_remember_cookie().get("/caseworker/").status_code == 302
