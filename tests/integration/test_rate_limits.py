"""Rate limits on guessing (``app.rate_limits``) and the database storage they count in.

An unknown username is answered exactly like a wrong password, limits included; an attacker's
address is refused while the owner signs in from another; the API shares the sign-in page's
limits; tokens per account are limited; the client address is the proxy's report only when a
proxy is configured; two app instances on one database count together.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from limits.storage import MemoryStorage
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app import create_app
from app.extensions import db as flask_db
from app.extensions import db_session
from app.models import Role
from app.models.rate_limit import rate_limit_counters as counters
from app.rate_limit_storage import DatabaseStorage, purge_expired
from app.rate_limits import LIMITER
from consent.base import Base
from sharing.keys import Keyring
from tests import factories
from tests.conftest import (
    BACKENDS,
    app_with,
    csrf_token,
    fresh_postgresql_database,
    make_settings,
    smallest_limit,
)

ATTACKER = "203.0.113.9"
OWNER = "198.51.100.7"
WRONG = "not the password"
CSRF_VALUE = re.compile(r'(name="csrf_token" type="hidden" value=")[^"]+')
COOKIE_VALUE = re.compile(r"^([^=]+=)[^;]*")
RANDOM_HEADERS = {"X-Request-ID"}  # a new id for every request


def browser(app: Flask) -> FlaskClient:
    """A browser of its own (cookies apart from ``client``'s)."""
    made = app.test_client()
    made.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return made


def sign_in(  # type: ignore[no-untyped-def]
    client: FlaskClient,
    username: str,
    password: str = WRONG,
    *,
    address: str = ATTACKER,
    headers: dict[str, str] | None = None,
):
    data = {"csrf_token": csrf_token(client), "username": username, "password": password}
    return client.post(
        "/login", data=data, environ_overrides={"REMOTE_ADDR": address}, headers=headers or {}
    )


def token(client: FlaskClient, username: str, password: str = WRONG, *, address: str = ATTACKER):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/tokens",
        json={"username": username, "password": password},
        environ_overrides={"REMOTE_ADDR": address},
    )


def comparable(response: TestResponse, typed: str) -> tuple[int, str, list[tuple[str, str]]]:
    """Status, body and headers, without what differs in every answer anyway: the username
    as typed (kept in the form), the CSRF token and the session cookie's signed value, the
    request id, and Retry-After (seconds that tick between two answers; compared apart)."""
    body = CSRF_VALUE.sub(r"\1…", response.get_data(as_text=True)).replace(typed, "…")
    headers = sorted(
        (name, COOKIE_VALUE.sub(r"\1…", value) if name == "Set-Cookie" else value)
        for name, value in response.headers.items()
        if name not in RANDOM_HEADERS and name != "Retry-After"
    )
    return response.status_code, body, headers


def retry_after(response: TestResponse) -> int:
    return int(response.headers.get("Retry-After", "0"))


def caseworker(db: Session, username: str) -> None:
    factories.user(db, Role.CASEWORKER, factories.organisation(db), username=username)
    db.commit()


# -- the same answer whether or not the username exists ------------------------------------


def test_twenty_wrong_passwords_answer_alike_for_an_existing_and_an_unknown_username(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    existing, absent = "tunnus.olemassa", "tunnus.puuttuva"  # as long as each other
    caseworker(db, existing)
    unknown = browser(app)
    pairs = [
        (
            sign_in(client, existing, address="203.0.113.1"),
            sign_in(unknown, absent, address="203.0.113.2"),
        )
        for _ in range(20)
    ]
    allowed = smallest_limit(app, "sign_in_failures_per_account")
    statuses = [known_answer.status_code for known_answer, _ in pairs]
    assert statuses == [200] * allowed + [429] * (20 - allowed)  # the limit did engage
    assert "Wrong username or password." in pairs[0][0].get_data(as_text=True)
    for known_answer, unknown_answer in pairs:
        assert comparable(known_answer, existing) == comparable(unknown_answer, absent)
        assert abs(retry_after(known_answer) - retry_after(unknown_answer)) <= 1


# -- an attack slows the attacker, never the owner -----------------------------------------


def test_an_attackers_address_is_refused_while_the_owner_signs_in_from_another(
    app: Flask, client: FlaskClient, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caseworker(db, "kohde")
    for _ in range(smallest_limit(app, "sign_in_failures_per_account")):
        assert sign_in(client, "kohde").status_code == 200
    with caplog.at_level(logging.WARNING, logger="tukiverkko.security"):
        refused = sign_in(client, "kohde", "pw")  # even the right password, from there
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert 0 < retry_after(refused) <= 60
    page = refused.get_data(as_text=True)
    assert "Too many attempts" in page and "Try again in 1 minute." in page
    [event] = [
        r
        for r in caplog.records
        if r.name == "tukiverkko.security" and r.fields["event"] == "throttled"  # type: ignore[attr-defined]
    ]
    assert event.fields["address"] == ATTACKER  # type: ignore[attr-defined]
    assert "kohde" not in str(event.fields)  # type: ignore[attr-defined]

    owner = browser(app)
    signed_in = sign_in(owner, "kohde", "pw", address=OWNER)
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == "/caseworker/"


def test_a_password_spray_from_one_address_is_refused_across_usernames(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    allowed = smallest_limit(app, "sign_in_failures_per_address")
    for n in range(allowed):
        assert sign_in(client, f"arvaus{n}").status_code == 200
    assert sign_in(client, "vielä.yksi").status_code == 429
    assert sign_in(browser(app), "vielä.yksi", address=OWNER).status_code == 200


def test_the_refusal_is_in_the_readers_language(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    for _ in range(smallest_limit(app, "sign_in_failures_per_account")):
        sign_in(client, "kuka.tahansa")
    finnish = sign_in(client, "kuka.tahansa", headers={"Accept-Language": "fi"})
    assert finnish.status_code == 429
    assert "Liian monta yritystä" in finnish.get_data(as_text=True)
    swedish = sign_in(client, "kuka.tahansa", headers={"Accept-Language": "sv"})
    assert "För många försök" in swedish.get_data(as_text=True)


# -- the API: the same limits, problem details, and tokens per account ---------------------


def test_the_api_counts_with_the_sign_in_page_and_answers_a_problem_with_retry_after(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    caseworker(db, "api.kohde")
    for n in range(smallest_limit(app, "sign_in_failures_per_account")):
        wrong = token(client, "api.kohde") if n % 2 else sign_in(client, "api.kohde")
        assert wrong.status_code == (401 if n % 2 else 200)
    refused = token(client, "api.kohde", "pw")
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    seconds = retry_after(refused)
    assert 0 < seconds <= 60
    assert refused.json is not None
    assert refused.json["detail"] == f"Too many attempts. Try again in {seconds} seconds."
    assert token(client, "api.kohde", "pw", address=OWNER).status_code == 201


def test_tokens_issued_to_one_account_are_limited_from_every_address(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    caseworker(db, "api.kone")
    for _ in range(smallest_limit(app, "tokens_per_account")):
        assert token(client, "api.kone", "pw", address=OWNER).status_code == 201
    assert token(client, "api.kone", "pw", address="198.51.100.8").status_code == 429


# -- the client's address: a proxy's report only when a proxy is configured ----------------


@pytest.fixture
def behind_a_proxy(app: Flask, db: Session) -> Iterator[Flask]:
    """The app as configured behind one reverse proxy (``TUKIVERKKO_PROXY_COUNT=1``)."""
    with app_with(app, proxy_count=1) as proxied:
        yield proxied


def test_behind_a_proxy_the_address_is_the_one_the_proxy_appended(
    behind_a_proxy: Flask, db: Session
) -> None:
    caseworker(db, "proxyn.takana")
    client = browser(behind_a_proxy)

    def attempt(forwarded_for: str, password: str = WRONG) -> int:
        headers = {"X-Forwarded-For": forwarded_for}
        # REMOTE_ADDR is the proxy's own address.
        return int(
            sign_in(
                client, "proxyn.takana", password, address="127.0.0.1", headers=headers
            ).status_code
        )

    for _ in range(smallest_limit(behind_a_proxy, "sign_in_failures_per_account")):
        assert attempt(ATTACKER) == 200
    assert attempt(ATTACKER) == 429
    # The client's own X-Forwarded-For comes first; the proxy appends the address it saw.
    assert attempt(f"{OWNER}, {ATTACKER}") == 429
    assert attempt(OWNER, "pw") == 302  # another client behind the same proxy


def test_without_a_proxy_a_forwarded_address_is_ignored(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    allowed = smallest_limit(app, "sign_in_failures_per_account")
    for n in range(allowed):
        forged = {"X-Forwarded-For": f"192.0.2.{n + 1}"}
        assert sign_in(client, "kuka.vain", headers=forged).status_code == 200
    forged = {"X-Forwarded-For": "192.0.2.200"}
    assert sign_in(client, "kuka.vain", headers=forged).status_code == 429


def test_an_ipv6_address_counts_by_its_64_which_one_subscriber_holds(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    for n in range(smallest_limit(app, "sign_in_failures_per_account")):
        assert sign_in(client, "kuka.vain", address=f"2001:db8:1:2::{n + 1:x}").status_code == 200
    assert sign_in(client, "kuka.vain", address="2001:db8:1:2:ffff::1").status_code == 429
    assert sign_in(client, "kuka.vain", address="2001:db8:1:3::1").status_code == 200


# -- shared by every worker: two app instances on one database ------------------------------


@pytest.fixture(params=BACKENDS)
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database whose requests commit for real (not the per-test rollback)."""
    if request.param == "postgresql":
        url = fresh_postgresql_database()
    else:
        url = f"sqlite:///{tmp_path / 'shared.db'}"
        engine = create_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
    yield url
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    engine.dispose()


def test_two_app_instances_on_one_database_count_together(
    shared_database: str, keyring: Keyring, tmp_path: Path
) -> None:
    first, second = (
        create_app(make_settings(shared_database, tmp_path / name, keyring))
        for name in ("first", "second")
    )
    try:
        with first.app_context():
            caseworker(db_session(), "jaettu")
        one, other = browser(first), browser(second)
        allowed = smallest_limit(first, "sign_in_failures_per_account")
        for n in range(allowed):
            assert sign_in(one if n % 2 else other, "jaettu").status_code == 200
        assert sign_in(one, "jaettu", "pw").status_code == 429
        assert sign_in(other, "jaettu", "pw").status_code == 429
        assert sign_in(other, "jaettu", "pw", address=OWNER).status_code == 302
    finally:
        for app in (first, second):
            with app.app_context():
                flask_db.session.remove()
                flask_db.engine.dispose()


def test_a_configured_storage_url_is_used_instead_of_the_database(app: Flask) -> None:
    """``TUKIVERKKO_RATELIMIT_STORAGE_URL`` (Redis in production; memory here, where it is
    allowed): each app has its limiter, so another app's storage never leaks into this one."""
    with app_with(app, ratelimit_storage_url="memory://") as elsewhere:
        assert isinstance(elsewhere.extensions[LIMITER].storage, MemoryStorage)
    assert isinstance(app.extensions[LIMITER].storage, DatabaseStorage)


# -- the storage itself --------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2027, 3, 1, 12, 0, tzinfo=UTC).timestamp()

    def __call__(self) -> float:
        return self.now


def test_a_counter_counts_within_its_window_and_starts_again_after_it(
    app: Flask, db: Session
) -> None:
    clock = Clock()
    storage = DatabaseStorage(session=lambda: db(), clock=clock)
    assert storage.get("k") == 0 and storage.get_expiry("k") == clock.now
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.incr("k", 60, amount=2) == 5
    assert storage.get("k") == 5
    assert storage.get_expiry("k") == clock.now + 60  # from the first hit, not the last
    clock.now += 59
    assert storage.incr("k", 60) == 6
    clock.now += 1  # the window has ended: the row is reused for a new one
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1
    assert storage.get_expiry("k") == clock.now + 60
    storage.incr("other", 10)
    storage.clear("other")
    assert storage.get("other") == 0
    assert storage.check()


def test_maintenance_deletes_only_the_counters_past_their_window(app: Flask, db: Session) -> None:
    clock = Clock()
    storage = DatabaseStorage(session=lambda: db(), clock=clock)
    storage.incr("short", 10)
    storage.incr("long", 100)
    now = datetime.fromtimestamp(clock.now + 50, UTC)
    assert purge_expired(db, now=now) == 1
    assert db.scalars(select(counters.c.key)).all() == ["long"]
    assert db.scalar(select(func.count()).select_from(counters)) == 1
