"""County transfers: a client's case handed over to another county (``county_transfers``).

Revision ID: 0012_county_transfers
Revises: 0011_administration
Create Date: 2026-12-20
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_county_transfers"
down_revision = "0011_administration"
branch_labels = None
depends_on = None


def _str_enum(check_name: str, values: tuple[str, ...]) -> sa.Enum:
    """A coded column as ``consent.base.str_enum`` declares it (VARCHAR + named CHECK)."""
    return sa.Enum(
        *values, name=op.f(check_name), native_enum=False, create_constraint=True, length=40
    )


def upgrade() -> None:
    op.create_table(
        "county_transfers",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("from_county_id", sa.Uuid(), nullable=False),
        sa.Column("to_county_id", sa.Uuid(), nullable=False),
        sa.Column(
            "state",
            _str_enum(
                "ck_county_transfers_transferstate",
                ("proposed", "accepted", "declined", "withdrawn"),
            ),
            nullable=False,
        ),
        sa.Column(
            "reason",
            _str_enum(
                "ck_county_transfers_transferreason",
                ("moved", "moving_on_release", "client_request"),
            ),
            nullable=False,
        ),
        sa.Column("proposed_by_id", sa.Uuid(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_by_id", sa.Uuid(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "decline_reason",
            _str_enum(
                "ck_county_transfers_declinereason",
                ("not_resident", "needs_information", "other_county"),
            ),
            nullable=True,
        ),
        sa.Column("ended_consent_ids", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_county_transfers_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_county_transfers_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["from_county_id"],
            ["organisations.id"],
            name=op.f("fk_county_transfers_from_county_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["to_county_id"],
            ["organisations.id"],
            name=op.f("fk_county_transfers_to_county_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["users.id"], name=op.f("fk_county_transfers_proposed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["users.id"], name=op.f("fk_county_transfers_answered_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_county_transfers")),
    )
    op.create_index(op.f("ix_county_transfers_client_id"), "county_transfers", ["client_id"])
    op.create_index(op.f("ix_county_transfers_case_id"), "county_transfers", ["case_id"])
    op.create_index(
        op.f("ix_county_transfers_from_county_id"), "county_transfers", ["from_county_id"]
    )
    op.create_index("ix_county_transfers_to_state", "county_transfers", ["to_county_id", "state"])
    op.create_index(
        "uq_county_transfers_proposed",
        "county_transfers",
        ["case_id"],
        unique=True,
        sqlite_where=sa.text("state = 'proposed'"),
        postgresql_where=sa.text("state = 'proposed'"),
    )


def downgrade() -> None:
    op.drop_table("county_transfers")
