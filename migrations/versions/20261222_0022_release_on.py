"""The release day every page shows as a plain column, and the caseload's index on it.

Revision ID: 0022_release_on
Revises: 0021_update_sections
Create Date: 2026-12-22

- ``cases.release_on``: the day the client leaves prison (``consent.status.release_day``:
  the start of probationary liberty when it comes before the conditional release, else the
  conditional release), kept by ``Case._keep_release_on`` whenever either date is set, and
  filled here for the existing cases by the same rule.
- ``ix_cases_caseload`` orders by it (county, undated last, day, id; partial on cases not
  yet disposed of), so the caseload sorts and filters by the day it shows and still reads a
  page in index order. A plain column rather than an expression index: PostgreSQL reflects a
  CASE expression pretty-printed, which the models-versus-schema comparison cannot match.

- ``transfer_answer_notices``: the sending case's responsible worker is told that the
  receiving county accepted or declined a transfer (a dashboard item until acknowledged).
- ``revocation_notices.reason`` and ``consent_receipts.action`` may be ``transferred``: a
  consent ended by a county transfer (the organisation's notice, the client's receipt).

The column is added in place: ``cases`` is not rebuilt, so its facts-version triggers stay.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_release_on"
down_revision = "0021_update_sections"
branch_labels = None
depends_on = None

# ``consent.status.release_day`` at this revision, in SQL.
RELEASE_DAY = (
    "CASE WHEN probation_start IS NOT NULL AND (conditional_release IS NULL"
    " OR probation_start < conditional_release) THEN probation_start"
    " ELSE conditional_release END"
)


# SQLite's batch mode copies the table; reflecting the tables its foreign keys name would
# reflect ``cases`` too, whose expression index SQLAlchemy warns it cannot reflect.
NO_FK_TABLES = {"resolve_fks": False}
# The coded columns that gain ``transferred``: table, column, check name, values before.
CODED = (
    (
        "revocation_notices",
        "reason",
        "ck_revocation_notices_noticereason",
        ("revoked", "membership_ended", "case_closed", "disclosure_ended"),
    ),
    (
        "consent_receipts",
        "action",
        "ck_consent_receipts_receiptaction",
        ("grant", "narrow", "extend", "revoke"),
    ),
)


def _coded(check_name: str, values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(
        *values, name=op.f(check_name), native_enum=False, create_constraint=True, length=40
    )


def _transferred(*, added: bool) -> None:
    """Add ``transferred`` to the coded columns of ``CODED`` (or take it away again)."""
    for table, column, check, before in CODED:
        after = (*before, "transferred")
        old, new = (before, after) if added else (after, before)
        with op.batch_alter_table(table, reflect_kwargs=NO_FK_TABLES) as batch:
            batch.alter_column(
                column,
                existing_type=_coded(check, old),
                type_=_coded(check, new),
                existing_nullable=False,
                existing_server_default="revoked" if column == "reason" else None,
            )


def _caseload(columns: list[sa.TextClause | str]) -> None:
    op.create_index(
        "ix_cases_caseload",
        "cases",
        columns,
        unique=False,
        sqlite_where=sa.text("disposed_at IS NULL"),
        postgresql_where=sa.text("disposed_at IS NULL"),
    )


def upgrade() -> None:
    op.add_column("cases", sa.Column("release_on", sa.Date(), nullable=True))
    op.execute(f"UPDATE cases SET release_on = {RELEASE_DAY}")  # noqa: S608
    op.drop_index("ix_cases_caseload", table_name="cases")
    _caseload(["county_id", sa.text("(release_on IS NULL)"), "release_on", "id"])
    op.create_table(
        "transfer_answer_notices",
        sa.Column("transfer_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["county_transfers.id"],
            name=op.f("fk_transfer_answer_notices_transfer_id_county_transfers"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_transfer_answer_notices_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_answer_notices")),
        sa.UniqueConstraint("transfer_id", name=op.f("uq_transfer_answer_notices_transfer_id")),
    )
    op.create_index(
        "ix_transfer_answer_notices_user_seen",
        "transfer_answer_notices",
        ["user_id", "seen_at"],
        unique=False,
    )
    _transferred(added=True)


def downgrade() -> None:
    op.execute("DELETE FROM revocation_notices WHERE reason = 'transferred'")
    op.execute("DELETE FROM consent_receipts WHERE action = 'transferred'")
    _transferred(added=False)
    op.drop_index("ix_transfer_answer_notices_user_seen", table_name="transfer_answer_notices")
    op.drop_table("transfer_answer_notices")
    op.drop_index("ix_cases_caseload", table_name="cases")
    op.drop_column("cases", "release_on")
    _caseload(["county_id", sa.text("(conditional_release IS NULL)"), "conditional_release", "id"])
