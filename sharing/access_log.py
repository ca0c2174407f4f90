"""The access log: an append-only chain of keyed MACs per client, anchored outside the database.

Every decision the gate takes about a client's data (read, write, preview; allowed or
refused) becomes one entry. Entries of one client form a chain: ``seq`` counts 1, 2, 3…
and each entry's ``entry_hash`` is an HMAC-SHA256, under a log key from the keyring
(``sharing.keys.LogKeys``), of the previous entry's MAC, the entry's ``seq`` and every
field. The entry names the key (``key_id``), so log keys rotate: new entries use the active
key, verification uses the key each entry names. Someone who can write the database but
does not hold the keyring cannot edit an entry and recompute the rest, and cannot insert
one; a removed entry leaves a gap in ``seq``. The database also refuses UPDATE and DELETE
on the table (triggers below).

What a chain cannot show by itself is the loss of its newest entries, or of a whole
chain, or a rewrite by someone who holds the keyring too: the heads are anchored outside
the database, by the signed checkpoints ``flask maintenance run`` writes
(``sharing.checkpoints``) and by the head each consent receipt shows the client (``head``,
``fingerprint``). ``verify`` compares the chains with such heads.

Version 1 entries (plain SHA-256, ``key_id`` NULL) were written before the MAC: a chain
may begin with them and switch once to MACed entries, never back, so an upgraded
installation's old entries stay verifiable (``compute_hash``).

The MAC covers a canonical text of the entry (``entry_text``): a JSON array (RFC 8259, no
whitespace, UTF-8; in strings only ``"``, ``\\`` and control characters escaped, as
``\\b \\f \\n \\r \\t`` or ``\\u00xx``) of the key id, the client, seq and then
``LogRecord``'s fields in order, each a string or ``null``: uuids as 32 lowercase hex digits,
instants in UTC as ``YYYY-MM-DD HH:MM:SS.ffffff``, booleans ``"1"``/``"0"``, seq in decimal.
Both databases render the same text from the stored row with their own JSON functions
(``_text_sql``: SQLite's ``json_array``, PostgreSQL's ``array_to_json``), so ``verify``
streams one short column per entry and does no per-field work in Python.
"""

from __future__ import annotations

import enum
import hashlib
import json
import json.encoder
import multiprocessing
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    DDL,
    ColumnElement,
    Enum,
    Index,
    LargeBinary,
    Select,
    String,
    UniqueConstraint,
    create_engine,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from consent.base import Base, append_only_triggers, make_append_only
from sharing import write_lock
from sharing.driver import driver_rows
from sharing.errors import KeyringError
from sharing.keys import LogKeys, LogMac

GENESIS = bytes(32)
"""The ``prev_hash`` of a chain's first entry."""

HASH_VERSION = b"tukiverkko/access_log/v2"
"""Labels the MAC's encoding; a change to the encoding or the field list needs a new label."""

LEGACY_HASH_VERSION = b"tukiverkko/access_log/v1"
"""The plain SHA-256 chain of entries written before the MAC (``key_id`` NULL)."""

FINGERPRINT_HEX = 16
"""Hex digits of a MAC shown on a receipt (64 bits: no rewrite can be ground to match)."""

VERIFY_BATCH = 5000
"""Rows fetched per round trip while streaming the log."""


class AccessAction(enum.StrEnum):
    """What the actor tried to do with the client's data."""

    READ = "read"
    WRITE = "write"
    PREVIEW = "preview"  # a worker viewing the client's data as a grantee would see it


class AccessLogEntry(Base):
    """One access decision about one client's data, linked into that client's chain.

    ``client_id`` has no foreign key on purpose: the log outlives the client's
    data (crypto-shredding) and also records attempts on ids that never existed.
    ``entry_hash`` holds the entry's MAC (a version 1 entry's SHA-256), ``key_id`` the log
    key that made it (NULL: version 1).
    """

    __tablename__ = "access_log"
    __table_args__ = (
        UniqueConstraint("client_id", "seq"),
        # The client's "who looked at my data" page reads newest first by time.
        Index("ix_access_log_client_id_at", "client_id", "at"),
        # The review of the log (``search``) reads by period, and by user within one.
        Index("ix_access_log_at", "at"),
        Index("ix_access_log_actor_user_id_at", "actor_user_id", "at"),
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
    key_id: Mapped[str | None] = mapped_column(String(40))


_TABLE = Base.metadata.tables[AccessLogEntry.__tablename__]
_INSERT = insert(_TABLE)  # built once: every read appends


@dataclass(frozen=True, kw_only=True, slots=True)
class LogRecord:
    """The business facts of one access decision, as the gate hands them to ``append``.

    :raises ValueError: when ``at`` is naive (its zone, and so the MAC, would be a guess).
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


# The record's fields, in their MACed (and version 1 hashed) order. Changing this list
# needs a new HASH_VERSION.
HASHED_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(LogRecord))
_BODY_FIELDS = HASHED_FIELDS[1:]  # after client_id, which the text names with seq and key id
_UUIDS = frozenset(
    {"client_id", "actor_user_id", "organisation_id", "member_id", "assisted_by_user_id"}
    | {"basis_id"}
)


class Appended(NamedTuple):
    """Where ``append`` put one record."""

    id: uuid.UUID
    client_id: uuid.UUID
    seq: int


# -- the log keys of a database ---------------------------------------------------------------

LogKeySource = Callable[[], LogKeys | None]
_KEYS: weakref.WeakKeyDictionary[Engine, LogKeySource] = weakref.WeakKeyDictionary()


def use_keys(engine: Engine, keys: LogKeys | LogKeySource) -> None:
    """MAC the log of the database behind ``engine`` with ``keys`` (or what ``keys()`` gives
    at each append, e.g. the keyring a running server re-reads when its key file changes)."""
    _KEYS[engine] = keys if callable(keys) else (lambda: keys)


def keys_of(connection: Connection) -> LogKeys:
    """The log keys bound to the connection's engine (``use_keys``).

    :raises KeyringError: when none are bound, or the keyring holds no log keys.
    """
    source = _KEYS.get(connection.engine)
    keys = source() if source is not None else None
    if keys is None:
        raise KeyringError(
            "no access-log keys: the keyring has none (run `flask keys init`) or the "
            "database's engine was not given them (sharing.access_log.use_keys)"
        )
    return keys


# -- the MAC (version 2) -----------------------------------------------------------------------


_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# The same encoding without the encoder's per-call set-up (CPython's C encoder; the
# ``_json`` above where it is missing): half the cost, once per appended record.
_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)  # not in typeshed
_C_ENCODER = _make_encoder and _make_encoder(
    None, None, json.encoder.encode_basestring, None, ":", ",", False, False, True
)


def _json_list(values: list[str | None]) -> str:
    return "".join(_C_ENCODER(values, 0)) if _C_ENCODER else _json(values)


def _hex(value: uuid.UUID | None) -> str | None:
    return None if value is None else value.hex


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _body(row: Mapping[str, Any]) -> str:
    """The end of an entry's text: the fields after client and seq, in ``_BODY_FIELDS`` order
    (once per record, before any lock is taken). ``row`` is ``_row``'s: instants in UTC."""
    values = [
        row["at"].isoformat(" ", "microseconds")[:26],  # UTC: the offset is cut off
        _hex(row["actor_user_id"]),
        str(row["actor_role"]),
        row["action"].value,
        "1" if row["allowed"] else "0",
        str(row["reason"]),
        str(row["scope"]),
        str(row["purpose"]),
        _hex(row["organisation_id"]),
        _hex(row["member_id"]),
        _hex(row["assisted_by_user_id"]),
        _text(row["basis_kind"]),
        _hex(row["basis_id"]),
        _text(row["previewed_as"]),
    ]
    text = _json_list(values)
    # SQLite ends text at NUL and PostgreSQL refuses it, so the text would not round-trip.
    if "\\u0000" in text and any(v and "\x00" in v for v in values):
        raise ValueError("a log field contains a NUL character")
    return "," + text[1:]


def _head_text(key_json: str, client_hex: str, seq: int) -> str:
    """The start of an entry's text: the key id (JSON-encoded once per append), client, seq."""
    return f'[{key_json},"{client_hex}","{seq}"'


def entry_text(key_id: str, seq: int, record: LogRecord) -> bytes:
    """The canonical text an entry's MAC covers, after the version label (UTF-8)."""
    return (_head_text(_json(key_id), record.client_id.hex, seq) + _body(_row(record))).encode()


def entry_mac(mac: LogMac, key_id: str, prev_hash: bytes, seq: int, record: LogRecord) -> bytes:
    """The MAC of one entry: HMAC-SHA256 over the label, the entry's text and ``prev_hash``."""
    return mac(HASH_VERSION + b"\n" + entry_text(key_id, seq, record) + prev_hash)


def fingerprint(mac: bytes) -> str:
    """The short form of a chain head's MAC a receipt shows (hex)."""
    return mac.hex()[:FINGERPRINT_HEX]


# -- version 1 ---------------------------------------------------------------------------------


def _v1_text(value: object) -> str:
    if isinstance(value, bool):  # spelled out, so the encoding never rests on a repr
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _v1_encode(value: object) -> bytes:
    # Length-prefixed, with a distinct tag for None, so no two field lists share an encoding.
    if value is None:
        return b"\x00"
    data = _v1_text(value).encode("utf-8")
    return b"\x01" + len(data).to_bytes(4, "big") + data


def compute_hash(prev_hash: bytes, seq: int, record: LogRecord) -> bytes:
    """Version 1 (entries before the MAC): SHA-256 over the label, ``prev_hash``, ``client_id``,
    ``seq`` and the record, each part length-prefixed UTF-8 text (None a lone zero byte)."""
    digest = hashlib.sha256(_v1_encode(LEGACY_HASH_VERSION.decode()))
    digest.update(_v1_encode(prev_hash.hex()))
    digest.update(_v1_encode(record.client_id))
    digest.update(_v1_encode(seq))
    for name in HASHED_FIELDS:
        if name != "client_id":
            digest.update(_v1_encode(getattr(record, name)))
    return digest.digest()


# -- append ------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _row(record: LogRecord) -> dict[str, Any]:
    # Store (and MAC) what the database will hand back: UTC instants, and enumeration
    # members (consent's reasons and purposes) as their plain values. Anything else is left
    # as given, so a wrong value still meets the database's constraints.
    return {
        "client_id": record.client_id,
        "at": record.at.astimezone(UTC),
        "actor_user_id": record.actor_user_id,
        "actor_role": _plain(record.actor_role),
        "action": AccessAction(record.action),
        "allowed": record.allowed,
        "reason": _plain(record.reason),
        "scope": _plain(record.scope),
        "purpose": _plain(record.purpose),
        "organisation_id": record.organisation_id,
        "member_id": record.member_id,
        "assisted_by_user_id": record.assisted_by_user_id,
        "basis_kind": _plain(record.basis_kind),
        "basis_id": record.basis_id,
        "previewed_as": record.previewed_as,
    }


# PostgreSQL: one statement locks the chains and reads their heads, ``access_log_heads``
# below. A chain's advisory lock (two-int4 key space, apart from the maintenance lock's bigint
# one) comes from its client id's first 8 bytes (two chains sharing one only wait for each
# other); the locks are taken in one order, so two appends never wait for each other in a
# circle. An append to more than BULK_CHAINS chains takes the whole log's key instead, which
# every other append holds shared: no transaction holds more than BULK_CHAINS + 1 of them
# (PostgreSQL's lock table is bounded: max_locks_per_transaction).
BULK_CHAINS = 64
HEADS_FUNCTION = f"""CREATE OR REPLACE FUNCTION access_log_heads(chains uuid[])
RETURNS TABLE(chain uuid, head_seq integer, head_mac bytea)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF cardinality(chains) > {BULK_CHAINS} THEN
    PERFORM pg_advisory_xact_lock(1819240225, 0);
  ELSE
    PERFORM pg_advisory_xact_lock_shared(1819240225, 0);
    PERFORM pg_advisory_xact_lock(k.k1, k.k2) FROM (
      SELECT DISTINCT
        CAST(CAST('x' || substr(replace(CAST(c AS text), '-', ''), 1, 8) AS bit(32)) AS int) AS k1,
        CAST(CAST('x' || substr(replace(CAST(c AS text), '-', ''), 9, 8) AS bit(32)) AS int) AS k2
      FROM unnest(chains) AS c ORDER BY 1, 2) AS k;
  END IF;
  -- Statements of their own: their snapshot is taken once the locks are granted.
  IF cardinality(chains) = 1 THEN  -- the common case, and a plain index probe
    RETURN QUERY SELECT a.client_id, a.seq, a.entry_hash FROM access_log AS a
      WHERE a.client_id = chains[1] ORDER BY a.seq DESC LIMIT 1;
  ELSE
    RETURN QUERY SELECT h.client_id, h.seq, h.entry_hash FROM unnest(chains) AS c(id)
      CROSS JOIN LATERAL (SELECT a.client_id, a.seq, a.entry_hash FROM access_log AS a
        WHERE a.client_id = c.id ORDER BY a.seq DESC LIMIT 1) AS h;
  END IF;
END $$"""  # noqa: S608  (constants only)
"""Locks the named chains and returns their heads (PostgreSQL; a VOLATILE function's
statements each take a fresh snapshot). Installed with the table (``create_all``) and by
migration 0003; plain SQL without ``%`` or bind-like colons, so both can run it."""
_PG_HEADS = "SELECT chain, head_seq, head_mac FROM access_log_heads(%s::uuid[])"
_SQLITE_HEAD = (
    "SELECT * FROM (SELECT client_id, seq, entry_hash FROM access_log "
    "WHERE client_id = ? ORDER BY seq DESC LIMIT 1)"
)
_SQLITE_HEADS_PER_STATEMENT = 400  # SQLite joins at most 500 SELECTs with UNION ALL


def _heads(connection: Connection, client_hexes: list[str]) -> dict[str, tuple[int, bytes]]:
    """The newest entry of each named chain (one index probe per chain), in one statement
    on the driver's cursor (``sharing.driver``: it is under the chain's lock).

        PostgreSQL first takes the chains' advisory locks (held to the end of the transaction),
        so appends to one chain queue instead of racing for its next ``seq``, and reads the
        heads after them (``HEADS_FUNCTION``), seeing every append committed before. SQLite's
        appender holds the write lock already.
    """
    if connection.dialect.name == "postgresql":
        rows = driver_rows(connection, _PG_HEADS, ([uuid.UUID(h) for h in client_hexes],))
        return {c.hex: (s, bytes(m)) for c, s, m in rows}
    found = {}
    for start in range(0, len(client_hexes), _SQLITE_HEADS_PER_STATEMENT):
        chunk = tuple(client_hexes[start : start + _SQLITE_HEADS_PER_STATEMENT])
        rows = driver_rows(connection, " UNION ALL ".join([_SQLITE_HEAD] * len(chunk)), chunk)
        found.update({c: (s, bytes(m)) for c, s, m in rows})
    return found


def lock_chains(session: Session, client_ids: Sequence[uuid.UUID]) -> None:
    """Take the clients' chain locks to the end of the transaction, as an append does
    (PostgreSQL; one statement, nothing appended). What else a client's appenders do under
    their lock (a read that seals keys the grantee lacks) then waits for this transaction:
    maintenance takes them before it syncs seals. SQLite's writer holds its one lock already.
    """
    connection = session.connection()
    if client_ids and connection.dialect.name == "postgresql":
        connection.exec_driver_sql(_PG_HEADS, (sorted(set(client_ids)),)).all()


def append(session: Session, records: Sequence[LogRecord]) -> list[Appended]:
    """Append records (for any number of clients) to their chains; flush, and commit only
    entries appended in a transaction that had only read (SQLite, below).

    Two statements for a batch: one reading the chains' heads (``_heads``; on PostgreSQL it
    takes their advisory locks first) and one INSERT. The records' texts are encoded before
    any lock is taken; under it each entry costs one HMAC. Returns where each record went.

    SQLite has one writer, and a transaction that has only read cannot become it once another
    connection has written (``sharing.write_lock``). There, an append in such a transaction
    (a page that reads) ends the read, waits for the write lock, reads the heads under it
    and commits its entries at once: the lock is held for the append alone, and the read's
    entries are kept whatever the page does next. In a transaction that holds the lock
    already (one that writes), the entries commit with its work, as on PostgreSQL, where the
    chains' advisory locks are held until the transaction ends.

    :raises KeyringError: when no log keys are bound to the database (``use_keys``).
    :raises ValueError: when a text field holds a NUL character.
    :raises sqlalchemy.exc.DBAPIError: when the database refuses the entries.
    """
    if not records:
        return []
    rows = [_row(record) for record in records]
    bodies = [_body(row) for row in rows]
    hexes = [row["client_id"].hex for row in rows]
    # Flush the caller's pending work first: it belongs before the entries (and on SQLite
    # decides whether this transaction already holds the write lock).
    session.flush()
    connection = session.connection()
    keys = keys_of(connection)
    key_id = keys.active_mac_id
    key_json = _json(key_id)
    mac = keys.mac(key_id)
    assert mac is not None  # the active key is held (LogKeys checks)
    own_transaction = write_lock.take(connection)
    heads = _heads(connection, list(dict.fromkeys(hexes)))
    label = HASH_VERSION + b"\n"
    appended = []
    for row, body, client_hex in zip(rows, bodies, hexes, strict=True):
        seq, prev_hash = heads.get(client_hex, (0, GENESIS))
        seq += 1
        entry_hash = mac(
            label + (_head_text(key_json, client_hex, seq) + body).encode() + prev_hash
        )
        heads[client_hex] = (seq, entry_hash)
        row.update(
            id=uuid.uuid4(), seq=seq, key_id=key_id, prev_hash=prev_hash, entry_hash=entry_hash
        )
        appended.append(Appended(row["id"], row["client_id"], seq))
    connection.execute(_INSERT, rows)
    if own_transaction:
        write_lock.give_back(connection)  # committed: nothing left to lose
        return appended
    pending = session.info.setdefault(_PENDING, [])
    pending += [(entry.id, record) for entry, record in zip(appended, records, strict=True)]
    return appended


def head(session: Session, client_id: uuid.UUID) -> tuple[int, bytes] | None:
    """The client's chain head now, ``(seq, MAC)``, as this transaction sees it (None: no chain)."""
    newest = session.execute(
        select(AccessLogEntry.seq, AccessLogEntry.entry_hash)
        .where(AccessLogEntry.client_id == client_id)
        .order_by(AccessLogEntry.seq.desc())
        .limit(1)
    ).first()
    return None if newest is None else (newest.seq, bytes(newest.entry_hash))


# Every chain's head: a skip scan of the (client_id, …) index finds the chains, one probe each,
# and one probe of the (client_id, seq) index finds each chain's newest entry.
_HEADS_SQL = {
    "postgresql": (
        "WITH RECURSIVE chains(client_id) AS ("
        " SELECT (SELECT client_id FROM access_log ORDER BY client_id LIMIT 1)"
        " UNION ALL SELECT (SELECT a.client_id FROM access_log a"
        " WHERE a.client_id > chains.client_id ORDER BY a.client_id LIMIT 1)"
        " FROM chains WHERE chains.client_id IS NOT NULL)"
        " SELECT h.client_id, h.seq, h.entry_hash FROM chains CROSS JOIN LATERAL"
        " (SELECT client_id, seq, entry_hash FROM access_log"
        " WHERE client_id = chains.client_id ORDER BY seq DESC LIMIT 1) AS h"
    ),
    "sqlite": (  # no LATERAL: the newest seq as a correlated subquery
        "WITH RECURSIVE chains(client_id) AS ("
        " SELECT (SELECT client_id FROM access_log ORDER BY client_id LIMIT 1)"
        " UNION ALL SELECT (SELECT a.client_id FROM access_log a"
        " WHERE a.client_id > chains.client_id ORDER BY a.client_id LIMIT 1)"
        " FROM chains WHERE chains.client_id IS NOT NULL)"
        " SELECT a.client_id, a.seq, a.entry_hash FROM chains JOIN access_log a"
        " ON a.client_id = chains.client_id WHERE a.seq ="
        " (SELECT max(b.seq) FROM access_log b WHERE b.client_id = chains.client_id)"
    ),
}


def heads_sql(dialect: str) -> str:
    """SQL for every chain's head ``(client_id, seq, entry_hash)``: a skip scan over the
    ``(client_id, seq)`` index, two probes per chain, not a read of every entry. Plain SQL,
    also run by ``app.backup`` on a bare connection."""
    return _HEADS_SQL["postgresql" if dialect == "postgresql" else "sqlite"]


def heads(session: Session) -> dict[uuid.UUID, tuple[int, bytes]]:
    """Every chain's head, ``client id → (seq, MAC)``."""
    connection = session.connection()
    rows = connection.exec_driver_sql(heads_sql(connection.dialect.name))
    return {uuid.UUID(str(c)): (int(s), bytes(m)) for c, s, m in rows}


# -- verify ------------------------------------------------------------------------------------


class Problem(enum.StrEnum):
    """What is wrong with a chain, in the words ``flask audit verify`` prints."""

    EDITED = "edited entry"  # its MAC (or version 1 hash) does not match its content
    MISSING = "missing entries"  # a gap in seq: entries before this one were deleted
    RELINKED = "broken link"  # prev_hash is not the previous entry's MAC
    UNKNOWN_KEY = "unknown log key"  # MACed under a key the keyring does not hold
    DOWNGRADED = "version 1 entry after a MACed one"
    TRUNCATED = "deleted newest entries"  # shorter than a checkpoint or receipt says
    DELETED_CHAIN = "deleted chain"  # a checkpoint or receipt names it; the database has none
    REWRITTEN = "rewritten chain"  # the entry at a checkpointed seq has another MAC


@dataclass(frozen=True, slots=True, order=True)
class Broken:
    """One problem found in one chain, at one entry (``seq``) where there is one."""

    client_id: uuid.UUID
    seq: int
    problem: Problem
    detail: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class ExpectedHead:
    """A head recorded outside the database: the entry ``seq`` had a MAC beginning ``mac``."""

    seq: int
    mac: bytes  # the whole MAC (a checkpoint) or its first bytes (a receipt's fingerprint)
    source: str  # e.g. "checkpoint 12" or "receipt"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of checking every chain (or one client's chain)."""

    chains: int
    entries: int
    problems: tuple[Broken, ...] = ()
    legacy_entries: int = 0  # version 1 entries among them
    workers: int = 1

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_broken(self) -> Broken | None:
        """The first problem in (client, seq) order."""
        return min(self.problems, default=None)


def _text_sql(dialect: str) -> str:
    """SQL rendering each stored row as ``entry_text`` renders the record, as bytes."""

    def render(name: str) -> str:
        if dialect == "sqlite":  # uuids and instants are stored as that very text
            return f"CAST({name} AS TEXT)" if name in ("seq", "allowed") else name
        if name in _UUIDS:
            return f"replace({name}::text, '-', '')"
        if name == "at":
            return "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
        if name == "allowed":
            return "CASE WHEN allowed THEN '1' ELSE '0' END"
        return f"{name}::text"

    parts = ", ".join(render(n) for n in ("key_id", "client_id", "seq", *_BODY_FIELDS))
    if dialect == "sqlite":
        return f"CAST(json_array({parts}) AS BLOB)"
    return f"convert_to(array_to_json(ARRAY[{parts}])::text, 'UTF8')"


def _stream_sql(dialect: str, *, client: bool, low: bool, high: bool) -> str:
    client_text = "client_id" if dialect == "sqlite" else "client_id::text"
    mark = "?" if dialect == "sqlite" else "%s"
    where = []
    if client:
        where.append(f"client_id = {mark}")
    if low:
        where.append(f"client_id >= {mark}")
    if high:
        where.append(f"client_id < {mark}")
    return (
        f"SELECT {client_text}, seq, key_id, prev_hash, entry_hash, {_text_sql(dialect)} "  # noqa: S608  (constant parts only)
        f"FROM access_log {'WHERE ' + ' AND '.join(where) if where else ''} "
        "ORDER BY client_id, seq"
    )


@dataclass
class _Chains:
    """What one pass over some chains found (picklable: parallel workers return it)."""

    chains: int = 0
    entries: int = 0
    legacy: int = 0
    problems: list[Broken] = field(default_factory=list)
    seen: set[uuid.UUID] = field(default_factory=set)


def _check(
    rows: Iterable[tuple[Any, ...]],
    keys: LogKeys,
    expected: Mapping[uuid.UUID, Sequence[ExpectedHead]],
) -> _Chains:
    """Check streamed rows ``(client, seq, key_id, prev_hash, entry_hash, text)`` in chain order.

    The hot loop: per entry one HMAC and a few comparisons; anything unusual (a new chain,
    a gap, a version 1 entry, an expected head) leaves it for the slower path below.
    """
    found = _Chains()
    problems = found.problems
    label = HASH_VERSION + b"\n"
    macs: dict[str | None, LogMac | None] = {}
    current: Any = None
    client_id = uuid.UUID(int=0)
    expected_seq, expected_prev = 1, GENESIS
    macced = False  # a MACed entry was seen in this chain
    targets: dict[int, list[ExpectedHead]] | None = None
    last_seq = 0

    def end_chain() -> None:
        if targets:
            for seq, heads_at in targets.items():
                if seq > last_seq:
                    problems.extend(
                        Broken(client_id, last_seq, Problem.TRUNCATED, f"{h.source} has seq {seq}")
                        for h in heads_at
                    )

    for client, seq, key_id, prev, mac_, text in rows:
        if client != current:
            if current is not None:
                end_chain()
            current, client_id = client, uuid.UUID(str(client))
            found.chains += 1
            found.seen.add(client_id)
            expected_seq, expected_prev, macced = 1, GENESIS, False
            by_seq = expected.get(client_id)
            targets = None
            if by_seq:
                targets = {}
                for h in by_seq:
                    targets.setdefault(h.seq, []).append(h)
        found.entries += 1
        last_seq = seq
        if seq != expected_seq:  # (its link then names a missing entry too: said once)
            problems.append(
                Broken(client_id, seq, Problem.MISSING, f"seq {expected_seq}–{seq - 1} absent")
            )
        elif prev != expected_prev:
            problems.append(Broken(client_id, seq, Problem.RELINKED))
        if key_id is None:
            found.legacy += 1
            if macced:
                problems.append(Broken(client_id, seq, Problem.DOWNGRADED))
            # Its own hash is checked by the version 1 pass (_legacy).
        else:
            macced = True
            mac = macs.get(key_id)
            if mac is None:
                mac = macs[key_id] = keys.mac(key_id)
            if mac is None:
                problems.append(Broken(client_id, seq, Problem.UNKNOWN_KEY, key_id))
            elif mac(label + text + prev) != mac_:
                problems.append(Broken(client_id, seq, Problem.EDITED))
        if targets is not None and seq in targets:
            problems.extend(
                Broken(client_id, seq, Problem.REWRITTEN, f"{h.source} has another MAC")
                for h in targets[seq]
                if not bytes(mac_).startswith(h.mac)
            )
        expected_seq, expected_prev = seq + 1, mac_
    if current is not None:
        end_chain()
    return found


def _stream(connection: Any, dialect: str, sql: str, params: Sequence[Any]) -> Iterator[Any]:
    """Rows of ``sql`` from a DBAPI connection, in batches, without holding them all."""
    if dialect == "postgresql":
        cursor = connection.cursor(name=f"access_log_verify_{uuid.uuid4().hex}")  # server-side
    else:
        cursor = connection.cursor()
    try:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(VERIFY_BATCH):
            yield from batch
    finally:
        cursor.close()


def _params(dialect: str, *bounds: uuid.UUID) -> list[Any]:
    return [b.hex if dialect == "sqlite" else b for b in bounds]


def _range_sql(
    dialect: str, low: uuid.UUID | None, high: uuid.UUID | None
) -> tuple[str, list[Any]]:
    bounds = [b for b in (low, high) if b is not None]
    sql = _stream_sql(dialect, client=False, low=low is not None, high=high is not None)
    return sql, _params(dialect, *bounds)


def _verify_range(
    url: str,
    keys: LogKeys,
    expected: Mapping[uuid.UUID, Sequence[ExpectedHead]],
    low: uuid.UUID | None,
    high: uuid.UUID | None,
) -> _Chains:
    """A parallel worker: the chains with ``low <= client_id < high`` over its own connection."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            dbapi = connection.connection.dbapi_connection
            sql, params = _range_sql(engine.dialect.name, low, high)
            return _check(_stream(dbapi, engine.dialect.name, sql, params), keys, expected)
    finally:
        engine.dispose()


def _bounds(workers: int) -> list[tuple[uuid.UUID | None, uuid.UUID | None]]:
    """``workers`` ranges of the uuid space, equal for random (version 4) client ids."""
    cuts = [uuid.UUID(int=(i << 128) // workers) for i in range(1, workers)]
    lows: list[uuid.UUID | None] = [None, *cuts]
    highs: list[uuid.UUID | None] = [*cuts, None]
    return list(zip(lows, highs, strict=True))


def _committed_view(connection: Connection) -> bool:
    """Whether another connection sees what this one does (nothing written and uncommitted)."""
    if connection.dialect.name == "postgresql":
        return bool(
            connection.exec_driver_sql("SELECT pg_current_xact_id_if_assigned() IS NULL").scalar()
        )
    url = connection.engine.url
    in_memory = not url.database or url.database == ":memory:" or "mode=memory" in str(url)
    return not in_memory and write_lock.has_only_read(connection)


def verify(
    session: Session,
    client_id: uuid.UUID | None = None,
    *,
    expected: Mapping[uuid.UUID, Sequence[ExpectedHead]] | None = None,
    workers: int = 1,
) -> VerifyReport:
    """Check every chain (or one client's) and compare them with heads kept outside the database.

    Names each problem by client, seq and kind (``Problem``): an edited entry, missing
    entries, a broken link, an unknown key, a version 1 entry after a MACed one, and against
    ``expected`` (a checkpoint's heads, receipts' heads) deleted newest entries, a deleted
    chain and a rewritten chain. With ``workers`` > 1 the chains are split by client id over
    that many processes, each with its own connection, when the database allows it (a file
    or a server, and this session has written nothing uncommitted that they could not see).

    :raises KeyringError: when no log keys are bound to the database (``use_keys``).
    """
    expected = expected or {}
    connection = session.connection()
    keys = keys_of(connection)
    dialect = connection.dialect.name
    parallel = workers > 1 and client_id is None and _committed_view(connection)
    if parallel:
        url = connection.engine.url.render_as_string(hide_password=False)
        jobs = [(url, keys, expected, low, high) for low, high in _bounds(workers)]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.starmap(_verify_range, jobs)
    else:
        dbapi = connection.connection.dbapi_connection
        if client_id is None:
            sql, params = _range_sql(dialect, None, None)
        else:
            sql = _stream_sql(dialect, client=True, low=False, high=False)
            params = _params(dialect, client_id)
        parts = [_check(_stream(dbapi, dialect, sql, params), keys, expected)]
    problems = [p for part in parts for p in part.problems]
    legacy = sum(part.legacy for part in parts)
    if legacy:
        problems += _legacy(session, client_id)
    seen = set().union(*(part.seen for part in parts))
    for missing in sorted(set(expected) - seen):
        if client_id is None or missing == client_id:
            problems += [
                Broken(missing, 0, Problem.DELETED_CHAIN, f"{h.source} has seq {h.seq}")
                for h in expected[missing]
            ]
    return VerifyReport(
        chains=sum(part.chains for part in parts),
        entries=sum(part.entries for part in parts),
        problems=tuple(sorted(problems)),
        legacy_entries=legacy,
        workers=workers if parallel else 1,
    )


def _legacy(session: Session, client_id: uuid.UUID | None) -> list[Broken]:
    """Recompute each version 1 entry's own SHA-256 (its links were checked with the rest)."""
    query = select(
        AccessLogEntry.seq,
        AccessLogEntry.prev_hash,
        AccessLogEntry.entry_hash,
        *[getattr(AccessLogEntry, name) for name in HASHED_FIELDS],
    ).where(AccessLogEntry.key_id.is_(None))
    if client_id is not None:
        query = query.where(AccessLogEntry.client_id == client_id)
    broken = []
    with session.execute(query.execution_options(yield_per=VERIFY_BATCH)) as result:
        for row in result:
            record = LogRecord(**{name: getattr(row, name) for name in HASHED_FIELDS})
            if compute_hash(bytes(row.prev_hash), row.seq, record) != bytes(row.entry_hash):
                broken.append(Broken(record.client_id, row.seq, Problem.EDITED, "version 1"))
    return broken


# -- the client's page, and the unit of work ----------------------------------------------------


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


@dataclass(frozen=True, kw_only=True)
class Search:
    """What a review of the log looks for; every field left ``None`` matches anything.

    ``scope`` is a stored scope (``section:goals``, ``name``, ``basic``) and ``other_than``
    one to leave out; ``allowed`` the outcome; ``since`` inclusive and ``until`` exclusive
    bound ``at``; ``clients`` narrows to entries of those clients (a county's, say).
    """

    client_id: uuid.UUID | None = None
    actor_user_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    scope: str | None = None
    allowed: bool | None = None
    since: datetime | None = None
    until: datetime | None = None
    clients: Select[uuid.UUID] | None = None
    other_than: str | None = None  # leave out entries of this scope
    entry_id: uuid.UUID | None = None  # one entry


def search(
    session: Session, criteria: Search, *, limit: int = 50, offset: int = 0
) -> list[AccessLogEntry]:
    """One page of the entries of every chain that match ``criteria``, newest first, in
    one statement (the review of the log: ``app.log_review``).

    :raises ValueError: when ``limit`` is below 1 or ``offset`` below 0.
    """
    if limit < 1 or offset < 0:
        raise ValueError("limit must be at least 1 and offset at least 0")
    query = select(AccessLogEntry).where(*_matching(criteria))
    query = query.order_by(
        AccessLogEntry.at.desc(), AccessLogEntry.client_id, AccessLogEntry.seq.desc()
    )
    return list(session.scalars(query.limit(limit).offset(offset)))


def outcome_counts(session: Session, criteria: Search) -> dict[bool, int]:
    """How many entries matching ``criteria`` were allowed (True) and refused (False), in one
    statement (the review's monthly summary)."""
    rows = session.execute(
        select(AccessLogEntry.allowed, func.count())
        .where(*_matching(criteria))
        .group_by(AccessLogEntry.allowed)
    )
    counts = {True: 0, False: 0}
    counts.update({bool(allowed): int(n) for allowed, n in rows})
    return counts


def _matching(criteria: Search) -> list[ColumnElement[bool]]:
    entry = AccessLogEntry
    conditions: list[ColumnElement[bool]] = []
    pairs: list[tuple[Any, object]] = [
        (entry.client_id, criteria.client_id),
        (entry.actor_user_id, criteria.actor_user_id),
        (entry.organisation_id, criteria.organisation_id),
        (entry.scope, criteria.scope),
        (entry.allowed, criteria.allowed),
        (entry.id, criteria.entry_id),
    ]
    conditions += [column == value for column, value in pairs if value is not None]
    if criteria.since is not None:
        conditions.append(entry.at >= criteria.since)
    if criteria.until is not None:
        conditions.append(entry.at < criteria.until)
    if criteria.clients is not None:
        conditions.append(entry.client_id.in_(criteria.clients))
    if criteria.other_than is not None:
        conditions.append(entry.scope != criteria.other_than)
    return conditions


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
event.listen(_TABLE, "after_create", DDL(HEADS_FUNCTION).execute_if(dialect="postgresql"))
event.listen(
    _TABLE,
    "after_drop",
    DDL("DROP FUNCTION IF EXISTS access_log_heads(uuid[])").execute_if(dialect="postgresql"),
)
