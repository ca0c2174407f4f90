"""The statistics page and its JSON at 1,000 and 10,000 clients: statements and time.

    python -m benchmarks.statistics                       1,000 and 10,000 clients, SQLite
    python -m benchmarks.statistics --clients 1000        one size
    python -m benchmarks.statistics --postgresql URL      on a PostgreSQL database (emptied)
    make bench-statistics                                 the first, on its own

Runs on its own, apart from ``make bench``: that one's data sets (millions of consents and
log rows) take long to build, while the statistics read only coded facts. So this builds
its own county: ``--clients`` clients, each with the facts the statistics count (a
notification, an appointment, an assessment with two desistance factors, phase changes, a
release checklist, a review with two goals, three members, consents, flows, an update, an
ending, and a closing with a factor for every third), dated over the year, written with
SQLAlchemy Core (ciphertext columns hold filler bytes: nothing here is ever decrypted).
A manager of the county then reads ``/statistics/`` and ``/api/v1/statistics`` through
the app (Flask's test client, no network), each ``--requests`` times after one warm-up;
the printed lines give the statements per request (the same at every size; a range when
a request also made the session's once-a-minute ``last_seen_at`` write) and the median time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert

from app import create_app
from app.assessment.rules import FACTORS
from app.extensions import db
from app.models import Case, Client, NetworkMember, Organisation, OrgKind, Phase, Role, User
from app.models.assessment import Assessment, AssessmentFactor
from app.models.case import PhaseChange, ResponsibleWorker
from app.models.ending import CaseClosure, ClosureFactor, ServiceEnding
from app.models.flows import FlowAgreement, FlowChannel, FlowDirection
from app.models.intake import Channel, Notification, NotificationPath, NotifierKind
from app.models.network import MemberKind
from app.models.partner import PartnerUpdate, PartnerUpdateKind
from app.models.release import ChecklistItem, ItemState, ReleaseTask
from app.models.review import GoalProgress, PlanReview, ReviewGoal
from app.security import make_password_hasher
from app.settings import Settings
from benchmarks.machine import describe, load_average
from benchmarks.micro import counting, signed_in
from consent.base import Base
from consent.facts import Direction, Purpose
from consent.models import Consent, ConsentState, GivenHow
from consent.sections import SectionKind
from sharing.keys import generate_keyring

PASSWORD = "bench-statistics"  # noqa: S105  (a throwaway local database)
FILLER = b"\x00" * 32  # stands for ciphertext: the statistics never read it
BATCH = 2_000


def _rows(
    county: uuid.UUID, worker: uuid.UUID, org: uuid.UUID, n: int, year: int
) -> dict[Any, list[dict[str, Any]]]:
    """The facts of ``n`` clients, by table (deterministic)."""
    rng = random.Random(n)
    out: dict[Any, list[dict[str, Any]]] = {}

    def add(model: Any, **values: Any) -> uuid.UUID:
        key = values.setdefault("id", uuid.uuid4())
        out.setdefault(model.__table__, []).append(values)
        assert isinstance(key, uuid.UUID)
        return key

    def moment(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)

    phases = list(Phase)
    for _ in range(n):
        notified = date(year, 1, 1) + timedelta(days=rng.randrange(300))
        client = add(Client, county_id=county, name_ct=FILLER)
        released = notified + timedelta(days=60 + rng.randrange(120))
        closed = released + timedelta(days=90) if rng.random() < 1 / 3 else None
        reached = rng.randrange(1, len(phases) - 1)
        case = add(
            Case,
            client_id=client,
            county_id=county,
            phase=Phase.CLOSED if closed else phases[reached],
            opened_at=moment(notified),
            conditional_release=released,
            closed_at=moment(closed) if closed else None,
        )
        add(
            Notification,
            county_id=county,
            client_id=client,
            case_id=case,
            received_at=moment(notified),
            contacted_on=notified,
            notifier_kind=NotifierKind.PRISON_STAFF,
            channel=Channel.PHONE,
            need_ct=FILLER,
            path=NotificationPath.CONSENT,
            recorded_by_id=worker,
        )
        add(ResponsibleWorker, case_id=case, worker_id=worker, starts_on=notified)
        assessment = add(
            Assessment,
            case_id=case,
            client_id=client,
            started_on=notified + timedelta(days=rng.randrange(40)),
        )
        for factor in rng.sample(FACTORS, 2):
            add(AssessmentFactor, assessment_id=assessment, client_id=client, code=factor.code)
        for k in range(1, reached + 1):
            add(
                PhaseChange,
                case_id=case,
                from_phase=phases[k - 1],
                phase=phases[k],
                changed_at=moment(notified + timedelta(days=20 * k)),
            )
        for task in (
            ReleaseTask.HOUSING_APPLICATION,
            ReleaseTask.KELA_SOCIAL_ASSISTANCE,
            ReleaseTask.HEALTH_CARE,
            ReleaseTask.IDENTITY_CARD,
        ):
            add(
                ChecklistItem,
                case_id=case,
                client_id=client,
                task=task,
                state=ItemState.DONE,
                state_changed_at=moment(released + timedelta(days=rng.randrange(-20, 25))),
            )
        review = add(
            PlanReview,
            case_id=case,
            client_id=client,
            held_on=released + timedelta(days=45),
            next_review_on=released + timedelta(days=135),
        )
        for position, kind in enumerate((SectionKind.HOUSING, SectionKind.LIVELIHOOD)):
            add(
                ReviewGoal,
                review_id=review,
                client_id=client,
                section_kind=kind,
                section_version=1,
                position=position,
                progress=rng.choice((GoalProgress.ACHIEVED, GoalProgress.IN_PROGRESS)),
            )
        members = [
            add(
                NetworkMember,
                case_id=case,
                client_id=client,
                kind=kind,
                organisation_id=org,
                starts_on=notified + timedelta(days=30),
            )
            for kind in (MemberKind.PUBLIC_SERVICE, MemberKind.NGO, MemberKind.PROBATION)
        ]
        for member in members:
            add(
                Consent,
                client_id=client,
                case_id=case,
                member_id=member,
                sections=[SectionKind.HOUSING.value],
                direction=Direction.DISCLOSE,
                purpose=Purpose.NETWORK_COOPERATION,
                valid_from=notified + timedelta(days=30),
                given_how=GivenHow.WRITTEN,
                information_text_version="1",
                recorded_at=moment(notified + timedelta(days=30)),
                state=ConsentState.ACTIVE,
            )
        for member in members[:2]:
            add(
                FlowAgreement,
                case_id=case,
                client_id=client,
                member_id=member,
                direction=FlowDirection.BOTH,
                channel=FlowChannel.PLATFORM,
                agreed_on=notified + timedelta(days=30),
                agreed_with_client=True,
                recorded_at=moment(notified + timedelta(days=30)),
            )
        add(
            PartnerUpdate,
            case_id=case,
            client_id=client,
            organisation_id=org,
            member_id=members[0],
            author_id=worker,
            kind=PartnerUpdateKind.HOUSING_OFFER,
            created_at=moment(released),
        )
        if closed:
            add(
                ServiceEnding,
                case_id=case,
                client_id=client,
                member_id=members[1],
                ended_on=closed,
                ended_with_case=True,
            )
            closure = add(
                CaseClosure,
                case_id=case,
                client_id=client,
                closed_at=moment(closed),
                summary_ct=FILLER,
            )
            add(ClosureFactor, closure_id=closure, client_id=client, code=FACTORS[0].code)
    return out


def build(url: str, clients: int, year: int) -> tuple[str, uuid.UUID]:
    """A fresh schema with one county of ``clients`` clients; returns the manager's name."""
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    county_id, worker_id, org = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    secret = make_password_hasher(1, 8, 1).hash(PASSWORD)
    with engine.begin() as connection:
        connection.execute(
            insert(Organisation),
            [
                {"id": county_id, "name": "Benchmark county", "kind": OrgKind.COUNTY},
                {"id": org, "name": "Benchmark service", "kind": OrgKind.PUBLIC_SERVICE},
            ],
        )
        connection.execute(
            insert(User),
            [
                {
                    "id": worker_id,
                    "username": "bench.worker",
                    "display_name": "Bench Worker",
                    "role": Role.CASEWORKER,
                    "organisation_id": county_id,
                    "password_hash": secret,
                },
                {
                    "id": uuid.uuid4(),
                    "username": "bench.manager",
                    "display_name": "Bench Manager",
                    "role": Role.MANAGER,
                    "organisation_id": county_id,
                    "password_hash": secret,
                },
            ],
        )
        tables = _rows(county_id, worker_id, org, clients, year)
        for table in Base.metadata.sorted_tables:
            rows = tables.get(table, [])
            for start in range(0, len(rows), BATCH):
                connection.execute(insert(table), rows[start : start + BATCH])
    engine.dispose()
    return "bench.manager", county_id


def measure(url: str, folder: Path, clients: int, requests: int) -> list[str]:
    year = date.today().year
    started = time.perf_counter()
    manager, _ = build(url, clients, year)
    built = time.perf_counter() - started
    app = create_app(
        Settings(
            environment="test",
            database_url=url,
            instance_path=folder,
            secret_key="bench-statistics-secret-key-not-for-any-use-0123",  # noqa: S106  (throwaway local app)
            keyring=generate_keyring(),
            session_cookie_secure=False,
            argon2_time_cost=1,
            argon2_memory_cost=8,
            argon2_parallelism=1,
        )
    )
    browser = signed_in(app, manager, PASSWORD)
    token = app.test_client().post(
        "/api/v1/tokens", json={"username": manager, "password": PASSWORD}
    )
    bearer = {"Authorization": f"Bearer {token.get_json()['token']}"}
    with app.app_context():
        engine = db.engine
    lines = []
    for label, path, headers in (
        ("page", f"/statistics/?year={year}", {}),
        ("API", f"/api/v1/statistics?year={year}", bearer),
    ):
        times, statements = [], []
        for i in range(requests + 1):
            with counting(engine) as seen:
                at = time.perf_counter()
                answer = browser.get(path, headers=headers)
                elapsed = (time.perf_counter() - at) * 1000
            if answer.status_code != 200:
                raise RuntimeError(f"GET {path} answered {answer.status_code}")
            statements.append(len(seen))
            if i:
                times.append(elapsed)
        lines.append(
            f"| {clients:,} | {label} | {_span(statements)} | {statistics.median(times):.0f} | "
            f"{max(times):.0f} | {built:.0f} |"
        )
    with app.app_context():
        db.engine.dispose()
    return lines


def _span(counts: list[int]) -> str:
    """The statements per request: one number, or "18–19" when a request also made the
    session's once-a-minute ``last_seen_at`` write (slow requests cross a minute)."""
    low, high = min(counts), max(counts)
    return str(low) if low == high else f"{low}–{high}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--postgresql", metavar="URL", help="a database to empty and use")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-statistics-"))
    machine = describe(Path(__file__).parent.parent, args.postgresql, folder)
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average {load_average()}")
    print("\n".join(machine.lines()))
    print()
    print("| clients | request | statements | median ms | max ms | build s |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    for clients in args.clients:
        url = args.postgresql or f"sqlite:///{folder / f'statistics-{clients}.db'}"
        for line in measure(url, folder, clients, args.requests):
            print(line, flush=True)


if __name__ == "__main__":
    main()
