"""Read models of county transfers: a county's incoming proposals, a case's transfers, and
what the client is told (a fixed number of statements each)."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, joinedload

from app.models import Client
from app.models.transfer import CountyTransfer, TransferAnswerNotice, TransferState
from app.pagination import ListPage, paginate
from consent.facts import Actor, Purpose
from consent.models import Consent
from sharing.fields import sealed
from sharing.gate import AccessGate

_WITH_PEOPLE = (
    joinedload(CountyTransfer.from_county),
    joinedload(CountyTransfer.to_county),
    joinedload(CountyTransfer.proposed_by),
    joinedload(CountyTransfer.answered_by),
)


@dataclass(frozen=True)
class Incoming:
    """A proposal to the reader's county, with the name of the client it concerns."""

    transfer: CountyTransfer
    name: str


def incoming_count(session: Session, county_id: uuid.UUID) -> int:
    """How many proposals wait for the county's answer (one query)."""
    return (
        session.scalar(
            select(func.count(CountyTransfer.id)).where(
                CountyTransfer.to_county_id == county_id,
                CountyTransfer.state == TransferState.PROPOSED,
            )
        )
        or 0
    )


def incoming(
    session: Session, gate: AccessGate, actor: Actor, county_id: uuid.UUID
) -> list[Incoming]:
    """The proposals waiting for the county's answer, oldest first, with the clients' names
    (one gate call for them all: the gate lets the receiving county read the name only)."""
    transfers = session.scalars(
        select(CountyTransfer)
        .where(
            CountyTransfer.to_county_id == county_id,
            CountyTransfer.state == TransferState.PROPOSED,
        )
        .options(*_WITH_PEOPLE)
        .order_by(CountyTransfer.proposed_at, CountyTransfer.id)
    ).all()
    return _named(session, gate, actor, transfers)


def incoming_one(
    session: Session, gate: AccessGate, actor: Actor, transfer_id: uuid.UUID
) -> Incoming | None:
    """One transfer addressed to the actor's county; the name only while it is proposed."""
    transfer = session.scalar(
        select(CountyTransfer)
        .where(
            CountyTransfer.id == transfer_id, CountyTransfer.to_county_id == actor.organisation_id
        )
        .options(*_WITH_PEOPLE)
    )
    if transfer is None:
        return None
    if transfer.state is not TransferState.PROPOSED:
        # Declined or withdrawn: the client is not the county's to recognise (and accepted:
        # the case's own pages show it).
        return Incoming(transfer, "")
    return _named(session, gate, actor, [transfer])[0]


def _named(
    session: Session, gate: AccessGate, actor: Actor, transfers: Sequence[CountyTransfer]
) -> list[Incoming]:
    if not transfers:
        return []
    clients = {
        c.id: c
        for c in session.scalars(
            select(Client).where(Client.id.in_({t.client_id for t in transfers}))
        )
    }
    ordered = list(clients.values())
    names = gate.read_texts(
        actor, [sealed(c, Client.name_ct) for c in ordered], purpose=Purpose.LIST
    )
    by_client = {c.id: n or "" for c, n in zip(ordered, names, strict=True)}
    return [Incoming(t, by_client[t.client_id]) for t in transfers]


def case_transfers(session: Session, case_id: uuid.UUID) -> list[CountyTransfer]:
    """Every transfer proposed for the case, newest first (one query)."""
    return list(
        session.scalars(
            select(CountyTransfer)
            .where(CountyTransfer.case_id == case_id)
            .options(*_WITH_PEOPLE)
            .order_by(CountyTransfer.proposed_at.desc(), CountyTransfer.id)
        )
    )


@dataclass(frozen=True)
class ClientTransfer:
    """A transfer of the client's case as the client is told about it."""

    transfer: CountyTransfer
    ended: list[Consent]


def client_transfers(session: Session, client_id: uuid.UUID) -> list[ClientTransfer]:
    """The client's accepted transfers, newest first, with the consents that ended with each
    (two queries)."""
    transfers = session.scalars(
        select(CountyTransfer)
        .where(
            CountyTransfer.client_id == client_id,
            CountyTransfer.state == TransferState.ACCEPTED,
        )
        .options(*_WITH_PEOPLE)
        .order_by(CountyTransfer.answered_at.desc(), CountyTransfer.id)
    ).all()
    ended_ids = {uuid.UUID(i) for t in transfers for i in t.ended_consent_ids}
    consents = (
        {
            c.id: c
            for c in session.scalars(
                select(Consent).where(Consent.id.in_(ended_ids), Consent.client_id == client_id)
            )
        }
        if ended_ids
        else {}
    )
    return [
        ClientTransfer(
            t, [consents[uuid.UUID(i)] for i in t.ended_consent_ids if uuid.UUID(i) in consents]
        )
        for t in transfers
    ]


class Direction(enum.StrEnum):
    """Transfers to the reader's county, or proposed by it."""

    INCOMING = "incoming"
    OUTGOING = "outgoing"


def county_transfers(
    session: Session,
    county_id: uuid.UUID,
    direction: Direction,
    *,
    state: TransferState | None,
    page: int,
    per_page: int,
) -> ListPage[CountyTransfer]:
    """A page of the county's transfers, newest first (two statements)."""
    side = (
        CountyTransfer.to_county_id
        if direction is Direction.INCOMING
        else CountyTransfer.from_county_id
    )
    query = select(CountyTransfer).where(side == county_id)
    if state is not None:
        query = query.where(CountyTransfer.state == state)
    rows = paginate(
        session,
        query.options(*_WITH_PEOPLE).order_by(CountyTransfer.proposed_at.desc(), CountyTransfer.id),
        page=page,
        per_page=per_page,
        count=select(func.count()).select_from(query.order_by(None).subquery()),
    )
    return rows.map(lambda row: row[0])


def recognised_names(
    session: Session, gate: AccessGate, actor: Actor, transfers: Sequence[CountyTransfer]
) -> dict[uuid.UUID, str]:
    """The names of the clients of the transfers proposed to the actor's county and waiting
    (one gate call): the only clients of another county it may recognise."""
    waiting = [
        t
        for t in transfers
        if t.state is TransferState.PROPOSED and t.to_county_id == actor.organisation_id
    ]
    return {found.transfer.id: found.name for found in _named(session, gate, actor, waiting)}


# -- the answers the sending worker is told of -------------------------------------------------


def answers_waiting(user_id: uuid.UUID) -> ColumnElement[bool]:
    """The worker's answer notices not yet acknowledged (a condition for counts and lists)."""
    return and_(TransferAnswerNotice.user_id == user_id, TransferAnswerNotice.seen_at.is_(None))


def answers_for(
    session: Session, user_id: uuid.UUID, *, page: int, per_page: int = 25
) -> ListPage[TransferAnswerNotice]:
    """A page of the answers to transfers the worker is told of and has not acknowledged,
    newest first, each with its transfer, counties and people (two statements)."""
    rows = paginate(
        session,
        select(TransferAnswerNotice)
        .where(answers_waiting(user_id))
        .options(joinedload(TransferAnswerNotice.transfer).options(*_WITH_PEOPLE))
        .order_by(TransferAnswerNotice.created_at.desc(), TransferAnswerNotice.id),
        page=page,
        per_page=per_page,
        count=select(func.count(TransferAnswerNotice.id)).where(answers_waiting(user_id)),
    )
    return rows.map(lambda row: row[0])
