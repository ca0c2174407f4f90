"""Rate-limit counters in the database; accounts no longer lock after wrong passwords.

Revision ID: 0005_rate_limits
Revises: 0004_share_periods
Create Date: 2026-12-07

Failed sign-ins are limited per address and per username at an address
(``app.rate_limits``), counted in ``rate_limit_counters`` (``app.rate_limit_storage``), so
the per-account lock and its columns go: it let anyone lock any worker out.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_rate_limits"
down_revision = "0004_share_periods"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_counters")),
    )
    op.create_index(
        op.f("ix_rate_limit_counters_expires_at"), "rate_limit_counters", ["expires_at"]
    )
    with op.batch_alter_table("users") as batch:
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
    op.drop_index(op.f("ix_rate_limit_counters_expires_at"), table_name="rate_limit_counters")
    op.drop_table("rate_limit_counters")
