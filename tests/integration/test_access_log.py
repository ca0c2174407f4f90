"""The access log MACs each client's chain, names every tampered entry, stays append-only.

Tampering needs the append-only triggers switched off first, as a privileged hand would.
Heads kept outside the database (a checkpoint's, a receipt's) are given to ``verify`` as
``ExpectedHead``; the checkpoint file itself is tested in ``test_checkpoints.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import delete, insert, text, update
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
    Broken,
    ExpectedHead,
    LogRecord,
    Problem,
    _text_sql,
    append,
    compute_hash,
    entries_for_client,
    entry_mac,
    entry_text,
    verify,
)
from sharing.errors import KeyringError
from sharing.keys import LogKeys

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


def fields_of(entry: AccessLogEntry) -> LogRecord:
    return LogRecord(**{name: getattr(entry, name) for name in HASHED_FIELDS})


@pytest.fixture
def log_keys(db: Session) -> Iterator[LogKeys]:
    """The keys the database's log is MACed with; a test may bind others, restored after."""
    engine = db.connection().engine
    bound = access_log._KEYS[engine]
    keys = bound()
    assert keys is not None
    yield keys
    access_log._KEYS[engine] = bound


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


def tamper(db: Session, client_id: uuid.UUID, seq: int, /, **values: Any) -> None:
    with append_only_switched_off(db):
        db.execute(
            update(AccessLogEntry)
            .where(AccessLogEntry.client_id == client_id, AccessLogEntry.seq == seq)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    db.expire_all()


def remove(db: Session, client_id: uuid.UUID, *seqs: int) -> None:
    with append_only_switched_off(db):
        condition = AccessLogEntry.client_id == client_id
        if seqs:
            condition &= AccessLogEntry.seq.in_(seqs)
        db.execute(delete(AccessLogEntry).where(condition))
    db.expire_all()


def problems(db: Session, client_id: uuid.UUID | None = None, **kwargs: Any) -> list[tuple]:  # type: ignore[type-arg]  # (client, seq, kind) tuples
    return [(b.client_id, b.seq, b.problem) for b in verify(db, client_id, **kwargs).problems]


# --- chains -------------------------------------------------------------------------------


def test_each_client_has_its_own_chain_of_macs_starting_from_genesis(
    db: Session, log_keys: LogKeys
) -> None:
    anna, ben = uuid.uuid4(), uuid.uuid4()
    for n in range(3):
        append(db, [record(anna, n)])
    append(db, [record(ben, 0), record(ben, 1)])

    mac = log_keys.mac(log_keys.active_mac_id)
    assert mac is not None
    for client_id, length in [(anna, 3), (ben, 2)]:
        chain = chain_of(db, client_id)
        assert [e.seq for e in chain] == list(range(1, length + 1))
        assert chain[0].prev_hash == GENESIS
        assert [e.prev_hash for e in chain[1:]] == [e.entry_hash for e in chain[:-1]]
        assert {e.key_id for e in chain} == {log_keys.active_mac_id}
        for entry in chain:  # each MAC is the documented HMAC over the entry
            expected = entry_mac(
                mac, entry.key_id or "", entry.prev_hash, entry.seq, fields_of(entry)
            )
            assert entry.entry_hash == expected


def test_one_call_appends_to_several_chains_in_the_given_order(db: Session) -> None:
    anna, ben, cecilia = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    append(db, [record(anna, 0)])

    batch = [record(anna, 1), record(ben, 2), record(anna, 3), record(cecilia, 4), record(ben, 5)]
    appended = append(db, batch)

    assert [(e.client_id, e.seq) for e in appended] == [
        (anna, 2),
        (ben, 1),
        (anna, 3),
        (cecilia, 1),
        (ben, 2),
    ]
    stored = {(e.client_id, e.seq): e for c in (anna, ben, cecilia) for e in chain_of(db, c)}
    assert [stored[(e.client_id, e.seq)].at for e in appended] == [r.at for r in batch]
    assert [stored[(e.client_id, e.seq)].id for e in appended] == [e.id for e in appended]
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
    (appended,) = append(db, [given])
    db.expire_all()

    stored = db.get(AccessLogEntry, appended.id)
    assert stored is not None
    assert stored.at == given.at and stored.at.utcoffset() == timedelta(0)
    assert stored.action is AccessAction.PREVIEW
    for name in ("member_id", "assisted_by_user_id", "basis_id", "previewed_as", "allowed"):
        assert getattr(stored, name) == getattr(given, name)


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        record(uuid.uuid4(), at=datetime(2026, 3, 2, 8, 30))


def test_none_and_empty_text_are_told_apart() -> None:
    given = record(uuid.uuid4())
    blank = replace(given, previewed_as="")
    dash = replace(given, previewed_as="-")
    assert given.previewed_as is None
    texts = {entry_text("lk", 1, r) for r in (given, blank, dash)}
    assert len(texts) == 3
    assert compute_hash(GENESIS, 1, given) != compute_hash(GENESIS, 1, blank)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({}, id="plain"),
        pytest.param({"previewed_as": "ääkköset ja 🙂: 5:-"}, id="non-ASCII, colons, dashes"),
        pytest.param(
            {"previewed_as": 'a "quote", a \\ and \t\n\x01\x7f', "scope": "[]{}"},
            id="characters JSON escapes",
        ),
        pytest.param({"previewed_as": "", "basis_kind": None}, id="empty and NULL"),
        pytest.param({"at": datetime(2026, 7, 1, 0, 0, tzinfo=HELSINKI_WINTER)}, id="zero µs"),
        pytest.param({"allowed": True, "member_id": uuid.UUID(int=1)}, id="true, small uuid"),
    ],
)
def test_the_database_renders_the_text_the_mac_covers(db: Session, changes: dict[str, Any]) -> None:
    """The SQL ``verify`` streams renders each stored row exactly as ``entry_text`` does."""
    given = record(uuid.uuid4(), 12, **changes)
    (appended,) = append(db, [given])
    connection = db.connection()
    sqlite = connection.dialect.name == "sqlite"
    rendered = connection.exec_driver_sql(
        f"SELECT {_text_sql(connection.dialect.name)} FROM access_log "  # noqa: S608
        + ("WHERE id = ?" if sqlite else "WHERE id = %s"),
        (appended.id.hex if sqlite else appended.id,),
    ).scalar_one()
    key_id = chain_of(db, given.client_id)[0].key_id
    assert key_id is not None
    assert bytes(rendered) == entry_text(key_id, 1, given)


def test_an_entry_with_a_nul_character_is_refused(db: Session) -> None:
    with pytest.raises(ValueError, match="NUL"):
        append(db, [record(uuid.uuid4(), previewed_as="a\x00b")])


def test_an_entry_the_database_refuses_is_not_retried(db: Session, sql_count: list[str]) -> None:
    bad = replace(record(uuid.uuid4()), actor_role=None)  # type: ignore[arg-type]  # on purpose

    with pytest.raises(IntegrityError), db.begin_nested():
        append(db, [bad])

    assert [s.split()[0] for s in sql_count] == ["SELECT", "INSERT"]


def test_without_log_keys_nothing_is_appended(db: Session, log_keys: LogKeys) -> None:
    access_log.use_keys(db.connection().engine, lambda: None)  # a keyring without log keys
    with pytest.raises(KeyringError, match="flask keys init"):
        append(db, [record(uuid.uuid4())])


# --- verify: the chain itself ---------------------------------------------------------------


def test_verify_passes_on_an_untouched_log(db: Session) -> None:
    clients = [uuid.uuid4() for _ in range(3)]
    append(db, [record(c, n, at=T0.astimezone(HELSINKI_WINTER)) for n in range(4) for c in clients])

    report = verify(db)
    assert report.ok and report.first_broken is None and report.problems == ()
    assert (report.chains, report.entries) >= (3, 12)  # other tests' rows are rolled back
    one = verify(db, clients[0])
    assert (one.ok, one.chains, one.entries) == (True, 1, 4)
    nobody = verify(db, uuid.uuid4())
    assert (nobody.ok, nobody.chains, nobody.entries) == (True, 0, 0)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"allowed": False}, id="an allowed read relabelled as refused"),
        pytest.param({"reason": "consent"}, id="reason"),
        pytest.param({"at": T0 + timedelta(minutes=2, microseconds=1)}, id="time by 1 µs"),
        pytest.param({"actor_user_id": uuid.UUID(int=7)}, id="actor"),
        pytest.param({"previewed_as": ""}, id="None became empty text"),
        pytest.param({"basis_kind": None}, id="basis removed"),
        pytest.param({"action": AccessAction.WRITE}, id="action"),
        pytest.param({"client_id": uuid.UUID(int=99)}, id="moved to another client"),
    ],
)
def test_an_edited_entry_is_named(db: Session, change: dict[str, Any]) -> None:
    anna, other = uuid.uuid4(), uuid.uuid4()
    append(db, [record(anna, n) for n in range(5)] + [record(other, n) for n in range(5)])

    tamper(db, anna, 3, **change)

    if "client_id" in change:  # the moved entry leaves a gap and breaks its new chain
        assert (anna, 4, Problem.MISSING) in problems(db, anna)
        assert (uuid.UUID(int=99), 3, Problem.EDITED) in problems(db, uuid.UUID(int=99))
    else:
        assert problems(db, anna) == [(anna, 3, Problem.EDITED)]
    assert verify(db, other).ok


def test_a_deleted_entry_shows_as_missing_entries(db: Session) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, n) for n in range(5)])

    remove(db, anna, 3)

    assert problems(db, anna) == [(anna, 4, Problem.MISSING)]


def test_without_the_key_an_entry_cannot_be_forged(db: Session) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, n) for n in range(3)])
    third = chain_of(db, anna)[2]
    # A tamperer who knows the encoding but not the key MACs the edited entry with a key of
    # their own, under the real key's id.
    guess = LogKeys.generate()
    guessed_mac = guess.mac(guess.active_mac_id)
    assert guessed_mac is not None and third.key_id is not None
    forged = replace(fields_of(third), allowed=not third.allowed)
    tamper(
        db,
        anna,
        3,
        allowed=forged.allowed,
        entry_hash=entry_mac(guessed_mac, third.key_id, third.prev_hash, 3, forged),
    )

    assert problems(db, anna) == [(anna, 3, Problem.EDITED)]


def test_with_the_key_a_remade_entry_still_breaks_the_next_link(
    db: Session, log_keys: LogKeys
) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, n) for n in range(5)])
    third = chain_of(db, anna)[2]
    mac = log_keys.mac(log_keys.active_mac_id)
    assert mac is not None and third.key_id is not None
    forged = replace(fields_of(third), allowed=not third.allowed)
    tamper(
        db,
        anna,
        3,
        allowed=forged.allowed,
        entry_hash=entry_mac(mac, third.key_id, third.prev_hash, 3, forged),
    )

    assert problems(db, anna) == [(anna, 4, Problem.RELINKED)]


def test_every_problem_is_named_in_client_order(db: Session) -> None:
    low, high = uuid.UUID(int=1), uuid.UUID(int=2)
    append(db, [record(c, n) for c in (high, low) for n in range(5)])
    tamper(db, high, 2, reason="consent")
    tamper(db, low, 4, reason="consent")

    report = verify(db)
    found = [(b.client_id, b.seq, b.problem) for b in report.problems]
    assert (low, 4, Problem.EDITED) in found and (high, 2, Problem.EDITED) in found
    assert found.index((low, 4, Problem.EDITED)) < found.index((high, 2, Problem.EDITED))
    assert report.first_broken == Broken(low, 4, Problem.EDITED)


# --- verify: rotated keys and the entries from before the MAC ---------------------------------


def test_rotated_keys_verify_each_entry_under_the_key_it_names(
    db: Session, log_keys: LogKeys
) -> None:
    anna = uuid.uuid4()
    engine = db.connection().engine
    append(db, [record(anna, 0)])
    rotated = log_keys.rotated()
    access_log.use_keys(engine, rotated)
    append(db, [record(anna, 1)])

    assert [e.key_id for e in chain_of(db, anna)] == [
        log_keys.active_mac_id,
        rotated.active_mac_id,
    ]
    assert verify(db, anna).ok
    access_log.use_keys(engine, LogKeys.generate())  # a keyring that lost both keys
    assert problems(db, anna) == [(anna, 1, Problem.UNKNOWN_KEY), (anna, 2, Problem.UNKNOWN_KEY)]


def version_1_rows(client_id: uuid.UUID, count: int) -> list[dict[str, Any]]:
    """Entries as the release before the MAC wrote them: SHA-256, no key id."""
    rows, prev = [], GENESIS
    for seq in range(1, count + 1):
        given = record(client_id, seq)
        entry_hash = compute_hash(prev, seq, given)
        rows.append(
            {
                **{name: getattr(given, name) for name in HASHED_FIELDS},
                "id": uuid.uuid4(),
                "seq": seq,
                "prev_hash": prev,
                "entry_hash": entry_hash,
                "key_id": None,
            }
        )
        prev = entry_hash
    return rows


def test_an_upgraded_chain_keeps_its_version_1_entries_verifiable(db: Session) -> None:
    anna = uuid.uuid4()
    db.execute(insert(AccessLogEntry), version_1_rows(anna, 3))
    append(db, [record(anna, 4), record(anna, 5)])

    chain = chain_of(db, anna)
    assert [e.key_id is None for e in chain] == [True, True, True, False, False]
    assert chain[3].prev_hash == chain[2].entry_hash  # the MACs go on from the old chain
    report = verify(db, anna)
    assert (report.ok, report.entries, report.legacy_entries) == (True, 5, 3)

    tamper(db, anna, 2, reason="consent")
    assert problems(db, anna) == [(anna, 2, Problem.EDITED)]


def test_a_chain_never_switches_back_to_version_1(db: Session) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, 1)])
    head = chain_of(db, anna)[0]
    # An old node (or a tamperer) adds a version 1 entry after the MACed one.
    later = record(anna, 2)
    db.execute(
        insert(AccessLogEntry),
        {
            **{name: getattr(later, name) for name in HASHED_FIELDS},
            "id": uuid.uuid4(),
            "seq": 2,
            "prev_hash": head.entry_hash,
            "entry_hash": compute_hash(head.entry_hash, 2, later),
            "key_id": None,
        },
    )

    assert problems(db, anna) == [(anna, 2, Problem.DOWNGRADED)]


# --- verify: against heads kept outside the database ---------------------------------------


def expected_head(db: Session, client_id: uuid.UUID, seq: int, source: str) -> ExpectedHead:
    entry = next(e for e in chain_of(db, client_id) if e.seq == seq)
    return ExpectedHead(seq, entry.entry_hash, source)


def test_deleted_newest_entries_show_against_a_kept_head(db: Session) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, n) for n in range(5)])
    kept = {anna: [expected_head(db, anna, 5, "checkpoint 1")]}
    assert verify(db, anna, expected=kept).ok

    remove(db, anna, 4, 5)  # the chain itself still verifies: only the kept head tells

    assert verify(db, anna).ok
    assert problems(db, anna, expected=kept) == [(anna, 3, Problem.TRUNCATED)]


def test_a_deleted_chain_shows_against_a_kept_head(db: Session) -> None:
    anna, ben = uuid.uuid4(), uuid.uuid4()
    append(db, [record(anna, 0), record(ben, 0)])
    kept = {c: [expected_head(db, c, 1, "checkpoint 1")] for c in (anna, ben)}

    remove(db, anna)

    assert verify(db, ben, expected=kept).ok
    assert problems(db, anna, expected=kept) == [(anna, 0, Problem.DELETED_CHAIN)]
    assert (anna, 0, Problem.DELETED_CHAIN) in problems(db, expected=kept)


def test_a_rewritten_chain_shows_against_a_kept_head(db: Session, log_keys: LogKeys) -> None:
    """Someone holding the keyring rewrites entry 2 and re-MACs every entry after it: the chain
    verifies, but its entry at the kept head's seq is no longer the one the head names."""
    anna = uuid.uuid4()
    append(db, [record(anna, n) for n in range(4)])
    kept = {anna: [expected_head(db, anna, 3, "checkpoint 1")]}
    mac = log_keys.mac(log_keys.active_mac_id)
    assert mac is not None
    prev = chain_of(db, anna)[0].entry_hash
    for entry in chain_of(db, anna)[1:]:
        fields = fields_of(entry)
        if entry.seq == 2:
            fields = replace(fields, allowed=not fields.allowed)
        new = entry_mac(mac, log_keys.active_mac_id, prev, entry.seq, fields)
        tamper(db, anna, entry.seq, allowed=fields.allowed, prev_hash=prev, entry_hash=new)
        prev = new

    assert verify(db, anna).ok
    assert problems(db, anna, expected=kept) == [(anna, 3, Problem.REWRITTEN)]


def test_a_receipt_fingerprint_is_a_prefix_of_the_head(db: Session) -> None:
    anna = uuid.uuid4()
    append(db, [record(anna, n) for n in range(3)])
    head = access_log.head(db, anna)
    assert head is not None and head[0] == 3
    fingerprint = access_log.fingerprint(head[1])
    assert len(fingerprint) == 16 and head[1].hex().startswith(fingerprint)
    receipt = {anna: [ExpectedHead(3, bytes.fromhex(fingerprint), "receipt")]}
    assert verify(db, anna, expected=receipt).ok
    wrong = {anna: [ExpectedHead(2, bytes.fromhex(fingerprint), "receipt")]}
    assert problems(db, anna, expected=wrong) == [(anna, 2, Problem.REWRITTEN)]


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
    append(db, [record(anna, 0), record(anna, 1)])
    entry = chain_of(db, anna)[0]

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
    # One read of the heads (on PostgreSQL it takes the chains' advisory locks first), one INSERT.

    def queries_for(records: list[LogRecord]) -> list[str]:
        sql_count.clear()
        append(db, records)
        return [statement.split()[0] for statement in sql_count]

    assert queries_for([record(clients[0], 1)]) == ["SELECT", "INSERT"]
    assert queries_for([record(c, 2) for c in clients]) == ["SELECT", "INSERT"]
    assert verify(db).ok


def test_a_batch_to_hundreds_of_chains_appends_and_verifies(db: Session) -> None:
    """More chains than one SQLite statement probes (400), and than PostgreSQL locks one by one
    (64: the whole log's lock instead)."""
    clients = [uuid.uuid4() for _ in range(450)]
    append(db, [record(c) for c in clients[::2]])

    appended = append(db, [record(c, 1) for c in clients])

    assert [e.seq for e in appended] == [2 if i % 2 == 0 else 1 for i in range(450)]
    assert verify(db).ok


def test_all_heads_are_read_in_one_statement(db: Session, sql_count: list[str]) -> None:
    clients = sorted(uuid.uuid4() for _ in range(4))
    append(db, [record(c, n) for c in clients for n in range(c.int % 3 + 1)])
    sql_count.clear()

    heads = access_log.heads(db)

    assert len(sql_count) == 1
    for client_id in clients:
        newest = chain_of(db, client_id)[-1]
        assert heads[client_id] == (newest.seq, newest.entry_hash)


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
