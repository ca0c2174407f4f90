"""Thread lists and unread counts for each audience: a fixed number of statements each.

Lists carry the threads' clear facts only (kind, section, times, whether unread); a page
opens subjects through the gate itself, for the rows it shows, in one call.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.cases.queries import latest_cases
from app.models import Case, CaseTeamMember, Client, NetworkMember, Organisation, ResponsibleWorker
from app.models.message import MessageThread, ThreadKind, ThreadMember, ThreadRead
from app.models.partner import SharePeriod
from app.pagination import ListPage, paginate
from consent.facts import Membership
from consent.sections import SectionKind
from consent.status import membership_active

PER_PAGE = 25


@dataclass(frozen=True)
class ThreadRow:
    """One thread in a list: the thread (its subject still sealed) and whether it is unread."""

    thread: MessageThread
    unread: bool


Who = uuid.UUID | SQLColumnExpression[uuid.UUID]  # a user, or a column of users (reminders)
Whose = uuid.UUID | SQLColumnExpression[uuid.UUID | None]


def unread(user_id: Who) -> ColumnElement[bool]:
    """Someone else wrote last, after the user last read the thread (or they never did)."""
    read = aliased(ThreadRead)
    seen = exists().where(
        read.thread_id == MessageThread.id,
        read.user_id == user_id,
        read.read_at >= MessageThread.last_message_at,
    )
    # A person member's message leaves ``last_author_id`` NULL: unread for every user.
    others_wrote = or_(
        MessageThread.last_author_id.is_(None), MessageThread.last_author_id != user_id
    )
    return and_(others_wrote, ~seen)


def member_unread(member_id: uuid.UUID) -> ColumnElement[bool]:
    """``unread`` for a person member (no account): someone else wrote after they last read."""
    read = aliased(ThreadRead)
    seen = exists().where(
        read.thread_id == MessageThread.id,
        read.member_id == member_id,
        read.read_at >= MessageThread.last_message_at,
    )
    others_wrote = or_(
        MessageThread.last_author_member_id.is_(None),
        MessageThread.last_author_member_id != member_id,
    )
    return and_(others_wrote, ~seen)


def _listed(
    session: Session, where: list[ColumnElement[bool]], user_id: uuid.UUID, page: int
) -> ListPage[ThreadRow]:
    query = (
        select(MessageThread, unread(user_id).label("unread"))
        .where(*where)
        .order_by(MessageThread.last_message_at.desc(), MessageThread.id)
    )
    count = select(func.count()).select_from(MessageThread).where(*where)
    found = paginate(session, query, page=page, per_page=PER_PAGE, count=count)
    return found.map(lambda row: ThreadRow(row[0], bool(row[1])))


# -- the client ---------------------------------------------------------------------------


def clients_own(client_id: Whose) -> list[ColumnElement[bool]]:
    return [
        MessageThread.client_id == client_id,
        or_(MessageThread.kind == ThreadKind.CLIENT, MessageThread.includes_client.is_(True)),
    ]


def client_threads(
    session: Session, client_id: uuid.UUID, user_id: uuid.UUID, *, page: int = 1
) -> ListPage[ThreadRow]:
    """The client's own threads with the county and the meetings they take part in."""
    return _listed(session, clients_own(client_id), user_id, page)


def client_unread(session: Session, client_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """How many of the client's threads have a message they have not read (one statement)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(MessageThread)
            .where(*clients_own(client_id), unread(user_id))
        )
        or 0
    )


# -- a close person or peer expert (a person member, through their link) ------------------


def persons_own(member_id: uuid.UUID, sections: Sequence[SectionKind]) -> list[ColumnElement[bool]]:
    """The meetings the person member was chosen for, about a section their link shows now
    (the gate still decides each read by their consent and membership)."""
    member = exists().where(
        ThreadMember.thread_id == MessageThread.id, ThreadMember.member_id == member_id
    )
    return [
        MessageThread.kind == ThreadKind.MEETING,
        member,
        MessageThread.scope.in_([kind.value for kind in sections]),
    ]


def person_threads(
    session: Session, member_id: uuid.UUID, sections: Sequence[SectionKind], *, page: int = 1
) -> ListPage[ThreadRow]:
    """The person member's meetings, newest first (two statements)."""
    where = persons_own(member_id, sections)
    query = (
        select(MessageThread, member_unread(member_id).label("unread"))
        .where(*where)
        .order_by(MessageThread.last_message_at.desc(), MessageThread.id)
    )
    count = select(func.count()).select_from(MessageThread).where(*where)
    found = paginate(session, query, page=page, per_page=PER_PAGE, count=count)
    return found.map(lambda row: ThreadRow(row[0], bool(row[1])))


def person_unread(session: Session, member_id: uuid.UUID, sections: Sequence[SectionKind]) -> int:
    """How many of the person member's meetings have a message they have not read."""
    return (
        session.scalar(
            select(func.count())
            .select_from(MessageThread)
            .where(*persons_own(member_id, sections), member_unread(member_id))
        )
        or 0
    )


def network_persons(session: Session, case_id: uuid.UUID, *, at: datetime) -> list[NetworkMember]:
    """The person members (close persons, peer experts) active in the case's network at ``at``
    (one statement); their names are sealed: the page opens them through the gate."""
    rows = session.scalars(
        select(NetworkMember)
        .where(NetworkMember.case_id == case_id, NetworkMember.organisation_id.is_(None))
        .order_by(NetworkMember.added_at, NetworkMember.id)
    ).all()
    return [m for m in rows if membership_active(membership_of(m), at)]


def thread_persons(session: Session, thread_id: uuid.UUID) -> list[NetworkMember]:
    """The person members taking part in a thread (one statement; names sealed)."""
    return list(
        session.scalars(
            select(NetworkMember)
            .join(ThreadMember, ThreadMember.member_id == NetworkMember.id)
            .where(ThreadMember.thread_id == thread_id, ThreadMember.organisation_id.is_(None))
            .order_by(NetworkMember.added_at, NetworkMember.id)
        ).all()
    )


# -- the county's worker ------------------------------------------------------------------


def case_threads(
    session: Session, client_id: uuid.UUID, user_id: uuid.UUID, *, page: int = 1
) -> ListPage[ThreadRow]:
    """Every thread about the client (the worker's view of one client's record)."""
    return _listed(session, [MessageThread.client_id == client_id], user_id, page)


def _my_cases(user_id: uuid.UUID) -> ColumnElement[bool]:
    """Threads of cases where the user is the responsible worker or in the team now."""
    responsible = select(ResponsibleWorker.case_id).where(
        ResponsibleWorker.worker_id == user_id, ResponsibleWorker.ends_on.is_(None)
    )
    team = select(CaseTeamMember.case_id).where(
        CaseTeamMember.user_id == user_id, CaseTeamMember.removed_at.is_(None)
    )
    return MessageThread.case_id.in_(responsible.union(team))


@dataclass(frozen=True)
class WorkerThreadRow:
    thread: MessageThread
    client: Client
    unread: bool


def worker_threads(
    session: Session, user_id: uuid.UUID, *, page: int = 1, unread_only: bool = False
) -> ListPage[WorkerThreadRow]:
    """The threads of the worker's own open cases (``unread_only``: those with a message the
    worker has not read), newest first, with their clients (two statements)."""
    where = [_my_cases(user_id), Case.closed_at.is_(None)]
    if unread_only:
        where.append(unread(user_id))
    query = (
        select(MessageThread, Client, unread(user_id).label("unread"))
        .join(Case, Case.id == MessageThread.case_id)
        .join(Client, Client.id == MessageThread.client_id)
        .where(*where)
        .order_by(MessageThread.last_message_at.desc(), MessageThread.id)
    )
    count = (
        select(func.count())
        .select_from(MessageThread)
        .join(Case, Case.id == MessageThread.case_id)
        .where(*where)
    )
    found = paginate(session, query, page=page, per_page=PER_PAGE, count=count)
    return found.map(lambda row: WorkerThreadRow(row[0], row[1], bool(row[2])))


def worker_unread(session: Session, user_id: uuid.UUID) -> int:
    """How many threads of the worker's open cases have a message they have not read."""
    return (
        session.scalar(
            select(func.count())
            .select_from(MessageThread)
            .join(Case, Case.id == MessageThread.case_id)
            .where(_my_cases(user_id), Case.closed_at.is_(None), unread(user_id))
        )
        or 0
    )


# -- a partner organisation ---------------------------------------------------------------


def organisations(organisation_id: Whose, at: datetime) -> list[ColumnElement[bool]]:
    """The organisation's threads about clients it shares something with now: a thread
    whose client no longer shares anything with it is not listed (deny by default; the gate
    decides the thread's section when it is opened)."""
    # From the organisation's own memberships of threads (their index), not from every
    # thread in the country.
    member = MessageThread.id.in_(
        select(ThreadMember.thread_id).where(ThreadMember.organisation_id == organisation_id)
    )
    shared = exists().where(
        SharePeriod.organisation_id == organisation_id,
        SharePeriod.client_id == MessageThread.client_id,
        SharePeriod.starts_at <= at,
        SharePeriod.ends_at > at,
    )
    return [MessageThread.kind != ThreadKind.CLIENT, member, shared]


def organisation_threads(
    session: Session,
    organisation_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    at: datetime,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> ListPage[WorkerThreadRow]:
    """The organisation's threads with the county, newest first, with their clients."""
    where = organisations(organisation_id, at)
    query = (
        select(MessageThread, Client, unread(user_id).label("unread"))
        .join(Client, Client.id == MessageThread.client_id)
        .where(*where)
        .order_by(MessageThread.last_message_at.desc(), MessageThread.id)
    )
    count = select(func.count()).select_from(MessageThread).where(*where)
    found = paginate(session, query, page=page, per_page=per_page, count=count)
    return found.map(lambda row: WorkerThreadRow(row[0], row[1], bool(row[2])))


def organisation_unread(
    session: Session, organisation_id: uuid.UUID, user_id: uuid.UUID, *, at: datetime
) -> int:
    """How many of the organisation's threads have a message this user has not read."""
    return (
        session.scalar(
            select(func.count())
            .select_from(MessageThread)
            .where(*organisations(organisation_id, at), unread(user_id))
        )
        or 0
    )


def client_organisation_threads(
    session: Session,
    organisation_id: uuid.UUID,
    client_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    at: datetime,
    page: int = 1,
) -> ListPage[ThreadRow]:
    """The organisation's threads about one client."""
    where = [*organisations(organisation_id, at), MessageThread.client_id == client_id]
    return _listed(session, where, user_id, page)


@dataclass(frozen=True)
class NetworkOrganisation:
    """An organisation's membership that a thread may be started with."""

    member_id: uuid.UUID
    organisation_id: uuid.UUID
    name: str


def network_organisations(
    session: Session, case_id: uuid.UUID, *, at: datetime
) -> list[NetworkOrganisation]:
    """The organisations active in the case's network at ``at``, by name (one statement)."""
    rows = session.execute(
        select(NetworkMember, Organisation.name)
        .join(Organisation, Organisation.id == NetworkMember.organisation_id)
        .where(NetworkMember.case_id == case_id)
        .order_by(Organisation.name, NetworkMember.id)
    ).all()
    return [
        NetworkOrganisation(member.id, organisation_id, name)
        for member, name in rows
        if (organisation_id := member.organisation_id) is not None
        and membership_active(membership_of(member), at)
    ]


def membership_of(member: NetworkMember) -> Membership:
    """A membership row as the status rules read it."""
    return Membership(
        member.id,
        member.organisation_id,
        member.starts_on,
        member.ends_on,
        member.ended_at,
        member.added_at,
    )


def thread_participants(session: Session, thread_id: uuid.UUID) -> list[str]:
    """The names of the organisations taking part in a thread (one statement)."""
    return list(
        session.scalars(
            select(Organisation.name)
            .join(ThreadMember, ThreadMember.organisation_id == Organisation.id)
            .where(ThreadMember.thread_id == thread_id)
            .order_by(Organisation.name)
        ).all()
    )


def client_memberships(
    session: Session, client_id: uuid.UUID, organisation_id: uuid.UUID, *, at: datetime
) -> list[NetworkOrganisation]:
    """The organisation's memberships active now in the client's newest case's network."""
    case = latest_cases(session, [client_id]).get(client_id)
    if case is None:
        return []
    return [
        o
        for o in network_organisations(session, case.id, at=at)
        if o.organisation_id == organisation_id
    ]
