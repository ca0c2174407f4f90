"""Partners work their part: task reports, updates into the record, a worker's work contact.

Revision ID: 0013_partner_tasks
Revises: 0012_county_transfers
Create Date: 2026-12-20

- ``partner_updates``: new kinds (a release date changed, a benefit decision, and a
  checklist task reported done or not possible), the checklist item a report is about, and
  who acknowledged the update and when (both or neither).
- ``release_checklist_items.state``: ``not_possible``, a responsible member's report.
- ``users.work_contact``: how the network reaches a member of staff at work.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_partner_tasks"
down_revision = "0012_county_transfers"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "housing_offer",
    "decision_made",
    "appointment_kept",
    "appointment_missed",
    "contact_lost",
    "concern",
    "other",
)
NEW_KINDS = (
    "release_date_changed",
    "housing_offer",
    "benefit_decision",
    "decision_made",
    "appointment_kept",
    "appointment_missed",
    "contact_lost",
    "concern",
    "other",
    "task_done",
    "task_not_possible",
)
OLD_STATES = ("open", "done", "not_needed")
NEW_STATES = ("open", "done", "not_needed", "not_possible")
# SQLite rebuilds a table to change it; reflecting the tables its foreign keys name would
# reflect `cases` too, whose expression index SQLAlchemy cannot reflect (a warning).
NO_FKS = {"resolve_fks": False}


def _coded(values: tuple[str, ...], check: str) -> sa.Enum:
    return sa.Enum(*values, name=op.f(check), native_enum=False, create_constraint=True, length=40)


def _recode(
    table: str, column: str, check: str, old: tuple[str, ...], new: tuple[str, ...]
) -> None:
    with op.batch_alter_table(table, reflect_kwargs=NO_FKS) as batch:
        batch.alter_column(column, existing_type=_coded(old, check), type_=_coded(new, check))


def upgrade() -> None:
    _recode(
        "partner_updates",
        "kind",
        "ck_partner_updates_partnerupdatekind",
        OLD_KINDS,
        NEW_KINDS,
    )
    with op.batch_alter_table("partner_updates", reflect_kwargs=NO_FKS) as batch:
        batch.add_column(sa.Column("checklist_item_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("acknowledged_by_id", sa.Uuid(), nullable=True))
        batch.create_index(
            batch.f("ix_partner_updates_checklist_item_id"), ["checklist_item_id"], unique=False
        )
        batch.create_foreign_key(
            batch.f("fk_partner_updates_checklist_item_id_release_checklist_items"),
            "release_checklist_items",
            ["checklist_item_id"],
            ["id"],
        )
        batch.create_foreign_key(
            batch.f("fk_partner_updates_acknowledged_by_id_users"),
            "users",
            ["acknowledged_by_id"],
            ["id"],
        )
        batch.create_check_constraint(
            batch.f("ck_partner_updates_acknowledged_by_someone"),
            "(acknowledged_at IS NULL) = (acknowledged_by_id IS NULL)",
        )
    _recode(
        "release_checklist_items",
        "state",
        "ck_release_checklist_items_itemstate",
        OLD_STATES,
        NEW_STATES,
    )
    with op.batch_alter_table("users", reflect_kwargs=NO_FKS) as batch:
        batch.add_column(sa.Column("work_contact", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", reflect_kwargs=NO_FKS) as batch:
        batch.drop_column("work_contact")
    op.execute("UPDATE release_checklist_items SET state = 'open' WHERE state = 'not_possible'")
    _recode(
        "release_checklist_items",
        "state",
        "ck_release_checklist_items_itemstate",
        NEW_STATES,
        OLD_STATES,
    )
    with op.batch_alter_table("partner_updates", reflect_kwargs=NO_FKS) as batch:
        batch.drop_constraint(batch.f("ck_partner_updates_acknowledged_by_someone"), "check")
        batch.drop_constraint(batch.f("fk_partner_updates_acknowledged_by_id_users"), "foreignkey")
        batch.drop_constraint(
            batch.f("fk_partner_updates_checklist_item_id_release_checklist_items"), "foreignkey"
        )
        batch.drop_index(batch.f("ix_partner_updates_checklist_item_id"))
        batch.drop_column("acknowledged_by_id")
        batch.drop_column("acknowledged_at")
        batch.drop_column("checklist_item_id")
    # The kinds this revision added read as free text before it.
    op.execute(
        "UPDATE partner_updates SET kind = 'other' WHERE kind IN "
        "('release_date_changed', 'benefit_decision', 'task_done', 'task_not_possible')"
    )
    _recode(
        "partner_updates",
        "kind",
        "ck_partner_updates_partnerupdatekind",
        NEW_KINDS,
        OLD_KINDS,
    )
