"""Naming encrypted columns for the access gate: which row, column, client and scope."""

from __future__ import annotations

from consent.base import Base
from consent.sections import DataScope, Scope
from sharing.envelope import FieldRef


def field(row: Base, column: str, scope: Scope = DataScope.BASIC) -> FieldRef:
    """The gate's reference to ``row.<column>``; a client row is its own client."""
    table = row.__tablename__  # type: ignore[attr-defined]
    client_id = row.id if table == "clients" else row.client_id  # type: ignore[attr-defined]
    return FieldRef(table, column, row.id, client_id, scope)


def sealed(row: Base, column: str, scope: Scope = DataScope.BASIC) -> tuple[FieldRef, bytes | None]:
    """A field reference with the ciphertext it holds, ready for ``AccessGate.read_texts``."""
    return field(row, column, scope), getattr(row, column)
