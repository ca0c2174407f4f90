"""The caseload sorts by the release day every page shows, in index order.

Revision ID: 0021_caseload_by_release_day
Revises: 0020_log_review
Create Date: 2026-12-07

``ix_cases_caseload`` indexed the conditional release date, while the pages show the release
day (the start of probationary liberty when it comes first: ``consent.status.release_day``).
The index now holds that day's expression, as ``Case.release_day`` writes it in SQL, so the
list sorts and filters by the day it shows and still reads a page in index order. Indexes
only: no table is rebuilt, so the facts-version triggers on ``cases`` stay.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_caseload_by_release_day"
down_revision = "0020_log_review"
branch_labels = None
depends_on = None

# ``app.models.case.RELEASE_DAY_SQL`` at this revision.
RELEASE_DAY = (
    "CASE WHEN (probation_start IS NOT NULL AND (conditional_release IS NULL"
    " OR probation_start < conditional_release)) THEN probation_start"
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
    op.drop_index("ix_cases_caseload", table_name="cases")
    _caseload(["county_id", sa.text(f"({RELEASE_DAY} IS NULL)"), sa.text(f"({RELEASE_DAY})"), "id"])


def downgrade() -> None:
    op.drop_index("ix_cases_caseload", table_name="cases")
    _caseload(["county_id", sa.text("(conditional_release IS NULL)"), "conditional_release", "id"])
