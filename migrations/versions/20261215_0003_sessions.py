"""Server-side sign-in sessions; a password set by an administrator is good for one sign-in.

Revision ID: 0003_sessions
Revises: 0002
Create Date: 2026-12-15

A sign-in is a row of ``user_sessions`` (the cookie carries only a random id, stored here as
its SHA-256 digest), so signing out, signing out everywhere, a password change and a
deactivation end sessions by deleting rows. That replaces ``users.session_token`` (and the
copy each API token kept of it): ending every session is now deleting the user's rows and
revoking their tokens. Sessions signed in before this revision end (their cookies name no row).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_sessions"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=100), nullable=False),
        sa.Column("assisted_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["assisted_by_id"], ["users.id"], name=op.f("fk_user_sessions_assisted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("digest", name=op.f("uq_user_sessions_digest")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])
    op.create_index(op.f("ix_user_sessions_expires_at"), "user_sessions", ["expires_at"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "password_must_change", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.drop_column("session_token")
    with op.batch_alter_table("users") as batch:
        batch.alter_column("password_must_change", server_default=None)
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("session_token")


def downgrade() -> None:
    # Every session ends: the old scheme keeps a per-user token in the cookie instead.
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(
            sa.Column("session_token", sa.String(length=40), nullable=False, server_default="")
        )
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("session_token", sa.String(length=40), nullable=False, server_default="")
        )
        batch.drop_column("password_must_change")
    # A fresh random token per user; the tokens' copies stay empty, so every API token ends too.
    random = (
        "hex(randomblob(16))" if op.get_bind().dialect.name == "sqlite" else "md5(random()::text)"
    )
    op.execute(f"UPDATE users SET session_token = {random}")  # noqa: S608  (no input in it)
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("session_token", server_default=None)
    with op.batch_alter_table("users") as batch:
        batch.alter_column("session_token", server_default=None)
    op.drop_index(op.f("ix_user_sessions_expires_at"), table_name="user_sessions")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
