"""Consents follow the release timeline; withdrawals and endings are seen and attributed.

Revision ID: timeline
Revises: 0007_access_log_key_id
Create Date: 2026-12-07

``consents.period_template`` names the release-timeline template a consent's period came
from and ``reconfirm_since`` when a change of the release dates left it out of step (to be
re-confirmed); ``end_seen_at``/``end_seen_by_id`` record the worker who saw the client's
withdrawal. ``statutory_disclosures.ended_by_id`` names who ended a disclosure early.
All nullable: existing rows follow no template and need nothing.
"""

import sqlalchemy as sa
from alembic import op

revision = "timeline"
down_revision = "0007_access_log_key_id"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consents") as batch:
        batch.add_column(sa.Column("period_template", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("reconfirm_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("end_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("end_seen_by_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_consents_end_seen_by_id_users"), "users", ["end_seen_by_id"], ["id"]
        )
    with op.batch_alter_table("statutory_disclosures") as batch:
        batch.add_column(sa.Column("ended_by_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_statutory_disclosures_ended_by_id_users"), "users", ["ended_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("statutory_disclosures") as batch:
        batch.drop_constraint(
            op.f("fk_statutory_disclosures_ended_by_id_users"), type_="foreignkey"
        )
        batch.drop_column("ended_by_id")
    with op.batch_alter_table("consents") as batch:
        batch.drop_constraint(op.f("fk_consents_end_seen_by_id_users"), type_="foreignkey")
        batch.drop_column("end_seen_by_id")
        batch.drop_column("end_seen_at")
        batch.drop_column("reconfirm_since")
        batch.drop_column("period_template")
