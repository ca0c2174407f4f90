"""Passwords: one rule everywhere, a change ends the other sessions, a one-time password set by
an administrator, re-hashing when the cost parameters change, deactivation."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Role, User
from app.models.api_token import ApiToken
from app.models.rate_limit import rate_limit_counters as counters
from app.models.user_session import UserSession
from app.security import password_hasher
from tests import factories
from tests.conftest import api_token, csrf_token, login

GOOD = "sininen kettu juoksee metsässä"
NEWER = "keltainen pyörä ja vanha silta"


def reload(db: Session, user: User) -> User:
    db.expire_all()
    found = db.get(User, user.id)
    assert found is not None
    return found


def browser(app: Flask, username: str, password: str = "pw") -> FlaskClient:
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert login(other, username, password).status_code == 302
    return other


def change(client: FlaskClient, current: str, new: str, confirm: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client, "/account/password"),
            "current_password": current,
            "password": new,
            "confirm": new if confirm is None else confirm,
        },
    )


@pytest.fixture
def worker(db: Session) -> User:
    account = factories.user(
        db, Role.CASEWORKER, factories.organisation(db), username="matti.virtanen"
    )
    account.display_name = "Matti Virtanen"
    db.commit()
    return account


def test_a_password_change_ends_every_other_session_and_token(
    app: Flask, client: FlaskClient, db: Session, worker: User
) -> None:
    login(client, worker.username)
    elsewhere = browser(app, worker.username)
    headers = api_token(app.test_client(), worker.username)
    done = change(client, "pw", GOOD)
    assert done.headers["Location"] == "/caseworker/"
    assert client.get("/caseworker/").status_code == 200  # this browser stays signed in
    assert elsewhere.get("/caseworker/").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401
    assert len(db.scalars(select(UserSession).where(UserSession.user_id == worker.id)).all()) == 1
    assert login(app.test_client(), worker.username, "pw").status_code == 200  # old one refused
    assert login(app.test_client(), worker.username, GOOD).status_code == 302


def test_the_current_password_is_required_and_a_wrong_one_counts(
    client: FlaskClient, db: Session, worker: User
) -> None:
    login(client, worker.username)
    refused = change(client, "not it", GOOD)
    assert refused.status_code == 400
    assert "That is not your current password." in refused.get_data(as_text=True)
    # Counted as a failed sign-in from this address (app.rate_limits), never locking the account.
    counted = db.scalars(select(counters.c.hits).where(counters.c.key.contains("/sign-in/address")))
    assert set(counted) == {1}
    assert password_hasher().verify(reload(db, worker).password_hash or "", "pw")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("kissa", "at least 12 characters"),
        ("aaaaaaaaaaaaaaaa", "easy to guess"),
        ("qwertyuiop123", "Many people use this password"),
        ("password1234", "Many people use this password"),
        ("Matti.Virtanen1", "too close to your name or username"),
        ("virtanenmatti!", "too close to your name or username"),
    ],
)
def test_weak_passwords_are_refused_with_advice_on_a_passphrase(
    client: FlaskClient, db: Session, worker: User, password: str, message: str
) -> None:
    login(client, worker.username)
    refused = change(client, "pw", password)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert message in page
    assert "words" in page  # every refusal says how to choose a better one
    assert password not in page  # the form does not echo a password back
    assert password_hasher().verify(reload(db, worker).password_hash or "", "pw")


def test_the_refusal_is_in_the_readers_language(
    client: FlaskClient, db: Session, worker: User
) -> None:
    login(client, worker.username)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fi"
    page = change(client, "pw", "password1234").get_data(as_text=True)
    assert "Moni käyttää tätä salasanaa" in page


def test_an_administrator_sets_a_one_time_password(
    app: Flask, client: FlaskClient, db: Session, worker: User
) -> None:
    admin = factories.user(db, Role.ADMIN)
    db.commit()
    existing = browser(app, worker.username)
    headers = api_token(app.test_client(), worker.username)
    login(client, admin.username)
    path = f"/admin/users/{worker.id}"
    assert worker.username in client.get("/admin/users").get_data(as_text=True)
    weak = client.post(
        path + "/password",
        data={
            "csrf_token": csrf_token(client, path),
            "password": "Virtanen123",
            "confirm": "Virtanen123",
        },
    )
    assert weak.status_code == 400 and "at least 12 characters" in weak.get_data(as_text=True)
    done = client.post(
        path + "/password",
        data={"csrf_token": csrf_token(client, path), "password": GOOD, "confirm": GOOD},
    )
    assert done.headers["Location"] == path
    assert reload(db, worker).password_must_change
    assert existing.get("/caseworker/").status_code == 302  # every session of theirs ended
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401

    # The one-time password signs in, but nothing works before a new one is chosen.
    user = app.test_client()
    user.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert login(user, worker.username, GOOD).headers["Location"] == "/account/password"
    for page in ("/caseworker/", "/account", "/caseworker/intake"):
        assert user.get(page).headers["Location"] == "/account/password", page
    assert "works only once" in user.get("/account/password").get_data(as_text=True)
    token = app.test_client().post(
        "/api/v1/tokens", json={"username": worker.username, "password": GOOD}
    )
    assert token.status_code == 403
    assert change(user, GOOD, NEWER).headers["Location"] == "/caseworker/"
    assert user.get("/caseworker/").status_code == 200
    assert not reload(db, worker).password_must_change
    assert login(app.test_client(), worker.username, GOOD).status_code == 200  # single use


def test_deactivation_ends_every_session_and_token_and_cannot_lock_out_oneself(
    app: Flask, client: FlaskClient, db: Session, worker: User
) -> None:
    admin = factories.user(db, Role.ADMIN)
    db.commit()
    existing = browser(app, worker.username)
    api_token(app.test_client(), worker.username)
    login(client, admin.username)
    path = f"/admin/users/{worker.id}"
    done = client.post(path + "/deactivate", data={"csrf_token": csrf_token(client, path)})
    assert done.headers["Location"] == path
    assert existing.get("/caseworker/").status_code == 302
    tokens = db.scalars(select(ApiToken).where(ApiToken.user_id == worker.id)).all()
    assert tokens and all(t.revoked_at is not None for t in tokens)
    assert login(app.test_client(), worker.username).status_code == 200  # refused
    client.post(path + "/reactivate", data={"csrf_token": csrf_token(client, path)})
    assert login(app.test_client(), worker.username).status_code == 302

    own = f"/admin/users/{admin.id}"
    refused = client.post(own + "/deactivate", data={"csrf_token": csrf_token(client, own)})
    assert refused.headers["Location"] == own
    assert "You cannot deactivate your own account." in client.get(own).get_data(as_text=True)
    assert reload(db, admin).active
    # A client's sign-in is locked, not deactivated, and gets no one-time password: the
    # administrator's page of it shows its state only (app.web.admin.clients).
    record = factories.county_case(db)
    account = factories.user(db, Role.CLIENT, client=record.client)
    db.commit()
    page = client.get(f"/admin/users/{account.id}").get_data(as_text=True)
    assert "Lock the client's sign-in" in page and "Set a one-time password" not in page
    path = f"/admin/users/{account.id}"
    for action in ("/deactivate", "/password"):
        assert (
            client.post(path + action, data={"csrf_token": csrf_token(client, path)}).status_code
            == 404
        )


def test_a_client_changes_their_password_in_plain_words(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    account = factories.user(db, Role.CLIENT, client=factories.county_case(db).client)
    db.commit()
    login(client, account.username)
    page = client.get("/account/password").get_data(as_text=True)
    assert 'class="portal-nav"' in page and "you are signed out everywhere else" in page
    assert change(client, "pw", GOOD).headers["Location"] == "/my/"


def test_a_login_rehashes_a_password_made_with_other_cost_parameters(
    client: FlaskClient, db: Session, worker: User
) -> None:
    old = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash("pw")
    reload(db, worker).password_hash = old
    db.commit()
    assert password_hasher().check_needs_rehash(old)
    assert login(client, worker.username).status_code == 302
    stored = reload(db, worker).password_hash or ""
    assert stored != old and not password_hasher().check_needs_rehash(stored)
    assert password_hasher().verify(stored, "pw")
