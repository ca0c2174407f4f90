"""County managers and analysts: two roles that see the county's statistics only.

Revision ID: 0019_statistics_roles
Revises: 0018_log_requests
Create Date: 2026-12-21

``users.role`` is a coded column with a CHECK of its values (``ck_users_role``): the
constraint is replaced by one that also admits ``manager`` and ``analyst``. SQLite
rebuilds the table for that (batch mode); PostgreSQL alters the constraint in place.
"""

from alembic import op

revision = "0019_statistics_roles"
down_revision = "0018_log_requests"
branch_labels = None
depends_on = None

BEFORE = ("caseworker", "partner", "client", "admin")
AFTER = (*BEFORE, "manager", "analyst")


def _check(values: tuple[str, ...]) -> str:
    return "role IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _replace(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.create_check_constraint(op.f("ck_users_role"), _check(values))


def upgrade() -> None:
    _replace(AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM users WHERE role IN ('manager', 'analyst')")
    _replace(BEFORE)
