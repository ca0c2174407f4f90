"""E-mail: users' addresses and choices (``email_addresses``) and the outbox (``outbox_messages``).

Revision ID: 0017_outbox
Revises: 0016_information_texts
Create Date: 2026-12-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_outbox"
down_revision = "0016_information_texts"
branch_labels = None
depends_on = None


def _str_enum(check_name: str, values: tuple[str, ...]) -> sa.Enum:
    """A coded column as ``consent.base.str_enum`` declares it (VARCHAR + named CHECK)."""
    return sa.Enum(
        *values, name=op.f(check_name), native_enum=False, create_constraint=True, length=40
    )


def upgrade() -> None:
    op.create_table(
        "email_addresses",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_email_addresses_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_addresses")),
        sa.UniqueConstraint("user_id", name=op.f("uq_email_addresses_user_id")),
    )
    op.create_table(
        "outbox_messages",
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            _str_enum(
                "ck_outbox_messages_mailkind",
                ("new_message", "reminder", "staff_invitation", "password_reset"),
            ),
            nullable=False,
        ),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column(
            "state",
            _str_enum("ck_outbox_messages_mailstate", ("pending", "sending", "sent", "failed")),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_outbox_messages_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    op.create_index(op.f("ix_outbox_messages_user_id"), "outbox_messages", ["user_id"])
    op.create_index("ix_outbox_messages_due", "outbox_messages", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("outbox_messages")
    op.drop_table("email_addresses")
