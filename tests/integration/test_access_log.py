"""The access log chains each client's entries, names the first tampered one, stays append-only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

# Imported at module level: collection runs before the conftest's create_all, so the table and
# its triggers are on the metadata when the test databases are built.
from sharing import access_log
from sharing.access_log import (
    APPEND_ONLY_TRIGGERS,
    GENESIS,
    HASHED_FIELDS,
    AccessAction,
    AccessLogEntry,
    BrokenEntry,
    LogRecord,
    append,
    compute_hash,
    entries_for_client,
    verify,
)

T0 = datetime(2026, 3, 2, 8, 30, 0, 123456, tzinfo=UTC)
HELSINKI_WINTER = timezone(timedelta(hours=2))


def record(client_id: uuid.UUID, n: int = 0, **changes: Any) -> LogRecord:
    values: dict[str, Any] = {
        "client_id": client_id,
        "at": T0 + timedelta(minutes=n),
        "actor_user_id": uuid.uuid4(),
        "actor_role": "caseworker",
        "action": AccessAction.READ,
        "allowed": n % 2 == 0,
        "reason": "responsible_worker" if n % 2 == 0 else "no_relationship",
        "scope": "section:housing",
        "purpose": "case_work",
        "basis_kind": "relationship",
    }
    return LogRecord(**(values | changes))


def chain_of(db: Session, client_id: uuid.UUID) -> list[AccessLogEntry]:
    return sorted(entries_for_client(db, client_id, limit=1000), key=lambda e: e.seq)


@contextmanager
def append_only_switched_off(db: Session) -> Iterator[None]:
    """Switch the triggers off inside the test's transaction, as a privileged tamperer would."""
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        db.execute(text("ALTER TABLE access_log DISABLE TRIGGER USER"))
    else:
        db.execute(text("DROP TRIGGER access_log_no_update"))
        db.execute(text("DROP TRIGGER access_log_no_delete"))
    try:
        yield
    finally:
        # The outer rollback would restore them too; restoring here keeps the test honest
        # whatever the driver does with DDL inside a transaction.
        if dialect == "postgresql":
            db.execute(text("ALTER TABLE access_log ENABLE TRIGGER USER"))
        else:
            for statement in APPEND_ONLY_TRIGGERS["sqlite"]:
                db.execute(text(statement))


def tamper(db: Session, client_id: uuid.UUID, seq: int, **values: Any) -> None:
    with append_only_switched_off(db):
        db.execute(
            update(AccessLogEntry)
            .where(AccessLogEntry.client_id == client_id, AccessLogEntry.seq == seq)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


# --- chains -------------------------------------------------------------------------------


def test_each_client_has_its_own_chain_starting_from_genesis(db: Session) -> None:
    anna, ben = uuid.uuid4(), uuid.uuid4()
    for n in range(3):
        append(db, [record(anna, n)])
    append(db, [record(ben, 0), record(ben, 1)])

    for client_id, length in [(anna, 3), (ben, 2)]:
        chain = chain_of(db, client_id)
        assert [e.seq for e in chain] == list(range(1, length + 1))
        assert chain[0].prev_hash == GENESIS
        assert [e.prev_hash for e in chain[1:]] == [e.entry_hash for e in chain[:-1]]
        assert all(len(e.entry_hash) == 32 for e in chain)


def test_one_call_appends_to_several_chains_in_the_given_order(db: Session) -> None:
    anna, ben, cecilia = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    append(db, [record(anna, 0)])

    batch = [record(anna, 1), record(ben, 2), record(anna, 3), record(cecilia, 4), record(ben, 5)]
    entries = append(db, batch)

    assert [(e.client_id, e.seq) for e in entries] == [
        (anna, 2),
        (ben, 1),
        (anna, 3),
        (cecilia, 1),
        (ben, 2),
    ]
    assert [e.at for e in entries] == [r.at for r in batch]
    assert verify(db).ok


def test_an_entry_keeps_every_business_field(db: Session) -> None:
    given = record(
        uuid.uuid4(),
        at=datetime(2026, 3, 2, 10, 0, 0, 1, tzinfo=HELSINKI_WINTER),
        action=AccessAction.PREVIEW,
        organisation_id=uuid.uuid4(),
        member_id=uuid.uuid4(),
        assisted_by_user_id=uuid.uuid4(),
        basis_kind="consent",
        basis_id=uuid.uuid4(),
        previewed_as=f"organisation:{uuid.uuid4()}",
    )
    (entry,) = append(db, [given])
    db.expire_all()

    stored = db.get(AccessLogEntry, entry.id)
    assert stored is not None
    assert stored.at == given.at and stored.at.utcoffset() == timedelta(0)
    assert stored.action is AccessAction.PREVIEW
    for name in ("member_id", "assisted_by_user_id", "basis_id", "previewed_as", "allowed"):
        assert getattr(stored, name) == getattr(given, name)


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        record(uuid.uuid4(), at=datetime(2026, 3, 2, 8, 30))


def test_none_and_empty_text_hash_differently() -> None:
    given = record(uuid.uuid4())
    blank = replace(given, previewed_as="")
    assert given.previewed_as is None
    assert compute_hash(GENESIS, 1, given) != compute_hash(GENESIS, 1, blank)


def test_a_writer_that_keeps_losing_the_race_gives_up(
    db: Session, sql_count: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, 0)])
    # A stale read of the heads every time: each attempt collides with the existing seq 1.
    monkeypatch.setattr(access_log, "_heads", lambda session, client_ids: {})
    monkeypatch.setattr(access_log, "MAX_ATTEMPTS", 3)
    monkeypatch.setattr(access_log.time, "sleep", lambda seconds: None)
    sql_count.clear()

    with pytest.raises(access_log.AccessLogContention):
        append(db, [record(anna, 1)])

    assert [s.split()[0] for s in sql_count] == ["INSERT"] * 3
    assert [e.seq for e in chain_of(db, anna)] == [1]  # the session survives


def test_an_entry_the_database_refuses_is_not_retried(db: Session, sql_count: list[str]) -> None:
    bad = replace(record(uuid.uuid4()), actor_role=None)  # type: ignore[arg-type]  # on purpose

    with pytest.raises(IntegrityError):
        append(db, [bad])

    assert [s.split()[0] for s in sql_count] == ["SELECT", "INSERT"]


# --- verify -------------------------------------------------------------------------------


def test_verify_passes_on_an_untouched_log(db: Session) -> None:
    clients = [uuid.uuid4() for _ in range(3)]
    append(db, [record(c, n, at=T0.astimezone(HELSINKI_WINTER)) for n in range(4) for c in clients])

    report = verify(db)
    assert report.ok and report.first_broken is None
    assert (report.chains, report.entries) >= (3, 12)  # other tests' rows are rolled back
    one = verify(db, clients[0])
    assert (one.ok, one.chains, one.entries) == (True, 1, 4)
    assert verify(db, uuid.uuid4()) == type(one)(True, 0, 0, None)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"allowed": False}, id="an allowed read relabelled as refused"),
        pytest.param({"reason": "consent"}, id="reason"),
        pytest.param({"at": T0 + timedelta(minutes=2, microseconds=1)}, id="time by 1 µs"),
        pytest.param({"actor_user_id": uuid.UUID(int=7)}, id="actor"),
        pytest.param({"previewed_as": ""}, id="None became empty text"),
        pytest.param({"basis_kind": None}, id="basis removed"),
    ],
)
def test_a_changed_field_is_named_as_the_first_broken_entry(
    db: Session, change: dict[str, Any]
) -> None:
    anna, other = uuid.uuid4(), uuid.uuid4()
    append(db, [record(anna, n) for n in range(5)] + [record(other, n) for n in range(5)])
    third = chain_of(db, anna)[2]

    tamper(db, anna, 3, **change)

    report = verify(db, anna)
    assert not report.ok
    assert report.first_broken == BrokenEntry(anna, 3, third.id, "hash mismatch")
    assert verify(db, other).ok


def test_a_deleted_entry_shows_as_a_sequence_gap(db: Session) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, n) for n in range(5)])
    fourth = chain_of(db, anna)[3]

    with append_only_switched_off(db):
        db.execute(
            delete(AccessLogEntry)
            .where(AccessLogEntry.client_id == anna, AccessLogEntry.seq == 3)
            .execution_options(synchronize_session=False)
        )

    assert verify(db, anna).first_broken == BrokenEntry(anna, 4, fourth.id, "sequence gap")


def test_a_rehashed_entry_breaks_the_next_link(db: Session) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, n) for n in range(5)])
    third, fourth = chain_of(db, anna)[2:4]
    # A tamperer who knows the encoding recomputes entry 3's own hash; entry 4 still points
    # at the old one.
    forged = replace(
        LogRecord(**{name: getattr(third, name) for name in HASHED_FIELDS}), allowed=False
    )
    tamper(db, anna, 3, allowed=False, entry_hash=compute_hash(third.prev_hash, 3, forged))

    assert verify(db, anna).first_broken == BrokenEntry(
        anna, 4, fourth.id, "prev_hash does not match previous entry"
    )


def test_the_first_broken_entry_is_found_in_client_order(db: Session) -> None:
    low, high = uuid.UUID(int=1), uuid.UUID(int=2)
    append(db, [record(c, n) for c in (high, low) for n in range(5)])
    tamper(db, high, 2, reason="consent")
    tamper(db, low, 4, reason="consent")

    broken = verify(db).first_broken
    assert broken is not None and (broken.client_id, broken.seq) == (low, 4)


# --- append-only --------------------------------------------------------------------------


def orm_update(db: Session, entry: AccessLogEntry) -> None:
    entry.allowed = not entry.allowed
    db.flush()


def orm_delete(db: Session, entry: AccessLogEntry) -> None:
    db.delete(entry)
    db.flush()


def sql_update(db: Session, entry: AccessLogEntry) -> None:
    db.execute(text("UPDATE access_log SET reason = 'consent'"))


def sql_delete(db: Session, entry: AccessLogEntry) -> None:
    db.execute(text("DELETE FROM access_log"))


def sql_empty(db: Session, entry: AccessLogEntry) -> None:
    # TRUNCATE skips PostgreSQL's row triggers; SQLite has no TRUNCATE, only this DELETE.
    postgresql = db.get_bind().dialect.name == "postgresql"
    db.execute(text("TRUNCATE access_log" if postgresql else "DELETE FROM access_log"))


@pytest.mark.parametrize("attempt", [orm_update, orm_delete, sql_update, sql_delete, sql_empty])
def test_the_database_refuses_to_change_or_remove_entries(db: Session, attempt: Any) -> None:
    anna = uuid.uuid4()
    (entry, _) = append(db, [record(anna, 0), record(anna, 1)])

    with pytest.raises(DBAPIError, match="access_log is append-only"), db.begin_nested():
        attempt(db, entry)

    db.expire_all()  # the session survives the refusal: re-read what is stored
    assert [e.seq for e in chain_of(db, anna)] == [1, 2]
    assert verify(db, anna).ok


def test_a_rollback_tells_which_appended_records_it_discarded(db: Session) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, 0)])
    db.commit()  # the fixture's commit: a savepoint released inside the test's transaction
    lost = record(anna, 1)
    append(db, [lost])
    db.rollback()

    assert access_log.lost_in_rollback(db) == [lost]
    assert access_log.lost_in_rollback(db) == []  # reported once


# --- queries ------------------------------------------------------------------------------


def test_a_batch_append_runs_a_fixed_number_of_queries(db: Session, sql_count: list[str]) -> None:
    clients = [uuid.uuid4() for _ in range(25)]
    append(db, [record(c) for c in clients[:10]])  # some chains already have a head

    def queries_for(records: list[LogRecord]) -> list[str]:
        sql_count.clear()
        append(db, records)
        return [statement.split()[0] for statement in sql_count]

    assert queries_for([record(clients[0], 1)]) == ["SELECT", "INSERT"]
    assert queries_for([record(c, 2) for c in clients]) == ["SELECT", "INSERT"]
    assert verify(db).ok


# --- the client's own page ----------------------------------------------------------------


def test_entries_for_client_pages_newest_first(db: Session) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, n) for n in range(7)] + [record(uuid.uuid4(), 9)])

    newest = entries_for_client(db, anna, limit=3)
    assert [e.seq for e in newest] == [7, 6, 5]
    assert [e.seq for e in entries_for_client(db, anna, limit=3, offset=3)] == [4, 3, 2]
    assert [e.seq for e in entries_for_client(db, anna, since=T0 + timedelta(minutes=5))] == [7, 6]
    assert entries_for_client(db, uuid.uuid4()) == []
    with pytest.raises(ValueError, match="limit"):
        entries_for_client(db, anna, limit=0)
