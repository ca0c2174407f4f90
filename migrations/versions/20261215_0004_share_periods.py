"""Share periods (the partner's list of shared clients); indexes for the caseload and a
partner's place in a network.

Revision ID: 0004_share_periods
Revises: 0003_sessions
Create Date: 2026-12-07

When each organisation may read something of each client, computed from the facts the
access decision reads (``app.partner_work.shares``) and kept current on every change to
them. Existing clients' periods are computed here with this release's rules. The county's
caseload is read in the order of a new index, a page at a time; a case's network is indexed
with the member organisation, so a national partner's access is found without walking its
every membership.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0004_share_periods"
down_revision = "0003_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "share_periods",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_share_periods_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_share_periods_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_periods")),
    )
    op.create_index(
        "ix_share_periods_current",
        "share_periods",
        ["organisation_id", "ends_at", "starts_at"],
        unique=False,
    )
    op.create_index(
        "ix_share_periods_list",
        "share_periods",
        ["organisation_id", "last_day", "client_id", "starts_at", "ends_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_share_periods_client_id"), "share_periods", ["client_id"], unique=False
    )
    op.create_index(
        "ix_cases_caseload",
        "cases",
        ["county_id", sa.text("(conditional_release IS NULL)"), "conditional_release", "id"],
        unique=False,
        sqlite_where=sa.text("disposed_at IS NULL"),
        postgresql_where=sa.text("disposed_at IS NULL"),
    )
    op.drop_index(op.f("ix_network_members_case_id"), table_name="network_members")
    op.create_index(
        "ix_network_members_case_organisation",
        "network_members",
        ["case_id", "organisation_id"],
        unique=False,
    )
    # This release's rules, at upgrade time.
    from app.models import Client
    from app.partner_work.shares import rebuild

    session = Session(bind=op.get_bind())
    clients = list(session.scalars(sa.select(Client.id)))
    for start in range(0, len(clients), 500):
        rebuild(session, clients[start : start + 500])
    session.flush()


def downgrade() -> None:
    op.drop_index("ix_network_members_case_organisation", table_name="network_members")
    op.create_index(
        op.f("ix_network_members_case_id"), "network_members", ["case_id"], unique=False
    )
    op.drop_index("ix_cases_caseload", table_name="cases")
    op.drop_index(op.f("ix_share_periods_client_id"), table_name="share_periods")
    op.drop_index("ix_share_periods_list", table_name="share_periods")
    op.drop_index("ix_share_periods_current", table_name="share_periods")
    op.drop_table("share_periods")
