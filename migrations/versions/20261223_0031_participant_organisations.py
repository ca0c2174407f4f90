"""An appointment participant's organisation, for the organisation's meetings by index.

Revision ID: 0031_participant_organisations
Revises: 0030_consent_indexes
Create Date: 2026-12-23

``appointment_participants.organisation_id``: the member's organisation (a membership never
changes organisation), NULL for a person member or staff; backfilled from the memberships.
``ix_appointment_participants_organisation (organisation_id, appointment_id)``: a partner's
meetings were found by walking every appointment in the country.
"""

import sqlalchemy as sa
from alembic import op

revision = "0031_participant_organisations"
down_revision = "0030_consent_indexes"
branch_labels = None
depends_on = None

# SQLite rebuilds a table to change it; reflecting the tables its foreign keys name would
# reflect `cases` too, whose expression index SQLAlchemy cannot reflect (a warning).
NO_FKS = {"resolve_fks": False}


def upgrade() -> None:
    with op.batch_alter_table("appointment_participants", reflect_kwargs=NO_FKS) as batch:
        batch.add_column(sa.Column("organisation_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_appointment_participants_organisation_id_organisations"),
            "organisations",
            ["organisation_id"],
            ["id"],
        )
        batch.create_check_constraint(
            op.f("ck_appointment_participants_member_org"),
            "organisation_id IS NULL OR member_id IS NOT NULL",
        )
    op.execute(
        "UPDATE appointment_participants SET organisation_id = ("
        "SELECT network_members.organisation_id FROM network_members"
        " WHERE network_members.id = appointment_participants.member_id)"
        " WHERE member_id IS NOT NULL"
    )
    op.create_index(
        "ix_appointment_participants_organisation",
        "appointment_participants",
        ["organisation_id", "appointment_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_appointment_participants_organisation", "appointment_participants")
    with op.batch_alter_table("appointment_participants", reflect_kwargs=NO_FKS) as batch:
        batch.drop_constraint(op.f("ck_appointment_participants_member_org"), type_="check")
        batch.drop_constraint(
            op.f("fk_appointment_participants_organisation_id_organisations"), type_="foreignkey"
        )
        batch.drop_column("organisation_id")
