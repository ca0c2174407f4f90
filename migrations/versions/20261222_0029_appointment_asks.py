"""Appointments: cancelled with the case or the transfer, the client's request to move or cancel.

Revision ID: 0029_appointment_asks
Revises: 0028_person_messages
Create Date: 2026-12-22

- ``appointment_events.reason``: ``case_closed``, ``case_transferred``, ``membership_ended``
  (set by the service); ``appointment_events.kind``: ``asked_move``, ``asked_cancel``,
  ``participant_removed``.
- ``appointments``: the client's open request (``ask``, ``ask_reason``, ``ask_preference``,
  ``asked_at``), all given or none.
"""

import sqlalchemy as sa
from alembic import op

revision = "0029_appointment_asks"
down_revision = "0028_person_messages"
branch_labels = None
depends_on = None

OLD_REASONS = (
    "client_asked",
    "client_unwell",
    "worker_unavailable",
    "participant_unavailable",
    "circumstances_changed",
    "other",
)
NEW_REASONS = (*OLD_REASONS, "case_closed", "case_transferred", "membership_ended")
OLD_KINDS = ("booked", "confirmed", "rescheduled", "cancelled", "held")
NEW_KINDS = (*OLD_KINDS, "asked_move", "asked_cancel", "participant_removed")
# SQLite rebuilds a table to change it; reflecting the tables its foreign keys name would
# reflect `cases` too, whose expression index SQLAlchemy cannot reflect (a warning).
NO_FKS = {"resolve_fks": False}
ASK_COMPLETE = "(ask IS NULL) = (ask_reason IS NULL) AND (ask IS NULL) = (asked_at IS NULL)"


def _coded(values: tuple[str, ...], check: str) -> sa.Enum:
    return sa.Enum(*values, name=op.f(check), native_enum=False, create_constraint=True, length=40)


def upgrade() -> None:
    with op.batch_alter_table("appointment_events", reflect_kwargs=NO_FKS) as batch:
        batch.alter_column(
            "reason",
            existing_type=_coded(OLD_REASONS, "ck_appointment_events_changereason"),
            type_=_coded(NEW_REASONS, "ck_appointment_events_changereason"),
            existing_nullable=True,
        )
        batch.alter_column(
            "kind",
            existing_type=_coded(OLD_KINDS, "ck_appointment_events_appointmenteventkind"),
            type_=_coded(NEW_KINDS, "ck_appointment_events_appointmenteventkind"),
            existing_nullable=False,
        )
    with op.batch_alter_table("appointments", reflect_kwargs=NO_FKS) as batch:
        batch.add_column(
            sa.Column("ask", _coded(("move", "cancel"), "ck_appointments_clientask"), nullable=True)
        )
        batch.add_column(
            sa.Column(
                "ask_reason",
                _coded(("unwell", "clash", "travel", "other"), "ck_appointments_clientaskreason"),
                nullable=True,
            )
        )
        batch.add_column(
            sa.Column(
                "ask_preference",
                _coded(("morning", "afternoon", "next_week"), "ck_appointments_clientpreference"),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint(batch.f("ck_appointments_ask_complete"), ASK_COMPLETE)


def downgrade() -> None:
    with op.batch_alter_table("appointments", reflect_kwargs=NO_FKS) as batch:
        for check in ("ask_complete", "clientask", "clientaskreason", "clientpreference"):
            batch.drop_constraint(batch.f(f"ck_appointments_{check}"), type_="check")
        for column in ("asked_at", "ask_preference", "ask_reason", "ask"):
            batch.drop_column(column)
    op.execute(
        "DELETE FROM appointment_events WHERE kind IN "
        "('asked_move', 'asked_cancel', 'participant_removed')"
    )
    op.execute(
        "UPDATE appointment_events SET reason = 'other' WHERE reason IN "
        "('case_closed', 'case_transferred', 'membership_ended')"
    )
    with op.batch_alter_table("appointment_events", reflect_kwargs=NO_FKS) as batch:
        batch.alter_column(
            "kind",
            existing_type=_coded(NEW_KINDS, "ck_appointment_events_appointmenteventkind"),
            type_=_coded(OLD_KINDS, "ck_appointment_events_appointmenteventkind"),
            existing_nullable=False,
        )
        batch.alter_column(
            "reason",
            existing_type=_coded(NEW_REASONS, "ck_appointment_events_changereason"),
            type_=_coded(OLD_REASONS, "ck_appointment_events_changereason"),
            existing_nullable=True,
        )
