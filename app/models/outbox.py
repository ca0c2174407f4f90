"""E-mail: each user's address and choice, and the outbox of messages waiting to be sent.

``EmailAddress`` is one user's address and whether they want to hear by e-mail that something
is waiting (``notify``; off until they turn it on at /account). An administrator may give a
staff member's address with an invitation; it is used for that account's invitation and
password-reset links whatever ``notify`` says.

``OutboxMessage`` is one e-mail to send, added in the same transaction as the event that
causes it (``app.outbox.commands``) and sent later by ``flask outbox send`` (``app.mail``).
It holds no content: a ``kind`` (what the fixed text says), the address, the language, and
for an invitation or reset only, the one-time link (``link``), which is cleared once the
message is sent or given up on. A sender claims a row (``claim``, ``claimed_at``) before
sending it, so two senders never send the same row.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, str_enum, utcnow


class EmailAddress(Base):
    """A user's e-mail address and whether they chose notifications by e-mail."""

    __tablename__ = "email_addresses"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), unique=True)
    address: Mapped[str] = mapped_column(String(254))
    notify: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The Helsinki day the daily reminder was last queued for this user (at most one a day).
    reminded_on: Mapped[date | None]


class PersonEmailAddress(Base):
    """A person member's (close person's, peer expert's) address for "you have a new message"
    from a network meeting: they have no account, so it is theirs as a network member, given
    on their link's page, in the language they used there."""

    __tablename__ = "person_email_addresses"

    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("network_members.id"), unique=True)
    address: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailKind(enum.StrEnum):
    """What a message says; each kind is one fixed text per language (``app.mail``)."""

    NEW_MESSAGE = "new_message"  # "You have a new message in Tukiverkko"
    REMINDER = "reminder"  # "Something is waiting for you in Tukiverkko"
    STAFF_INVITATION = "staff_invitation"  # the one-time link that sets up an account
    PASSWORD_RESET = "password_reset"  # noqa: S105  (a kind's name, not a secret)


class MailState(enum.StrEnum):
    PENDING = "pending"  # waiting for ``next_attempt_at``
    SENDING = "sending"  # claimed by a sender
    SENT = "sent"
    FAILED = "failed"  # given up after the last attempt


class OutboxMessage(Base):
    """One e-mail waiting to be sent, being sent, sent or given up on (never its text)."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "state", "next_attempt_at"),)

    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[MailKind] = mapped_column(str_enum(MailKind))
    address: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(8))
    # The one-time link of an invitation or reset; None for every other kind and once done.
    link: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[MailState] = mapped_column(str_enum(MailState), default=MailState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(64))  # the sender run that holds it
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # Why the last attempt failed: the SMTP reply code or the error's class, never content.
    last_error: Mapped[str | None] = mapped_column(String(200))
