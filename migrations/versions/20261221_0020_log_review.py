"""The data-protection officer's role and the log-reviewer designation.

Revision ID: 0020_log_review
Revises: 0019_statistics_roles
Create Date: 2026-12-21

- ``users.role`` may be ``data_protection`` (tietosuojavastaava), who reviews the access log:
  with a county, that county's; without an organisation, the whole service's (so
  ``staff_has_org`` lets that role go without one, as it does an administrator).
- ``users.log_reviewer``: an administrator or caseworker an administrator designated to
  review the access log too.
- ``log_flag_reviews``: a flag of the log review marked reviewed, with the reviewer's note.
- ``access_log``: indexes for the review's searches by period and by user
  (``sharing.access_log.search``).
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_log_review"
down_revision = "0019_statistics_roles"
branch_labels = None
depends_on = None

ROLES = ("caseworker", "partner", "client", "admin", "manager", "analyst")
NEW_ROLES = (*ROLES, "data_protection")
FLAG_KINDS = ("many_clients", "outside_hours", "closed_case", "denied", "work_tasks")


def _in(values: tuple[str, ...]) -> str:
    return "role IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("log_reviewer", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.drop_constraint(op.f("ck_users_staff_has_org"), type_="check")
        batch.create_check_constraint(op.f("ck_users_role"), sa.text(_in(NEW_ROLES)))
        batch.create_check_constraint(
            op.f("ck_users_staff_has_org"),
            sa.text(
                "role IN ('client', 'admin', 'data_protection') OR organisation_id IS NOT NULL"
            ),
        )
    with op.batch_alter_table("users") as batch:
        batch.alter_column("log_reviewer", server_default=None)
    op.create_table(
        "log_flag_reviews",
        sa.Column(
            "kind",
            sa.Enum(
                *FLAG_KINDS,
                name=op.f("ck_log_flag_reviews_flagkind"),
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("reviewed_by_id", sa.Uuid(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_log_flag_reviews_reviewed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_flag_reviews")),
        sa.UniqueConstraint("kind", "entry_id", name=op.f("uq_log_flag_reviews_kind_entry_id")),
    )
    op.create_index(op.f("ix_log_flag_reviews_client_id"), "log_flag_reviews", ["client_id"])
    op.create_index(op.f("ix_access_log_at"), "access_log", ["at"])
    op.create_index(op.f("ix_access_log_actor_user_id_at"), "access_log", ["actor_user_id", "at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_log_flag_reviews_client_id"), table_name="log_flag_reviews")
    op.drop_table("log_flag_reviews")
    op.drop_index(op.f("ix_access_log_actor_user_id_at"), table_name="access_log")
    op.drop_index(op.f("ix_access_log_at"), table_name="access_log")
    # The old schema has no such role: its accounts become inactive administrators (never an
    # active account with more rights than it had).
    op.execute("UPDATE users SET role = 'admin', active = false WHERE role = 'data_protection'")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.drop_constraint(op.f("ck_users_staff_has_org"), type_="check")
        batch.create_check_constraint(op.f("ck_users_role"), sa.text(_in(ROLES)))
        batch.create_check_constraint(
            op.f("ck_users_staff_has_org"),
            sa.text("role IN ('client', 'admin') OR organisation_id IS NOT NULL"),
        )
        batch.drop_column("log_reviewer")
