"""The release day every page shows as a plain column, and the caseload's index on it.

Revision ID: release
Revises: 0020_log_review
Create Date: 2026-12-22

- ``cases.release_on``: the day the client leaves prison (``consent.status.release_day``:
  the start of probationary liberty when it comes before the conditional release, else the
  conditional release), kept by ``Case._keep_release_on`` whenever either date is set, and
  filled here for the existing cases by the same rule.
- ``ix_cases_caseload`` orders by it (county, undated last, day, id; partial on cases not
  yet disposed of), so the caseload sorts and filters by the day it shows and still reads a
  page in index order. A plain column rather than an expression index: PostgreSQL reflects a
  CASE expression pretty-printed, which the models-versus-schema comparison cannot match.

A column added in place: no table is rebuilt, so the facts-version triggers on ``cases`` stay.
"""

import sqlalchemy as sa
from alembic import op

revision = "release"
down_revision = "0020_log_review"
branch_labels = None
depends_on = None

# ``consent.status.release_day`` at this revision, in SQL.
RELEASE_DAY = (
    "CASE WHEN probation_start IS NOT NULL AND (conditional_release IS NULL"
    " OR probation_start < conditional_release) THEN probation_start"
    " ELSE conditional_release END"
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


def downgrade() -> None:
    op.drop_index("ix_cases_caseload", table_name="cases")
    op.drop_column("cases", "release_on")
    _caseload(["county_id", sa.text("(conditional_release IS NULL)"), "conditional_release", "id"])
