"""Close persons and peer experts take part in network-meeting threads.

Revision ID: 0028_person_messages
Revises: 0027_closure_factors
Create Date: 2026-12-22

A person member has no account and no organisation: they sign in through their access link.

- ``message_thread_members.organisation_id`` may be NULL (a person member of a meeting).
- ``messages.author_id`` may be NULL when ``author_member_id`` names the person who wrote it
  (exactly one of the two, ``ck_messages_one_author``).
- ``message_threads.last_author_id`` may be NULL when ``last_author_member_id`` wrote last.
- ``message_thread_reads.user_id`` may be NULL when ``member_id`` names the person reader
  (exactly one, ``ck_message_thread_reads_one_reader``; unique per member and thread).
- ``person_email_addresses``: a person member's address (and language) for "you have a new
  message", given on their link's page; no row, no e-mail.
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_person_messages"
down_revision = "0027_closure_factors"
branch_labels = None
depends_on = None


def _member_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["network_members.id"], name=op.f(f"fk_{table}_{column}_network_members")
    )


def upgrade() -> None:
    op.create_table(
        "person_email_addresses",
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        _member_fk("person_email_addresses", "member_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_email_addresses")),
        sa.UniqueConstraint("member_id", name=op.f("uq_person_email_addresses_member_id")),
    )
    with op.batch_alter_table("message_thread_members") as batch:
        batch.alter_column("organisation_id", existing_type=sa.Uuid(), nullable=True)
    with op.batch_alter_table("message_threads") as batch:
        batch.alter_column("last_author_id", existing_type=sa.Uuid(), nullable=True)
        batch.add_column(sa.Column("last_author_member_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_message_threads_last_author_member_id_network_members"),
            "network_members",
            ["last_author_member_id"],
            ["id"],
        )
    with op.batch_alter_table("messages") as batch:
        batch.alter_column("author_id", existing_type=sa.Uuid(), nullable=True)
        batch.add_column(sa.Column("author_member_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_messages_author_member_id_network_members"),
            "network_members",
            ["author_member_id"],
            ["id"],
        )
        batch.create_check_constraint(
            op.f("ck_messages_one_author"), "(author_id IS NULL) != (author_member_id IS NULL)"
        )
    with op.batch_alter_table("message_thread_reads") as batch:
        batch.alter_column("user_id", existing_type=sa.Uuid(), nullable=True)
        batch.add_column(sa.Column("member_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_message_thread_reads_member_id_network_members"),
            "network_members",
            ["member_id"],
            ["id"],
        )
        batch.create_unique_constraint(
            op.f("uq_message_thread_reads_member_id_thread_id"), ["member_id", "thread_id"]
        )
        batch.create_check_constraint(
            op.f("ck_message_thread_reads_one_reader"), "(user_id IS NULL) != (member_id IS NULL)"
        )


def downgrade() -> None:
    op.drop_table("person_email_addresses")
    op.execute("DELETE FROM message_thread_reads WHERE user_id IS NULL")
    with op.batch_alter_table("message_thread_reads") as batch:
        batch.drop_constraint(op.f("ck_message_thread_reads_one_reader"), type_="check")
        batch.drop_constraint(op.f("uq_message_thread_reads_member_id_thread_id"), type_="unique")
        batch.drop_constraint(
            op.f("fk_message_thread_reads_member_id_network_members"), type_="foreignkey"
        )
        batch.drop_column("member_id")
        batch.alter_column("user_id", existing_type=sa.Uuid(), nullable=False)
    # A person's messages and memberships cannot be kept without the columns they need.
    op.execute("DELETE FROM message_thread_members WHERE organisation_id IS NULL")
    op.execute("DELETE FROM messages WHERE author_id IS NULL")
    op.execute(
        "UPDATE message_threads SET last_author_id = started_by_id WHERE last_author_id IS NULL"
    )
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint(op.f("ck_messages_one_author"), type_="check")
        batch.drop_constraint(
            op.f("fk_messages_author_member_id_network_members"), type_="foreignkey"
        )
        batch.drop_column("author_member_id")
        batch.alter_column("author_id", existing_type=sa.Uuid(), nullable=False)
    with op.batch_alter_table("message_threads") as batch:
        batch.drop_constraint(
            op.f("fk_message_threads_last_author_member_id_network_members"), type_="foreignkey"
        )
        batch.drop_column("last_author_member_id")
        batch.alter_column("last_author_id", existing_type=sa.Uuid(), nullable=False)
    with op.batch_alter_table("message_thread_members") as batch:
        batch.alter_column("organisation_id", existing_type=sa.Uuid(), nullable=False)
