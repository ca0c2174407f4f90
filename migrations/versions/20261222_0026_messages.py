"""Secure messages: threads, the network members taking part, messages, how far each user read.

Revision ID: 0026_messages
Revises: 0025_appointments
Create Date: 2026-12-22

- ``message_threads``: one conversation about one client, its subject sealed under the
  thread's ``scope`` (``messages``, county-only, for the client's own thread; else the plan
  section a network thread or meeting is about).
- ``message_thread_members``: the network members (organisations) taking part.
- ``messages``: author, assisting staff in a staff-assisted session, the sealed body and the
  plan section it refers to, if any.
- ``message_thread_reads``: how far a user has read a thread (the unread counts).
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_messages"
down_revision = "0025_appointments"
branch_labels = None
depends_on = None

SECTION_KINDS = (
    "housing",
    "livelihood",
    "health",
    "relationships",
    "education_work",
    "digital_inclusion",
    "everyday_life",
    "release_transition",
    "probationary_liberty",
    "desistance",
    "other",
)


def _str_enum(check_name: str, values: tuple[str, ...]) -> sa.Enum:
    """A coded column as ``consent.base.str_enum`` declares it (VARCHAR + named CHECK)."""
    return sa.Enum(
        *values, name=op.f(check_name), native_enum=False, create_constraint=True, length=40
    )


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}")
    )


def upgrade() -> None:
    op.create_table(
        "message_threads",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            _str_enum("ck_message_threads_threadkind", ("client", "network", "meeting")),
            nullable=False,
        ),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("includes_client", sa.Boolean(), nullable=False),
        sa.Column("subject_ct", sa.LargeBinary(), nullable=False),
        sa.Column("started_by_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_author_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'client') = (scope = 'messages')",
            name=op.f("ck_message_threads_client_threads_county_only"),
        ),
        _fk("message_threads", "client_id", "clients"),
        _fk("message_threads", "case_id", "cases"),
        _fk("message_threads", "started_by_id", "users"),
        _fk("message_threads", "last_author_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_threads")),
    )
    op.create_index(op.f("ix_message_threads_case_id"), "message_threads", ["case_id"])
    op.create_index(
        "ix_message_threads_client_last", "message_threads", ["client_id", "last_message_at"]
    )
    op.create_table(
        "message_thread_members",
        sa.Column("thread_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        _fk("message_thread_members", "thread_id", "message_threads"),
        _fk("message_thread_members", "member_id", "network_members"),
        _fk("message_thread_members", "organisation_id", "organisations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_thread_members")),
        sa.UniqueConstraint(
            "thread_id", "member_id", name=op.f("uq_message_thread_members_thread_id_member_id")
        ),
    )
    op.create_index(
        "ix_message_thread_members_organisation",
        "message_thread_members",
        ["organisation_id", "thread_id"],
    )
    op.create_table(
        "messages",
        sa.Column("thread_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("author_organisation_id", sa.Uuid(), nullable=True),
        sa.Column("assisted_by_id", sa.Uuid(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refers_to", _str_enum("ck_messages_sectionkind", SECTION_KINDS), nullable=True),
        sa.Column("body_ct", sa.LargeBinary(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        _fk("messages", "thread_id", "message_threads"),
        _fk("messages", "client_id", "clients"),
        _fk("messages", "author_id", "users"),
        _fk("messages", "author_organisation_id", "organisations"),
        _fk("messages", "assisted_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index(op.f("ix_messages_client_id"), "messages", ["client_id"])
    op.create_index("ix_messages_thread_sent", "messages", ["thread_id", "sent_at"])
    op.create_table(
        "message_thread_reads",
        sa.Column("thread_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        _fk("message_thread_reads", "thread_id", "message_threads"),
        _fk("message_thread_reads", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_thread_reads")),
        sa.UniqueConstraint(
            "user_id", "thread_id", name=op.f("uq_message_thread_reads_user_id_thread_id")
        ),
    )
    op.create_index(
        op.f("ix_message_thread_reads_thread_id"), "message_thread_reads", ["thread_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_message_thread_reads_thread_id"), table_name="message_thread_reads")
    op.drop_table("message_thread_reads")
    op.drop_index("ix_messages_thread_sent", table_name="messages")
    op.drop_index(op.f("ix_messages_client_id"), table_name="messages")
    op.drop_table("messages")
    op.drop_index("ix_message_thread_members_organisation", table_name="message_thread_members")
    op.drop_table("message_thread_members")
    op.drop_index("ix_message_threads_client_last", table_name="message_threads")
    op.drop_index(op.f("ix_message_threads_case_id"), table_name="message_threads")
    op.drop_table("message_threads")
