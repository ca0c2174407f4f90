"""Consent indexes a planner without statistics picks right.

Revision ID: 0030_consent_indexes
Revises: 0029_appointment_asks
Create Date: 2026-12-23

SQLite keeps no planner statistics here (``ANALYZE`` is not run, and Debian's SQLite has no
STAT4 to see that a national partner is in nearly every network), so on an equality it
holds one single-column index as narrow as another. ``ix_consents_state`` then won over
``ix_consents_member_id`` when a member's active consents were looked up: a walk over every
active consent in the country. The state now follows the member or the case in their
indexes, and leads only the index of the sweeps by state and last valid day.
"""

from alembic import op

revision = "0030_consent_indexes"
down_revision = "0029_appointment_asks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_consents_member_state", "consents", ["member_id", "state"])
    op.create_index("ix_consents_case_state", "consents", ["case_id", "state"])
    op.create_index("ix_consents_state_until", "consents", ["state", "valid_until"])
    op.drop_index("ix_consents_member_id", table_name="consents")
    op.drop_index("ix_consents_case_id", table_name="consents")
    op.drop_index("ix_consents_state", table_name="consents")


def downgrade() -> None:
    op.create_index("ix_consents_state", "consents", ["state"])
    op.create_index("ix_consents_case_id", "consents", ["case_id"])
    op.create_index("ix_consents_member_id", "consents", ["member_id"])
    op.drop_index("ix_consents_state_until", table_name="consents")
    op.drop_index("ix_consents_case_state", table_name="consents")
    op.drop_index("ix_consents_member_state", table_name="consents")
