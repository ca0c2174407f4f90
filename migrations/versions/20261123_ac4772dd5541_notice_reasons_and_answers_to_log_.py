"""Notice reasons and answers to log queries

Revision ID: ac4772dd5541
Revises: c04fcd76a888
Create Date: 2026-11-23 09:20:49.515947
"""

import sqlalchemy as sa
from alembic import op

revision = "ac4772dd5541"
down_revision = "c04fcd76a888"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("log_queries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer_ct", sa.LargeBinary(), nullable=True))

    with op.batch_alter_table("revocation_notices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reason",
                sa.Enum(
                    "revoked",
                    "membership_ended",
                    "case_closed",
                    name="noticereason",
                    native_enum=False,
                    create_constraint=True,
                    length=40,
                ),
                server_default="revoked",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("revocation_notices", schema=None) as batch_op:
        batch_op.drop_constraint("noticereason", type_="check")
        batch_op.drop_column("reason")

    with op.batch_alter_table("log_queries", schema=None) as batch_op:
        batch_op.drop_column("answer_ct")
