"""Overdue checklist items by index.

Revision ID: 0033_checklist_open_due
Revises: 0032_share_period_last_days
Create Date: 2026-12-24

``ix_release_checklist_items_open_due (due_on) WHERE state = 'open' AND removed_at IS NULL``:
a partner's overdue items (their home's reminders) were found by walking every open case in
the country, item by item (``EXPLAIN QUERY PLAN``: ``SEARCH cases USING INDEX
ix_cases_closed_at (closed_at=?)``). Partial, so that a query of done items (the statistics)
never takes it for a narrow one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0033_checklist_open_due"
down_revision = "0032_share_period_last_days"
branch_labels = None
depends_on = None

OPEN_ITEM = "state = 'open' AND removed_at IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_release_checklist_items_open_due",
        "release_checklist_items",
        ["due_on"],
        sqlite_where=sa.text(OPEN_ITEM),
        postgresql_where=sa.text(OPEN_ITEM),
    )


def downgrade() -> None:
    op.drop_index("ix_release_checklist_items_open_due", table_name="release_checklist_items")
