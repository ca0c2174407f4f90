"""The case facts the access decision needs: the gate's ``CaseLoader`` (``load_case_contexts``).

Facts are read as plain columns (SQLAlchemy Core: no ORM objects to build and track) and
kept for the rest of the unit of work in the session (``session.info``), so a page that
lists what is shared and then reads it through the gate gathers them once. Any change to
a table they come from — a flush of changed rows or a bulk statement through the session
— and the end of the transaction forget them, so a decision never sees facts older than
its own transaction's writes.

Across requests, each worker process keeps a bounded number of recently gathered facts
(``RECENT``), keyed by client, the part gathered and the client's **facts version**: a
random token in ``facts_versions`` that the DATABASE replaces, by trigger, in the same
transaction as any insert, update or delete of a row of a fact table (``FACT_TABLES``),
whatever wrote it (ORM, Core, raw SQL, another process). A load reads the token with the
case row, in the same statement, or (one client whose part is kept: a read's decision)
the token alone; facts kept under that token are the facts of that token or newer (they
were read after it), so a hit is never older than the database the request sees, and a
revocation committed anywhere is a miss for the very next request. A
token is never reused (128 random bits; a rolled-back one is gone), so neither a rolled
back write nor a restored backup can bring an old entry back into use. A client without
a token (none written since the table came) is never kept.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Column,
    Connection,
    Row,
    Select,
    Table,
    Uuid,
    bindparam,
    event,
    select,
)
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from app.models import Case, CaseTeamMember, NetworkMember, ResponsibleWorker, WorkTaskReason
from app.models.transfer import CountyTransfer, TransferState
from consent.base import Base
from consent.facts import (
    EVERYTHING,
    CaseContext,
    ConsentFacts,
    Direction,
    FactsNeeded,
    Grantee,
    Membership,
    Purpose,
    StatutoryFacts,
    WorkTask,
)
from consent.models import Consent, ConsentState, StatutoryDisclosure
from consent.sections import SectionKind
from sharing.driver import DriverRead

F = TypeVar("F")

_CACHE = "tukiverkko.case_facts"
"""``session.info`` key: ``{(client_id, grantee): CaseContext | None}`` for this transaction."""

FACT_TABLES = frozenset(
    model.__tablename__
    for model in (
        Case,
        ResponsibleWorker,
        CaseTeamMember,
        WorkTaskReason,
        NetworkMember,
        Consent,
        StatutoryDisclosure,
        CountyTransfer,
    )
)
"""The tables the facts come from: a change to any of them forgets the facts gathered (and
replaces the client's facts version)."""

FACTS_VERSIONS = Table(
    "facts_versions",
    Base.metadata,
    Column("client_id", Uuid(), primary_key=True),
    Column("version", Uuid(), nullable=False),
)
"""A client's facts version: replaced by trigger on any change to a row of a fact table."""


NEW_VERSION = {"sqlite": "lower(hex(randomblob(16)))", "postgresql": "gen_random_uuid()"}
"""A new random token, by dialect, in SQL (on SQLite as SQLAlchemy stores a ``Uuid``)."""


def facts_version_triggers(table: Table) -> dict[str, list[str]]:
    """Statements, by dialect, that replace the facts version of every client a change to a
    row of ``table`` can concern: the row's own client, its case's client, and its network
    member's case's client (before and after an update). Plain strings without ``:`` or
    ``%``, so a migration can run them with ``op.execute``; built from the table's columns,
    so a fact table gains its triggers by being named in ``FACT_TABLES``.
    """
    name = table.name

    def clients(row: str) -> list[str]:
        # Names from the metadata and the trigger's own row aliases, never from input.
        found = []
        if "client_id" in table.c:
            found.append(f"{row}.client_id")
        if "case_id" in table.c:
            found.append(f"(SELECT client_id FROM cases WHERE id = {row}.case_id)")  # noqa: S608
        if "member_id" in table.c:
            found.append(
                "(SELECT cases.client_id FROM network_members JOIN cases"  # noqa: S608
                " ON cases.id = network_members.case_id"
                f" WHERE network_members.id = {row}.member_id)"
            )
        return found

    def replace(rows: Sequence[str], token: str) -> str:
        changed = " UNION ".join(f"SELECT {e} AS client_id" for row in rows for e in clients(row))
        return (
            f"INSERT INTO facts_versions (client_id, version) SELECT client_id, {token}"  # noqa: S608
            f" FROM ({changed}) AS changed WHERE client_id IS NOT NULL"
            " ON CONFLICT (client_id) DO UPDATE SET version = excluded.version"
        )

    sqlite = [
        f"CREATE TRIGGER facts_version_{name}_{op.lower()} AFTER {op} ON {name}"
        f" BEGIN {replace(rows, NEW_VERSION['sqlite'])}; END"
        for op, rows in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"]))
    ]
    postgresql = [
        f"CREATE OR REPLACE FUNCTION facts_version_{name}() RETURNS trigger LANGUAGE plpgsql"
        " AS $$ BEGIN"
        f" IF TG_OP <> 'INSERT' THEN {replace(['OLD'], NEW_VERSION['postgresql'])}; END IF;"
        f" IF TG_OP <> 'DELETE' THEN {replace(['NEW'], NEW_VERSION['postgresql'])}; END IF;"
        " RETURN NULL; END $$",
        f"CREATE TRIGGER facts_version_{name} AFTER INSERT OR UPDATE OR DELETE ON {name}"
        f" FOR EACH ROW EXECUTE FUNCTION facts_version_{name}()",
        # TRUNCATE skips row triggers: forget every token (no client's facts are kept then).
        "CREATE OR REPLACE FUNCTION facts_versions_forget() RETURNS trigger LANGUAGE plpgsql"
        " AS $$ BEGIN DELETE FROM facts_versions; RETURN NULL; END $$",
        f"CREATE TRIGGER facts_version_{name}_truncate AFTER TRUNCATE ON {name}"
        " FOR EACH STATEMENT EXECUTE FUNCTION facts_versions_forget()",
    ]
    return {"sqlite": sqlite, "postgresql": postgresql}


def _install_triggers(target: Any, connection: Any, **kw: Any) -> None:
    """``metadata.create_all``: the facts version triggers, once every table is there."""
    tables = kw.get("tables")  # those created now ([] when all were there already)
    created = {
        table.name for table in (Base.metadata.tables.values() if tables is None else tables)
    }
    if FACTS_VERSIONS.name not in created:
        return  # a partial schema (a benchmark's scratch tables) keeps no versions
    for name in sorted(FACT_TABLES & created):
        for statement in facts_version_triggers(Base.metadata.tables[name]).get(
            connection.dialect.name, ()
        ):
            connection.exec_driver_sql(statement)


event.listen(Base.metadata, "after_create", _install_triggers)


class RecentFacts:
    """A bounded map, least recently used out first, of facts gathered in this process:
    ``(client, part) → (facts version, CaseContext)`` (immutable, so shared safely). Facts
    gathered under a newer version replace the older: one entry per client and part.

    Bounded by the facts held, not the entries: a whole case with a hundred consents
    weighs a hundred times a partner's part of it (about 0.7 KiB a fact).
    """

    def __init__(self, facts: int) -> None:
        self.budget = facts
        self._entries: OrderedDict[tuple[uuid.UUID, FactsNeeded], tuple[uuid.UUID, CaseContext]]
        self._entries = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    @staticmethod
    def weight(case: CaseContext) -> int:
        return 1 + len(case.memberships) + len(case.consents) + len(case.statutory)

    def holds(self, client_id: uuid.UUID, needed: FactsNeeded) -> bool:
        """Whether facts of this client and part are kept (of any version)."""
        return (client_id, needed) in self._entries

    def get(
        self, client_id: uuid.UUID, needed: FactsNeeded, version: uuid.UUID
    ) -> CaseContext | None:
        """The facts kept for the client's part under ``version`` (None: none, or older)."""
        key = (client_id, needed)
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != version:
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(
        self, client_id: uuid.UUID, needed: FactsNeeded, version: uuid.UUID, case: CaseContext
    ) -> None:
        key = (client_id, needed)
        with self._lock:
            if (old := self._entries.pop(key, None)) is not None:
                self._held -= self.weight(old[1])
            self._entries[key] = (version, case)
            self._held += self.weight(case)
            while self._held > self.budget and self._entries:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._held -= self.weight(dropped)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._held = 0

    def __len__(self) -> int:
        return len(self._entries)


RECENT = RecentFacts(facts=50_000)
"""This process's recently gathered facts: about 35 MB at most (some 12,000 partners'
parts, or 500 whole cases of a hundred consents), never a copy of every policy."""


def load_case_contexts(
    session: Session, client_ids: Sequence[uuid.UUID], needed: FactsNeeded = EVERYTHING
) -> dict[uuid.UUID, CaseContext]:
    """The ``CaseContext`` of each client's newest case, or the part of it ``needed`` names,
    whatever the count of clients: one query for the case alone, four for its relationships
    or one grantee's part of the network, seven for all; none for clients whose facts this
    transaction has gathered already."""
    cache: dict[tuple[uuid.UUID, FactsNeeded], CaseContext | None]
    cache = session.info.setdefault(_CACHE, {})
    missing = [c for c in dict.fromkeys(client_ids) if (c, needed) not in cache]
    if missing:
        loaded = _load(session, missing, needed)
        cache.update({(c, needed): loaded.get(c) for c in missing})
    return {c: context for c in client_ids if (context := cache[(c, needed)]) is not None}


def _load(
    session: Session, client_ids: Sequence[uuid.UUID], needed: FactsNeeded
) -> dict[uuid.UUID, CaseContext]:
    cases: dict[uuid.UUID, Any] = {}
    # On the connection, without the ORM's execution (a third of a kept decision's time);
    # first the flush ``Session.execute`` would make, so the transaction's own changes
    # count (none during a flush, as there).
    _flush_as_a_query_would(session)
    connection = session.connection()
    one = len(client_ids) == 1  # a read's decision: a plain equality, nothing to expand
    if (
        one
        and RECENT.holds(client_ids[0], needed)
        and (hit := _kept(connection, client_ids[0], needed)) is not None
    ):
        return {client_ids[0]: hit}
    statement, values = (_CASE, client_ids[0]) if one else (_CASES, list(client_ids))
    for row in connection.execute(statement, {"clients": values}):
        cases[row.client_id] = row  # later (newer) rows win
    kept: dict[uuid.UUID, CaseContext] = {}
    for client_id, case in cases.items():
        if case.version is not None and (hit := RECENT.get(client_id, needed, case.version)):
            kept[client_id] = hit
    for client_id in kept:
        del cases[client_id]
    ids = [case.id for case in cases.values()]
    if not ids:
        return kept
    memberships: defaultdict[uuid.UUID, list[Membership]] = defaultdict(list)
    consents: defaultdict[uuid.UUID, list[ConsentFacts]] = defaultdict(list)
    statutory: defaultdict[uuid.UUID, list[StatutoryFacts]] = defaultdict(list)
    if needed.network or needed.grantee is not None:
        memberships = _memberships(session, ids, None if needed.network else needed.grantee)
        members = None if needed.network else [m.id for ms in memberships.values() for m in ms]
        consents = _consents(session, ids, members)
        statutory = _statutory(session, ids, members)
    workers: dict[uuid.UUID, uuid.UUID] = {}
    teams: defaultdict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    tasks: defaultdict[uuid.UUID, list[WorkTask]] = defaultdict(list)
    if needed.relationships:
        workers = {
            case_id: worker_id
            for case_id, worker_id in session.execute(
                select(ResponsibleWorker.case_id, ResponsibleWorker.worker_id).where(
                    ResponsibleWorker.case_id.in_(ids), ResponsibleWorker.ends_on.is_(None)
                )
            )
        }
        for case_id, user_id in session.execute(
            select(CaseTeamMember.case_id, CaseTeamMember.user_id).where(
                CaseTeamMember.case_id.in_(ids), CaseTeamMember.removed_at.is_(None)
            )
        ):
            teams[case_id].add(user_id)
        for row in session.execute(
            select(
                WorkTaskReason.case_id,
                WorkTaskReason.id,
                WorkTaskReason.user_id,
                WorkTaskReason.valid_until,
            ).where(WorkTaskReason.case_id.in_(ids))
        ):
            tasks[row.case_id].append(WorkTask(row.id, row.user_id, row.valid_until))
    loaded = {
        client_id: CaseContext(
            client_id=client_id,
            county_id=case.county_id,
            responsible_worker_id=workers.get(case.id),
            team_ids=frozenset(teams[case.id]),
            work_tasks=tuple(tasks[case.id]),
            closed_at=case.closed_at,
            memberships=tuple(memberships[case.id]),
            consents=tuple(consents[case.id]),
            statutory=tuple(statutory[case.id]),
            narrowed_to=needed,
            transfer_to=case.transfer_to,
        )
        for client_id, case in cases.items()
    }
    for client_id, context in loaded.items():
        if (version := cases[client_id].version) is not None:
            # Read after the token (in later statements), so of that token or newer.
            RECENT.put(client_id, needed, version, context)
    return kept | loaded


def _kept(connection: Connection, client_id: uuid.UUID, needed: FactsNeeded) -> CaseContext | None:
    """The facts this process keeps under the client's facts version, if any: a read's
    decision in one primary-key look-up of the token, on the driver's cursor. Asked only
    when facts of the client are kept, so a first read costs no more than before; the
    token covers the case row too, so a miss reads it again beside the case."""
    row = _VERSION.first(connection, client=client_id)
    return None if row is None else RECENT.get(client_id, needed, row[0])


_VERSION = DriverRead(
    select(FACTS_VERSIONS.c.version).where(FACTS_VERSIONS.c.client_id == bindparam("client"))
)


def _flush_as_a_query_would(session: Session) -> None:
    """Flush pending changes unless already flushing or told not to (``Session._autoflush``,
    which ``Session.execute`` runs before a query), on a scoped session's own Session."""
    own = session if isinstance(session, Session) else cast(Callable[[], Session], session)()
    own._autoflush()


# The county an unanswered transfer is proposed to: a column of the same statement (at most
# one proposal per case, ``uq_county_transfers_proposed``).
_TRANSFER_TO = (
    select(CountyTransfer.to_county_id)
    .where(CountyTransfer.case_id == Case.id, CountyTransfer.state == TransferState.PROPOSED)
    .correlate(Case)
    .scalar_subquery()
    .label("transfer_to")
)
_VERSIONED_CASES = select(
    Case.id, Case.client_id, Case.county_id, Case.closed_at, _TRANSFER_TO, FACTS_VERSIONS.c.version
).outerjoin(FACTS_VERSIONS, FACTS_VERSIONS.c.client_id == Case.client_id)
_CASES = _VERSIONED_CASES.where(Case.client_id.in_(bindparam("clients", expanding=True))).order_by(
    Case.opened_at
)
_CASE = _VERSIONED_CASES.where(Case.client_id == bindparam("clients")).order_by(Case.opened_at)
"""Each client's cases, newest last, with the client's facts version read in the same
statement (one snapshot: the token is never newer than the case row beside it)."""


def _memberships(
    session: Session, case_ids: Sequence[uuid.UUID], grantee: Grantee | None
) -> defaultdict[uuid.UUID, list[Membership]]:
    query = select(
        NetworkMember.case_id,
        NetworkMember.id,
        NetworkMember.organisation_id,
        NetworkMember.starts_on,
        NetworkMember.ends_on,
        NetworkMember.ended_at,
        NetworkMember.added_at,
    ).where(NetworkMember.case_id.in_(case_ids))
    if grantee is not None and grantee.member_id is not None:
        query = query.where(NetworkMember.id == grantee.member_id)
    elif grantee is not None:
        query = query.where(NetworkMember.organisation_id == grantee.organisation_id)
    found: defaultdict[uuid.UUID, list[Membership]] = defaultdict(list)
    for row in session.execute(query):
        found[row.case_id].append(
            Membership(
                row.id, row.organisation_id, row.starts_on, row.ends_on, row.ended_at, row.added_at
            )
        )
    return found


def _consents(
    session: Session, case_ids: Sequence[uuid.UUID], members: Sequence[uuid.UUID] | None
) -> defaultdict[uuid.UUID, list[ConsentFacts]]:
    """As ``consent.service.facts_of`` builds them from rows."""
    return _by_case(
        session,
        _of(Consent, case_ids, members),
        lambda row: ConsentFacts(
            id=row.id,
            member_id=row.member_id,
            sections=frozenset(SectionKind(s) for s in row.sections),
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            direction=Direction(row.direction),
            purpose=Purpose(row.purpose),
            ended_at=row.ended_at,
            revoked=row.state == ConsentState.REVOKED,
        ),
    )


def _statutory(
    session: Session, case_ids: Sequence[uuid.UUID], members: Sequence[uuid.UUID] | None
) -> defaultdict[uuid.UUID, list[StatutoryFacts]]:
    """As ``consent.service.disclosure_facts_of`` builds them from rows."""
    return _by_case(
        session,
        _of(StatutoryDisclosure, case_ids, members),
        lambda row: StatutoryFacts(
            row.id,
            row.member_id,
            frozenset(SectionKind(s) for s in row.sections),
            row.valid_from,
            row.valid_until,
            row.ended_at,
            row.decided_at,
        ),
    )


def _of(
    model: type[Consent] | type[StatutoryDisclosure],
    case_ids: Sequence[uuid.UUID],
    members: Sequence[uuid.UUID] | None,
) -> Select[Any] | None:
    """The basis rows of the cases (``members`` None) or of those members (None: none)."""
    if members is not None and not members:
        return None
    query = select(*(c for c in model.__table__.columns if not c.name.endswith("_ct")))
    if members is None:
        return query.where(model.case_id.in_(case_ids))
    return query.where(model.member_id.in_(members))


def _by_case(
    session: Session, query: Select[Any] | None, build: Callable[[Row[Any]], F]
) -> defaultdict[uuid.UUID, list[F]]:
    found: defaultdict[uuid.UUID, list[F]] = defaultdict(list)
    for row in session.execute(query) if query is not None else ():
        found[row.case_id].append(build(row))
    return found


# -- forgetting --------------------------------------------------------------------------


def forget_case_facts(session: Session, *_: Any) -> None:
    """Drop the facts this transaction gathered: the next load reads them afresh."""
    session.info.pop(_CACHE, None)


event.listen(Session, "after_commit", forget_case_facts)
event.listen(Session, "after_soft_rollback", forget_case_facts)


@event.listens_for(Session, "after_flush")
def _forget_flushed(session: Session, flush_context: UOWTransaction) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(getattr(row, "__tablename__", None) in FACT_TABLES for row in changed):
        forget_case_facts(session)


@event.listens_for(Session, "do_orm_execute")
def _forget_on_bulk_change(state: ORMExecuteState) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and getattr(
        getattr(state.statement, "table", None), "name", None
    ) in FACT_TABLES:
        forget_case_facts(state.session)
