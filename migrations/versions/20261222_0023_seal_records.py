"""The history of key seals, for "who could see what, as of a moment".

Revision ID: 0023_seal_records
Revises: 0022_release_on
Create Date: 2026-12-22

- ``key_seal_records``: one row per key seal ever made (``sharing.models.SealRecord``): its
  client, data key and scope, grantee key, member and basis, when it was made and when it
  was removed. The seals there are now get their record from their own row.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_seal_records"
down_revision = "0022_release_on"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_seal_records",
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("grantee_key_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("basis_kind", sa.String(length=20), nullable=False),
        sa.Column("basis_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_seal_records")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_key_seal_records_seal_id")),
    )
    op.create_index(op.f("ix_key_seal_records_client_id"), "key_seal_records", ["client_id"])
    # The seals there are now: their own row is their record (the seal's id serves as the
    # record's too, so no id needs generating in SQL).
    op.execute(
        "INSERT INTO key_seal_records (id, seal_id, client_id, data_key_id, grantee_key_id,"
        " member_id, scope, basis_kind, basis_id, created_at)"
        " SELECT key_seals.id, key_seals.id, key_seals.client_id, key_seals.data_key_id,"
        " key_seals.grantee_key_id, key_seals.member_id, data_keys.scope, key_seals.basis_kind,"
        " key_seals.basis_id, key_seals.created_at"
        " FROM key_seals JOIN data_keys ON data_keys.id = key_seals.data_key_id"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_key_seal_records_client_id"), table_name="key_seal_records")
    op.drop_table("key_seal_records")
