"""Desistance factors recorded as coded choices when a case closes.

Revision ID: 0027_closure_factors
Revises: 0026_messages
Create Date: 2026-12-22

- ``closure_factors``: a desistance factor (its code, ``app.assessment.rules.FACTORS``) the
  worker recorded as in place when the case closed; the statistics count them next to the
  factors the assessment recorded. Cases closed before have none.
"""

import sqlalchemy as sa
from alembic import op

revision = "0027_closure_factors"
down_revision = "0026_messages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "closure_factors",
        sa.Column("closure_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_closure_factors_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["closure_id"],
            ["case_closures.id"],
            name=op.f("fk_closure_factors_closure_id_case_closures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closure_factors")),
        sa.UniqueConstraint("closure_id", "code", name=op.f("uq_closure_factors_closure_id_code")),
    )
    op.create_index(op.f("ix_closure_factors_closure_id"), "closure_factors", ["closure_id"])
    op.create_index(op.f("ix_closure_factors_client_id"), "closure_factors", ["client_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_closure_factors_client_id"), table_name="closure_factors")
    op.drop_index(op.f("ix_closure_factors_closure_id"), table_name="closure_factors")
    op.drop_table("closure_factors")
