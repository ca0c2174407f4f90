"""Facts versions: a token per client that the database replaces on any change to its facts.

Revision ID: 0015_facts_versions
Revises: 0014_consent_timeline
Create Date: 2026-12-07

``facts_versions`` holds one random token per client; triggers on every table the access
decision's facts come from (``app.cases.facts.FACT_TABLES``) replace the token of each
client a written row concerns, in the same transaction, however the row was written. A
worker keeps recently gathered facts under (client, part, token), so a change committed
anywhere is seen by the next request. The triggers are those of
``app.cases.facts.facts_version_triggers`` as they are at this revision; every client
gets a token now.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_facts_versions"
down_revision = "0014_consent_timeline"
branch_labels = None
depends_on = None

# The fact tables at this revision, and which of a row's columns lead to its client.
FACT_TABLES = {
    "cases": ("client_id",),
    "responsible_workers": ("case_id",),
    "case_team": ("case_id",),
    "work_task_reasons": ("client_id", "case_id"),
    "network_members": ("client_id", "case_id"),
    "consents": ("client_id", "case_id", "member_id"),
    "statutory_disclosures": ("client_id", "case_id", "member_id"),
    "county_transfers": ("client_id", "case_id"),
}
LEADS = {
    "client_id": "{row}.client_id",
    "case_id": "(SELECT client_id FROM cases WHERE id = {row}.case_id)",
    "member_id": "(SELECT cases.client_id FROM network_members JOIN cases"
    " ON cases.id = network_members.case_id WHERE network_members.id = {row}.member_id)",
}
RANDOM = {"sqlite": "lower(hex(randomblob(16)))", "postgresql": "gen_random_uuid()"}


def _replace(table: str, rows: list[str], token: str) -> str:
    changed = " UNION ".join(
        f"SELECT {LEADS[column].format(row=row)} AS client_id"
        for row in rows
        for column in FACT_TABLES[table]
    )
    return (
        f"INSERT INTO facts_versions (client_id, version) SELECT client_id, {token}"  # noqa: S608
        f" FROM ({changed}) AS changed WHERE client_id IS NOT NULL"
        " ON CONFLICT (client_id) DO UPDATE SET version = excluded.version"
    )


def upgrade() -> None:
    op.create_table(
        "facts_versions",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_facts_versions")),
    )
    dialect = op.get_context().dialect.name
    token = RANDOM[dialect]
    op.execute(f"INSERT INTO facts_versions (client_id, version) SELECT id, {token} FROM clients")  # noqa: S608
    if dialect == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION facts_versions_forget() RETURNS trigger LANGUAGE plpgsql"
            " AS $$ BEGIN DELETE FROM facts_versions; RETURN NULL; END $$"
        )
    for table in FACT_TABLES:
        if dialect == "sqlite":
            for event, rows in (
                ("INSERT", ["NEW"]),
                ("UPDATE", ["OLD", "NEW"]),
                ("DELETE", ["OLD"]),
            ):
                op.execute(
                    f"CREATE TRIGGER facts_version_{table}_{event.lower()} AFTER {event} ON {table}"
                    f" BEGIN {_replace(table, rows, token)}; END"
                )
        else:
            op.execute(
                f"CREATE OR REPLACE FUNCTION facts_version_{table}() RETURNS trigger"
                " LANGUAGE plpgsql AS $$ BEGIN"
                f" IF TG_OP <> 'INSERT' THEN {_replace(table, ['OLD'], token)}; END IF;"
                f" IF TG_OP <> 'DELETE' THEN {_replace(table, ['NEW'], token)}; END IF;"
                " RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER facts_version_{table} AFTER INSERT OR UPDATE OR DELETE ON {table}"
                f" FOR EACH ROW EXECUTE FUNCTION facts_version_{table}()"
            )
            op.execute(
                f"CREATE TRIGGER facts_version_{table}_truncate AFTER TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION facts_versions_forget()"
            )


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    for table in FACT_TABLES:
        if dialect == "sqlite":
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER facts_version_{table}_{event}")
        else:
            op.execute(f"DROP TRIGGER facts_version_{table}_truncate ON {table}")
            op.execute(f"DROP TRIGGER facts_version_{table} ON {table}")
            op.execute(f"DROP FUNCTION facts_version_{table}()")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION facts_versions_forget()")
    op.drop_table("facts_versions")
