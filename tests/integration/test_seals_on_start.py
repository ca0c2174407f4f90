"""A basis that becomes live by the passage of time gets its key seals when its day comes.

A consent (or a statutory disclosure) recorded before its first day, or given to a member
whose membership starts later, is not live when it is recorded, so nothing is sealed then.
On the day it starts, the first of these makes the grantee's seals: ``flask maintenance
run`` (which finds such bases in a fixed number of statements), or the grantee's first
read (the gate, after the decision allowed and logged it, seals the client and opens once
more). Nothing is ever sealed before the start, and the log review's as-of check finds the
seals made exactly when they were due.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.orm import Session

from app.cases.facts import load_case_contexts
from app.consents.commands import record_statutory_disclosure
from app.log_review.queries import as_of
from app.log_review.rules import SealFinding
from app.maintenance import commands as maintenance
from app.maintenance.lock import try_lock
from app.models import Case, Client, NetworkMember, OrgKind, Role
from app.models.plan import PlanSectionVersion
from app.plan.content import SectionContent
from app.security import current_keyring, new_gate
from consent.base import Base
from consent.facts import Actor, ActorRole, Purpose
from consent.models import Consent
from consent.sections import SectionKind, scope_key
from consent.status import helsinki_day, helsinki_midnight
from sharing.access_log import AccessLogEntry
from sharing.errors import AccessDenied
from sharing.fields import sealed
from sharing.gate import AccessGate
from sharing.keys import Keyring
from sharing.models import KeySeal, SealRecord
from tests import factories
from tests.conftest import api_token, login

HOUSING_TEXT = "Oma vuokra-asunto (fictional)"
HOUSING = scope_key(SectionKind.HOUSING)


@dataclass
class Shared:
    """A client with a housing section, and a housing office (with one staff member) in
    the network whose basis starts tomorrow."""

    record: Client
    case: Case
    member: NetworkMember
    staff_actor: Actor
    staff_name: str
    version: PlanSectionVersion
    basis_id: uuid.UUID
    today: date
    tomorrow: datetime  # an hour into tomorrow (Helsinki)


def _world(db: Session, basis: str) -> Shared:
    base = factories.county_case(db, name="Kuvitteellinen Alkava")
    today = helsinki_day(factories.now())
    tomorrow = today + timedelta(days=1)
    office = factories.organisation(
        db, OrgKind.PUBLIC_SERVICE, f"Asuntotoimisto {uuid.uuid4().hex[:6]} (fictional)"
    )
    staff = factories.user(db, Role.PARTNER, office)
    member = factories.member(
        db,
        base.case,
        None if basis == "person" else office,  # a close person, keyed by membership
        starts_on=tomorrow if basis == "membership" else today - timedelta(days=30),
        committed_on=today if basis == "person" else None,
    )
    reader = (
        Actor(ActorRole.PERSON, member_id=member.id)
        if basis == "person"
        else factories.actor(staff)
    )
    version = factories.plan_section(
        db, base.actor, base.case, SectionKind.HOUSING, SectionContent(goals=HOUSING_TEXT)
    )
    basis_id: uuid.UUID
    if basis == "statutory":
        basis_id = record_statutory_disclosure(
            db,
            new_gate(),
            base.actor,
            case=base.case,
            member_id=member.id,
            sections=frozenset({SectionKind.HOUSING}),
            provision="Sosiaalihuoltolaki (1301/2014) 41 §",
            justification="Asunnon järjestäminen (fictional)",
            valid_from=tomorrow,
            valid_until=None,
        ).id
    else:
        basis_id = factories.consent(
            db,
            base.actor,
            base.case,
            member,
            SectionKind.HOUSING,
            valid_from=tomorrow if basis in ("consent", "person") else today,
            valid_until=today + timedelta(days=90),
        ).id
    db.commit()
    return Shared(
        base.client,
        base.case,
        member,
        reader,
        staff.username,
        version,
        basis_id,
        today,
        helsinki_midnight(tomorrow) + timedelta(hours=1),
    )


def _gate(db: Session, at: datetime) -> AccessGate:
    return AccessGate(db, current_keyring(), load_case_contexts, clock=lambda: at)


def _read(gate: AccessGate, w: Shared) -> str | None:
    return gate.read_texts(
        w.staff_actor,
        [sealed(w.version, PlanSectionVersion.content_ct)],
        purpose=Purpose.NETWORK_COOPERATION,
    )[0]


def _records(db: Session, w: Shared) -> list[SealRecord]:
    return list(db.scalars(select(SealRecord).where(SealRecord.basis_id == w.basis_id)))


def _seals(db: Session, w: Shared) -> int:
    return db.scalar(select(func.count(KeySeal.id)).where(KeySeal.basis_id == w.basis_id)) or 0


def _partner_reads(db: Session, w: Shared) -> list[tuple[str, bool]]:
    return [
        (e.scope, e.allowed)
        for e in db.scalars(
            select(AccessLogEntry)
            .where(
                AccessLogEntry.client_id == w.record.id,
                AccessLogEntry.organisation_id == w.staff_actor.organisation_id
                if w.staff_actor.organisation_id
                else AccessLogEntry.member_id == w.member.id,
            )
            .order_by(AccessLogEntry.seq)
        )
    ]


@pytest.mark.parametrize("basis", ["consent", "statutory", "membership", "person"])
def test_the_first_read_on_the_first_day_seals_and_reads(db: Session, basis: str) -> None:
    w = _world(db, basis)
    # Recorded today, starting tomorrow: nothing sealed, and today's read is refused.
    assert _records(db, w) == [] and _seals(db, w) == 0
    with pytest.raises(AccessDenied):
        _read(new_gate(), w)
    assert _records(db, w) == []
    assert _partner_reads(db, w) == [(HOUSING, False)]

    # Tomorrow, before maintenance has run: the read succeeds, logged once as a read.
    assert HOUSING_TEXT in (_read(_gate(db, w.tomorrow), w) or "")
    db.commit()
    assert _partner_reads(db, w) == [(HOUSING, False), (HOUSING, True)]
    records = _records(db, w)
    assert {r.scope for r in records} >= {"name", HOUSING}
    assert {r.created_at for r in records} == {w.tomorrow}  # made at the read, not before
    assert all(r.removed_at is None for r in records) and _seals(db, w) == len(records)

    # The as-of check: sealed when it was due, and nothing sealed without a basis before.
    later = as_of(db, w.record.id, w.tomorrow + timedelta(minutes=5), current_keyring())
    assert later.seal_discrepancies == []
    findings = {(c.member_id, c.scope): c.finding for c in later.seals}
    assert findings[(w.member.id, HOUSING)] is SealFinding.SEALED
    earlier = as_of(db, w.record.id, w.tomorrow - timedelta(hours=2), current_keyring())
    assert earlier.seal_discrepancies == []
    assert (w.member.id, HOUSING) not in {(c.member_id, c.scope) for c in earlier.seals}


@pytest.mark.parametrize("basis", ["consent", "statutory", "membership", "person"])
def test_maintenance_seals_a_basis_that_has_started(db: Session, basis: str) -> None:
    w = _world(db, basis)
    now = factories.now()
    # Before the start: the basis is not found and nothing is sealed.
    report = maintenance.run(db, _gate(db, now), now=now)
    assert report.seals_created == 0 and _seals(db, w) == 0
    assert w.record.id not in maintenance._clients_with_unsealed_bases(db, now)

    assert w.record.id in maintenance._clients_with_unsealed_bases(db, w.tomorrow)
    report = maintenance.run(db, _gate(db, w.tomorrow), now=w.tomorrow)
    assert report.seals_created >= 2 and report.seals_removed == 0  # name and housing
    records = _records(db, w)
    assert {r.created_at for r in records} == {w.tomorrow} and _seals(db, w) == len(records)
    # Idempotent: the next run finds nothing to seal.
    assert w.record.id not in maintenance._clients_with_unsealed_bases(db, w.tomorrow)
    again = maintenance.run(db, _gate(db, w.tomorrow), now=w.tomorrow)
    assert again.seals_created == 0 and _seals(db, w) == len(records)
    # The partner reads with the seals maintenance made.
    assert HOUSING_TEXT in (_read(_gate(db, w.tomorrow), w) or "")
    view = as_of(db, w.record.id, w.tomorrow + timedelta(minutes=5), current_keyring())
    assert view.seal_discrepancies == []


def test_finding_started_bases_runs_the_same_statements_for_many_clients(
    db: Session, sql_count: list[str]
) -> None:
    first = _world(db, "consent")
    sql_count.clear()
    assert maintenance._clients_with_unsealed_bases(db, first.tomorrow) == {first.record.id}
    one = len(sql_count)
    more = [_world(db, basis) for basis in ("consent", "statutory", "membership")]
    sql_count.clear()
    found = maintenance._clients_with_unsealed_bases(db, first.tomorrow)
    assert found == {first.record.id} | {w.record.id for w in more}
    assert len(sql_count) == one == 2


def _starting_today(db: Session) -> Shared:
    """As if recorded yesterday to start today: recorded today for tomorrow, then a day on
    (the pages and the API run on the real clock)."""
    w = _world(db, "consent")
    db.execute(update(Consent).where(Consent.id == w.basis_id).values(valid_from=w.today))
    db.commit()
    assert _seals(db, w) == 0
    return w


def test_the_partner_page_reads_on_the_first_day(client: FlaskClient, db: Session) -> None:
    w = _starting_today(db)
    login(client, w.staff_name)
    response = client.get(f"/partner/clients/{w.record.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert HOUSING_TEXT in html and "Kuvitteellinen Alkava" in html
    assert {r.scope for r in _records(db, w)} >= {"name", HOUSING}
    assert (HOUSING, True) in _partner_reads(db, w)
    assert all(allowed for _, allowed in _partner_reads(db, w))


def test_the_partner_api_reads_on_the_first_day(client: FlaskClient, db: Session) -> None:
    w = _starting_today(db)
    response = client.get(
        f"/api/v1/clients/{w.record.id}/plan", headers=api_token(client, w.staff_name)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert HOUSING_TEXT in response.get_data(as_text=True)
    assert {r.scope for r in _records(db, w)} >= {"name", HOUSING}
    assert (HOUSING, True) in _partner_reads(db, w)


@pytest.fixture
def sqlite_race_app(keyring: Keyring, tmp_path: Path) -> Iterator[Flask]:
    """An app on a SQLite file of its own (WAL, the app's engine events), where requests
    commit for real: the read path there takes the write lock itself (``write_lock.take``)."""
    from app import create_app
    from app.extensions import db as flask_db
    from tests.conftest import make_settings

    url = f"sqlite:///{tmp_path / 'race.db'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app(make_settings(url, tmp_path, keyring))
    yield app
    with app.app_context():
        flask_db.session.remove()
        flask_db.engine.dispose()


@pytest.mark.postgresql_only
def test_two_first_reads_at_once_seal_once(race_app: Flask) -> None:
    _two_reads_and_maintenance_at_once(race_app)


def test_two_first_reads_at_once_seal_once_on_sqlite(sqlite_race_app: Flask) -> None:
    _two_reads_and_maintenance_at_once(sqlite_race_app)


def _two_reads_and_maintenance_at_once(race_app: Flask) -> None:
    """Two first reads of one client on its consent's first day, and a maintenance run, at
    the same moment, each with its own connection: both reads succeed, and every seal is made
    once, with its record."""
    from app.extensions import db as flask_db

    with race_app.app_context():
        session = flask_db.session()
        w = _world(session, "consent")
        session.execute(update(Consent).where(Consent.id == w.basis_id).values(valid_from=w.today))
        session.commit()
        url = f"/api/v1/clients/{w.record.id}/plan"
        flask_db.session.remove()

    setup = race_app.test_client()
    headers = api_token(setup, w.staff_name)
    start = threading.Barrier(3)
    answers: dict[int, Any] = {}
    ran: list[maintenance.MaintenanceReport] = []

    def read(n: int) -> None:
        browser = race_app.test_client()  # its own client, app context and connection
        start.wait(timeout=30)
        answers[n] = browser.get(url, headers=headers)

    def maintain() -> None:
        with race_app.app_context():
            start.wait(timeout=30)
            now = factories.now()
            assert try_lock(flask_db.session())  # as the command does
            ran.append(maintenance.run(flask_db.session(), new_gate(), now=now))
            flask_db.session.commit()
            flask_db.session.remove()

    threads = [threading.Thread(target=read, args=(n,)) for n in (1, 2)]
    threads.append(threading.Thread(target=maintain))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(a.status_code for a in answers.values()) == [200, 200], [
        a.get_data(as_text=True) for a in answers.values()
    ]
    assert all(HOUSING_TEXT in a.get_data(as_text=True) for a in answers.values())
    assert len(ran) == 1

    with race_app.app_context():
        session = flask_db.session()
        seals = session.execute(
            select(KeySeal.data_key_id, KeySeal.grantee_key_id, KeySeal.id).where(
                KeySeal.basis_id == w.basis_id
            )
        ).all()
        records = session.scalars(select(SealRecord).where(SealRecord.basis_id == w.basis_id)).all()
        assert len(seals) >= 2
        assert len({(k, g) for k, g, _ in seals}) == len(seals)  # none twice
        assert {r.seal_id for r in records} == {s for _, _, s in seals}  # a record each
        assert all(r.removed_at is None for r in records)
        flask_db.session.remove()


def test_a_basis_naming_no_section_is_not_found_again_and_again(db: Session) -> None:
    w = _world(db, "consent")
    assert w.record.id in maintenance._clients_with_unsealed_bases(db, w.tomorrow)
    db.execute(update(Consent).where(Consent.id == w.basis_id).values(sections=[]))
    assert w.record.id not in maintenance._clients_with_unsealed_bases(db, w.tomorrow)
