"""Access-log entries name the log key that MACed them (version 2 of the chain).

Revision ID: 0007_access_log_key_id
Revises: 0006_second_factor
Create Date: 2026-12-07

From this revision on, each entry's ``entry_hash`` is an HMAC-SHA256 under a log key from
the keyring, and ``key_id`` names that key. Existing entries keep their version 1 SHA-256
and a NULL ``key_id``: ``flask audit verify`` checks them as such, and each chain goes on
with MACed entries. A plain ADD COLUMN: the table is not rebuilt, so its append-only
triggers stay as they are.

On PostgreSQL, ``access_log_heads(uuid[])`` locks the chains an append extends (advisory
locks) and returns their heads, in one statement (``sharing.access_log.HEADS_FUNCTION``, as
it is at this revision).
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_access_log_key_id"
down_revision = "0006_second_factor"
branch_labels = None
depends_on = None

HEADS_FUNCTION = """CREATE OR REPLACE FUNCTION access_log_heads(chains uuid[])
RETURNS TABLE(chain uuid, head_seq integer, head_mac bytea)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF cardinality(chains) > 64 THEN
    PERFORM pg_advisory_xact_lock(1819240225, 0);
  ELSE
    PERFORM pg_advisory_xact_lock_shared(1819240225, 0);
    PERFORM pg_advisory_xact_lock(k.k1, k.k2) FROM (
      SELECT DISTINCT
        CAST(CAST('x' || substr(replace(CAST(c AS text), '-', ''), 1, 8) AS bit(32)) AS int) AS k1,
        CAST(CAST('x' || substr(replace(CAST(c AS text), '-', ''), 9, 8) AS bit(32)) AS int) AS k2
      FROM unnest(chains) AS c ORDER BY 1, 2) AS k;
  END IF;
  -- Statements of their own: their snapshot is taken once the locks are granted.
  IF cardinality(chains) = 1 THEN  -- the common case, and a plain index probe
    RETURN QUERY SELECT a.client_id, a.seq, a.entry_hash FROM access_log AS a
      WHERE a.client_id = chains[1] ORDER BY a.seq DESC LIMIT 1;
  ELSE
    RETURN QUERY SELECT h.client_id, h.seq, h.entry_hash FROM unnest(chains) AS c(id)
      CROSS JOIN LATERAL (SELECT a.client_id, a.seq, a.entry_hash FROM access_log AS a
        WHERE a.client_id = c.id ORDER BY a.seq DESC LIMIT 1) AS h;
  END IF;
END $$"""


def upgrade() -> None:
    op.add_column("access_log", sa.Column("key_id", sa.String(40), nullable=True))
    if op.get_context().dialect.name == "postgresql":
        op.execute(HEADS_FUNCTION)


def downgrade() -> None:
    # Entries MACed since the upgrade keep their MAC, but the older release reads every entry
    # as version 1: its `flask audit verify` names them as broken.
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION access_log_heads(uuid[])")
    op.drop_column("access_log", "key_id")
