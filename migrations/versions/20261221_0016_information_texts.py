"""Information texts as versioned documents (``information_texts``), the first one published.

The text consents were given under while it lived in code, ``2026-11-v1``, becomes the
first published version, so every stored consent keeps pointing at a readable text.
Triggers refuse to change or delete a published version (SQLite and PostgreSQL).

Revision ID: 0016_information_texts
Revises: 0015_facts_versions
Create Date: 2026-12-21
"""

import sqlalchemy as sa
from alembic import op

from app.consents.texts import first_version_row
from app.models.information_text import immutable_triggers

revision = "0016_information_texts"
down_revision = "0015_facts_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "information_texts",
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("county_id", sa.Uuid(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("drafted_by_id", sa.Uuid(), nullable=True),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by_id", sa.Uuid(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by_id", sa.Uuid(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_id"],
            ["organisations.id"],
            name=op.f("fk_information_texts_county_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["drafted_by_id"], ["users.id"], name=op.f("fk_information_texts_drafted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_information_texts_published_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_information_texts_reviewed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_information_texts")),
        sa.UniqueConstraint("version", name=op.f("uq_information_texts_version")),
    )
    op.create_index(
        op.f("ix_information_texts_county_id"), "information_texts", ["county_id"], unique=False
    )
    op.create_index(
        op.f("ix_information_texts_published_at"),
        "information_texts",
        ["published_at"],
        unique=False,
    )
    assert table is not None
    op.bulk_insert(table, [first_version_row()])
    for statement in immutable_triggers().get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("information_texts")  # drops its triggers (a published row cannot be deleted)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS information_texts_immutable()")
