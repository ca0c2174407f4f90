"""Baseline: the whole schema as the models declare it on 2026-12-07.

Revision ID: 0001
Revises:
Create Date: 2026-12-07

This one revision replaces the seven of 2026-11-23, which were generated feature by
feature and never ran against a deployed database. From here on each schema change is a
revision of its own on top of this one, generated with ``flask db migrate`` and then read
and tidied by hand (see migrations/README.md).

Tables are created in the order their foreign keys allow, one function per feature:
the parties and the case first (everything points at them), then the tables of
``consent`` and ``sharing``, then the process tables of ``app``. ``downgrade`` drops them
all in the reverse order.

Names: every constraint and index carries the name the naming convention in
``consent/base.py`` gives it, wrapped in ``op.f()`` so that no convention renames it again:
``pk_<table>``, ``fk_<table>_<column>_<referred table>``, ``uq_<table>_<columns>``,
``ix_<table>_<column>``, ``ck_<table>_<name>``; the CHECK of a coded column (``str_enum``)
is ``ck_<table>_<enum type name>``.

Everything here is frozen as written: it imports nothing from the application, so a
later change to the models or to ``consent.base`` needs a revision of its own.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


# Value lists used by more than one column.
PHASES = ("notified", "assessment", "network", "release", "follow_up", "ending", "closed")
SECTION_KINDS = (
    "housing",
    "livelihood",
    "health",
    "relationships",
    "education_work",
    "digital_inclusion",
    "everyday_life",
    "release_transition",
    "probationary_liberty",
    "desistance",
    "other",
)


def str_enum(check_name: str, values: tuple[str, ...], length: int = 40) -> sa.Enum:
    """A coded column as ``consent.base.str_enum`` declares it: a VARCHAR and a named CHECK
    that it holds one of ``values``."""
    return sa.Enum(
        *values, name=op.f(check_name), native_enum=False, create_constraint=True, length=length
    )


def append_only(table: str) -> None:
    """Make ``table`` refuse UPDATE and DELETE (and on PostgreSQL TRUNCATE) with a database error.

    The statements of ``consent.base.append_only_triggers`` as they are on 2026-12-07.
    """
    refusal = f"{table} is append-only"
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        op.execute(
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{refusal}' "
            "USING ERRCODE = 'restrict_violation'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
        # TRUNCATE skips row triggers, so it needs its own.
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
        )
    elif dialect == "sqlite":
        op.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END"
        )
    else:
        raise NotImplementedError(f"no append-only triggers for {dialect}")


def drop_append_only(table: str) -> None:
    """Undo ``append_only(table)``."""
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION {table}_append_only()")
    elif dialect == "sqlite":
        op.execute(f"DROP TRIGGER {table}_no_delete")
        op.execute(f"DROP TRIGGER {table}_no_update")
    else:
        raise NotImplementedError(f"no append-only triggers for {dialect}")


def upgrade() -> None:
    create_parties_and_cases()
    create_consent_tables()
    create_sharing_tables()
    create_case_tables()
    create_intake_tables()
    create_assessment_tables()
    create_network_tables()
    create_plan_tables()
    create_contact_tables()
    create_release_tables()
    create_review_tables()
    create_partner_tables()
    create_portal_tables()
    create_api_tables()
    create_ending_tables()


def downgrade() -> None:
    # Ending
    op.drop_table("case_closures")
    op.drop_table("service_endings")

    # API
    op.drop_table("api_tokens")

    # Client portal and person access
    op.drop_table("log_queries")
    op.drop_table("activation_codes")
    op.drop_table("person_access_grants")
    op.drop_table("consent_receipts")

    # Partner work
    op.drop_table("revocation_notices")
    op.drop_table("partner_updates")

    # Follow-up
    op.drop_table("plan_review_participants")
    op.drop_table("plan_reviews")

    # Release
    op.drop_table("release_checklist_items")

    # Contacts
    op.drop_table("contacts")

    # Plan
    op.drop_table("plan_section_responsibles")
    op.drop_table("plan_section_versions")
    op.drop_table("plan_sections")
    op.drop_table("plan_review_dates")
    op.drop_table("client_plans")

    # Network
    op.drop_table("parallel_plans")
    op.drop_table("flow_agreements")
    op.drop_table("network_member_contacts")

    # Assessment
    op.drop_table("assessment_versions")
    op.drop_table("assessment_participants")
    op.drop_table("assessment_needs")
    op.drop_table("assessment_factors")
    op.drop_table("assessments")

    # Intake
    op.drop_table("notifications")

    # Case work
    op.drop_table("release_date_changes")
    op.drop_table("phase_changes")
    op.drop_table("work_task_reasons")
    op.drop_table("responsible_workers")
    op.drop_table("case_team")

    # sharing
    op.drop_table("client_search_index")
    op.drop_table("index_keys")
    drop_append_only("access_log")
    op.drop_table("access_log")
    op.drop_table("key_seals")
    op.drop_table("grantee_keys")
    op.drop_table("data_keys")

    # consent
    op.drop_table("statutory_disclosures")
    drop_append_only("consent_events")
    op.drop_table("consent_events")
    op.drop_table("consents")

    # The parties and the case
    op.drop_table("network_members")
    op.drop_table("cases")
    op.drop_table("users")
    op.drop_table("clients")
    op.drop_table("organisations")


def create_parties_and_cases() -> None:
    """The parties and the case: organisations, clients, users, cases, network members.

    Every later table points at some of these, the consent and sharing tables included.
    """
    op.create_table(
        "organisations",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            str_enum(
                "ck_organisations_orgkind",
                ("county", "prison", "probation", "public_service", "ngo", "peer_support", "other"),
            ),
            nullable=False,
        ),
        sa.Column("municipality", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_index(op.f("ix_organisations_kind"), "organisations", ["kind"])

    op.create_table(
        "clients",
        sa.Column("county_id", sa.Uuid(), nullable=False),
        sa.Column("name_ct", sa.LargeBinary(), nullable=False),
        sa.Column("identity_code_ct", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_id"], ["organisations.id"], name=op.f("fk_clients_county_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
    )
    op.create_index(op.f("ix_clients_county_id"), "clients", ["county_id"])

    op.create_table(
        "users",
        sa.Column("username", sa.String(length=120), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column(
            "role",
            str_enum("ck_users_role", ("caseworker", "partner", "client", "admin")),
            nullable=False,
        ),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("session_token", sa.String(length=40), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(role = 'client') = (client_id IS NOT NULL)",
            name=op.f("ck_users_client_user_has_client"),
        ),
        sa.CheckConstraint(
            "role IN ('client', 'admin') OR organisation_id IS NOT NULL",
            name=op.f("ck_users_staff_has_org"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_users_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_users_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("client_id", name=op.f("uq_users_client_id")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_organisation_id"), "users", ["organisation_id"])
    op.create_index(op.f("ix_users_role"), "users", ["role"])

    op.create_table(
        "cases",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("county_id", sa.Uuid(), nullable=False),
        sa.Column("prison_id", sa.Uuid(), nullable=True),
        sa.Column("probation_office_id", sa.Uuid(), nullable=True),
        sa.Column("phase", str_enum("ck_cases_phase", PHASES), nullable=False),
        sa.Column(
            "service_task",
            str_enum("ck_cases_servicetask", ("adult_social_work", "substance_abuse")),
            nullable=False,
        ),
        sa.Column("sentence_start", sa.Date(), nullable=True),
        sa.Column("conditional_release", sa.Date(), nullable=True),
        sa.Column("probation_start", sa.Date(), nullable=True),
        sa.Column("probation_end", sa.Date(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disposed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_cases_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["county_id"], ["organisations.id"], name=op.f("fk_cases_county_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["prison_id"], ["organisations.id"], name=op.f("fk_cases_prison_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["probation_office_id"],
            ["organisations.id"],
            name=op.f("fk_cases_probation_office_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    op.create_index(op.f("ix_cases_client_id"), "cases", ["client_id"])
    op.create_index(op.f("ix_cases_closed_at"), "cases", ["closed_at"])
    op.create_index(op.f("ix_cases_conditional_release"), "cases", ["conditional_release"])
    op.create_index(op.f("ix_cases_county_id"), "cases", ["county_id"])
    op.create_index(op.f("ix_cases_phase"), "cases", ["phase"])

    op.create_table(
        "network_members",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            str_enum(
                "ck_network_members_memberkind",
                (
                    "public_service",
                    "ngo",
                    "peer_expert",
                    "close_person",
                    "prison",
                    "probation",
                    "other",
                ),
            ),
            nullable=False,
        ),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("person_name_ct", sa.LargeBinary(), nullable=True),
        sa.Column("role_ct", sa.LargeBinary(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Uuid(), nullable=True),
        sa.Column("confidentiality_committed_on", sa.Date(), nullable=True),
        sa.Column("confidentiality_recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("added_by_id", sa.Uuid(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "organisation_id IS NOT NULL OR person_name_ct IS NOT NULL",
            name=op.f("ck_network_members_org_or_person"),
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["users.id"], name=op.f("fk_network_members_added_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_network_members_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_network_members_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["confidentiality_recorded_by_id"],
            ["users.id"],
            name=op.f("fk_network_members_confidentiality_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"], ["users.id"], name=op.f("fk_network_members_ended_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_network_members_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_members")),
    )
    op.create_index(op.f("ix_network_members_case_id"), "network_members", ["case_id"])
    op.create_index(op.f("ix_network_members_client_id"), "network_members", ["client_id"])
    op.create_index(
        op.f("ix_network_members_organisation_id"), "network_members", ["organisation_id"]
    )


def create_consent_tables() -> None:
    """consent: consents, their append-only events, statutory disclosures."""
    op.create_table(
        "consents",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column(
            "direction", str_enum("ck_consents_direction", ("disclose", "obtain")), nullable=False
        ),
        sa.Column(
            "purpose",
            str_enum(
                "ck_consents_purpose",
                ("list", "case_work", "network_cooperation", "own_data", "administration"),
            ),
            nullable=False,
        ),
        sa.Column("purpose_text_ct", sa.LargeBinary(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column(
            "given_how",
            str_enum("ck_consents_givenhow", ("electronic", "written", "oral")),
            nullable=False,
        ),
        sa.Column("information_text_version", sa.String(length=40), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            str_enum("ck_consents_consentstate", ("active", "revoked", "expired", "superseded")),
            nullable=False,
        ),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Uuid(), nullable=True),
        sa.Column("supersedes_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_consents_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_consents_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"], ["users.id"], name=op.f("fk_consents_ended_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["network_members.id"],
            name=op.f("fk_consents_member_id_network_members"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_consents_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["consents.id"], name=op.f("fk_consents_supersedes_id_consents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index(op.f("ix_consents_case_id"), "consents", ["case_id"])
    op.create_index(op.f("ix_consents_client_id"), "consents", ["client_id"])
    op.create_index(op.f("ix_consents_member_id"), "consents", ["member_id"])
    op.create_index(op.f("ix_consents_state"), "consents", ["state"])

    op.create_table(
        "consent_events",
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            str_enum(
                "ck_consent_events_consenteventkind",
                ("granted", "revoked", "expired", "superseded"),
            ),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_consent_events_actor_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_consent_events_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consents.id"], name=op.f("fk_consent_events_consent_id_consents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    op.create_index(op.f("ix_consent_events_client_id"), "consent_events", ["client_id"])
    op.create_index(op.f("ix_consent_events_consent_id"), "consent_events", ["consent_id"])
    append_only("consent_events")

    op.create_table(
        "statutory_disclosures",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("provision", sa.String(length=200), nullable=False),
        sa.Column("justification_ct", sa.LargeBinary(), nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_statutory_disclosures_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_statutory_disclosures_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_statutory_disclosures_decided_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["network_members.id"],
            name=op.f("fk_statutory_disclosures_member_id_network_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statutory_disclosures")),
    )
    op.create_index(op.f("ix_statutory_disclosures_case_id"), "statutory_disclosures", ["case_id"])
    op.create_index(
        op.f("ix_statutory_disclosures_client_id"), "statutory_disclosures", ["client_id"]
    )
    op.create_index(
        op.f("ix_statutory_disclosures_member_id"), "statutory_disclosures", ["member_id"]
    )


def create_sharing_tables() -> None:
    """sharing: data keys, grantee keys and key seals, the append-only access log, the blind index.

    The access log has no foreign keys on purpose: it outlives the client's data
    (crypto-shredding) and also records attempts on ids that never existed.
    """
    op.create_table(
        "data_keys",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("master_key_id", sa.String(length=64), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_data_keys_client_id_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_keys")),
        sa.UniqueConstraint(
            "client_id", "scope", "generation", name=op.f("uq_data_keys_client_id_scope_generation")
        ),
    )
    op.create_index(op.f("ix_data_keys_client_id"), "data_keys", ["client_id"])
    op.create_index(op.f("ix_data_keys_master_key_id"), "data_keys", ["master_key_id"])

    op.create_table(
        "grantee_keys",
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("master_key_id", sa.String(length=64), nullable=False),
        sa.Column("private_wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(organisation_id IS NULL) != (member_id IS NULL)",
            name=op.f("ck_grantee_keys_org_xor_person"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["network_members.id"],
            name=op.f("fk_grantee_keys_member_id_network_members"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_grantee_keys_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grantee_keys")),
        sa.UniqueConstraint("member_id", name=op.f("uq_grantee_keys_member_id")),
        sa.UniqueConstraint("organisation_id", name=op.f("uq_grantee_keys_organisation_id")),
    )
    op.create_index(op.f("ix_grantee_keys_master_key_id"), "grantee_keys", ["master_key_id"])

    op.create_table(
        "key_seals",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("grantee_key_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("basis_kind", sa.String(length=20), nullable=False),
        sa.Column("basis_id", sa.Uuid(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_key_seals_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_keys.id"], name=op.f("fk_key_seals_data_key_id_data_keys")
        ),
        sa.ForeignKeyConstraint(
            ["grantee_key_id"],
            ["grantee_keys.id"],
            name=op.f("fk_key_seals_grantee_key_id_grantee_keys"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["network_members.id"],
            name=op.f("fk_key_seals_member_id_network_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_seals")),
        sa.UniqueConstraint(
            "data_key_id",
            "grantee_key_id",
            "basis_id",
            name=op.f("uq_key_seals_data_key_id_grantee_key_id_basis_id"),
        ),
    )
    op.create_index(op.f("ix_key_seals_client_id"), "key_seals", ["client_id"])
    op.create_index(op.f("ix_key_seals_data_key_id"), "key_seals", ["data_key_id"])
    op.create_index(op.f("ix_key_seals_grantee_key_id"), "key_seals", ["grantee_key_id"])

    op.create_table(
        "access_log",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("assisted_by_user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "action",
            str_enum("ck_access_log_accessaction", ("read", "write", "preview"), length=20),
            nullable=False,
        ),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("basis_kind", sa.String(length=20), nullable=True),
        sa.Column("basis_id", sa.Uuid(), nullable=True),
        sa.Column("previewed_as", sa.String(length=80), nullable=True),
        sa.Column("prev_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
        sa.UniqueConstraint("client_id", "seq", name=op.f("uq_access_log_client_id_seq")),
    )
    op.create_index(op.f("ix_access_log_client_id_at"), "access_log", ["client_id", "at"])
    append_only("access_log")

    op.create_table(
        "index_keys",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("master_key_id", sa.String(length=64), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_keys")),
        sa.UniqueConstraint("name", name=op.f("uq_index_keys_name")),
    )
    op.create_index(op.f("ix_index_keys_master_key_id"), "index_keys", ["master_key_id"])

    op.create_table(
        "client_search_index",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.LargeBinary(length=16), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_client_search_index_client_id_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_search_index")),
    )
    op.create_index(op.f("ix_client_search_index_client_id"), "client_search_index", ["client_id"])
    op.create_index(
        op.f("ix_client_search_index_kind_digest"), "client_search_index", ["kind", "digest"]
    )


def create_case_tables() -> None:
    """Case work: the case team, responsible workers, work-task reasons, the case's history."""
    op.create_table(
        "case_team",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("added_by_id", sa.Uuid(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["users.id"], name=op.f("fk_case_team_added_by_id_users")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_team_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["removed_by_id"], ["users.id"], name=op.f("fk_case_team_removed_by_id_users")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_case_team_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_team")),
    )
    op.create_index(op.f("ix_case_team_case_id"), "case_team", ["case_id"])
    op.create_index(op.f("ix_case_team_user_id"), "case_team", ["user_id"])
    op.create_index(
        op.f("uq_case_team_current_member"),
        "case_team",
        ["case_id", "user_id"],
        unique=True,
        sqlite_where=sa.text("removed_at IS NULL"),
        postgresql_where=sa.text("removed_at IS NULL"),
    )

    op.create_table(
        "responsible_workers",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Uuid(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("assigned_by_id", sa.Uuid(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["users.id"],
            name=op.f("fk_responsible_workers_assigned_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_responsible_workers_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["users.id"], name=op.f("fk_responsible_workers_worker_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responsible_workers")),
    )
    op.create_index(op.f("ix_responsible_workers_case_id"), "responsible_workers", ["case_id"])
    op.create_index(op.f("ix_responsible_workers_worker_id"), "responsible_workers", ["worker_id"])

    op.create_table(
        "work_task_reasons",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("reason_ct", sa.LargeBinary(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_work_task_reasons_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_work_task_reasons_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_work_task_reasons_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_task_reasons")),
    )
    op.create_index(op.f("ix_work_task_reasons_case_id"), "work_task_reasons", ["case_id"])
    op.create_index(op.f("ix_work_task_reasons_user_id"), "work_task_reasons", ["user_id"])

    op.create_table(
        "phase_changes",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("from_phase", str_enum("ck_phase_changes_from_phase", PHASES), nullable=False),
        sa.Column("phase", str_enum("ck_phase_changes_phase", PHASES), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_phase_changes_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["users.id"], name=op.f("fk_phase_changes_changed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phase_changes")),
    )
    op.create_index(op.f("ix_phase_changes_case_id"), "phase_changes", ["case_id"])

    op.create_table(
        "release_date_changes",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("sentence_start", sa.Date(), nullable=True),
        sa.Column("conditional_release", sa.Date(), nullable=True),
        sa.Column("probation_start", sa.Date(), nullable=True),
        sa.Column("probation_end", sa.Date(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_release_date_changes_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["users.id"],
            name=op.f("fk_release_date_changes_changed_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_date_changes")),
    )
    op.create_index(op.f("ix_release_date_changes_case_id"), "release_date_changes", ["case_id"])


def create_intake_tables() -> None:
    """Intake: notifications to social welfare and their queue."""
    op.create_table(
        "notifications",
        sa.Column("county_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contacted_on", sa.Date(), nullable=False),
        sa.Column(
            "notifier_kind",
            str_enum(
                "ck_notifications_notifierkind",
                (
                    "client",
                    "representative",
                    "prison_staff",
                    "probation_staff",
                    "other_authority",
                    "other",
                ),
            ),
            nullable=False,
        ),
        sa.Column("notifier_name_ct", sa.LargeBinary(), nullable=True),
        sa.Column("notifier_organisation_id", sa.Uuid(), nullable=True),
        sa.Column(
            "channel",
            str_enum(
                "ck_notifications_channel",
                ("phone", "letter", "message", "face_to_face", "video", "e_form"),
            ),
            nullable=False,
        ),
        sa.Column("need_ct", sa.LargeBinary(), nullable=False),
        sa.Column(
            "path",
            str_enum("ck_notifications_notificationpath", ("consent", "no_consent")),
            nullable=False,
        ),
        sa.Column("no_consent_reason_ct", sa.LargeBinary(), nullable=True),
        sa.Column(
            "status",
            str_enum(
                "ck_notifications_notificationstatus",
                ("unassigned", "assigned", "closed_no_action"),
            ),
            nullable=False,
        ),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_to_id", sa.Uuid(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_to_id"], ["users.id"], name=op.f("fk_notifications_assigned_to_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_notifications_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_notifications_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["county_id"],
            ["organisations.id"],
            name=op.f("fk_notifications_county_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["notifier_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_notifications_notifier_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_notifications_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(op.f("ix_notifications_assigned_to_id"), "notifications", ["assigned_to_id"])
    op.create_index(op.f("ix_notifications_case_id"), "notifications", ["case_id"])
    op.create_index(op.f("ix_notifications_client_id"), "notifications", ["client_id"])
    op.create_index(
        op.f("ix_notifications_queue"), "notifications", ["county_id", "status", "received_at"]
    )


def create_assessment_tables() -> None:
    """Assessment: the multi-agency service-need assessment, its parts and its versions."""
    op.create_table(
        "assessments",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("contact_on", sa.Date(), nullable=True),
        sa.Column("urgency_assessed_on", sa.Date(), nullable=True),
        sa.Column(
            "urgency", str_enum("ck_assessments_urgency", ("urgent", "not_urgent")), nullable=True
        ),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("responsible_worker_needed", sa.Boolean(), nullable=True),
        sa.Column("no_worker_reason_ct", sa.LargeBinary(), nullable=True),
        sa.Column("client_took_part", sa.Boolean(), nullable=True),
        sa.Column("other_participants_ct", sa.LargeBinary(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_assessments_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_assessments_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_assessments_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_assessments_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint("case_id", name=op.f("uq_assessments_case_id")),
    )
    op.create_index(op.f("ix_assessments_client_id"), "assessments", ["client_id"])

    op.create_table(
        "assessment_factors",
        sa.Column("assessment_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("addressed", sa.Boolean(), nullable=False),
        sa.Column("note_ct", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_factors_assessment_id_assessments"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_assessment_factors_client_id_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_factors")),
        sa.UniqueConstraint(
            "assessment_id", "code", name=op.f("uq_assessment_factors_assessment_id_code")
        ),
    )
    op.create_index(
        op.f("ix_assessment_factors_assessment_id"), "assessment_factors", ["assessment_id"]
    )

    op.create_table(
        "assessment_needs",
        sa.Column("assessment_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column(
            "area", str_enum("ck_assessment_needs_sectionkind", SECTION_KINDS), nullable=False
        ),
        sa.Column(
            "level",
            str_enum("ck_assessment_needs_needlevel", ("none", "some", "significant")),
            nullable=True,
        ),
        sa.Column("client_view_ct", sa.LargeBinary(), nullable=True),
        sa.Column("professional_view_ct", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_needs_assessment_id_assessments"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_assessment_needs_client_id_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_needs")),
        sa.UniqueConstraint(
            "assessment_id", "area", name=op.f("uq_assessment_needs_assessment_id_area")
        ),
    )
    op.create_index(
        op.f("ix_assessment_needs_assessment_id"), "assessment_needs", ["assessment_id"]
    )

    op.create_table(
        "assessment_participants",
        sa.Column("assessment_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("added_by_id", sa.Uuid(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["users.id"], name=op.f("fk_assessment_participants_added_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_participants_assessment_id_assessments"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["network_members.id"],
            name=op.f("fk_assessment_participants_member_id_network_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_participants")),
        sa.UniqueConstraint(
            "assessment_id",
            "member_id",
            name=op.f("uq_assessment_participants_assessment_id_member_id"),
        ),
    )
    op.create_index(
        op.f("ix_assessment_participants_assessment_id"),
        "assessment_participants",
        ["assessment_id"],
    )
    op.create_index(
        op.f("ix_assessment_participants_member_id"), "assessment_participants", ["member_id"]
    )

    op.create_table(
        "assessment_versions",
        sa.Column("assessment_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            str_enum("ck_assessment_versions_versionkind", ("created", "saved", "completed")),
            nullable=False,
        ),
        sa.Column("changed", sa.String(length=2000), nullable=False),
        sa.Column("snapshot_ct", sa.LargeBinary(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_assessment_versions_assessment_id_assessments"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_assessment_versions_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_assessment_versions_client_id_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_versions")),
        sa.UniqueConstraint(
            "assessment_id", "version", name=op.f("uq_assessment_versions_assessment_id_version")
        ),
    )
    op.create_index(
        op.f("ix_assessment_versions_assessment_id"), "assessment_versions", ["assessment_id"]
    )


def create_network_tables() -> None:
    """Network: members' contact details, information-flow agreements, others' parallel plans."""
    op.create_table(
        "network_member_contacts",
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("contact_ct", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_network_member_contacts_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["network_members.id"],
            name=op.f("fk_network_member_contacts_member_id_network_members"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_network_member_contacts_recorded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_member_contacts")),
        sa.UniqueConstraint("member_id", name=op.f("uq_network_member_contacts_member_id")),
    )
    op.create_index(
        op.f("ix_network_member_contacts_client_id"), "network_member_contacts", ["client_id"]
    )

    op.create_table(
        "flow_agreements",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column(
            "direction",
            str_enum("ck_flow_agreements_flowdirection", ("to_member", "from_member", "both")),
            nullable=False,
        ),
        sa.Column(
            "channel",
            str_enum("ck_flow_agreements_flowchannel", ("platform", "phone", "meeting", "letter")),
            nullable=False,
        ),
        sa.Column("subject_ct", sa.LargeBinary(), nullable=True),
        sa.Column("practice_ct", sa.LargeBinary(), nullable=True),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("agreed_with_client", sa.Boolean(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_flow_agreements_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_flow_agreements_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"], ["users.id"], name=op.f("fk_flow_agreements_ended_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["network_members.id"],
            name=op.f("fk_flow_agreements_member_id_network_members"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_flow_agreements_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_agreements")),
    )
    op.create_index(op.f("ix_flow_agreements_case_id"), "flow_agreements", ["case_id"])
    op.create_index(op.f("ix_flow_agreements_client_id"), "flow_agreements", ["client_id"])
    op.create_index(op.f("ix_flow_agreements_member_id"), "flow_agreements", ["member_id"])

    op.create_table(
        "parallel_plans",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            str_enum(
                "ck_parallel_plans_parallelplankind",
                (
                    "sentence_plan",
                    "release_plan",
                    "probationary_liberty_plan",
                    "supervision_plan",
                    "health_care_plan",
                    "employment_plan",
                    "other",
                ),
            ),
            nullable=False,
        ),
        sa.Column("organisation_id", sa.Uuid(), nullable=True),
        sa.Column("owner_name_ct", sa.LargeBinary(), nullable=True),
        sa.Column("reference_ct", sa.LargeBinary(), nullable=True),
        sa.Column("made_on", sa.Date(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("added_by_id", sa.Uuid(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "organisation_id IS NOT NULL OR owner_name_ct IS NOT NULL",
            name=op.f("ck_parallel_plans_has_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["users.id"], name=op.f("fk_parallel_plans_added_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_parallel_plans_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_parallel_plans_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"], ["users.id"], name=op.f("fk_parallel_plans_ended_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_parallel_plans_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parallel_plans")),
    )
    op.create_index(op.f("ix_parallel_plans_case_id"), "parallel_plans", ["case_id"])
    op.create_index(op.f("ix_parallel_plans_client_id"), "parallel_plans", ["client_id"])


def create_plan_tables() -> None:
    """Plan: the client plan, its review dates, its sections and their versions."""
    op.create_table(
        "client_plans",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("review_set_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_set_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_client_plans_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_client_plans_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_client_plans_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["review_set_by_id"], ["users.id"], name=op.f("fk_client_plans_review_set_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_plans")),
        sa.UniqueConstraint("case_id", name=op.f("uq_client_plans_case_id")),
    )
    op.create_index(op.f("ix_client_plans_client_id"), "client_plans", ["client_id"])

    op.create_table(
        "plan_review_dates",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["client_plans.id"], name=op.f("fk_plan_review_dates_plan_id_client_plans")
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["users.id"], name=op.f("fk_plan_review_dates_set_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_review_dates")),
    )
    op.create_index(op.f("ix_plan_review_dates_plan_id"), "plan_review_dates", ["plan_id"])

    op.create_table(
        "plan_sections",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("kind", str_enum("ck_plan_sections_sectionkind", SECTION_KINDS), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_plan_sections_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["client_plans.id"], name=op.f("fk_plan_sections_plan_id_client_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_sections")),
        sa.UniqueConstraint("plan_id", "kind", name=op.f("uq_plan_sections_plan_id_kind")),
    )
    op.create_index(op.f("ix_plan_sections_client_id"), "plan_sections", ["client_id"])
    op.create_index(op.f("ix_plan_sections_plan_id"), "plan_sections", ["plan_id"])

    op.create_table(
        "plan_section_versions",
        sa.Column("section_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_ct", sa.LargeBinary(), nullable=False),
        sa.Column(
            "agreement",
            str_enum("ck_plan_section_versions_agreementstate", ("draft", "agreed", "disagreed")),
            nullable=False,
        ),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_plan_section_versions_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_plan_section_versions_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["plan_sections.id"],
            name=op.f("fk_plan_section_versions_section_id_plan_sections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_section_versions")),
        sa.UniqueConstraint(
            "section_id", "version", name=op.f("uq_plan_section_versions_section_id_version")
        ),
    )
    op.create_index(
        op.f("ix_plan_section_versions_section_id"), "plan_section_versions", ["section_id"]
    )

    op.create_table(
        "plan_section_responsibles",
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["network_members.id"],
            name=op.f("fk_plan_section_responsibles_member_id_network_members"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["plan_section_versions.id"],
            name=op.f("fk_plan_section_responsibles_version_id_plan_section_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_section_responsibles")),
        sa.UniqueConstraint(
            "version_id",
            "member_id",
            name=op.f("uq_plan_section_responsibles_version_id_member_id"),
        ),
    )
    op.create_index(
        op.f("ix_plan_section_responsibles_member_id"), "plan_section_responsibles", ["member_id"]
    )
    op.create_index(
        op.f("ix_plan_section_responsibles_version_id"), "plan_section_responsibles", ["version_id"]
    )


def create_contact_tables() -> None:
    """Contacts: every contact with the client, with its channel."""
    op.create_table(
        "contacts",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "channel",
            str_enum(
                "ck_contacts_contactchannel",
                ("face_to_face", "video", "phone", "message", "letter"),
            ),
            nullable=False,
        ),
        sa.Column("staff_assisted", sa.Boolean(), nullable=False),
        sa.Column("note_ct", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_contacts_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_contacts_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_contacts_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index(op.f("ix_contacts_case_when"), "contacts", ["case_id", "occurred_at"])
    op.create_index(op.f("ix_contacts_client_id"), "contacts", ["client_id"])


def create_release_tables() -> None:
    """Release: the release-day checklist."""
    op.create_table(
        "release_checklist_items",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column(
            "task",
            str_enum(
                "ck_release_checklist_items_releasetask",
                (
                    "housing_application",
                    "kela_social_assistance",
                    "bank_account",
                    "identity_card",
                    "health_care",
                    "substance_services",
                    "debt_advice",
                    "work_or_study",
                    "first_meeting",
                    "probation_planning",
                ),
            ),
            nullable=True,
        ),
        sa.Column("title_ct", sa.LargeBinary(), nullable=True),
        sa.Column("note_ct", sa.LargeBinary(), nullable=True),
        sa.Column("opens_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_set_by_hand", sa.Boolean(), nullable=False),
        sa.Column("responsible_member_id", sa.Uuid(), nullable=True),
        sa.Column("responsible_user_id", sa.Uuid(), nullable=True),
        sa.Column(
            "state",
            str_enum("ck_release_checklist_items_itemstate", ("open", "done", "not_needed")),
            nullable=False,
        ),
        sa.Column("not_needed_reason_ct", sa.LargeBinary(), nullable=True),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state_changed_by_id", sa.Uuid(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "responsible_member_id IS NULL OR responsible_user_id IS NULL",
            name=op.f("ck_release_checklist_items_one_responsible"),
        ),
        sa.CheckConstraint(
            "task IS NOT NULL OR title_ct IS NOT NULL",
            name=op.f("ck_release_checklist_items_task_or_title"),
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["users.id"], name=op.f("fk_release_checklist_items_added_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_release_checklist_items_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_release_checklist_items_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["removed_by_id"],
            ["users.id"],
            name=op.f("fk_release_checklist_items_removed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["responsible_member_id"],
            ["network_members.id"],
            name=op.f("fk_release_checklist_items_responsible_member_id_network_members"),
        ),
        sa.ForeignKeyConstraint(
            ["responsible_user_id"],
            ["users.id"],
            name=op.f("fk_release_checklist_items_responsible_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["state_changed_by_id"],
            ["users.id"],
            name=op.f("fk_release_checklist_items_state_changed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_release_checklist_items_updated_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_checklist_items")),
    )
    op.create_index(
        op.f("ix_release_checklist_items_case_id"), "release_checklist_items", ["case_id"]
    )
    op.create_index(
        op.f("ix_release_checklist_items_client_id"), "release_checklist_items", ["client_id"]
    )
    op.create_index(
        op.f("ix_release_checklist_items_due_on"), "release_checklist_items", ["due_on"]
    )
    op.create_index(
        op.f("uq_release_checklist_items_generated"),
        "release_checklist_items",
        ["case_id", "task"],
        unique=True,
        sqlite_where=sa.text("task IS NOT NULL"),
        postgresql_where=sa.text("task IS NOT NULL"),
    )


def create_review_tables() -> None:
    """Follow-up: reviews of the client plan and who took part."""
    op.create_table(
        "plan_reviews",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("client_took_part", sa.Boolean(), nullable=False),
        sa.Column("other_participants_ct", sa.LargeBinary(), nullable=True),
        sa.Column("notes_ct", sa.LargeBinary(), nullable=True),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_plan_reviews_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_plan_reviews_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_plan_reviews_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_reviews")),
    )
    op.create_index(op.f("ix_plan_reviews_case_id"), "plan_reviews", ["case_id"])
    op.create_index(op.f("ix_plan_reviews_client_id"), "plan_reviews", ["client_id"])

    op.create_table(
        "plan_review_participants",
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["network_members.id"],
            name=op.f("fk_plan_review_participants_member_id_network_members"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["plan_reviews.id"],
            name=op.f("fk_plan_review_participants_review_id_plan_reviews"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_review_participants")),
        sa.UniqueConstraint(
            "review_id", "member_id", name=op.f("uq_plan_review_participants_review_id_member_id")
        ),
    )
    op.create_index(
        op.f("ix_plan_review_participants_member_id"), "plan_review_participants", ["member_id"]
    )
    op.create_index(
        op.f("ix_plan_review_participants_review_id"), "plan_review_participants", ["review_id"]
    )


def create_partner_tables() -> None:
    """Partner work: partners' updates, and notices to partners that sharing ended."""
    op.create_table(
        "partner_updates",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "kind",
            str_enum(
                "ck_partner_updates_partnerupdatekind",
                (
                    "housing_offer",
                    "decision_made",
                    "appointment_kept",
                    "appointment_missed",
                    "contact_lost",
                    "concern",
                    "other",
                ),
            ),
            nullable=False,
        ),
        sa.Column("text_ct", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_partner_updates_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_partner_updates_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_partner_updates_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["network_members.id"],
            name=op.f("fk_partner_updates_member_id_network_members"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_partner_updates_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_updates")),
    )
    op.create_index(
        op.f("ix_partner_updates_case_created"), "partner_updates", ["case_id", "created_at"]
    )
    op.create_index(op.f("ix_partner_updates_client_id"), "partner_updates", ["client_id"])
    op.create_index(
        op.f("ix_partner_updates_organisation_id"), "partner_updates", ["organisation_id"]
    )

    op.create_table(
        "revocation_notices",
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column(
            "reason",
            str_enum(
                "ck_revocation_notices_noticereason", ("revoked", "membership_ended", "case_closed")
            ),
            server_default="revoked",
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(confirmed_at IS NULL) = (confirmed_by_id IS NULL)",
            name=op.f("ck_revocation_notices_confirmed_by_someone"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_revocation_notices_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["users.id"],
            name=op.f("fk_revocation_notices_confirmed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consents.id"], name=op.f("fk_revocation_notices_consent_id_consents")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_revocation_notices_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revocation_notices")),
        sa.UniqueConstraint(
            "consent_id",
            "organisation_id",
            name=op.f("uq_revocation_notices_consent_id_organisation_id"),
        ),
    )
    op.create_index(op.f("ix_revocation_notices_client_id"), "revocation_notices", ["client_id"])
    op.create_index(
        op.f("ix_revocation_notices_organisation_id"), "revocation_notices", ["organisation_id"]
    )


def create_portal_tables() -> None:
    """Client portal and person access: receipts, person links, activation codes, log queries."""
    op.create_table(
        "consent_receipts",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("previous_consent_id", sa.Uuid(), nullable=True),
        sa.Column(
            "action",
            str_enum("ck_consent_receipts_receiptaction", ("grant", "narrow", "extend", "revoke")),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("assisted_by_id", sa.Uuid(), nullable=True),
        sa.Column("json_ct", sa.LargeBinary(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assisted_by_id"], ["users.id"], name=op.f("fk_consent_receipts_assisted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_consent_receipts_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consents.id"], name=op.f("fk_consent_receipts_consent_id_consents")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_consent_receipts_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["previous_consent_id"],
            ["consents.id"],
            name=op.f("fk_consent_receipts_previous_consent_id_consents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_receipts")),
    )
    op.create_index(
        op.f("ix_consent_receipts_client_created"), "consent_receipts", ["client_id", "created_at"]
    )
    op.create_index(op.f("ix_consent_receipts_consent_id"), "consent_receipts", ["consent_id"])

    op.create_table(
        "person_access_grants",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("binding_hash", sa.String(length=64), nullable=True),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued_by_id", sa.Uuid(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_person_access_grants_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_person_access_grants_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["consents.id"],
            name=op.f("fk_person_access_grants_consent_id_consents"),
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"], ["users.id"], name=op.f("fk_person_access_grants_ended_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_person_access_grants_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["network_members.id"],
            name=op.f("fk_person_access_grants_member_id_network_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_access_grants")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_person_access_grants_token_hash")),
    )
    op.create_index(op.f("ix_person_access_grants_case_id"), "person_access_grants", ["case_id"])
    op.create_index(
        op.f("ix_person_access_grants_client_id"), "person_access_grants", ["client_id"]
    )
    op.create_index(
        op.f("ix_person_access_grants_consent_id"), "person_access_grants", ["consent_id"]
    )
    op.create_index(
        op.f("ix_person_access_grants_member_id"), "person_access_grants", ["member_id"]
    )

    op.create_table(
        "activation_codes",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("selector", sa.String(length=16), nullable=False),
        sa.Column("verifier_hash", sa.String(length=200), nullable=False),
        sa.Column("issued_by_id", sa.Uuid(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cancelled_by_id"],
            ["users.id"],
            name=op.f("fk_activation_codes_cancelled_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_activation_codes_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_activation_codes_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_activation_codes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_codes")),
        sa.UniqueConstraint("selector", name=op.f("uq_activation_codes_selector")),
    )
    op.create_index(op.f("ix_activation_codes_client_id"), "activation_codes", ["client_id"])

    op.create_table(
        "log_queries",
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("note_ct", sa.LargeBinary(), nullable=True),
        sa.Column("answer_ct", sa.LargeBinary(), nullable=True),
        sa.Column(
            "status",
            str_enum("ck_log_queries_logquerystatus", ("open", "answered", "closed")),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("assisted_by_id", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assisted_by_id"], ["users.id"], name=op.f("fk_log_queries_assisted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_log_queries_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_log_queries_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_log_queries_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_log_queries_resolved_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_queries")),
    )
    op.create_index(op.f("ix_log_queries_case_status"), "log_queries", ["case_id", "status"])
    op.create_index(op.f("ix_log_queries_client_id"), "log_queries", ["client_id"])
    op.create_index(op.f("ix_log_queries_entry_id"), "log_queries", ["entry_id"])


def create_api_tables() -> None:
    """API: bearer tokens."""
    op.create_table(
        "api_tokens",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("session_token", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_api_tokens_digest")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])


def create_ending_tables() -> None:
    """Ending: services ended with the client, and the closure of the case."""
    op.create_table(
        "service_endings",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("parallel_plan_id", sa.Uuid(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=False),
        sa.Column("client_view_ct", sa.LargeBinary(), nullable=True),
        sa.Column("worker_assessment_ct", sa.LargeBinary(), nullable=True),
        sa.Column("client_agreed", sa.Boolean(), nullable=True),
        sa.Column("continues_ct", sa.LargeBinary(), nullable=True),
        sa.Column("membership_kept", sa.Boolean(), nullable=False),
        sa.Column("ended_with_case", sa.Boolean(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(member_id IS NULL) <> (parallel_plan_id IS NULL)",
            name=op.f("ck_service_endings_member_or_parallel_plan"),
        ),
        sa.CheckConstraint(
            "ended_with_case OR (client_view_ct IS NOT NULL AND worker_assessment_ct IS NOT NULL"
            " AND client_agreed IS NOT NULL)",
            name=op.f("ck_service_endings_assessed_or_ended_with_case"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_service_endings_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_service_endings_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["network_members.id"],
            name=op.f("fk_service_endings_member_id_network_members"),
        ),
        sa.ForeignKeyConstraint(
            ["parallel_plan_id"],
            ["parallel_plans.id"],
            name=op.f("fk_service_endings_parallel_plan_id_parallel_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_service_endings_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_endings")),
        sa.UniqueConstraint("member_id", name=op.f("uq_service_endings_member_id")),
        sa.UniqueConstraint("parallel_plan_id", name=op.f("uq_service_endings_parallel_plan_id")),
    )
    op.create_index(op.f("ix_service_endings_case_id"), "service_endings", ["case_id"])
    op.create_index(op.f("ix_service_endings_client_id"), "service_endings", ["client_id"])

    op.create_table(
        "case_closures",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by_id", sa.Uuid(), nullable=True),
        sa.Column("summary_ct", sa.LargeBinary(), nullable=False),
        sa.Column("memberships_ended", sa.Integer(), nullable=False),
        sa.Column("seals_removed", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_closures_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_case_closures_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_case_closures_closed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_closures")),
        sa.UniqueConstraint("case_id", name=op.f("uq_case_closures_case_id")),
    )
    op.create_index(op.f("ix_case_closures_client_id"), "case_closures", ["client_id"])
