"""Micro-benchmarks: the decision, the log append, the log's verification, statements per page.

    .venv/bin/python -m benchmarks.micro --clients 1000

Each measures one cost of the shared-section read on a generated data set, beside the
thing it should be compared with:

- **The consent decision including its lookup**, per call, as the gate makes it
  (``load_case_contexts`` for one client, then ``decide``, in a transaction of its own):
  cold (nothing kept in the process: four statements) and with the facts the worker keeps
  under the client's facts version (one primary-key read of the version, on the driver's cursor),
  beside ``decide`` alone, pycasbin
  (``FastEnforcer`` indexed by organisation and client, and the default ``Enforcer``) holding
  every disclosing consent as a policy line in memory, and cedarpy given the client's
  consents (looked up with one indexed query) as one Cedar policy each. The resident memory
  the casbin policies take is reported too: it is a copy per worker process.
- **The chained log append** (``sharing.access_log.append``, batch of 1 and of 25, committed)
  beside a plain Core insert of the same records into a table of the same shape, indexes
  built as the log's were, the two taking turns call by call, each in a transaction that
  has read already (as the gate's has when it appends).
- **``audit verify``** (``sharing.access_log.verify``) beside a raw scan of the same rows
  (every column, in chain order, through the driver's cursor, no objects), in entries per
  second: for a sample of chains one by one, and (``--only log``) for the whole log, verified
  in one process and split over one process per core.
- **Statements and time per page**, one request at a time through the app in-process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import (
    Column,
    Engine,
    Index,
    MetaData,
    Table,
    UniqueConstraint,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateTable

from app import create_app
from app.cases.facts import RECENT, forget_case_facts, load_case_contexts
from app.extensions import db
from app.models import NetworkMember
from app.settings import MASTER_KEY_FILE, Settings
from benchmarks.data import Manifest
from benchmarks.load import endpoints
from consent.base import Base, utcnow
from consent.decision import decide
from consent.facts import (
    AccessRequest,
    Action,
    Actor,
    ActorRole,
    Direction,
    FactsNeeded,
    Purpose,
)
from consent.models import Consent
from consent.sections import SectionKind
from sharing import access_log
from sharing.access_log import AccessAction, AccessLogEntry, LogRecord
from sharing.keys import Keyring, LogKeys

CASBIN_MODEL = Path(__file__).parent / "casbin_model.conf"
SLOW_MS = 10_000  # a page slower than this is timed once


@dataclass
class Timing:
    """Per-call times of one benchmarked operation."""

    label: str
    calls: int
    median_us: float
    p95_us: float
    note: str = ""


def timed(label: str, fn: Callable[[int], object], calls: int, budget_s: float = 20.0) -> Timing:
    """Call ``fn(i)`` up to ``calls`` times (at least once, at most ``budget_s`` seconds)."""
    samples = []
    deadline = time.perf_counter() + budget_s
    for i in range(calls):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1e6)
        if time.perf_counter() > deadline:
            break
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return Timing(label, len(samples), statistics.median(samples), p95)


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# -- the decision ----------------------------------------------------------------------------


@dataclass
class DecisionReport:
    consents: int
    timings: list[Timing] = field(default_factory=list)
    casbin_policy_mb: float = 0.0
    casbin_load_s: float = 0.0
    kept_facts: int = 0  # the entries the worker keeps (``app.cases.facts.RECENT``, bounded)


def _kela_requests(manifest: Manifest, session: Session) -> list[tuple[Actor, AccessRequest]]:
    from app.models import User

    partner = session.scalars(select(User).where(User.username == manifest.partner)).one()
    actor = Actor(ActorRole.PARTNER, partner.id, partner.organisation_id)
    now = utcnow()
    return [
        (
            actor,
            AccessRequest(
                actor,
                uuid.UUID(client),
                Action.READ,
                Purpose.NETWORK_COOPERATION,
                now,
                SectionKind(kind),
            ),
        )
        for client, kind in manifest.shared
    ]


def decision(
    manifest: Manifest, calls: int = 500, with_default_enforcer: bool = True
) -> DecisionReport:
    """The decision with its lookup, per call, and the same consents in casbin and Cedar."""
    engine = create_engine(manifest.url)
    with Session(engine) as session:
        requests = _kela_requests(manifest, session)
        report = DecisionReport(consents=manifest.counts["consents"])
        n = len(requests)

        def app_decision(i: int) -> object:
            _, request = requests[i % n]
            needed = FactsNeeded.of(request.actor, request.purpose)  # as the gate asks
            case = load_case_contexts(session, [request.client_id], needed).get(request.client_id)
            session.rollback()  # a request's own transaction ends: the next reads the version
            return decide(request, case)

        def cold_decision(i: int) -> object:
            RECENT.clear()  # nothing kept in this process: the facts gathered afresh
            return app_decision(i)

        contexts = load_case_contexts(session, [r.client_id for _, r in requests])
        session.rollback()
        report.timings.append(
            timed("app: load_case_contexts + decide, cold (4 statements)", cold_decision, calls)
        )
        for i in range(n):  # every sample's facts kept, as a worker keeps them after a read
            app_decision(i)
        report.kept_facts = len(RECENT)

        def pure_decision(i: int) -> object:
            _, request = requests[i % n]
            return decide(request, contexts.get(request.client_id))

        report.timings.append(
            timed(
                "app: load_case_contexts + decide, facts kept (1 statement: the facts version)",
                app_decision,
                calls,
            )
        )

        def in_a_request(i: int) -> object:
            """As in a read: the request's transaction is open already (begun by the
            user's load), only the facts this transaction gathered are forgotten."""
            _, request = requests[i % n]
            forget_case_facts(session)
            needed = FactsNeeded.of(request.actor, request.purpose)
            case = load_case_contexts(session, [request.client_id], needed).get(request.client_id)
            return decide(request, case)

        report.timings.append(
            timed(
                "app: the same inside a request's transaction (no BEGIN/ROLLBACK)",
                in_a_request,
                calls * 4,
            )
        )
        session.rollback()
        report.timings.append(
            timed("app: decide alone (facts in memory)", pure_decision, calls * 10)
        )
        if not all(pure_decision(i).allowed for i in range(n)):  # type: ignore[attr-defined]
            raise AssertionError("a sampled shared section was denied: the samples are wrong")
        report.timings.append(
            timed("cedarpy: indexed lookup + is_authorized", _cedar(session, requests), calls)
        )
        before = rss_kb()  # the policy lines and the enforcer's index are what a worker holds
        policies = _policy_lines(session)
        report.timings += _casbin(report, policies, requests, calls, with_default_enforcer, before)
    engine.dispose()
    return report


def _policy_lines(session: Session) -> list[list[str]]:
    """Every disclosing consent as a casbin policy line (sub, obj, sections, validity, ended)."""
    rows = session.execute(
        select(
            NetworkMember.organisation_id,
            Consent.member_id,
            Consent.client_id,
            Consent.sections,
            Consent.valid_from,
            Consent.valid_until,
            Consent.ended_at,
        )
        .join(NetworkMember, NetworkMember.id == Consent.member_id)
        .where(Consent.direction == Direction.DISCLOSE)
    )
    return [
        [
            str(org) if org else f"member:{member}",
            str(client),
            "|".join(sections),
            valid_from.isoformat(),
            valid_until.isoformat() if valid_until else "",
            ended.isoformat() if ended else "",
        ]
        for org, member, client, sections, valid_from, valid_until, ended in rows
    ]


def _in_sections(wanted: str, sections: str) -> bool:
    return wanted in sections.split("|")


def _in_force(day: str, valid_from: str, valid_until: str, ended: str) -> bool:
    return not ended and valid_from <= day and (not valid_until or day <= valid_until)


def _casbin(
    report: DecisionReport,
    policies: list[list[str]],
    requests: list[tuple[Actor, AccessRequest]],
    calls: int,
    with_default_enforcer: bool,
    rss_before_kb: int,
) -> list[Timing]:
    import casbin

    today = date.today().isoformat()
    asked = [
        (str(actor.organisation_id), str(r.client_id), str(r.scope.value), today)
        for actor, r in requests
    ]
    results = []
    kinds: list[tuple[str, Callable[[], Any]]] = [
        (
            "pycasbin FastEnforcer (all policies in memory)",
            lambda: casbin.FastEnforcer(str(CASBIN_MODEL), cache_key_order=[0, 1]),
        )
    ]
    if with_default_enforcer:
        kinds.append(
            (
                "pycasbin Enforcer (all policies in memory)",
                lambda: casbin.Enforcer(str(CASBIN_MODEL)),
            )
        )
    for label, make in kinds:
        started = time.perf_counter()
        enforcer = make()
        enforcer.add_function("in_sections", _in_sections)
        enforcer.add_function("in_force", _in_force)
        enforcer.get_model().add_policies("p", "p", policies)
        loaded = time.perf_counter() - started
        if "Fast" in label:
            report.casbin_load_s = round(loaded, 1)
            report.casbin_policy_mb = round((rss_kb() - rss_before_kb) / 1024, 1)
        if not enforcer.enforce(*asked[0]):
            raise AssertionError(f"{label} denies a consented read: the model is wrong")

        def enforce(i: int, enforcer: Any = enforcer) -> object:
            return enforcer.enforce(*asked[i % len(asked)])

        timing = timed(label, enforce, calls, 20.0)
        timing.note = f"{len(policies):,} policy lines loaded in {loaded:.1f} s"
        results.append(timing)
        del enforcer
    return results


def _cedar(
    session: Session, requests: list[tuple[Actor, AccessRequest]]
) -> Callable[[int], object]:
    import cedarpy

    lookup = select(
        NetworkMember.organisation_id,
        Consent.id,
        Consent.sections,
        Consent.valid_from,
        Consent.valid_until,
        Consent.ended_at,
        Consent.direction,
    ).join(NetworkMember, NetworkMember.id == Consent.member_id)

    def call(i: int) -> object:
        actor, request = requests[i % len(requests)]
        rows = session.execute(lookup.where(Consent.client_id == request.client_id)).all()
        session.rollback()
        policies = "\n".join(
            _cedar_policy(request.client_id, org, consent, sections, start, end, ended, direction)
            for org, consent, sections, start, end, ended, direction in rows
            if org is not None  # a person grantee is not an organisation principal
        )
        today = int(request.at.strftime("%Y%m%d"))
        answer = cedarpy.is_authorized(
            {
                "principal": f'Organisation::"{actor.organisation_id}"',
                "action": 'Action::"disclose"',
                "resource": f'Client::"{request.client_id}"',
                "context": {"section": str(request.scope.value), "today": today},
            },
            policies,
            [],
        )
        if not answer.allowed:
            raise AssertionError("Cedar denies a consented read: the policies are wrong")
        return answer

    return call


def _cedar_policy(
    client_id: uuid.UUID,
    organisation_id: uuid.UUID,
    consent_id: uuid.UUID,
    sections: list[str],
    valid_from: date,
    valid_until: date | None,
    ended: object,
    direction: Direction,
) -> str:
    """One consent as a Cedar policy: who, which client, which sections, which days."""
    until = f" && context.today <= {valid_until:%Y%m%d}" if valid_until else ""
    live = "" if ended is None else " && false"  # ended (revoked or superseded): never
    kinds = ", ".join(f'"{s}"' for s in sections)
    return (
        f'@id("{consent_id}")\npermit(principal == Organisation::"{organisation_id}", '
        f'action == Action::"{Direction(direction).value}", resource == Client::"{client_id}") '
        f"when {{ [{kinds}].contains(context.section) && context.today >= {valid_from:%Y%m%d}"
        f"{until}{live} }};"
    )


# -- the log ---------------------------------------------------------------------------------


@dataclass
class WholeLog:
    """``audit verify`` of every chain beside a raw scan of the whole table, entries per second."""

    entries: int
    scan_entries_per_s: float
    verify_entries_per_s: float  # one process, one connection
    parallel_entries_per_s: float  # chains split over ``workers`` processes
    workers: int


@dataclass
class LogReport:
    append: list[Timing] = field(default_factory=list)
    verify_entries_per_s: float = 0.0
    scan_entries_per_s: float = 0.0
    verified_entries: int = 0
    whole: WholeLog | None = None


def _plain_table(metadata: MetaData, *, keys_inline: bool) -> Table:
    """A table shaped like ``access_log`` (its columns, keys and indexes), no chain.

    ``log`` fills it with a copy of the log's rows and then builds its indexes the way
    ``benchmarks.bulk`` built the log's: SQLite's loader keeps the key and unique indexes of
    the table and fills them row by row (``keys_inline``), PostgreSQL's builds every index,
    keys too, with one sort after the load. So a plain insert lands in indexes as large and
    as full as the chained append's, at the same places (the end of each client's range):
    the two differ by the chain alone (head read, MAC, lock). A key index built by a sort
    is packed full, where one filled row by row has room: the same rows then cost page splits
    in the one and not in the other.
    """
    source = Base.metadata.tables[AccessLogEntry.__tablename__]
    name = "bench_plain_log"
    uniques = [
        list(c.columns.keys()) for c in source.constraints if isinstance(c, UniqueConstraint)
    ]
    keys: list[UniqueConstraint | Index] = (
        [UniqueConstraint(*cols, name=f"uq_{name}_{i}") for i, cols in enumerate(uniques)]
        if keys_inline
        else [
            Index(f"pk_{name}", *source.primary_key.columns.keys(), unique=True),
            *(Index(f"uq_{name}_{i}", *cols, unique=True) for i, cols in enumerate(uniques)),
        ]
    )
    return Table(
        name,
        metadata,
        *(
            Column(c.name, c.type, primary_key=keys_inline and c.primary_key, nullable=c.nullable)
            for c in source.columns
        ),
        *keys,
        *(
            Index(f"ix_{name}_{i}", *index.columns.keys())
            for i, index in enumerate(sorted(source.indexes, key=lambda x: str(x.name)))
        ),
    )


def _records(clients: list[uuid.UUID], actor: uuid.UUID, org: uuid.UUID) -> list[LogRecord]:
    now = utcnow()
    return [
        LogRecord(
            client_id=client,
            at=now,
            actor_user_id=actor,
            actor_role="partner",
            action=AccessAction.READ,
            allowed=True,
            reason="allowed_consent",
            scope="section:livelihood",
            purpose="network_cooperation",
            organisation_id=org,
            basis_kind="consent",
            basis_id=uuid.uuid4(),
        )
        for client in clients
    ]


def _log_keys(manifest: Manifest) -> LogKeys:
    keyring = Keyring.from_json((Path(manifest.instance) / MASTER_KEY_FILE).read_text())
    if keyring.log is None:
        raise RuntimeError(f"the data set's keyring ({manifest.instance}) has no log keys")
    return keyring.log


def _raw_scan(engine: Engine, clients: list[uuid.UUID] | None = None) -> int:
    """Every column of the entries in chain order through the driver's cursor, no objects:
    what any check of the log must at least read (of each of ``clients`` in turn, or all),
    on one connection, server-side on PostgreSQL, as ``verify`` reads."""
    columns = ", ".join(c.name for c in AccessLogEntry.__table__.columns)
    sqlite = engine.dialect.name == "sqlite"
    where = "" if clients is None else "WHERE client_id = " + ("?" if sqlite else "%s")
    sql = f"SELECT {columns} FROM access_log {where} ORDER BY client_id, seq"  # noqa: S608
    scanned = 0
    with engine.connect() as connection:
        dbapi: Any = connection.connection.dbapi_connection
        for client in [None] if clients is None else clients:
            cursor = dbapi.cursor() if sqlite else dbapi.cursor(name="bench_scan")
            params = () if client is None else (client.hex if sqlite else client,)
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(access_log.VERIFY_BATCH):
                scanned += len(batch)
            cursor.close()
        connection.rollback()
    return scanned


def _whole_log(engine: Engine, workers: int) -> WholeLog:
    """The whole log, twice each, interleaved: raw scan, verify, parallel verify (best of two)."""
    _raw_scan(engine)  # warm the cache: every pass after it reads the same pages
    best: dict[str, float] = {}
    entries = 0

    def rate(label: str, run: Callable[[], int]) -> None:
        nonlocal entries
        started = time.perf_counter()
        entries = run()
        best[label] = max(best.get(label, 0.0), entries / (time.perf_counter() - started))

    def verified(n: int) -> int:
        with Session(engine) as session:
            report = access_log.verify(session, workers=n)
            if not report.ok:
                raise AssertionError(f"the log does not verify: {report.problems[:5]}")
            return report.entries

    for _ in range(2):
        rate("scan", lambda: _raw_scan(engine))
        rate("verify", lambda: verified(1))
        rate("parallel", lambda: verified(workers))
    return WholeLog(entries, best["scan"], best["verify"], best["parallel"], workers)


def log(
    manifest: Manifest, rounds: int = 200, verify_clients: int = 100, whole: bool = False
) -> LogReport:
    """The chained append against a plain insert of the same rows, call by call; ``verify``
    of a sample of chains against a raw scan of them (and of the whole log when ``whole``)."""
    engine = create_engine(manifest.url)
    access_log.use_keys(engine, _log_keys(manifest))
    metadata = MetaData()
    plain = _plain_table(metadata, keys_inline=manifest.backend == "sqlite")
    metadata.drop_all(engine)
    columns = ", ".join(c.name for c in plain.columns)
    with engine.begin() as connection:
        connection.execute(CreateTable(plain))
        connection.exec_driver_sql(
            f"INSERT INTO {plain.name} ({columns}) SELECT {columns} FROM access_log"  # noqa: S608
        )
        for index in sorted(plain.indexes, key=lambda x: str(x.name)):
            index.create(connection)
        if manifest.backend == "postgresql":
            connection.exec_driver_sql(f"ANALYZE {plain.name}")
    report = LogReport()
    clients = [uuid.UUID(c) for c, _ in dict.fromkeys(manifest.shared)]
    actor, org = uuid.uuid4(), uuid.uuid4()
    seq = iter(range(10**6, 10**9))  # after every copied entry of each client
    try:
        with Session(engine) as session:
            for batch in (1, 25):
                picks = [
                    clients[i % len(clients) : i % len(clients) + batch] for i in range(rounds)
                ]
                picks = [p if len(p) == batch else clients[:batch] for p in picks]

                def chained(i: int, picks: list[list[uuid.UUID]] = picks) -> None:
                    access_log.append(session, _records(picks[i], actor, org))
                    session.commit()

                def plain_insert(i: int, picks: list[list[uuid.UUID]] = picks) -> None:
                    # The same records, written as plainly as the table allows: one Core
                    # INSERT of their fields (the chain's columns zero), committed.
                    rows = [
                        {
                            **{name: getattr(r, name) for name in access_log.HASHED_FIELDS},
                            "id": uuid.uuid4(),
                            "seq": next(seq),
                            "prev_hash": bytes(32),
                            "entry_hash": bytes(32),
                            "key_id": "",
                        }
                        for r in _records(picks[i], actor, org)
                    ]
                    session.connection().execute(insert(plain), rows)
                    session.commit()

                report.append += _interleaved(
                    [
                        (f"plain insert, batch {batch}", plain_insert),
                        (f"chained append, batch {batch}", chained),
                    ],
                    rounds,
                    # Begun as a request's transaction is when the gate appends: it has read
                    # (the consents) first. Both then pay only for the append and its commit.
                    before=lambda: session.execute(select(1)),
                )
            session.rollback()
        sample = random.Random(7).sample(clients, min(verify_clients, len(clients)))
        with Session(engine) as session:
            started = time.perf_counter()
            for client in sample:
                result = access_log.verify(session, client)
                if not result.ok:
                    raise AssertionError(f"chain of {client} does not verify: {result}")
                report.verified_entries += result.entries
            report.verify_entries_per_s = report.verified_entries / (time.perf_counter() - started)
        started = time.perf_counter()
        scanned = _raw_scan(engine, sample)
        report.scan_entries_per_s = scanned / (time.perf_counter() - started)
        if whole:
            report.whole = _whole_log(engine, os.cpu_count() or 1)
    finally:
        metadata.drop_all(engine)
        engine.dispose()
    return report


def _interleaved(
    runs: list[tuple[str, Callable[[int], object]]],
    calls: int,
    before: Callable[[], object] = lambda: None,
) -> list[Timing]:
    """Time each run ``calls`` times, taking turns call by call (the first one alternating),
    so a neighbour's burst of load or a warmer cache falls on every run alike; ``before``
    runs untimed before each call.

    A warm-up pass first makes each run's calls once, untimed: each then finds its pages in
    the caches, and PostgreSQL has written their full images to the WAL once since the last
    checkpoint (the copied plain table's pages are that fresh already; the log's are not)."""
    samples: dict[str, list[float]] = {label: [] for label, _ in runs}
    for i in range(calls):
        for _, fn in runs:
            before()
            fn(i)
    for i in range(calls):
        turn = runs if i % 2 == 0 else runs[::-1]
        for label, fn in turn:
            before()
            started = time.perf_counter()
            fn(i)
            samples[label].append((time.perf_counter() - started) * 1e6)
    timings = []
    for label, _ in runs:
        values = sorted(samples[label])
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        timings.append(Timing(label, len(values), statistics.median(values), p95))
    return timings


# -- statements per page ---------------------------------------------------------------------


@dataclass
class PageCost:
    endpoint: str
    statements: int
    median_ms: float


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def signed_in(app: Flask, username: str, password: str) -> FlaskClient:
    browser = app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    answer = browser.post(
        "/login", data={"csrf_token": token.group(1), "username": username, "password": password}
    )
    if answer.status_code != 302:
        raise RuntimeError(f"signing in as {username} failed: {answer.status_code}")
    return browser


def page_costs(
    manifest: Manifest, requests: int = 30, skip: frozenset[str] = frozenset()
) -> list[PageCost | None]:
    """Statements and median time of each load-run endpoint, one request at a time
    (``None`` for the endpoints named in ``skip``)."""
    settings = Settings.from_env(
        {
            "TUKIVERKKO_ENV": "production",
            "TUKIVERKKO_ALLOW_SQLITE": "1",  # the single-node pilot; ignored on PostgreSQL
            "TUKIVERKKO_REQUIRE_SECOND_FACTOR": "0",  # staff sign in with a password here
            "TUKIVERKKO_INSTANCE_PATH": manifest.instance,
            "TUKIVERKKO_DATABASE_URL": manifest.url,
            "TUKIVERKKO_PUBLIC_URL": "http://localhost",  # the test client's host
        }
    )
    app = create_app(settings)
    browsers: dict[str | None, FlaskClient] = {
        role: signed_in(app, user, manifest.password) for role, user in manifest.logins.items()
    }
    browsers[None] = app.test_client()
    token = app.test_client().post(
        "/api/v1/tokens", json={"username": manifest.partner, "password": manifest.password}
    )
    bearer = {"Authorization": f"Bearer {token.get_json()['token']}"}
    costs: list[PageCost | None] = []
    with app.app_context():
        engine = db.engine
    for endpoint in endpoints(manifest):
        if endpoint.name in skip:
            costs.append(None)
            continue
        browser = app.test_client() if endpoint.api else browsers[endpoint.who]
        headers = bearer if endpoint.api else {}
        times, statements = [], 0
        for i in range(requests + 1):
            path = endpoint.paths[i % len(endpoint.paths)]
            with counting(engine) as seen:
                started = time.perf_counter()
                answer = browser.get(path, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
            if answer.status_code != 200:
                raise RuntimeError(f"GET {path} answered {answer.status_code}")
            statements = len(seen)
            if i or elapsed > SLOW_MS:  # the first request warms the caches, unless it is slow
                times.append(elapsed)
            if elapsed > SLOW_MS:
                break  # one request of a page this slow says enough, and saves minutes
        costs.append(PageCost(endpoint.name, statements, statistics.median(times)))
    with app.app_context():
        db.engine.dispose()
    return costs


def main() -> None:
    from benchmarks.data import ensure
    from benchmarks.scale import Scale

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1_000)
    parser.add_argument("--postgresql", metavar="URL")
    parser.add_argument(
        "--data", metavar="FOLDER", type=Path, help="a data set built already (its manifest.json)"
    )
    parser.add_argument("--only", choices=("pages", "log", "decision"))
    parser.add_argument("--rounds", type=int, default=200, help="appends per batch size (log)")
    args = parser.parse_args()
    if args.data:
        manifest = Manifest.load(args.data)
    else:
        manifest = ensure(Scale(clients=args.clients), postgresql=args.postgresql)
    if args.only in (None, "pages"):
        print(json.dumps([c.__dict__ for c in page_costs(manifest)], indent=1))
    if args.only in (None, "log"):
        report = log(manifest, args.rounds, whole=args.only == "log")
        print(json.dumps(report.__dict__, default=lambda o: o.__dict__, indent=1))
        print(log_table(manifest, report))
    if args.only in (None, "decision"):
        print(json.dumps(decision(manifest).__dict__, default=lambda o: o.__dict__, indent=1))


def log_table(manifest: Manifest, report: LogReport) -> str:
    """The log's figures side by side, as Markdown."""
    timings = {t.label: t for t in report.append}
    lines = [
        f"{manifest.backend}, {manifest.scale['clients']:,} clients",
        "",
        "| batch | plain ms | chained ms | chained / plain | p95 plain / chained |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for batch in (1, 25):
        plain = timings[f"plain insert, batch {batch}"]
        chained = timings[f"chained append, batch {batch}"]
        lines.append(
            f"| {batch} | {plain.median_us / 1000:.3f} | {chained.median_us / 1000:.3f} | "
            f"{chained.median_us / plain.median_us:.2f}× | "
            f"{plain.p95_us / 1000:.3f} / {chained.p95_us / 1000:.3f} |"
        )
    lines += [
        "",
        "| verify | entries | verify entries/s | raw scan entries/s | verify / scan |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| sample of chains, one by one | {report.verified_entries:,} | "
        f"{report.verify_entries_per_s:,.0f} | {report.scan_entries_per_s:,.0f} | "
        f"{report.verify_entries_per_s / report.scan_entries_per_s:.0%} |",
    ]
    if (w := report.whole) is not None:
        lines += [
            f"| whole log, 1 process | {w.entries:,} | {w.verify_entries_per_s:,.0f} | "
            f"{w.scan_entries_per_s:,.0f} | {w.verify_entries_per_s / w.scan_entries_per_s:.0%} |",
            f"| whole log, {w.workers} processes | {w.entries:,} | "
            f"{w.parallel_entries_per_s:,.0f} | {w.scan_entries_per_s:,.0f} | "
            f"{w.parallel_entries_per_s / w.scan_entries_per_s:.0%} |",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
