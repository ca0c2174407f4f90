"""Secure messages: threads between the client, the county and the client's network.

A thread's subject and its messages are client data, sealed through the gate under the
thread's scope (``scope``): the county-only ``messages`` scope for the client's own thread
with the county, or the plan section a network thread is about, so an organisation reads a
thread exactly while the access decision lets it read that section (its consent or
statutory disclosure and its membership in force). Who takes part is kept in clear
(``message_thread_members``); whether someone may read is still decided by the gate.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, encrypted_by_scope, str_enum, utcnow
from consent.sections import SectionKind


class ThreadKind(enum.StrEnum):
    """Who a thread is between."""

    CLIENT = "client"  # the client and the county (responsible worker and case team)
    NETWORK = "network"  # the county and one network organisation, about the client
    MEETING = "meeting"  # a network meeting: the county and members chosen from the network


class MessageThread(Base):
    """One conversation about one client; ``scope`` seals its subject and messages."""

    __tablename__ = "message_threads"
    __table_args__ = (
        Index("ix_message_threads_client_last", "client_id", "last_message_at"),
        CheckConstraint(
            "(kind = 'client') = (scope = 'messages')", name="client_threads_county_only"
        ),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[ThreadKind] = mapped_column(str_enum(ThreadKind))
    # ``messages`` for a client thread, else a plan section's kind (``consent.sections.scope_of``)
    scope: Mapped[str] = mapped_column(String(40))
    includes_client: Mapped[bool] = mapped_column(default=False)
    subject_ct: Mapped[bytes] = encrypted_by_scope("scope")
    started_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who wrote last: a user, or a person member (who has no account) of a meeting thread
    last_author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    last_author_member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("network_members.id")
    )


class ThreadMember(Base):
    """A network member taking part in a network thread or meeting: an organisation's
    membership (its staff), or in a meeting a person member (no organisation)."""

    __tablename__ = "message_thread_members"
    __table_args__ = (
        UniqueConstraint("thread_id", "member_id"),
        Index("ix_message_thread_members_organisation", "organisation_id", "thread_id"),
    )

    thread_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("message_threads.id"))
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("network_members.id"))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))


class Message(Base):
    """One message: its author, any staff at the client's terminal, its sealed body."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_thread_sent", "thread_id", "sent_at"),
        CheckConstraint("(author_id IS NULL) != (author_member_id IS NULL)", name="one_author"),
    )

    thread_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("message_threads.id"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    scope: Mapped[str] = mapped_column(String(40))  # the thread's, for the body's seal
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # A person member's message (they sign in through their link, without an account)
    author_member_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("network_members.id"))
    author_organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    # Staff at the terminal in a staff-assisted client session: "sent with the help of …"
    assisted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    refers_to: Mapped[SectionKind | None] = mapped_column(str_enum(SectionKind))
    body_ct: Mapped[bytes] = encrypted_by_scope("scope")


class ThreadRead(Base):
    """How far a user (or a person member) has read a thread: what unread counts compare with."""

    __tablename__ = "message_thread_reads"
    __table_args__ = (
        UniqueConstraint("user_id", "thread_id"),
        UniqueConstraint("member_id", "thread_id"),
        CheckConstraint("(user_id IS NULL) != (member_id IS NULL)", name="one_reader"),
    )

    thread_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("message_threads.id"), index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    member_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("network_members.id"))
    read_at: Mapped[datetime]
