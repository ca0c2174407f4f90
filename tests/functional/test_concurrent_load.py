"""The embedded default holds concurrency: 16 readers and writers against a real server on SQLite.

The server runs as ``make run`` starts it (``flask keys init``, ``flask db upgrade``,
``flask demo seed``, then ``flask run``, one thread per request) and as production would
(gunicorn with two sync worker processes), on a SQLite file in a temporary instance folder.
Sixteen users, each with a session of their own, sign in at once; then, for a bounded time,
the housing organisation's worker reads the demo client's page, the client reads their own
pages and the caseworker records contacts and reads them back: all about one client, so
every request appends to the same access-log chain. Every answer must be a success; the
log must have grown by exactly the entries the successful requests leave (one per client
and scope each read or wrote, measured one request at a time before the load); and
``flask audit verify`` must pass afterwards.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.live_server import flask_here, flask_run, free_port, gunicorn, seeded_instance, serving

LOAD_SECONDS = 4.0  # per server: the module takes about half a minute on two cores
REQUEST_TIMEOUT = 30.0  # longer than SQLite's busy timeout: a slow answer fails, never hangs
PASSWORD = "demo-tukiverkko"  # the demo world's published password
PARTNER, CLIENT, CASEWORKER = "asuminen.anna", "asiakas.demo1", "sosiaalityo.aino"
MY_PAGES = ("/my/", "/my/plan", "/my/network", "/my/consents")
PARTNER_READERS, CLIENT_READERS, CASEWORKER_WRITERS = 6, 5, 5  # 16 users at once
SUCCESS = frozenset({200, 302, 303})
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

LogKey = tuple[str, str, str, str, int]  # client, actor role, action, scope, allowed


@dataclass(frozen=True)
class Visit:
    """One request of the load: who sends it and how (with the session's CSRF token), and
    whether it reads or writes client data (so leaves access-log entries)."""

    who: str
    send: Callable[[requests.Session, str], requests.Response]
    logged: bool = True


def visits(base_url: str, client_id: str) -> dict[str, Visit]:
    """Every request of the load, by name; all of them about the demo client."""
    contacts = f"{base_url}/caseworker/clients/{client_id}/contacts"

    def get(url: str) -> Callable[[requests.Session, str], requests.Response]:
        return lambda session, _: session.get(url, allow_redirects=False, timeout=REQUEST_TIMEOUT)

    def record_contact(session: requests.Session, token: str) -> requests.Response:
        return session.post(
            contacts,
            data={
                "csrf_token": token,
                "occurred_on": "2026-01-05",
                "occurred_time": "10:30",
                "channel": "phone",
                "note": "Puhelu asunnosta (kuvitteellinen kuormitustesti).",
            },
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
        )

    named = {
        "partner reads the client's page": Visit(
            PARTNER, get(f"{base_url}/partner/clients/{client_id}")
        ),
        "caseworker reads the contacts": Visit(CASEWORKER, get(contacts)),
        "caseworker records a contact": Visit(CASEWORKER, record_contact),
    }
    for path in MY_PAGES:
        named[f"client reads {path}"] = Visit(CLIENT, get(f"{base_url}{path}"))
    return named


class SignInFailed(Exception):
    """Raised when signing in does not end on the user's home page."""


def sign_in(base_url: str, username: str) -> tuple[requests.Session, str]:
    """A session signed in as ``username``, and its CSRF token (valid for the session).

    :raises SignInFailed: when a step answers anything but success.
    """
    session = requests.Session()
    session.headers["Accept-Language"] = "en"
    # A browser sends the page's address as Referer (the app's policy is same-origin), which
    # Flask-WTF compares over HTTPS with the host the proxy passes on: nginx's $host, without
    # a port (production listens on 443; a test's nginx on another port).
    address = urlsplit(base_url)
    session.headers["Referer"] = f"{address.scheme}://{address.hostname}/"
    login = session.get(f"{base_url}/login", timeout=REQUEST_TIMEOUT)
    token = CSRF.search(login.text)
    if login.status_code != 200 or not token:
        raise SignInFailed(f"GET /login: {login.status_code}")
    home = session.post(
        f"{base_url}/login",
        data={"csrf_token": token.group(1), "username": username, "password": PASSWORD},
        timeout=REQUEST_TIMEOUT,
    )
    token = CSRF.search(home.text)
    if home.status_code != 200 or not home.history or not token:
        steps = [answer.status_code for answer in [*home.history, home]]
        raise SignInFailed(f"POST /login as {username}: {steps}")
    return session, token.group(1)


def bearer(base_url: str, username: str) -> dict[str, str]:
    """The ``Authorization`` header of a new API token for ``username``."""
    token = requests.post(
        f"{base_url}/api/v1/tokens",
        json={"username": username, "password": PASSWORD},
        timeout=REQUEST_TIMEOUT,
    )
    assert token.status_code == 201, token.text
    return {"Authorization": f"Bearer {token.json()['token']}"}


def demo_client_id(base_url: str) -> str:
    me = requests.get(
        f"{base_url}/api/v1/me", headers=bearer(base_url, CLIENT), timeout=REQUEST_TIMEOUT
    )
    assert me.status_code == 200, me.text
    return str(me.json()["client_id"])


def log_entries(database_url: str) -> Counter[LogKey]:
    """The access log's entries counted by client, actor role, action, scope and outcome."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT client_id, actor_role, action, scope, allowed, count(*)"
                    " FROM access_log GROUP BY client_id, actor_role, action, scope, allowed"
                )
            ).all()
    finally:
        engine.dispose()
    return Counter(
        {(str(c), role, action, scope, int(ok)): n for c, role, action, scope, ok, n in rows}
    )


def calibrate(
    base_url: str, named: dict[str, Visit], database_url: str
) -> dict[str, Counter[LogKey]]:
    """The log entries each request leaves, measured one request at a time."""
    sessions = {who: sign_in(base_url, who) for who in {visit.who for visit in named.values()}}
    each = {}
    for name, visit in named.items():
        before = log_entries(database_url)
        answer = visit.send(*sessions[visit.who])
        assert answer.status_code in SUCCESS, f"{name}, alone: {answer.status_code}"
        each[name] = log_entries(database_url) - before
        if visit.logged:
            assert each[name], f"{name} left no log entry, so it does not test the log"
        else:
            assert not each[name], f"{name} left log entries: {dict(each[name])}"
    return each


@dataclass
class Tally:
    """What the users saw: successes by request name, and every failure."""

    successes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, name: str, visit: Visit, session: requests.Session, token: str) -> None:
        try:
            answer = visit.send(session, token)
        except requests.RequestException as error:
            self.fail(name, f"{type(error).__name__}: {error}")
            return
        if answer.status_code in SUCCESS:
            with self.lock:
                self.successes[name] += 1
        else:
            self.fail(name, str(answer.status_code))

    def fail(self, name: str, detail: str) -> None:
        with self.lock:
            self.failures.append(f"{name}: {detail}")


def sixteen_users(named: dict[str, Visit]) -> list[tuple[str, list[str]]]:
    """Who sends what: 6 partner readers, 5 client readers, 5 caseworkers reading and writing."""
    mine = [name for name, visit in named.items() if visit.who == CLIENT]
    return (
        [(PARTNER, ["partner reads the client's page"])] * PARTNER_READERS
        + [(CLIENT, mine[n:] + mine[:n]) for n in range(CLIENT_READERS)]
        + [(CASEWORKER, ["caseworker reads the contacts", "caseworker records a contact"])]
        * CASEWORKER_WRITERS
    )


def drive(
    base_url: str,
    named: dict[str, Visit],
    database_url: str,
    users: list[tuple[str, list[str]]],
    meanwhile: Callable[[], object] = lambda: time.sleep(LOAD_SECONDS),
) -> tuple[Tally, Counter[LogKey]]:
    """The users (username, the requests they send in turn) sign in at once, then read and
    write while ``meanwhile`` runs (``LOAD_SECONDS`` by default); returns what they saw and
    the log entries appended meanwhile (counted from after the sign-ins)."""
    tally = Tally()
    signed_in = threading.Barrier(len(users) + 1, timeout=60)
    counted = threading.Barrier(len(users) + 1, timeout=60)
    stop = threading.Event()

    def user(username: str, cycle: list[str]) -> None:
        try:
            session, token = sign_in(base_url, username)
        except (SignInFailed, requests.RequestException) as error:
            tally.fail("sign in", str(error))
            signed_in.wait()
            counted.wait()
            return
        signed_in.wait()
        counted.wait()
        for name in itertools.cycle(cycle):
            if stop.is_set():
                return
            tally.send(name, named[name], session, token)

    threads = [threading.Thread(target=user, args=args, daemon=True) for args in users]
    for thread in threads:
        thread.start()
    signed_in.wait()
    before = log_entries(database_url)
    counted.wait()
    try:
        meanwhile()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=2 * REQUEST_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a user never got an answer"
    return tally, log_entries(database_url) - before


SERVERS = {
    "flask run": flask_run,
    "gunicorn, 2 sync workers": lambda port: gunicorn(port, workers=2),
}


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """A demo instance as ``make run`` makes it (keys, schema, demo world); both servers use it."""
    tmp = tmp_path_factory.mktemp("concurrent_load")
    return seeded_instance(tmp, "load.db"), tmp


@pytest.mark.parametrize("server", list(SERVERS))
def test_sixteen_users_read_and_write_at_once_without_a_failure_or_a_lost_log_entry(
    instance: tuple[dict[str, str], Path], server: str
) -> None:
    if server.startswith("gunicorn"):
        pytest.importorskip("gunicorn")
    env, tmp = instance
    database_url = env["TUKIVERKKO_DATABASE_URL"]
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp / f"{server.split()[0]}.log"
    with serving(SERVERS[server](port), env, base_url=base_url, log_path=log_path):
        named = visits(base_url, demo_client_id(base_url))
        each = calibrate(base_url, named, database_url)
        tally, appended = drive(base_url, named, database_url, sixteen_users(named))

    check_load(server, named, each, tally, appended, log_path.read_text(errors="replace"))
    audit_verify(env)


def check_load(
    label: str,
    named: dict[str, Visit],
    each: dict[str, Counter[LogKey]],
    tally: Tally,
    appended: Counter[LogKey],
    server_log: str,
) -> None:
    """Every answer was a success, every request ran, and the log grew by exactly the entries
    of the successful requests (``each``, from ``calibrate``)."""
    answers = sum(tally.successes.values()) + len(tally.failures)
    seen = f"{label}: {answers} answers, {len(tally.failures)} failed; {dict(tally.successes)}"
    print(seen)  # with -rP: what the load did
    locked = server_log.count("database is locked")
    assert not tally.failures, (
        f"{seen}\nfailures: {Counter(tally.failures).most_common(8)}\n"
        f"'database is locked' in the server log: {locked} times"
    )
    assert all(tally.successes[name] for name in named), f"a request never ran: {seen}"

    expected: Counter[LogKey] = Counter()
    for name, entries in each.items():
        for key, count in entries.items():
            expected[key] += count * tally.successes[name]
    assert appended == expected, (
        f"{seen}\nmissing log entries: {dict(expected - appended)}\n"
        f"unexpected log entries: {dict(appended - expected)}"
    )


def audit_verify(env: dict[str, str]) -> None:
    """``flask audit verify`` passes."""
    verified = flask_here(env, "audit", "verify")
    assert verified.startswith("ok:"), verified
