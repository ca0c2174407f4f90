"""The access log: a tamper-evident, append-only hash chain per client.

Every decision the gate takes about a client's data (read, write, preview;
allowed or refused) becomes one entry. Entries of one client form a chain:
``seq`` counts 1, 2, 3… and each entry's hash covers the previous entry's hash,
so changing, removing or reordering an entry breaks every later link and
``verify`` names the first broken entry. The database refuses UPDATE and
DELETE on the table (triggers below), so tampering needs a privileged hand
that first switches the triggers off.

The chain detects edits inside it, not the loss of its newest entries:
anchoring the heads outside the database would be needed for that.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import random
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Enum,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    and_,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, Session, mapped_column

from consent.base import Base, append_only_triggers, make_append_only
from sharing import write_lock
from sharing.errors import SharingError

log = logging.getLogger(__name__)

GENESIS = bytes(32)
"""The ``prev_hash`` of a chain's first entry."""

HASH_VERSION = b"tukiverkko/access_log/v1"
"""Labels the hash encoding; a change to the encoding or the field list needs a new label."""

MAX_ATTEMPTS = 50
"""Appends tried before giving up when concurrent writers keep taking the same ``seq``."""

MAX_BACKOFF = 0.1
"""The longest pause (seconds) between two attempts."""


class AccessAction(enum.StrEnum):
    """What the actor tried to do with the client's data."""

    READ = "read"
    WRITE = "write"
    PREVIEW = "preview"  # a worker viewing the client's data as a grantee would see it


class AccessLogContention(SharingError):
    """Raised when concurrent writers took the next ``seq`` of a chain on every attempt."""


class AccessLogEntry(Base):
    """One access decision about one client's data, linked into that client's chain.

    ``client_id`` has no foreign key on purpose: the log outlives the client's
    data (crypto-shredding) and also records attempts on ids that never existed.
    """

    __tablename__ = "access_log"
    __table_args__ = (
        UniqueConstraint("client_id", "seq"),
        # The client's "who looked at my data" page reads newest first by time.
        Index("ix_access_log_client_id_at", "client_id", "at"),
    )

    client_id: Mapped[uuid.UUID]
    seq: Mapped[int]
    at: Mapped[datetime]
    actor_user_id: Mapped[uuid.UUID | None]
    actor_role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[uuid.UUID | None]
    member_id: Mapped[uuid.UUID | None]  # a person grantee (a close person, a vertaistukija)
    assisted_by_user_id: Mapped[uuid.UUID | None]  # staff beside the client in a client session
    action: Mapped[AccessAction] = mapped_column(
        # str_enum's type, narrowed to the 20 characters the schema agreed for this column.
        Enum(
            AccessAction,
            native_enum=False,
            create_constraint=True,
            length=20,
            values_callable=lambda members: [m.value for m in members],
            validate_strings=True,
            name="accessaction",
        )
    )
    allowed: Mapped[bool]
    reason: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(40))
    basis_kind: Mapped[str | None] = mapped_column(String(20))
    basis_id: Mapped[uuid.UUID | None]
    previewed_as: Mapped[str | None] = mapped_column(String(80))
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


@dataclass(frozen=True, kw_only=True, slots=True)
class LogRecord:
    """The business facts of one access decision, as the gate hands them to ``append``.

    :raises ValueError: when ``at`` is naive (its zone, and so the hash, would be a guess).
    """

    client_id: uuid.UUID
    at: datetime
    actor_user_id: uuid.UUID | None
    actor_role: str
    action: AccessAction
    allowed: bool
    reason: str
    scope: str
    purpose: str
    organisation_id: uuid.UUID | None = None
    member_id: uuid.UUID | None = None
    assisted_by_user_id: uuid.UUID | None = None
    basis_kind: str | None = None  # "consent", "statutory", "relationship", "work_task"
    basis_id: uuid.UUID | None = None
    previewed_as: str | None = None  # e.g. "organisation:<uuid>" on preview entries

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("naive datetime: log timestamps must be timezone-aware")


# The hashed fields, in their hashed order. Changing this list needs a new HASH_VERSION.
HASHED_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(LogRecord))


@dataclass(frozen=True, slots=True)
class BrokenEntry:
    """The first entry whose chain link does not hold."""

    client_id: uuid.UUID
    seq: int
    entry_id: uuid.UUID
    problem: str  # "hash mismatch", "sequence gap", "prev_hash does not match previous entry"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of checking every chain (or one client's chain)."""

    ok: bool
    chains: int
    entries: int
    first_broken: BrokenEntry | None


def _text(value: object) -> str:
    if isinstance(value, bool):  # spelled out, so the encoding never rests on a repr
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _encode(value: object) -> bytes:
    # Length-prefixed, with a distinct tag for None, so no two field lists share an encoding
    # (None is not "", and no value can run into the next).
    if value is None:
        return b"\x00"
    data = _text(value).encode("utf-8")
    return b"\x01" + len(data).to_bytes(4, "big") + data


def compute_hash(prev_hash: bytes, seq: int, record: LogRecord) -> bytes:
    """SHA-256 over the version label, ``prev_hash``, ``client_id``, ``seq`` and the record.

    Each part is length-prefixed UTF-8 text (None a lone zero byte, instants UTC ISO 8601
    with microseconds), in ``HASHED_FIELDS`` order.
    """
    digest = hashlib.sha256(_encode(HASH_VERSION.decode()))
    digest.update(_encode(prev_hash.hex()))
    digest.update(_encode(record.client_id))
    digest.update(_encode(seq))
    for name in HASHED_FIELDS:
        if name != "client_id":
            digest.update(_encode(getattr(record, name)))
    return digest.digest()


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _normalised(record: LogRecord) -> LogRecord:
    # Hash what the database will hand back to verify(): UTC instants, and enumeration
    # members (consent's reasons and purposes) as their plain values. Anything else is left
    # as given, so a wrong value still meets the database's constraints.
    values = {name: _plain(getattr(record, name)) for name in HASHED_FIELDS}
    values["at"] = record.at.astimezone(UTC)
    values["action"] = AccessAction(record.action)
    return LogRecord(**values)


def _heads(session: Session, client_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[int, bytes]]:
    newest = (
        select(AccessLogEntry.client_id, func.max(AccessLogEntry.seq).label("seq"))
        .where(AccessLogEntry.client_id.in_(list(client_ids)))
        .group_by(AccessLogEntry.client_id)
        .subquery()
    )
    rows = session.execute(
        select(AccessLogEntry.client_id, AccessLogEntry.seq, AccessLogEntry.entry_hash).join(
            newest,
            and_(
                AccessLogEntry.client_id == newest.c.client_id,
                AccessLogEntry.seq == newest.c.seq,
            ),
        )
    )
    return {client_id: (seq, bytes(entry_hash)) for client_id, seq, entry_hash in rows}


def _chain(
    records: Sequence[LogRecord], heads: dict[uuid.UUID, tuple[int, bytes]]
) -> list[dict[str, Any]]:
    rows = []
    for record in records:
        seq, prev_hash = heads.get(record.client_id, (0, GENESIS))
        seq += 1
        entry_hash = compute_hash(prev_hash, seq, record)
        heads[record.client_id] = (seq, entry_hash)
        values = {name: getattr(record, name) for name in HASHED_FIELDS}
        rows.append(
            {
                **values,
                "id": uuid.uuid4(),
                "seq": seq,
                "prev_hash": prev_hash,
                "entry_hash": entry_hash,
            }
        )
    return rows


def _lost_race(error: DBAPIError) -> bool:
    # Another writer committed the same (client_id, seq) first, or PostgreSQL broke a
    # deadlock between two writers: both mean "read the heads again", nothing else does.
    if getattr(error.orig, "sqlstate", None) in {"23505", "40P01"}:
        return True
    return getattr(error.orig, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_UNIQUE"


def append(session: Session, records: Sequence[LogRecord]) -> list[AccessLogEntry]:
    """Append records (for any number of clients) to their chains; flush, and commit only
    entries appended in a transaction that had only read (SQLite, below).

    Two statements for a batch of up to 1,000 records: one read of every involved
    chain's head, one insert. Each attempt runs in a SAVEPOINT so a lost race undoes only itself.
    Needs READ COMMITTED (PostgreSQL's default): a retry must see the winner's row.

    SQLite has one writer, and a transaction that has only read cannot become it once another
    connection has written (``sharing.write_lock``). There, an append in such a transaction
    (a page that reads) ends the read, waits for the write lock, reads the heads under it (so
    it never loses a race) and commits its entries at once: the lock is held for the append
    alone, and the read's entries are kept whatever the page does next. In a transaction
    that holds the lock already (one that writes), the entries commit with its work, as on
    PostgreSQL.

    :raises AccessLogContention: when every attempt lost the race for the next ``seq``.
    :raises sqlalchemy.exc.DBAPIError: when the database refuses the entries otherwise.
    """
    if not records:
        return []
    normalised = [_normalised(record) for record in records]
    client_ids = {record.client_id for record in normalised}
    # Flush the caller's pending work now, so a failure in it is never mistaken for a lost race.
    session.flush()
    connection = session.connection()
    own_transaction = write_lock.take(connection)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with session.begin_nested():
                rows = _chain(normalised, _heads(session, client_ids))
                # One INSERT … VALUES (…), (…) RETURNING rather than add_all + flush: a flush
                # runs executemany, which psycopg pipelines and which then logs a warning on
                # every lost race. This loads the entries as persistent objects all the same.
                # Rows go in (client_id, seq) order, so two appends racing for the same chains
                # wait on each other's rows in one order rather than deadlocking.
                inserted = session.scalars(
                    insert(AccessLogEntry).returning(AccessLogEntry),
                    sorted(rows, key=lambda row: (row["client_id"], row["seq"])),
                )
                by_key = {(entry.client_id, entry.seq): entry for entry in inserted}
            entries = [by_key[(row["client_id"], row["seq"])] for row in rows]
            if own_transaction:
                write_lock.give_back(connection)  # committed: nothing left to lose
                return entries
            pending = session.info.setdefault(_PENDING, [])
            pending += [(entry.id, record) for entry, record in zip(entries, records, strict=True)]
            return entries
        except DBAPIError as error:
            if not _lost_race(error):
                raise
            if attempt == MAX_ATTEMPTS:
                raise AccessLogContention(
                    f"access log: lost the race for the next seq {MAX_ATTEMPTS} times"
                ) from error
            log.debug("access log head moved under us; attempt %d again", attempt + 1)
            # Exponential backoff with full jitter: writers that collided spread out instead of
            # colliding again in lockstep, and a writer that keeps losing backs off further.
            ceiling = min(MAX_BACKOFF, 0.001 * 2**attempt)
            time.sleep(random.uniform(0, ceiling))  # noqa: S311  (jitter, not a secret)
    raise AssertionError("unreachable")  # pragma: no cover


def verify(session: Session, client_id: uuid.UUID | None = None) -> VerifyReport:
    """Recompute every chain (or one client's) and name the first entry whose link breaks."""
    columns = [getattr(AccessLogEntry, name) for name in HASHED_FIELDS]
    query = select(
        AccessLogEntry.id,
        AccessLogEntry.seq,
        AccessLogEntry.prev_hash,
        AccessLogEntry.entry_hash,
        *columns,
    ).order_by(AccessLogEntry.client_id, AccessLogEntry.seq)
    if client_id is not None:
        query = query.where(AccessLogEntry.client_id == client_id)

    chains = entries = 0
    first_broken: BrokenEntry | None = None
    current: uuid.UUID | None = None
    expected_seq, expected_prev = 1, GENESIS
    # yield_per streams in batches (a server-side cursor on PostgreSQL): the log only grows.
    with session.execute(query.execution_options(yield_per=1000)) as result:
        for row in result:
            record = LogRecord(**{name: getattr(row, name) for name in HASHED_FIELDS})
            if record.client_id != current:
                current, chains = record.client_id, chains + 1
                expected_seq, expected_prev = 1, GENESIS
            entries += 1
            if first_broken is None:
                problem = None
                if row.seq != expected_seq:
                    problem = "sequence gap"
                elif bytes(row.prev_hash) != expected_prev:
                    problem = "prev_hash does not match previous entry"
                elif compute_hash(bytes(row.prev_hash), row.seq, record) != bytes(row.entry_hash):
                    problem = "hash mismatch"
                if problem is not None:
                    first_broken = BrokenEntry(record.client_id, row.seq, row.id, problem)
            expected_seq, expected_prev = row.seq + 1, bytes(row.entry_hash)
    return VerifyReport(first_broken is None, chains, entries, first_broken)


def entries_for_client(
    session: Session,
    client_id: uuid.UUID,
    *,
    since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[AccessLogEntry]:
    """One page of a client's entries, newest first, for the client's own log page.

    :raises ValueError: when ``limit`` is below 1 or ``offset`` below 0.
    """
    if limit < 1 or offset < 0:
        raise ValueError("limit must be at least 1 and offset at least 0")
    query = select(AccessLogEntry).where(AccessLogEntry.client_id == client_id)
    if since is not None:
        query = query.where(AccessLogEntry.at >= since)
    query = query.order_by(AccessLogEntry.at.desc(), AccessLogEntry.seq.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def has_pending(session: Session) -> bool:
    """Whether records were appended since the last commit (they must not be lost)."""
    return bool(session.info.get(_PENDING))


def lost_in_rollback(session: Session) -> list[LogRecord]:
    """The records appended since the last commit that a rollback has just discarded.

    A read that happened is logged even when its transaction later fails: the
    gate re-appends these with the denial that ended the transaction (one query).
    """
    pending: list[tuple[uuid.UUID, LogRecord]] = session.info.pop(_PENDING, [])
    if not pending:
        return []
    kept = set(
        session.scalars(
            select(AccessLogEntry.id).where(AccessLogEntry.id.in_([i for i, _ in pending]))
        )
    )
    return [record for entry_id, record in pending if entry_id not in kept]


_PENDING = "tukiverkko.access_log.pending"


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    session.info.pop(_PENDING, None)


# Append-only, enforced by the database (the triggers are defined in consent.base).
APPEND_ONLY_TRIGGERS = append_only_triggers(AccessLogEntry.__tablename__)
"""Statements that make ``access_log`` refuse UPDATE, DELETE and TRUNCATE, by dialect name."""
make_append_only(AccessLogEntry)
