"""The information texts shown before consent, as versioned documents (``information_texts``).

Each version holds its text in Finnish, Swedish and English, each in a standard and a
plain-language wording (the client's pages show the plain one). A version is drafted,
approved by a second administrator and published (``app.information_texts``); the scope is
the whole service (``county_id`` empty) or one county's own text. A consent names the
version it was given under (``Consent.information_text_version``), so a published version
never changes: the database refuses to update or delete it (``immutable_triggers``), as it
refuses to change the append-only tables. The first version, ``2026-11-v1``, is written
when the table is created (``app.consents.texts.FIRST_VERSION``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DDL, JSON, ForeignKey, String, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import Table

from app.consents.texts import first_version_row
from consent.base import Base


class InformationTextVersion(Base):
    """One version of the information text, in every language and both wordings."""

    __tablename__ = "information_texts"

    # The id a consent stores, e.g. "2026-11-v1"; unique across every scope.
    version: Mapped[str] = mapped_column(String(40), unique=True)
    county_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # {language: {"title", "body", "plain_title", "plain_body"}}: a body is headed paragraphs,
    # each a heading line and its paragraph, separated by a blank line.
    content: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON)
    # Who last changed the draft (the one who may not approve it); none for the first version.
    drafted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    drafted_at: Mapped[datetime]
    reviewed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    published_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(index=True)


IMMUTABLE = "a published information text is immutable"


def immutable_triggers(table: str = "information_texts") -> dict[str, list[str]]:
    """Statements that make a published row (``published_at`` set) refuse UPDATE and DELETE,
    and the table refuse TRUNCATE, by dialect; drafts stay editable.

    Plain strings without ``:`` or ``%``, so a migration can run them with ``op.execute``.
    """
    return {
        "postgresql": [
            f"CREATE OR REPLACE FUNCTION {table}_immutable() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "IF TG_LEVEL = 'STATEMENT' THEN "
            f"RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'restrict_violation'; END IF; "
            "IF OLD.published_at IS NOT NULL THEN "
            f"RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'restrict_violation'; END IF; "
            "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$",
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_immutable()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_immutable()",
        ],
        "sqlite": [
            f"CREATE TRIGGER {table}_published_no_update BEFORE UPDATE ON {table} "
            f"WHEN OLD.published_at IS NOT NULL BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END",
            f"CREATE TRIGGER {table}_published_no_delete BEFORE DELETE ON {table} "
            f"WHEN OLD.published_at IS NOT NULL BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END",
        ],
    }


def _install(table: Table) -> None:
    for dialect, statements in immutable_triggers(table.name).items():
        for statement in statements:
            event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))
    drop = DDL(f"DROP FUNCTION IF EXISTS {table.name}_immutable()")
    event.listen(table, "after_drop", drop.execute_if(dialect="postgresql"))


def _seed(target: Table, connection: Connection, **_: Any) -> None:
    """The first published version, as the migration writes it."""
    connection.execute(target.insert().values(**first_version_row()))


_table = InformationTextVersion.__table__
assert isinstance(_table, Table)
_install(_table)
event.listen(_table, "after_create", _seed)
