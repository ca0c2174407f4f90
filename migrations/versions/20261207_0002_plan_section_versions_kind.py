"""A plan-section version records its section's kind, the scope its content is sealed under.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07

The models now declare each ciphertext column's scope (``consent.base.encrypted``), so the
gate finds it from the row alone; a version's content is sealed under its section's kind.
Existing versions take the kind of their section.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
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


def upgrade() -> None:
    with op.batch_alter_table("plan_section_versions") as batch:
        batch.add_column(sa.Column("kind", sa.String(40), nullable=True))
    op.execute(
        "UPDATE plan_section_versions SET kind = "
        "(SELECT kind FROM plan_sections WHERE plan_sections.id = plan_section_versions.section_id)"
    )
    with op.batch_alter_table("plan_section_versions") as batch:
        batch.alter_column(
            "kind",
            existing_type=sa.String(40),
            type_=sa.Enum(
                *SECTION_KINDS,
                name=op.f("ck_plan_section_versions_sectionkind"),
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("plan_section_versions") as batch:
        batch.drop_constraint(op.f("ck_plan_section_versions_sectionkind"), type_="check")
        batch.drop_column("kind")
