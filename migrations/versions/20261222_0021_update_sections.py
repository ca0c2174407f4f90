"""The sections a partner's update was received under.

Revision ID: 0021_update_sections
Revises: 0020_log_review
Create Date: 2026-12-22

- ``partner_updates.sections``: the plan sections the client's obtain-consent covered for the
  update's kind when it was received (``app.partner_work.rules.UpdateCover.received_under``),
  shown to the worker; NULL for prison and probation (their own statutes), a task's report,
  and updates received before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_update_sections"
down_revision = "0020_log_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("partner_updates") as batch:
        batch.add_column(sa.Column("sections", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("partner_updates") as batch:
        batch.drop_column("sections")
