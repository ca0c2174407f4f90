"""How fast the access gate is on this machine: the numbers behind the closing notes.

Run from the repository root: ``.venv/bin/python -m benchmarks.gate [--clients 500]``. It builds a
throw-away SQLite database with fictional clients, then times the paths every page uses:
the caseload list (25 names through the gate: decide, unwrap, open, log), a partner's
read of a consented section through its HPKE seal, a grant and revocation with their seal
syncs, and raw access-log appends. Prints median and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, select

from app import create_app
from app.cases.queries import county_caseload
from app.consents.commands import grant_consent, revoke_consent
from app.consents.texts import FIRST_VERSION
from app.extensions import db
from app.models import (
    Client,
    ClientPlan,
    MemberKind,
    NetworkMember,
    OrgKind,
    PlanSection,
    PlanSectionVersion,
    Role,
)
from app.security import new_gate
from app.settings import Settings
from consent.base import Base, utcnow
from consent.facts import Actor, ActorRole, Purpose
from consent.models import GivenHow
from consent.sections import SectionKind
from consent.service import ConsentTerms
from sharing import access_log
from sharing.access_log import AccessAction, LogRecord
from sharing.fields import field_ref, sealed
from sharing.keys import generate_keyring


def timed(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tukiverkko-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    Base.metadata.create_all(create_engine(url))
    settings = Settings(
        environment="test",
        database_url=url,
        instance_path=folder,
        secret_key=secrets.token_urlsafe(32),
        keyring=generate_keyring(),
        session_cookie_secure=False,
        argon2_time_cost=1,
        argon2_memory_cost=8,
    )
    app = create_app(settings)
    with app.app_context():
        from tests import factories  # the fictional-data builders the tests use

        session = db.session
        county = factories.organisation(session, OrgKind.COUNTY)
        worker = factories.user(session, Role.CASEWORKER, county)
        housing = factories.organisation(session, OrgKind.PUBLIC_SERVICE)
        partner = factories.user(session, Role.PARTNER, housing)
        for n in range(args.clients):
            factories.client(session, county, name=f"Kuvitteellinen Asiakas {n}", worker=worker)
        record, case = factories.client(session, county, name="Mitattava Testinen", worker=worker)
        member = NetworkMember(
            case_id=case.id,
            client_id=record.id,
            kind=MemberKind.PUBLIC_SERVICE,
            organisation_id=housing.id,
            starts_on=utcnow().date() - timedelta(days=1),
        )
        plan = ClientPlan(case_id=case.id, client_id=record.id)
        section = PlanSection(
            plan_id=plan.id, client_id=record.id, kind=SectionKind.HOUSING, current_version=1
        )
        session.add_all([member, plan, section])
        session.flush()
        version = PlanSectionVersion(
            section_id=section.id, client_id=record.id, version=1, content_ct=b""
        )
        session.add(version)
        session.flush()
        caseworker = Actor(ActorRole.CASEWORKER, worker.id, county.id)
        partner_actor = Actor(ActorRole.PARTNER, partner.id, housing.id)
        version.content_ct = new_gate().write_text(
            caseworker,
            field_ref(version, PlanSectionVersion.content_ct),
            "Oma asunto",
            purpose=Purpose.CASE_WORK,
        )
        terms = ConsentTerms(member.id, frozenset({SectionKind.HOUSING}), utcnow().date(), None)

        def grant() -> object:
            return grant_consent(
                session,
                new_gate(),
                caseworker,
                case=case,
                terms=terms,
                purpose_text="Asuminen (fictional)",
                given_how=GivenHow.WRITTEN,
                information_text_version=FIRST_VERSION,
                receipt=None,
            )

        grant()
        session.commit()

        def caseload_page() -> None:
            page = county_caseload(session, county.id, page=1)
            new_gate().read_texts(
                caseworker,
                [sealed(row.client, Client.name_ct) for row in page.rows],
                purpose=Purpose.LIST,
            )
            session.commit()

        def partner_read() -> None:
            new_gate().read_texts(
                partner_actor,
                [sealed(version, PlanSectionVersion.content_ct)],
                purpose=Purpose.NETWORK_COOPERATION,
            )
            session.commit()

        def grant_and_revoke() -> None:
            consent = grant()
            session.commit()
            revoke_consent(session, new_gate(), caseworker, consent, receipt=None)  # type: ignore[arg-type]
            session.commit()

        def log_25() -> None:
            clients = session.scalars(select(Client.id).limit(25)).all()
            records = [
                LogRecord(
                    client_id=client_id,
                    at=utcnow(),
                    actor_user_id=None,
                    actor_role="system",
                    action=AccessAction.READ,
                    allowed=True,
                    reason="allowed_system",
                    scope="name",
                    purpose="administration",
                )
                for client_id in clients
            ]
            access_log.append(session, records)
            session.commit()

        rows = [
            ("caseload page: 25 names via gate + log", caseload_page),
            ("partner reads a section via its seal", partner_read),
            ("grant + revoke a consent (seal syncs)", grant_and_revoke),
            ("access log: append 25 entries", log_25),
        ]
        print(f"{args.clients + 1} fictional clients, {args.rounds} rounds, SQLite in {folder}")
        print(f"{'path':<42} {'median ms':>10} {'p95 ms':>8}")
        for label, fn in rows:
            median, p95 = timed(fn, args.rounds)
            print(f"{label:<42} {median:>10.2f} {p95:>8.2f}")


if __name__ == "__main__":
    main()
