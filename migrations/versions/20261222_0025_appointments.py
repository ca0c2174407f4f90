"""Appointments and network meetings (``appointments``, ``appointment_participants``,
``appointment_events``).

Revision ID: 0025_appointments
Revises: 0024_research
Create Date: 2026-12-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_appointments"
down_revision = "0024_research"
branch_labels = None
depends_on = None

REASONS = (
    "client_asked",
    "client_unwell",
    "worker_unavailable",
    "participant_unavailable",
    "circumstances_changed",
    "other",
)


def _str_enum(check_name: str, values: tuple[str, ...]) -> sa.Enum:
    """A coded column as ``consent.base.str_enum`` declares it (VARCHAR + named CHECK)."""
    return sa.Enum(
        *values, name=op.f(check_name), native_enum=False, create_constraint=True, length=40
    )


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}")
    )


def upgrade() -> None:
    op.create_table(
        "appointments",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "channel",
            _str_enum("ck_appointments_appointmentchannel", ("face_to_face", "video", "phone")),
            nullable=False,
        ),
        sa.Column("place_organisation_id", sa.Uuid(), nullable=True),
        sa.Column(
            "purpose",
            _str_enum(
                "ck_appointments_appointmentpurpose",
                ("appointment", "network_meeting", "plan_review", "release_planning"),
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            _str_enum("ck_appointments_appointmentstate", ("booked", "cancelled", "held")),
            nullable=False,
        ),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("booked_by_id", sa.Uuid(), nullable=True),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_appointments_ends_after_start")),
        _fk("appointments", "case_id", "cases"),
        _fk("appointments", "client_id", "clients"),
        _fk("appointments", "place_organisation_id", "organisations"),
        _fk("appointments", "contact_id", "contacts"),
        _fk("appointments", "booked_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    op.create_index("ix_appointments_case_starts", "appointments", ["case_id", "starts_at"])
    op.create_index("ix_appointments_client_starts", "appointments", ["client_id", "starts_at"])
    op.create_table(
        "appointment_participants",
        sa.Column("appointment_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(member_id IS NULL) <> (user_id IS NULL)",
            name=op.f("ck_appointment_participants_member_or_staff"),
        ),
        _fk("appointment_participants", "appointment_id", "appointments"),
        _fk("appointment_participants", "member_id", "network_members"),
        _fk("appointment_participants", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_participants")),
    )
    for column in ("appointment_id", "member_id", "user_id"):
        op.create_index(
            op.f(f"ix_appointment_participants_{column}"), "appointment_participants", [column]
        )
    op.create_table(
        "appointment_events",
        sa.Column("appointment_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            _str_enum(
                "ck_appointment_events_appointmenteventkind",
                ("booked", "confirmed", "rescheduled", "cancelled", "held"),
            ),
            nullable=False,
        ),
        sa.Column(
            "reason", _str_enum("ck_appointment_events_changereason", REASONS), nullable=True
        ),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_user_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        _fk("appointment_events", "appointment_id", "appointments"),
        _fk("appointment_events", "by_user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_events")),
    )
    op.create_index(
        op.f("ix_appointment_events_appointment_id"), "appointment_events", ["appointment_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_appointment_events_appointment_id"), table_name="appointment_events")
    op.drop_table("appointment_events")
    for column in ("appointment_id", "member_id", "user_id"):
        op.drop_index(
            op.f(f"ix_appointment_participants_{column}"), table_name="appointment_participants"
        )
    op.drop_table("appointment_participants")
    op.drop_index("ix_appointments_client_starts", table_name="appointments")
    op.drop_index("ix_appointments_case_starts", table_name="appointments")
    op.drop_table("appointments")
