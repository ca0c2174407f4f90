"""The case facts the access decision needs: the gate's ``CaseLoader`` (``load_case_contexts``).

Facts are read as plain columns (SQLAlchemy Core: no ORM objects to build and track) and
kept for the rest of the unit of work in the session (``session.info``), so a page that
lists what is shared and then reads it through the gate gathers them once. Any change to
a table they come from — a flush of changed rows or a bulk statement through the session
— and the end of the transaction forget them, so a decision never sees facts older than
its own transaction's writes.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Row, Select, event, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from app.models import Case, CaseTeamMember, NetworkMember, ResponsibleWorker, WorkTaskReason
from app.models.transfer import CountyTransfer, TransferState
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
"""The tables the facts come from: a change to any of them forgets the facts gathered."""


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
    # The county an unanswered transfer is proposed to: a column of the same statement (at
    # most one proposal per case, ``uq_county_transfers_proposed``).
    transfer_to = (
        select(CountyTransfer.to_county_id)
        .where(CountyTransfer.case_id == Case.id, CountyTransfer.state == TransferState.PROPOSED)
        .correlate(Case)
        .scalar_subquery()
        .label("transfer_to")
    )
    for case_row in session.execute(
        select(Case.id, Case.client_id, Case.county_id, Case.closed_at, transfer_to)
        .where(Case.client_id.in_(client_ids))
        .order_by(Case.opened_at)
    ):
        cases[case_row.client_id] = case_row  # later (newer) rows win
    ids = [case.id for case in cases.values()]
    if not ids:
        return {}
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
    return {
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
