"""Research approvals and extracts; the county's opt-in to national statistics.

Revision ID: 0024_research
Revises: 0023_seal_records
Create Date: 2026-12-22

- ``research_approvals``: an approved study's use of one county's coded facts, with its
  own pseudonym key wrapped under the master keyring (``app.models.research``).
- ``research_extracts``: each pseudonymised extract made for a study.
- ``county_settings.national_statistics``: the county's indicators join the national
  pooled statistics (``app.statistics.national``).
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_research"
down_revision = "0023_seal_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("county_settings") as batch:
        batch.add_column(
            sa.Column(
                "national_statistics", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("county_settings") as batch:
        batch.alter_column("national_statistics", server_default=None)
    op.create_table(
        "research_approvals",
        sa.Column("county_id", sa.Uuid(), nullable=False),
        sa.Column("study_name", sa.String(length=200), nullable=False),
        sa.Column("permit_reference", sa.String(length=100), nullable=False),
        sa.Column("requester_id", sa.Uuid(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("approved_by_id", sa.Uuid(), nullable=False),
        sa.Column("approver_role", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Uuid(), nullable=True),
        sa.Column("key_master_id", sa.String(length=64), nullable=True),
        sa.Column("key_wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_id"],
            ["organisations.id"],
            name=op.f("fk_research_approvals_county_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["users.id"], name=op.f("fk_research_approvals_requester_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_research_approvals_approved_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"], ["users.id"], name=op.f("fk_research_approvals_ended_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_research_approvals")),
    )
    op.create_index(op.f("ix_research_approvals_county_id"), "research_approvals", ["county_id"])
    op.create_index(
        op.f("ix_research_approvals_requester_id"), "research_approvals", ["requester_id"]
    )
    op.create_table(
        "research_extracts",
        sa.Column("approval_id", sa.Uuid(), nullable=False),
        sa.Column("produced_by_id", sa.Uuid(), nullable=False),
        sa.Column("produced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("clients", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approval_id"],
            ["research_approvals.id"],
            name=op.f("fk_research_extracts_approval_id_research_approvals"),
        ),
        sa.ForeignKeyConstraint(
            ["produced_by_id"],
            ["users.id"],
            name=op.f("fk_research_extracts_produced_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_research_extracts")),
    )
    op.create_index(op.f("ix_research_extracts_approval_id"), "research_extracts", ["approval_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_research_extracts_approval_id"), table_name="research_extracts")
    op.drop_table("research_extracts")
    op.drop_index(op.f("ix_research_approvals_requester_id"), table_name="research_approvals")
    op.drop_index(op.f("ix_research_approvals_county_id"), table_name="research_approvals")
    op.drop_table("research_approvals")
    with op.batch_alter_table("county_settings") as batch:
        batch.drop_column("national_statistics")
