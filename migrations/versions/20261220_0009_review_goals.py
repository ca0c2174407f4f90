"""Reviews assess each plan goal: ``plan_review_goals``, with the client's view per goal.

Revision ID: 0009_review_goals
Revises: 0008_staff_notifications
Create Date: 2026-12-20

One row per plan section whose goals a review assessed: where the goal stands (achieved,
in progress, not started, changed), the version of the section assessed, and the client's
own view of it as ciphertext. A new table: nothing existing changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_review_goals"
down_revision = "0008_staff_notifications"
branch_labels = None
depends_on = None

SECTION_KINDS = (
    "housing",
    "livelihood",
    "health",
    "relationships",
    "education_work",
    "digital_inclusion",
    "everyday_life",
    "release_transition",
    "probationary_liberty",
    "desistance",
    "other",
)
GOAL_PROGRESS = ("achieved", "in_progress", "not_started", "changed")


def str_enum(check_name: str, values: tuple[str, ...]) -> sa.Enum:
    """A coded column as ``consent.base.str_enum`` declares it: a VARCHAR and a named CHECK."""
    return sa.Enum(
        *values, name=op.f(check_name), native_enum=False, create_constraint=True, length=40
    )


def upgrade() -> None:
    op.create_table(
        "plan_review_goals",
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column(
            "section_kind",
            str_enum("ck_plan_review_goals_sectionkind", SECTION_KINDS),
            nullable=False,
        ),
        sa.Column("section_version", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "progress",
            str_enum("ck_plan_review_goals_goalprogress", GOAL_PROGRESS),
            nullable=False,
        ),
        sa.Column("client_view_ct", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_plan_review_goals_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["plan_reviews.id"],
            name=op.f("fk_plan_review_goals_review_id_plan_reviews"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_review_goals")),
        sa.UniqueConstraint(
            "review_id", "section_kind", name=op.f("uq_plan_review_goals_review_id_section_kind")
        ),
    )
    op.create_index(op.f("ix_plan_review_goals_client_id"), "plan_review_goals", ["client_id"])
    op.create_index(op.f("ix_plan_review_goals_review_id"), "plan_review_goals", ["review_id"])


def downgrade() -> None:
    op.drop_table("plan_review_goals")
