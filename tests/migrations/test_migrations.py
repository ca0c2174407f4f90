"""Migrations build the schema from nothing, agree with the models, and run only when asked."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import Engine, create_engine, inspect, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app import create_app
from app.consents.texts import FIRST_VERSION, first_version_row
from app.extensions import db
from app.information_texts.queries import current_version
from app.models.information_text import InformationTextVersion
from app.settings import MIGRATIONS_DIR
from consent.base import Base, utcnow
from consent.status import release_day
from sharing import access_log
from sharing.access_log import AccessAction, LogRecord
from tests.conftest import BACKENDS, create_database, make_settings, postgresql_url

MIGRATIONS = MIGRATIONS_DIR
APPEND_ONLY_TABLES = ("access_log", "consent_events")

# SQLAlchemy (and so Alembic's comparison) cannot reflect an index on an expression, such as
# the caseload's; ``schema_facts`` compares every index's definition verbatim instead.
pytestmark = [
    pytest.mark.filterwarnings(
        "ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning"
    ),
    pytest.mark.filterwarnings(
        "ignore:autogenerate skipping metadata-specified expression-based index:UserWarning"
    ),
]


@pytest.fixture(params=BACKENDS)
def empty_app(request, tmp_path, keyring) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    if request.param == "postgresql":
        # A database of its own next to the suite's (tukiverkko_test → tukiverkko_test_migrations):
        # these tests drop and rebuild the whole schema.
        base = make_url(postgresql_url())
        url = base.set(database=f"{base.database}_migrations")
        create_database(url)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        url_text = url.render_as_string(hide_password=False)
    else:
        url_text = f"sqlite:///{tmp_path / 'migrations.db'}"
    app = create_app(make_settings(url_text, tmp_path, keyring))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def schema_diff() -> list[object]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def schema_facts(engine: Engine) -> dict[str, Any]:
    """The schema as the database reports it, beyond what ``compare_metadata`` compares.

    Server defaults, the names and text of CHECK constraints, partial indexes, triggers and
    trigger functions: the database's own definitions of indexes, triggers (and on PostgreSQL
    constraints and functions) are compared verbatim. Columns are compared by name, not
    position: a later revision appends the column it adds, wherever the model declares it.
    """
    insp = inspect(engine)
    facts: dict[str, Any] = {}
    for table in sorted(set(insp.get_table_names()) - {"alembic_version"}):
        facts[table] = {
            "columns": sorted(
                (c["name"], repr(c["type"]), c["nullable"], c["default"])
                for c in insp.get_columns(table)
            ),
            "primary key": insp.get_pk_constraint(table),
            "foreign keys": sorted(
                (f["name"], f["constrained_columns"], f["referred_table"], f["referred_columns"])
                for f in insp.get_foreign_keys(table)
            ),
            "unique": sorted(
                (u["name"], u["column_names"]) for u in insp.get_unique_constraints(table)
            ),
            "checks": sorted((c["name"], c["sqltext"]) for c in insp.get_check_constraints(table)),
            "indexes": sorted(
                (i["name"], i["column_names"], i["unique"]) for i in insp.get_indexes(table)
            ),
        }
    if engine.dialect.name == "sqlite":
        catalog = """
            SELECT type, name, tbl_name, sql FROM sqlite_master
            WHERE type IN ('index', 'trigger') AND sql IS NOT NULL"""
    else:
        catalog = """
            SELECT 'index', indexname, tablename, indexdef FROM pg_indexes
            WHERE schemaname = 'public' AND tablename <> 'alembic_version'
            UNION ALL
            SELECT 'constraint', conname, conrelid::regclass::text, pg_get_constraintdef(oid)
            FROM pg_constraint
            WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'alembic_version'
            UNION ALL
            SELECT 'trigger', tgname, tgrelid::regclass::text, pg_get_triggerdef(oid)
            FROM pg_trigger WHERE NOT tgisinternal
            UNION ALL
            SELECT 'function', proname, '', prosrc FROM pg_proc
            WHERE pronamespace = 'public'::regnamespace"""
    with engine.connect() as conn:
        facts["catalog"] = sorted(tuple(row) for row in conn.execute(text(catalog)))
    return facts


def test_upgrade_on_an_empty_database_builds_exactly_the_models(empty_app: Flask) -> None:
    flask_migrate.upgrade()
    tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)
    assert schema_diff() == []


def test_upgrade_builds_what_create_all_builds_down_to_triggers(empty_app: Flask) -> None:
    # The test suite builds its databases with create_all; production runs the migrations.
    Base.metadata.create_all(db.engine)
    from_models = schema_facts(db.engine)
    Base.metadata.drop_all(db.engine)
    assert inspect(db.engine).get_table_names() == []
    flask_migrate.upgrade()
    assert schema_facts(db.engine) == from_models


def test_downgrade_to_base_and_upgrade_again(empty_app: Flask) -> None:
    flask_migrate.upgrade()
    first = schema_facts(db.engine)
    flask_migrate.downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    assert schema_facts(db.engine) == {"catalog": []}
    flask_migrate.upgrade()
    assert schema_diff() == []
    assert schema_facts(db.engine) == first


def test_the_app_never_migrates_on_its_own(empty_app: Flask) -> None:
    response = empty_app.test_client().get("/login")
    assert response.status_code == 200
    assert inspect(db.engine).get_table_names() == []


def trigger_names() -> set[str]:
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if db.engine.dialect.name == "sqlite"
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    )
    with db.engine.connect() as conn:
        return set(conn.scalars(text(query)))


def append_only_triggers_expected() -> set[str]:
    kinds = (
        ("no_update", "no_delete")
        if db.engine.dialect.name == "sqlite"
        else ("append_only", "no_truncate")
    )
    immutable = (
        ("published_no_update", "published_no_delete")
        if db.engine.dialect.name == "sqlite"
        else ("immutable", "no_truncate")
    )
    return {f"{table}_{kind}" for table in APPEND_ONLY_TABLES for kind in kinds} | {
        f"information_texts_{kind}" for kind in immutable
    }


def test_upgrade_installs_the_append_only_triggers_and_downgrade_removes_them(
    empty_app: Flask,
) -> None:
    flask_migrate.upgrade()
    facts_versions = {name for name in trigger_names() if name.startswith("facts_version_")}
    assert trigger_names() - facts_versions == append_only_triggers_expected()
    with Session(db.engine) as session:
        access_log.append(
            session,
            [
                LogRecord(
                    client_id=uuid.uuid4(),
                    at=utcnow(),
                    actor_user_id=None,
                    actor_role="system",
                    action=AccessAction.READ,
                    allowed=True,
                    reason="allowed_system",
                    scope="basic",
                    purpose="administration",
                )
            ],
        )
        session.commit()
        refused = ["UPDATE access_log SET reason = 'forged'", "DELETE FROM access_log"]
        if db.engine.dialect.name == "postgresql":
            refused += [f"TRUNCATE {table}" for table in APPEND_ONLY_TABLES]
        for statement in refused:
            with pytest.raises(DBAPIError, match="append-only"):
                session.execute(text(statement))
            session.rollback()
        assert session.scalar(text("SELECT count(*) FROM access_log")) == 1
    flask_migrate.downgrade(revision="base")
    assert trigger_names() == set()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            functions = conn.scalars(
                text("SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace")
            )
            assert list(functions) == []


def test_upgrade_publishes_the_first_information_text_and_keeps_it_immutable(
    empty_app: Flask,
) -> None:
    """Consents given while the text lived in code name ``2026-11-v1``: the migration makes it
    the first published version, and from then on the database refuses to change it."""
    flask_migrate.upgrade()
    with Session(db.engine) as session:
        stored = session.get(InformationTextVersion, first_version_row()["id"])
        assert stored is not None and stored.version == FIRST_VERSION
        assert stored.content == first_version_row()["content"]
        assert stored.published_at is not None
        assert current_version(session, None) == FIRST_VERSION
        for statement in (
            "UPDATE information_texts SET content = '{}'",
            "DELETE FROM information_texts",
        ):
            with pytest.raises(DBAPIError, match="immutable"):
                session.execute(text(statement))
            session.rollback()
    flask_migrate.downgrade(revision="base")


def test_the_revisions_form_one_line_from_one_baseline() -> None:
    scripts = ScriptDirectory(str(MIGRATIONS))
    assert scripts.get_bases() == ["0001"]
    assert len(scripts.get_heads()) == 1
    assert all(not r.is_merge_point and not r.is_branch_point for r in scripts.walk_revisions())


def test_every_revision_was_tidied_by_hand() -> None:
    """``flask db migrate`` writes a draft; what is committed has been read and tidied."""
    markers = ("please adjust", "### commands auto generated", "### end Alembic commands")
    leftovers = [
        f"{path.name}: {marker}"
        for path in sorted((MIGRATIONS / "versions").glob("*.py"))
        for marker in markers
        if marker in path.read_text()
    ]
    assert leftovers == []


def test_the_release_day_column_is_filled_for_the_cases_already_there(empty_app: Flask) -> None:
    """``cases.release_on`` (migration ``0022_release_on``) holds the release day by the one rule for
    every existing case: probationary liberty's start when it comes first."""
    before = ScriptDirectory(str(MIGRATIONS)).get_revision("0022_release_on").down_revision
    flask_migrate.upgrade(revision=str(before))
    county, client = uuid.uuid4(), uuid.uuid4()
    organisations = sa.table(
        "organisations",
        sa.column("id", sa.Uuid()),
        sa.column("name", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("authority", sa.Boolean()),
        sa.column("active", sa.Boolean()),
    )
    clients = sa.table(
        "clients",
        sa.column("id", sa.Uuid()),
        sa.column("county_id", sa.Uuid()),
        sa.column("name_ct", sa.LargeBinary()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    cases = sa.table(
        "cases",
        sa.column("id", sa.Uuid()),
        sa.column("client_id", sa.Uuid()),
        sa.column("county_id", sa.Uuid()),
        sa.column("phase", sa.String()),
        sa.column("service_task", sa.String()),
        sa.column("conditional_release", sa.Date()),
        sa.column("probation_start", sa.Date()),
        sa.column("opened_at", sa.DateTime(timezone=True)),
    )
    dates = {  # conditional release, probationary liberty
        uuid.uuid4(): (date(2027, 3, 15), date(2027, 1, 15)),  # liberty first
        uuid.uuid4(): (date(2027, 3, 15), None),
        uuid.uuid4(): (None, None),
    }
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(
            organisations.insert().values(
                id=county,
                name="Kuvitteellinen alue",
                kind="county",
                created_at=now,
                authority=True,
                active=True,
            )
        )
        conn.execute(
            clients.insert().values(id=client, county_id=county, name_ct=b"", created_at=now)
        )
        for case_id, (conditional, probation) in dates.items():
            conn.execute(
                cases.insert().values(
                    id=case_id,
                    client_id=client,
                    county_id=county,
                    phase="notified",
                    service_task="adult_social_work",
                    conditional_release=conditional,
                    probation_start=probation,
                    opened_at=now,
                )
            )
    flask_migrate.upgrade()
    with db.engine.connect() as conn:
        stored = dict(
            conn.execute(
                sa.select(
                    sa.column("id", sa.Uuid()), sa.column("release_on", sa.Date())
                ).select_from(sa.table("cases"))
            ).all()
        )
    assert stored == {case_id: release_day(*pair) for case_id, pair in dates.items()}
    assert stored[next(iter(dates))] == date(2027, 1, 15)


# The column type that binds a Python value as the tables store it (raw inserts below).
_TYPES: dict[type, sa.types.TypeEngine[Any]] = {
    uuid.UUID: sa.Uuid(),
    str: sa.String(),
    bytes: sa.LargeBinary(),
    bool: sa.Boolean(),
    int: sa.Integer(),
    date: sa.Date(),
    datetime: sa.DateTime(timezone=True),
}


def _insert(conn: sa.Connection, name: str, values: dict[str, object]) -> None:
    """Insert one row into a table as it stands at this revision (no model involved)."""
    columns = (sa.column(column, _TYPES[type(value)]) for column, value in values.items())
    conn.execute(sa.table(name, *columns).insert().values(**values))


def test_the_participants_organisations_are_filled_from_their_memberships(
    empty_app: Flask,
) -> None:
    """``appointment_participants.organisation_id`` (``0031_participant_organisations``) is
    the organisation of each participating membership; a person member's stays NULL."""
    before = ScriptDirectory(str(MIGRATIONS)).get_revision("0031_participant_organisations")
    flask_migrate.upgrade(revision=str(before.down_revision))
    county, office, client, case = (uuid.uuid4() for _ in range(4))
    by_org, by_person, meeting = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = utcnow()
    organisation = {"created_at": now, "authority": True, "active": True}
    in_case = {"case_id": case, "client_id": client}
    with db.engine.begin() as conn:
        _insert(
            conn, "organisations", {"id": county, "name": "Alue", "kind": "county"} | organisation
        )
        _insert(
            conn, "organisations", {"id": office, "name": "Palvelu", "kind": "ngo"} | organisation
        )
        _insert(
            conn, "clients", {"id": client, "county_id": county, "name_ct": b"", "created_at": now}
        )
        _insert(
            conn,
            "cases",
            {"id": case, "client_id": client, "county_id": county, "phase": "notified"}
            | {"service_task": "adult_social_work", "opened_at": now},
        )
        member = {"starts_on": now.date(), "added_at": now} | in_case
        _insert(
            conn,
            "network_members",
            {"id": by_org, "kind": "ngo", "organisation_id": office} | member,
        )
        _insert(
            conn,
            "network_members",
            {"id": by_person, "kind": "close_person", "person_name_ct": b"(fictional)"} | member,
        )
        _insert(
            conn,
            "appointments",
            {"id": meeting, "starts_at": now, "ends_at": now + timedelta(hours=1)}
            | {"channel": "video", "purpose": "network_meeting", "state": "booked"}
            | {"sequence": 0, "booked_at": now}
            | in_case,
        )
        for participant in (by_org, by_person):
            _insert(
                conn,
                "appointment_participants",
                {"id": uuid.uuid4(), "appointment_id": meeting, "member_id": participant},
            )
    flask_migrate.upgrade()
    participants = sa.table(
        "appointment_participants",
        sa.column("member_id", sa.Uuid()),
        sa.column("organisation_id", sa.Uuid()),
    )
    with db.engine.connect() as conn:
        stored: dict[uuid.UUID, uuid.UUID | None] = dict(
            conn.execute(sa.select(participants)).all()
        )
    assert stored == {by_org: office, by_person: None}


def test_a_share_period_that_ended_early_gets_its_end_day_as_its_last_day(
    empty_app: Flask,
) -> None:
    """``0032_share_period_last_days``: a period that ended before its basis's last day holds
    the Finnish day of its last instant; one still open, or that ended on its last day,
    is left as it was."""
    before = ScriptDirectory(str(MIGRATIONS)).get_revision("0032_share_period_last_days")
    flask_migrate.upgrade(revision=str(before.down_revision))
    county, client = uuid.uuid4(), uuid.uuid4()
    revoked, open_ended, on_time = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    now = utcnow()
    # 22:30 UTC on 1 March is 00:30 on 2 March in Helsinki; 21:00 UTC on 30 June is the
    # midnight that ends that day there (summer time), so its last instant is still on it.
    periods = {
        revoked: (datetime(2027, 3, 1, 22, 30, tzinfo=UTC), date(2027, 6, 30)),
        open_ended: (datetime(9999, 12, 31, tzinfo=UTC), date(2027, 6, 30)),
        on_time: (datetime(2027, 6, 30, 21, 0, tzinfo=UTC), date(2027, 6, 30)),
    }
    with db.engine.begin() as conn:
        _insert(
            conn,
            "organisations",
            {"id": county, "name": "Alue", "kind": "county"}
            | {"created_at": now, "authority": True, "active": True},
        )
        _insert(
            conn, "clients", {"id": client, "county_id": county, "name_ct": b"", "created_at": now}
        )
        for period, (ends_at, last) in periods.items():
            _insert(
                conn,
                "share_periods",
                {"id": period, "organisation_id": county, "client_id": client}
                | {"starts_at": datetime(2027, 1, 1, tzinfo=UTC), "ends_at": ends_at}
                | {"last_day": last},
            )
    flask_migrate.upgrade()
    table = sa.table("share_periods", sa.column("id", sa.Uuid()), sa.column("last_day", sa.Date()))
    with db.engine.connect() as conn:
        stored: dict[uuid.UUID, date] = dict(conn.execute(sa.select(table)).all())
    assert stored == {
        revoked: date(2027, 3, 2),
        open_ended: date(2027, 6, 30),
        on_time: date(2027, 6, 30),
    }
