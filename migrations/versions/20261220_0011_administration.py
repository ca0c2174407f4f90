"""The organisation directory and the administration of staff accounts.

Revision ID: 0011_administration
Revises: 0010_team_leads
Create Date: 2026-12-20

Organisations gain their county (NULL: spanning counties), whether they are an authority
(set from their kind for the existing rows), a business id, contact details and an active
flag. Staff invitations (one-time links, stored as digests) and each account's history of
administrative actions are new tables; a user records the county that invited them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_administration"
down_revision = "0010_team_leads"
branch_labels = None
depends_on = None

AUTHORITIES = ("county", "prison", "probation", "public_service")


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("county_id", sa.Uuid(), nullable=True))
        batch.add_column(
            sa.Column("authority", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("business_id", sa.String(length=9), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("email", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("address", sa.String(length=300), nullable=True))
        batch.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            op.f("fk_organisations_county_id_organisations"),
            "organisations",
            ["county_id"],
            ["id"],
        )
        batch.create_unique_constraint(op.f("uq_organisations_business_id"), ["business_id"])
        batch.create_index(op.f("ix_organisations_county_id"), ["county_id"])
        batch.create_index(op.f("ix_organisations_active"), ["active"])
    organisations = sa.table("organisations", sa.column("kind", sa.String), sa.column("authority"))
    op.execute(
        organisations.update()
        .where(organisations.c.kind.in_(AUTHORITIES))
        .values(authority=sa.true())
    )
    with op.batch_alter_table("organisations") as batch:
        batch.alter_column("authority", server_default=None)
        batch.alter_column("active", server_default=None)
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("invited_by_county_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_users_invited_by_county_id_organisations"),
            "organisations",
            ["invited_by_county_id"],
            ["id"],
        )
    op.create_table(
        "staff_invitations",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_staff_invitations_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_staff_invitations_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invitations")),
        sa.UniqueConstraint("digest", name=op.f("uq_staff_invitations_digest")),
    )
    op.create_index(op.f("ix_staff_invitations_user_id"), "staff_invitations", ["user_id"])
    op.create_table(
        "account_events",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "invited",
                "invitation_accepted",
                "changed",
                "password_set",
                "second_factor_reset",
                "deactivated",
                "reactivated",
                "sign_in_locked",
                "sign_in_unlocked",
                name="accountaction",
                native_enum=False,
                create_constraint=True,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("by_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_account_events_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_account_events_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_events")),
    )
    op.create_index(op.f("ix_account_events_user_id"), "account_events", ["user_id"])


def downgrade() -> None:
    op.drop_table("account_events")
    op.drop_table("staff_invitations")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(
            op.f("fk_users_invited_by_county_id_organisations"), type_="foreignkey"
        )
        batch.drop_column("invited_by_county_id")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_index(op.f("ix_organisations_active"))
        batch.drop_index(op.f("ix_organisations_county_id"))
        batch.drop_constraint(op.f("uq_organisations_business_id"), type_="unique")
        batch.drop_constraint(op.f("fk_organisations_county_id_organisations"), type_="foreignkey")
        for column in (
            "deactivated_at",
            "active",
            "address",
            "email",
            "phone",
            "business_id",
            "authority",
            "county_id",
        ):
            batch.drop_column(column)
