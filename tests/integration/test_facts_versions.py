"""A worker keeps case facts only as long as the database says they are current.

``app.cases.facts`` keeps recently gathered facts in each process under the client's facts
version, a token the database replaces by trigger whenever a row of a fact table changes.
A stale entry would let a revoked consent open a plan, so: every way of writing every
fact table (ORM, Core, raw SQL; insert, update, delete; a row moved to another client)
replaces the token; the loader reads no table without triggers; and a revocation
committed by another process is seen by the very next load here, on a real database.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Table, Uuid, bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from app import create_app
from app.cases.facts import (
    FACT_TABLES,
    FACTS_VERSIONS,
    RECENT,
    RecentFacts,
    load_case_contexts,
)
from app.extensions import db as flask_db
from app.models import CaseTeamMember, OrgKind, Role, WorkTaskReason
from app.models.transfer import CountyTransfer, DeclineReason, TransferReason, TransferState
from consent.base import Base, utcnow
from consent.decision import decide
from consent.facts import (
    EVERYTHING,
    AccessRequest,
    Action,
    CaseContext,
    ConsentFacts,
    Direction,
    FactsNeeded,
    Purpose,
)
from consent.models import Consent, StatutoryDisclosure
from consent.sections import SectionKind
from sharing.keys import Keyring
from tests import factories
from tests.conftest import BACKENDS, fresh_postgresql_database, make_settings


@dataclass
class World:
    client_id: uuid.UUID
    other_case_id: uuid.UUID  # another client's case: a row moved there concerns both
    rows: dict[str, uuid.UUID]  # a row of each fact table that concerns the client


def build(db: Session) -> World:
    county, worker, record, case = factories.county_case(db)
    housing = factories.partner(db, case)
    consent = factories.consent(
        db, factories.actor(worker), case, housing.member, SectionKind.HOUSING
    )
    colleague = factories.user(db, Role.CASEWORKER, county)
    team = CaseTeamMember(case_id=case.id, user_id=colleague.id)
    task = WorkTaskReason(
        case_id=case.id,
        client_id=record.id,
        user_id=colleague.id,
        reason_ct=b"",
        valid_until=utcnow() + timedelta(hours=2),
    )
    disclosure = StatutoryDisclosure(
        client_id=record.id,
        case_id=case.id,
        member_id=housing.member.id,
        sections=[SectionKind.HOUSING.value],
        provision="Laki 1/2000 (fictional)",
        decided_by_id=worker.id,
        decided_at=utcnow(),
        valid_from=utcnow().date(),
    )
    elsewhere = factories.organisation(db, OrgKind.COUNTY)
    transfer = CountyTransfer(
        client_id=record.id,
        case_id=case.id,
        from_county_id=county.id,
        to_county_id=elsewhere.id,
        reason=TransferReason.MOVED,
        proposed_by_id=worker.id,
        # Answered: its copies are no second open proposal (one a case).
        state=TransferState.DECLINED,
        answered_by_id=worker.id,
        answered_at=utcnow(),
        decline_reason=DeclineReason.NOT_RESIDENT,
    )
    db.add_all([team, task, disclosure, transfer])
    db.flush()
    other = factories.county_case(db, name="Kuvitteellinen Toinen", county=county).case
    worker_row = db.scalars(
        select(Base.metadata.tables["responsible_workers"].c.id).where(
            Base.metadata.tables["responsible_workers"].c.case_id == case.id
        )
    ).one()
    rows = {
        "cases": case.id,
        "responsible_workers": worker_row,
        "case_team": team.id,
        "work_task_reasons": task.id,
        "network_members": housing.member.id,
        "consents": consent.id,
        "statutory_disclosures": disclosure.id,
        "county_transfers": transfer.id,
    }
    assert set(rows) == FACT_TABLES  # a new fact table needs a row here (and is tested)
    return World(record.id, other.id, rows)


def version(db: Session, client_id: uuid.UUID) -> uuid.UUID | None:
    return db.scalar(
        select(FACTS_VERSIONS.c.version).where(FACTS_VERSIONS.c.client_id == client_id)
    )


def mapped(table: Table) -> type[Base]:
    return next(m.class_ for m in Base.registry.mappers if m.local_table is table)


def copy_of(db: Session, table: Table, row_id: uuid.UUID) -> dict[str, object]:
    """The row's values under a new id (a removed team membership: one current per person)."""
    values = dict(db.execute(select(table).where(table.c.id == row_id)).one()._mapping)
    values["id"] = uuid.uuid4()
    if "removed_at" in values:
        values["removed_at"] = utcnow()
    return values


def a_column(table: Table) -> str:
    return next(c.name for c in table.columns if not c.primary_key)


ID = bindparam("id", type_=Uuid())
NEW = bindparam("new", type_=Uuid())


def orm_insert(db: Session, table: Table, world: World) -> None:
    db.add(mapped(table)(**copy_of(db, table, world.rows[table.name])))
    db.flush()


def orm_update(db: Session, table: Table, world: World) -> None:
    row = db.get(mapped(table), world.rows[table.name])
    flag_modified(row, a_column(table))
    db.flush()


def orm_delete(db: Session, table: Table, world: World) -> None:
    row = mapped(table)(**copy_of(db, table, world.rows[table.name]))
    db.add(row)
    db.flush()
    before = version(db, world.client_id)
    db.delete(row)
    db.flush()
    assert version(db, world.client_id) != before


def core_insert(db: Session, table: Table, world: World) -> None:
    db.execute(insert(table).values(copy_of(db, table, world.rows[table.name])))


def core_update(db: Session, table: Table, world: World) -> None:
    column = a_column(table)
    db.execute(
        update(table).where(table.c.id == world.rows[table.name]).values({column: table.c[column]})
    )


def core_delete(db: Session, table: Table, world: World) -> None:
    copy = copy_of(db, table, world.rows[table.name])
    db.execute(insert(table).values(copy))
    before = version(db, world.client_id)
    db.execute(delete(table).where(table.c.id == copy["id"]))
    assert version(db, world.client_id) != before


def raw_insert(db: Session, table: Table, world: World) -> None:
    # INSERT … SELECT, as a bulk copy does; a removed team membership (one current a person).
    columns = [c.name for c in table.columns]
    chosen = ", ".join(
        ":new" if c == "id" else "added_at" if c == "removed_at" else c for c in columns
    )
    db.execute(
        text(
            f"INSERT INTO {table.name} ({', '.join(columns)})"  # noqa: S608  (the metadata's names)
            f" SELECT {chosen} FROM {table.name} WHERE id = :id"
        ).bindparams(ID, NEW),
        {"id": world.rows[table.name], "new": uuid.uuid4()},
    )


def raw_update(db: Session, table: Table, world: World) -> None:
    column = a_column(table)
    db.execute(
        text(f"UPDATE {table.name} SET {column} = {column} WHERE id = :id").bindparams(ID),  # noqa: S608
        {"id": world.rows[table.name]},
    )


def raw_delete(db: Session, table: Table, world: World) -> None:
    copy = copy_of(db, table, world.rows[table.name])
    db.execute(insert(table).values(copy))
    before = version(db, world.client_id)
    db.execute(text(f"DELETE FROM {table.name} WHERE id = :id").bindparams(ID), {"id": copy["id"]})  # noqa: S608
    assert version(db, world.client_id) != before


WRITES: dict[str, Callable[[Session, Table, World], None]] = {
    f.__name__: f
    for f in (
        orm_insert,
        orm_update,
        orm_delete,
        core_insert,
        core_update,
        core_delete,
        raw_insert,
        raw_update,
        raw_delete,
    )
}


@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("table_name", sorted(FACT_TABLES))
def test_every_write_to_every_fact_table_replaces_the_version(
    db: Session, table_name: str, write: str
) -> None:
    world = build(db)
    before = version(db, world.client_id)
    assert before is not None
    WRITES[write](db, Base.metadata.tables[table_name], world)
    after = version(db, world.client_id)
    assert after is not None and after != before


@pytest.mark.parametrize("table_name", sorted(FACT_TABLES - {"cases"}))
def test_a_row_moved_to_another_case_replaces_both_clients_versions(
    db: Session, table_name: str
) -> None:
    world = build(db)
    table = Base.metadata.tables[table_name]
    other = db.scalar(
        select(Base.metadata.tables["cases"].c.client_id).where(
            Base.metadata.tables["cases"].c.id == world.other_case_id
        )
    )
    assert other is not None
    mine, theirs = version(db, world.client_id), version(db, other)
    db.execute(
        update(table)
        .where(table.c.id == world.rows[table_name])
        .values(case_id=world.other_case_id)
    )
    assert version(db, world.client_id) != mine and version(db, other) != theirs


def test_the_loader_reads_only_tables_that_keep_versions(db: Session, sql_count: list[str]) -> None:
    world = build(db)
    RECENT.clear()
    sql_count.clear()
    load_case_contexts(db, [world.client_id], EVERYTHING)
    read = {
        name
        for statement in sql_count
        for name in re.findall(r"\b(?:FROM|JOIN)\s+\"?(\w+)", statement)
    }
    assert read == FACT_TABLES | {FACTS_VERSIONS.name}


def test_kept_facts_are_used_until_a_fact_changes(db: Session, sql_count: list[str]) -> None:
    world = build(db)
    RECENT.clear()
    db.commit()  # a new transaction: the session's own facts are forgotten
    first = load_case_contexts(db, [world.client_id], EVERYTHING)[world.client_id]
    db.commit()
    counted = len(sql_count)  # (clearing the count would clear the kept facts too)
    again = load_case_contexts(db, [world.client_id], EVERYTHING)[world.client_id]
    assert again is first and len(sql_count) == counted + 1  # the facts version only
    consent = db.get(Consent, world.rows["consents"])
    assert consent is not None
    consent.valid_until = consent.valid_from
    db.commit()
    changed = load_case_contexts(db, [world.client_id], EVERYTHING)[world.client_id]
    assert changed is not first
    assert changed.consents[0].valid_until == consent.valid_from


# -- two processes, one database ---------------------------------------------------------------

REVOKE = """
import sys, uuid
from sqlalchemy import create_engine, update
from consent.base import utcnow
from consent.models import Consent, ConsentState
engine = create_engine(sys.argv[1])
with engine.begin() as connection:
    connection.execute(
        update(Consent.__table__)
        .where(Consent.__table__.c.id == uuid.UUID(sys.argv[2]))
        .values(state=ConsentState.REVOKED, ended_at=utcnow())
    )
"""


@pytest.fixture(params=BACKENDS)
def committing_app(
    request: pytest.FixtureRequest, keyring: Keyring, tmp_path: Path
) -> Iterator[Flask]:
    """An app whose sessions commit for real, so that another process sees the writes."""
    if request.param == "postgresql":
        url = fresh_postgresql_database()
    else:
        url = f"sqlite:///{tmp_path / 'shared.db'}"
    app = create_app(make_settings(url, tmp_path, keyring))
    with app.app_context():
        if request.param == "sqlite":
            Base.metadata.create_all(flask_db.engine)
        yield app
        flask_db.session.remove()
        if request.param == "postgresql":
            Base.metadata.drop_all(flask_db.engine)
        flask_db.engine.dispose()


def test_a_revocation_in_another_process_is_seen_by_the_next_request(
    committing_app: Flask,
) -> None:
    session = flask_db.session()
    _, worker, record, case = factories.county_case(session)
    housing = factories.partner(session, case)
    consent = factories.consent(
        session, factories.actor(worker), case, housing.member, SectionKind.HOUSING
    )
    session.commit()
    partner = factories.actor(housing.staff)
    needed = FactsNeeded.of(partner, Purpose.NETWORK_COOPERATION)

    def request() -> bool:
        """One request of the partner's: a transaction of its own, then gone."""
        with Session(flask_db.engine) as own:
            case_facts = load_case_contexts(own, [record.id], needed).get(record.id)
            at = utcnow()
            asked = AccessRequest(
                partner,
                record.id,
                Action.READ,
                Purpose.NETWORK_COOPERATION,
                at,
                SectionKind.HOUSING,
            )
            return decide(asked, case_facts).allowed

    RECENT.clear()
    assert request() and request()  # the second from the facts this process keeps
    kept = len(RECENT)
    assert kept == 1
    url = flask_db.engine.url.render_as_string(hide_password=False)
    subprocess.run(  # noqa: S603  (this interpreter, a fixed script)
        [sys.executable, "-c", REVOKE, url, str(consent.id)],
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert not request()


def test_the_kept_facts_are_bounded_by_their_weight_least_recently_used_out() -> None:
    def case(consents: int) -> CaseContext:
        facts = ConsentFacts(
            uuid.uuid4(),
            uuid.uuid4(),
            frozenset({SectionKind.HOUSING}),
            utcnow().date(),
            None,
            Direction.DISCLOSE,
            Purpose.NETWORK_COOPERATION,
        )
        return CaseContext(uuid.uuid4(), uuid.uuid4(), consents=(facts,) * consents)

    kept = RecentFacts(facts=10)
    keys = [(uuid.uuid4(), EVERYTHING, uuid.uuid4()) for _ in range(4)]
    for key in keys[:3]:
        kept.put(*key, case(2))  # 3 facts each (the case and two consents): 9 held
    assert kept.get(*keys[0]) is not None  # now the most recently used
    kept.put(*keys[3], case(4))  # 5 more: the least recently used go until 10 or fewer
    assert [kept.get(*key) is not None for key in keys] == [True, False, False, True]


def test_newer_facts_replace_the_kept_ones_of_the_same_client_and_part() -> None:
    kept = RecentFacts(facts=100)
    client, older, newer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    first = CaseContext(client, uuid.uuid4())
    second = CaseContext(client, uuid.uuid4())
    kept.put(client, EVERYTHING, older, first)
    assert kept.holds(client, EVERYTHING) and not kept.holds(client, FactsNeeded())
    kept.put(client, EVERYTHING, newer, second)
    assert len(kept) == 1
    assert kept.get(client, EVERYTHING, older) is None  # a stale version is never served
    assert kept.get(client, EVERYTHING, newer) is second
