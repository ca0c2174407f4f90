"""Read models of e-mail: a user's address and choice, and what waits to go to them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from app.directory.rules import Scope
from app.models import User
from app.models.outbox import EmailAddress, MailKind, MailState, OutboxMessage, PersonEmailAddress
from app.pagination import ListPage, paginate
from app.staff.queries import account_in_scope

PER_PAGE = 50
NOT_SENT = (MailState.FAILED, MailState.PENDING, MailState.SENDING)


def address_of(session: Session, user_id: uuid.UUID) -> EmailAddress | None:
    """The user's e-mail address and choice, if they gave one (one statement)."""
    return session.scalar(select(EmailAddress).where(EmailAddress.user_id == user_id))


def person_address(session: Session, member_id: uuid.UUID) -> PersonEmailAddress | None:
    """A person member's address for "you have a new message", if they gave one."""
    return session.scalar(
        select(PersonEmailAddress).where(PersonEmailAddress.member_id == member_id)
    )


def link_waiting(session: Session, user_id: uuid.UUID, kind: MailKind) -> OutboxMessage | None:
    """The newest e-mail of ``kind`` to the user not yet sent (one statement), for the
    administrator's page: "the invitation is on its way"."""
    return session.scalar(
        select(OutboxMessage)
        .where(
            OutboxMessage.user_id == user_id,
            OutboxMessage.kind == kind,
            OutboxMessage.state.in_([MailState.PENDING, MailState.SENDING]),
        )
        .order_by(OutboxMessage.created_at.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class MailRow:
    message: OutboxMessage
    account: User | None


def not_sent(session: Session, *, scope: Scope, page: int) -> ListPage[MailRow]:
    """E-mail given up on or waiting, to the accounts an administrator of ``scope`` reaches
    (``app.staff.queries.account_in_scope``): given up on first, then by next attempt (two
    statements). A message to no account is the service administrator's alone."""
    query = (
        select(OutboxMessage, User)
        .outerjoin(User, User.id == OutboxMessage.user_id)
        .where(OutboxMessage.state.in_(NOT_SENT))
    )
    if scope is not None:
        query = query.where(account_in_scope(scope))
    query = query.order_by(
        case((OutboxMessage.state == MailState.FAILED, 0), else_=1),
        OutboxMessage.next_attempt_at,
        OutboxMessage.id,
    )
    return paginate(session, query, page=page, per_page=PER_PAGE).map(lambda row: MailRow(*row))


def one_not_sent(session: Session, message_id: uuid.UUID, *, scope: Scope) -> OutboxMessage | None:
    """The message if an administrator of ``scope`` reaches its account, locked for a change
    (None otherwise: another county's is not found)."""
    query = (
        select(OutboxMessage)
        .outerjoin(User, User.id == OutboxMessage.user_id)
        .where(OutboxMessage.id == message_id)
    )
    if scope is not None:
        query = query.where(account_in_scope(scope))
    return session.scalar(query.with_for_update(of=OutboxMessage))
