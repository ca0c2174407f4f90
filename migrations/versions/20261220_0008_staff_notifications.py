"""Notifications sent by prison and probation staff, and endings that ask for a reason.

Revision ID: 0008_staff_notifications
Revises: 0007_access_log_key_id
Create Date: 2026-12-20

- ``notifications.consent_manner``: how the person gave consent (consent path), recorded
  when prison or probation staff send the notification themselves.
- ``network_members.end_reason_ct``: why a worker ended a membership by hand (the
  confirmation page asks), sealed in the county-only scope.
- ``case_closures.early_reason_ct``: why a case closed before the release day or with
  release-checklist tasks open (closing warns and asks), sealed likewise.

Nullable ADD COLUMNs. Only the coded column needs SQLite's batch mode (its CHECK comes with
a rebuilt table); batch mode reflects the table and the tables its keys refer to, and
SQLAlchemy warns that it cannot reflect the expression index ``ix_cases_caseload``
(the rebuilt ``notifications`` does not need it), so that one warning is silenced there.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_staff_notifications"
down_revision = "0007_access_log_key_id"
branch_labels = None
depends_on = None

CONSENT_MANNERS = ("in_writing", "orally", "electronically")


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(
            sa.Column(
                "consent_manner",
                sa.Enum(
                    *CONSENT_MANNERS,
                    name=op.f("ck_notifications_consentmanner"),
                    native_enum=False,
                    create_constraint=True,
                    length=40,
                ),
                nullable=True,
            )
        )
    op.add_column("network_members", sa.Column("end_reason_ct", sa.LargeBinary(), nullable=True))
    op.add_column("case_closures", sa.Column("early_reason_ct", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_closures") as batch:
        batch.drop_column("early_reason_ct")
    with op.batch_alter_table("network_members") as batch:
        batch.drop_column("end_reason_ct")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_constraint(op.f("ck_notifications_consentmanner"), type_="check")
        batch.drop_column("consent_manner")
