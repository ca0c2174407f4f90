"""Statements on the driver's cursor (``sharing.driver``) behave as SQLAlchemy's would.

The hot path's look-ups skip SQLAlchemy's execution, not its guarantees: values are bound
and loaded by the column types on each database, the statement runs in the session's
transaction, statement listeners see it, and a driver's error arrives as SQLAlchemy's.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.cases.facts import FACTS_VERSIONS
from app.models import Client
from sharing.driver import DriverRead, driver_rows
from tests import factories

_VERSION = DriverRead(
    select(FACTS_VERSIONS.c.version, FACTS_VERSIONS.c.client_id).where(
        FACTS_VERSIONS.c.client_id == bindparam("client")
    )
)


def test_a_read_binds_and_loads_values_as_the_columns_types_do(
    db: Session, sql_count: list[str]
) -> None:
    _, _, record, _ = factories.county_case(db)
    db.flush()
    expected = db.execute(
        select(FACTS_VERSIONS.c.version).where(FACTS_VERSIONS.c.client_id == record.id)
    ).scalar_one()
    sql_count.clear()

    row = _VERSION.first(db.connection(), client=record.id)

    assert row == (expected, record.id)
    assert all(isinstance(value, uuid.UUID) for value in row)
    assert len(sql_count) == 1 and "facts_versions" in sql_count[0]  # listeners saw it
    assert _VERSION.first(db.connection(), client=uuid.uuid4()) is None


def test_it_sees_the_transactions_own_uncommitted_writes(db: Session) -> None:
    _, _, record, _ = factories.county_case(db)
    db.flush()  # not committed: only this transaction sees the client
    assert _VERSION.first(db.connection(), client=record.id) is not None


def test_a_drivers_error_is_raised_as_sqlalchemys(db: Session) -> None:
    connection = db.connection()
    with pytest.raises(DBAPIError) as raised:
        driver_rows(connection, "SELECT no_such_column FROM clients", ())
    assert raised.value.orig is not None  # the driver's own error, kept as the cause
    db.rollback()
    assert db.scalars(select(Client.id).limit(1)).all() is not None  # the session goes on
