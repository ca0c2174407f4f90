"""The edge's unit of work: one commit per request, and the writes that outlast a refusal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask.testing import FlaskClient
from limits import parse_many
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.models import OrgKind, Role, User
from app.models.rate_limit import rate_limit_counters as counters
from app.transactions import execute_kept, finish
from tests import factories

FAR = datetime(2100, 1, 1, tzinfo=UTC)


def worker(db: Session, name: str = "kept.worker") -> User:
    """A user whose name is a page's work, and a counter of the user's (bookkeeping to keep)."""
    account = factories.user(
        db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY), username=name
    )
    db.execute(insert(counters).values(key=str(account.id), hits=0, expires_at=FAR))
    db.commit()
    return account


def count_one(db: Session, account: User) -> None:
    execute_kept(
        db(),  # the fixture's scoped session: the Session of this test
        update(counters).where(counters.c.key == str(account.id)).values(hits=counters.c.hits + 1),
    )


def stored(db: Session, account_id: uuid.UUID) -> tuple[int, str]:
    row = db.execute(
        select(counters.c.hits, User.display_name)
        .join(User, User.id == account_id)
        .where(counters.c.key == str(account_id))
    ).one()
    return row.hits, row.display_name


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
    worker(db, "api.kept")
    wrong = client.post("/api/v1/tokens", json={"username": "api.kept", "password": "x"})
    assert wrong.status_code == 401
    # The rate limits' counters (app.rate_limits): each window of the limits per address
    # and per username at it has counted this one failure.
    counted = db.scalars(select(counters.c.hits).where(counters.c.key.contains("/sign-in/")))
    settings = client.application.extensions["tukiverkko.settings"]
    windows = parse_many(settings.sign_in_failures_per_address) + parse_many(
        settings.sign_in_failures_per_account
    )
    assert list(counted) == [1] * len(windows)
