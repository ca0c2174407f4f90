"""The edge's unit of work: one commit per request, and the writes that outlast a refusal."""

from __future__ import annotations

import uuid

from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import OrgKind, Role, User
from app.transactions import execute_kept, finish
from tests import factories


def worker(db: Session, name: str = "kept.worker") -> User:
    account = factories.user(
        db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY), username=name
    )
    db.commit()
    return account


def count_one(db: Session, account: User) -> None:
    execute_kept(
        db(),  # the fixture's scoped session: the Session of this test
        update(User)
        .where(User.id == account.id)
        .values(failed_logins=User.failed_logins + 1)
        .execution_options(synchronize_session=False),
    )


def stored(db: Session, account_id: uuid.UUID) -> tuple[int, str]:
    row = db.execute(
        select(User.failed_logins, User.display_name).where(User.id == account_id)
    ).one()
    return row.failed_logins, row.display_name


def test_a_refused_request_keeps_only_what_was_kept(db: Session) -> None:
    account = worker(db)
    name = account.display_name
    count_one(db, account)
    account.display_name = "not kept"
    db.flush()
    finish(db(), succeeded=False)
    assert stored(db, account.id) == (1, name)


def test_a_successful_request_commits_a_kept_write_once(db: Session) -> None:
    account = worker(db)
    count_one(db, account)
    account.display_name = "kept with the rest"
    finish(db(), succeeded=True)
    finish(db(), succeeded=False)  # nothing left to redo
    assert stored(db, account.id) == (1, "kept with the rest")


def test_a_kept_write_outlasts_a_rollback_on_the_way(db: Session) -> None:
    """As when the gate rolls back and commits its denial's log entry in mid-request."""
    account = worker(db)
    count_one(db, account)
    db.rollback()
    db.commit()
    assert stored(db, account.id)[0] == 0
    finish(db(), succeeded=True)
    assert stored(db, account.id)[0] == 1


def test_a_kept_write_outlasts_the_savepoint_it_ran_in(db: Session) -> None:
    account = worker(db)
    count_one(db, account)  # outside the savepoint: not undone by its rollback
    savepoint = db.begin_nested()
    count_one(db, account)
    savepoint.rollback()
    released = db.begin_nested()
    count_one(db, account)
    released.commit()
    assert stored(db, account.id)[0] == 2
    finish(db(), succeeded=False)  # redoes all three, once each
    assert stored(db, account.id)[0] == 3


def test_a_wrong_password_counts_although_the_answer_is_401(
    client: FlaskClient, db: Session
) -> None:
    account_id = worker(db, "api.kept").id  # the request closes the session it ran in
    wrong = client.post("/api/v1/tokens", json={"username": "api.kept", "password": "x"})
    assert wrong.status_code == 401
    assert stored(db, account_id)[0] == 1
