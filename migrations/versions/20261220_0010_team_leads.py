"""Log queries get a short reference (LQ-7K3M); caseworkers get a team lead or deputy.

Revision ID: 0010_team_leads
Revises: 0009_review_goals
Create Date: 2026-12-07

``log_queries.reference``: what the client and the worker call a query (the id stays
internal). Existing queries are given one here, from the same alphabet as new ones
(``app.client_log.rules``), before the column becomes NOT NULL and unique.

``team_leads``: who answers a client's question about a caseworker's own access instead of
that caseworker (``app.models.team_lead``).
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0010_team_leads"
down_revision = "0009_review_goals"
branch_labels = None
depends_on = None

ALPHABET = "23456789ABCDEFGHJKMNPQRTVWXY"  # app.client_log.rules.ALPHABET at this revision
# SQLite's batch mode reflects the table; without this it reflects the tables its foreign keys
# name too, and `cases` has an index on an expression that reflection can only warn about.
NO_FK_TABLES = {"resolve_fks": False}


def upgrade() -> None:
    op.create_table(
        "team_leads",
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("county_id", sa.Uuid(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("worker_id <> lead_id", name=op.f("ck_team_leads_team_lead_not_self")),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["users.id"], name=op.f("fk_team_leads_worker_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["users.id"], name=op.f("fk_team_leads_lead_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["county_id"], ["organisations.id"], name=op.f("fk_team_leads_county_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["users.id"], name=op.f("fk_team_leads_set_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_leads")),
        sa.UniqueConstraint("worker_id", name=op.f("uq_team_leads_worker_id")),
    )
    op.create_index(op.f("ix_team_leads_lead_id"), "team_leads", ["lead_id"])

    with op.batch_alter_table("log_queries", reflect_kwargs=NO_FK_TABLES) as batch:
        batch.add_column(sa.Column("reference", sa.String(length=12), nullable=True))
    queries = sa.table("log_queries", sa.column("id", sa.Uuid()), sa.column("reference"))
    connection = op.get_bind()
    taken: set[str] = set()
    for (query_id,) in connection.execute(sa.select(queries.c.id)).all():
        reference = ""
        while not reference or reference in taken:
            length = 4 if len(taken) < 100_000 else 6
            reference = "LQ-" + "".join(secrets.choice(ALPHABET) for _ in range(length))
        taken.add(reference)
        connection.execute(
            queries.update().where(queries.c.id == query_id).values(reference=reference)
        )
    with op.batch_alter_table("log_queries", reflect_kwargs=NO_FK_TABLES) as batch:
        batch.alter_column("reference", existing_type=sa.String(length=12), nullable=False)
        batch.create_unique_constraint(op.f("uq_log_queries_reference"), ["reference"])


def downgrade() -> None:
    with op.batch_alter_table("log_queries", reflect_kwargs=NO_FK_TABLES) as batch:
        batch.drop_constraint(op.f("uq_log_queries_reference"), type_="unique")
        batch.drop_column("reference")
    op.drop_index(op.f("ix_team_leads_lead_id"), table_name="team_leads")
    op.drop_table("team_leads")
