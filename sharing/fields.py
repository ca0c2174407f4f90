"""Reading a model's encryption declaration: which client, column and scope a ciphertext has.

The models declare their ciphertext columns (``consent.base.encrypted``); a call site hands
the gate a row and the column's attribute (``Client.name_ct``), never a string or a scope.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import InstrumentedAttribute

from consent.base import ENCRYPTED, Base, Encrypted
from consent.sections import Scope, SectionKind, scope_of
from sharing.envelope import FieldRef

Sealed = tuple[FieldRef, bytes | None]


def declaration(column: InstrumentedAttribute[Any]) -> Encrypted:
    """How ``column`` is encrypted.

    :raises TypeError: when the column is not declared encrypted.
    """
    declared = getattr(column.property, "columns", [None])[0]
    info = getattr(declared, "info", {})
    if ENCRYPTED not in info:
        raise TypeError(f"{column} is not an encrypted column")
    found: Encrypted = info[ENCRYPTED]
    return found


def field_ref(row: Base, column: InstrumentedAttribute[Any]) -> FieldRef:
    """The gate's reference to ``column`` of ``row``: table, row, client and declared scope.

    :raises TypeError: when the column is not encrypted or belongs to another model.
    """
    owner = column.class_
    if not (isinstance(owner, type) and isinstance(row, owner)):
        raise TypeError(f"{column} is not a column of {type(row).__name__}")
    declared = declaration(column)
    scope: Scope
    if declared.scope is not None:
        scope = declared.scope
    else:
        named = getattr(row, str(declared.scope_column))
        scope = scope_of(named) if declared.any_scope else SectionKind(named)
    return FieldRef(
        row.__tablename__, column.key, row.id, getattr(row, type(row).client_key), scope
    )


def sealed(row: Base, column: InstrumentedAttribute[Any]) -> Sealed:
    """A field reference with the ciphertext the row holds, ready for ``AccessGate.read_texts``."""
    return field_ref(row, column), getattr(row, column.key)
