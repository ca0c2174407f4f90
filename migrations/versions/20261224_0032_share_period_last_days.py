"""A share period that ended early keeps its end's day as its last day.

Revision ID: 0032_share_period_last_days
Revises: 0031_participant_organisations
Create Date: 2026-12-24

``share_periods.last_day`` was the last day of the period's basis even when the period ended
sooner (a revocation, a closed case), so the partner's list, which enters its index at today,
walked past every such period of the organisation's history. The rows written from now on
hold the Finnish day of the period's last instant when that is sooner
(``app.partner_work.shares.last_day``); this brings the rows already written in line. Both
values are valid for the list (neither is earlier than any day the period is shared), so
the downgrade leaves them as they are.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0032_share_period_last_days"
down_revision = "0031_participant_organisations"
branch_labels = None
depends_on = None

HELSINKI = ZoneInfo("Europe/Helsinki")
NO_END = datetime(9999, 12, 31, tzinfo=UTC)
BATCH = 5_000

periods = sa.table(
    "share_periods",
    sa.column("id", sa.Uuid()),
    sa.column("ends_at", sa.DateTime(timezone=True)),
    sa.column("last_day", sa.Date()),
)


def end_day(ends_at: datetime) -> date:
    """The Finnish day of the period's last instant (SQLite gives the stored UTC naive)."""
    aware = ends_at if ends_at.tzinfo else ends_at.replace(tzinfo=UTC)
    return (aware - timedelta(microseconds=1)).astimezone(HELSINKI).date()


def upgrade() -> None:
    bind = op.get_bind()
    ended = bind.execute(
        sa.select(periods.c.id, periods.c.ends_at, periods.c.last_day).where(
            periods.c.ends_at < NO_END
        )
    ).all()
    changes = [
        {"period": row.id, "day": end_day(row.ends_at)}
        for row in ended
        if end_day(row.ends_at) < row.last_day
    ]
    update = (
        periods.update()
        .where(periods.c.id == sa.bindparam("period"))
        .values(last_day=sa.bindparam("day"))
    )
    for start in range(0, len(changes), BATCH):
        bind.execute(update, changes[start : start + BATCH])


def downgrade() -> None:
    """Nothing to undo: the earlier last days are as valid under the old rule."""
