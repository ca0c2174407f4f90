"""The one declarative base for every table in Tukiverkko.

It lives in ``consent`` because that is the lowest layer: ``sharing`` may import
``consent`` and ``app`` imports both, so all three packages can declare tables
on one metadata and foreign keys across packages resolve. Nothing here knows
about Flask.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import DDL, DateTime, Enum, LargeBinary, MetaData, Uuid, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column
from sqlalchemy.types import TypeDecorator

from consent.sections import DataScope, Scope

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite keeps no zone, so a naive value read back is UTC by construction.

    :raises ValueError: when given a naive datetime (its zone would be a guess).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timestamps timezone-aware (UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base: UUID primary keys assigned at construction.

    Ids exist before the first flush because every ciphertext binds its row id
    into the associated data, so a row must know its id before it is encrypted.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), uuid.UUID: Uuid()}

    # Whose data a row's ciphertexts are: the column naming the client (a client row is its own).
    client_key: ClassVar[str] = "client_id"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


@event.listens_for(Base, "init", propagate=True)
def _assign_id(target: Base, args: Any, kwargs: dict[str, Any]) -> None:
    if kwargs.get("id") is None:
        kwargs["id"] = uuid.uuid4()


ENCRYPTED = "tukiverkko.encrypted"  # the key of a column's ``info`` that declares it encrypted


@dataclass(frozen=True)
class Encrypted:
    """How a ciphertext column is sealed: under a fixed scope, or the section its row names.

    Declared once on the model (``encrypted(...)``); the gate reads and writes by it
    (``sharing.fields.field_ref``), so no call site names a scope or a column by string.
    """

    scope: Scope | None
    scope_column: str | None = None  # a column of the same row holding its SectionKind
    any_scope: bool = False  # the column may name a data scope too (``scope_of``)


def encrypted(scope: Scope = DataScope.BASIC) -> MappedColumn[Any]:
    """A ciphertext column sealed under ``scope`` (county-only ``basic`` unless said).

    Nullability follows the ``Mapped[...]`` annotation, as for any column.
    """
    return mapped_column(LargeBinary, info={ENCRYPTED: Encrypted(scope)})


def encrypted_by_section(scope_column: str) -> MappedColumn[Any]:
    """A ciphertext column sealed under the plan section that the row's ``scope_column`` names."""
    return mapped_column(LargeBinary, info={ENCRYPTED: Encrypted(None, scope_column)})


def encrypted_by_scope(scope_column: str) -> MappedColumn[Any]:
    """A ciphertext column sealed under the scope that the row's ``scope_column`` names: a
    plan section or a data scope (a message of the client's own thread with the county)."""
    return mapped_column(LargeBinary, info={ENCRYPTED: Encrypted(None, scope_column, True)})


def str_enum(enum_cls: type[enum.StrEnum]) -> Enum:
    """A portable column type storing a StrEnum by its value (no native DB enum to migrate)."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=40,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        name=enum_cls.__name__.lower(),
    )


def append_only_triggers(table: str) -> dict[str, list[str]]:
    """Statements that make ``table`` refuse UPDATE and DELETE (and TRUNCATE), by dialect.

    Plain strings without ``:`` or ``%``, so a migration can run them with ``op.execute``.
    """
    refusal = f"{table} is append-only"
    return {
        "postgresql": [
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{refusal}' "
            "USING ERRCODE = 'restrict_violation'; END $$",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
            # TRUNCATE skips row triggers, so it needs its own.
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()",
        ],
        "sqlite": [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END",
        ],
    }


def make_append_only(model: type[Base]) -> None:
    """Install the append-only triggers whenever ``metadata.create_all`` creates the table."""
    table = model.metadata.tables[model.__tablename__]
    for dialect, statements in append_only_triggers(table.name).items():
        for statement in statements:
            event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))
    # Dropping the table drops its triggers but not PostgreSQL's function.
    drop = DDL(f"DROP FUNCTION IF EXISTS {table.name}_append_only()")
    event.listen(table, "after_drop", drop.execute_if(dialect="postgresql"))
