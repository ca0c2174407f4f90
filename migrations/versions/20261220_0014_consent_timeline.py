"""Consents follow the release timeline; withdrawals and endings are seen and attributed.

Revision ID: 0014_consent_timeline
Revises: 0013_partner_tasks
Create Date: 2026-12-07

``consents.period_template`` names the release-timeline template a consent's period came
from and ``reconfirm_since`` when a change of the release dates left it out of step (to be
re-confirmed); ``end_seen_at``/``end_seen_by_id`` record the worker who saw the client's
withdrawal (a worker's own revocation, older ones too, counts as seen by that worker). ``statutory_disclosures.ended_by_id`` names who ended a disclosure early.
All nullable: existing rows follow no template and need nothing.

A notice that sharing ended (``revocation_notices``) may now concern a statutory disclosure
(``disclosure_id``) instead of a consent — exactly one of the two — with the reason
``disclosure_ended``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_consent_timeline"
down_revision = "0013_partner_tasks"
branch_labels = None
depends_on = None


# SQLite's batch mode copies the table; reflecting the tables its foreign keys name would
# reflect ``cases`` too, whose expression index SQLAlchemy warns it cannot reflect.
NO_FK_TABLES = {"resolve_fks": False}

OLD_REASONS = ("revoked", "membership_ended", "case_closed")
NEW_REASONS = (*OLD_REASONS, "disclosure_ended")


def reasons(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(
        *values,
        name=op.f("ck_revocation_notices_noticereason"),
        native_enum=False,
        create_constraint=True,
        length=40,
    )


def upgrade() -> None:
    with op.batch_alter_table("consents", reflect_kwargs=NO_FK_TABLES) as batch:
        batch.add_column(sa.Column("period_template", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("reconfirm_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("end_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("end_seen_by_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_consents_end_seen_by_id_users"), "users", ["end_seen_by_id"], ["id"]
        )
    # A worker's revocation is seen by that worker as it is made: only the clients' own
    # withdrawals wait for a worker.
    op.execute(
        "UPDATE consents SET end_seen_at = ended_at, end_seen_by_id = ended_by_id "
        "WHERE state = 'revoked' AND ended_by_id IN (SELECT id FROM users WHERE role <> 'client')"
    )
    with op.batch_alter_table("statutory_disclosures", reflect_kwargs=NO_FK_TABLES) as batch:
        batch.add_column(sa.Column("ended_by_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_statutory_disclosures_ended_by_id_users"), "users", ["ended_by_id"], ["id"]
        )
    with op.batch_alter_table("revocation_notices", reflect_kwargs=NO_FK_TABLES) as batch:
        batch.alter_column(
            "reason",
            existing_type=reasons(OLD_REASONS),
            type_=reasons(NEW_REASONS),
            existing_nullable=False,
            existing_server_default="revoked",
        )
        batch.alter_column("consent_id", existing_type=sa.Uuid(), nullable=True)
        batch.add_column(sa.Column("disclosure_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_revocation_notices_disclosure_id_statutory_disclosures"),
            "statutory_disclosures",
            ["disclosure_id"],
            ["id"],
        )
        batch.create_unique_constraint(
            op.f("uq_revocation_notices_disclosure_id_organisation_id"),
            ["disclosure_id", "organisation_id"],
        )
        batch.create_check_constraint(
            op.f("ck_revocation_notices_one_basis"),
            sa.text("(consent_id IS NULL) <> (disclosure_id IS NULL)"),
        )


def downgrade() -> None:
    # Notices about disclosures have no place in the older schema: they go.
    op.execute("DELETE FROM revocation_notices WHERE disclosure_id IS NOT NULL")
    with op.batch_alter_table("revocation_notices", reflect_kwargs=NO_FK_TABLES) as batch:
        batch.drop_constraint(op.f("ck_revocation_notices_one_basis"), type_="check")
        batch.drop_constraint(
            op.f("uq_revocation_notices_disclosure_id_organisation_id"), type_="unique"
        )
        batch.drop_constraint(
            op.f("fk_revocation_notices_disclosure_id_statutory_disclosures"), type_="foreignkey"
        )
        batch.drop_column("disclosure_id")
        batch.alter_column("consent_id", existing_type=sa.Uuid(), nullable=False)
        batch.alter_column(
            "reason",
            existing_type=reasons(NEW_REASONS),
            type_=reasons(OLD_REASONS),
            existing_nullable=False,
            existing_server_default="revoked",
        )
    with op.batch_alter_table("statutory_disclosures", reflect_kwargs=NO_FK_TABLES) as batch:
        batch.drop_constraint(
            op.f("fk_statutory_disclosures_ended_by_id_users"), type_="foreignkey"
        )
        batch.drop_column("ended_by_id")
    with op.batch_alter_table("consents", reflect_kwargs=NO_FK_TABLES) as batch:
        batch.drop_constraint(op.f("fk_consents_end_seen_by_id_users"), type_="foreignkey")
        batch.drop_column("end_seen_by_id")
        batch.drop_column("end_seen_at")
        batch.drop_column("reconfirm_since")
        batch.drop_column("period_template")
