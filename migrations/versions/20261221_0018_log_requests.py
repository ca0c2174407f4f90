"""The client's log requests and counties' settings (``log_requests``, ``county_settings``);
a closed case's disposal day (``cases.disposal_on``).

Revision ID: 0018_log_requests
Revises: 0017_outbox
Create Date: 2026-12-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_log_requests"
down_revision = "0017_outbox"
branch_labels = None
depends_on = None

DETAIL = ("role_and_date", "names_and_times")


def _str_enum(check_name: str, values: tuple[str, ...]) -> sa.Enum:
    """A coded column as ``consent.base.str_enum`` declares it (VARCHAR + named CHECK)."""
    return sa.Enum(
        *values, name=op.f(check_name), native_enum=False, create_constraint=True, length=40
    )


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}")
    )


def upgrade() -> None:
    # Plain ALTERs, not a batch: recreating ``cases`` on SQLite would lose its partial index.
    op.add_column("cases", sa.Column("disposal_on", sa.Date(), nullable=True))
    op.create_index(op.f("ix_cases_disposal_on"), "cases", ["disposal_on"])
    op.create_table(
        "county_settings",
        sa.Column("county_id", sa.Uuid(), nullable=False),
        sa.Column(
            "log_request_detail",
            _str_enum("ck_county_settings_logdetail", DETAIL),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        _fk("county_settings", "county_id", "organisations"),
        _fk("county_settings", "updated_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_county_settings")),
        sa.UniqueConstraint("county_id", name=op.f("uq_county_settings_county_id")),
    )
    op.create_table(
        "log_requests",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("county_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by_id", sa.Uuid(), nullable=True),
        sa.Column("by_client", sa.Boolean(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("extended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("extended_by_id", sa.Uuid(), nullable=True),
        sa.Column("extension_reason_ct", sa.LargeBinary(), nullable=True),
        sa.Column(
            "state",
            _str_enum("ck_log_requests_logrequeststate", ("pending", "answered", "refused")),
            nullable=False,
        ),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Uuid(), nullable=True),
        sa.Column("detail", _str_enum("ck_log_requests_logdetail", DETAIL), nullable=True),
        sa.Column("refusal_reason_ct", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        _fk("log_requests", "client_id", "clients"),
        _fk("log_requests", "case_id", "cases"),
        _fk("log_requests", "county_id", "organisations"),
        _fk("log_requests", "requested_by_id", "users"),
        _fk("log_requests", "extended_by_id", "users"),
        _fk("log_requests", "answered_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_log_requests_reference")),
    )
    op.create_index(op.f("ix_log_requests_client_id"), "log_requests", ["client_id"])
    op.create_index("ix_log_requests_case_state", "log_requests", ["case_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_log_requests_case_state", table_name="log_requests")
    op.drop_index(op.f("ix_log_requests_client_id"), table_name="log_requests")
    op.drop_table("log_requests")
    op.drop_table("county_settings")
    op.drop_index(op.f("ix_cases_disposal_on"), table_name="cases")
    op.drop_column("cases", "disposal_on")
