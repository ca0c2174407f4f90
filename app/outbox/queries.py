"""Read models of e-mail: a user's address and choice, and what waits to go to them."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.outbox import EmailAddress, MailKind, MailState, OutboxMessage


def address_of(session: Session, user_id: uuid.UUID) -> EmailAddress | None:
    """The user's e-mail address and choice, if they gave one (one statement)."""
    return session.scalar(select(EmailAddress).where(EmailAddress.user_id == user_id))


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
