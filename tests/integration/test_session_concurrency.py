"""SQLite: a page that notes its session's ``last_seen_at`` never fails under concurrent writers.

The touch is a GET's first write: it takes the write lock through ``sharing.write_lock`` and
gives it back at once. Real commits on a file database, so a test's rolled-back session is
not used here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, update

from app import create_app
from app.extensions import db
from app.models import Role
from app.models.user_session import UserSession
from consent.base import Base, utcnow
from sharing.keys import Keyring
from tests import factories
from tests.conftest import login, make_settings

USERS = 6
ROUNDS = 3


@pytest.fixture
def file_app(tmp_path: Path, keyring: Keyring) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path / 'sessions.db'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app(make_settings(url, tmp_path / "instance", keyring))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_concurrent_pages_note_their_sessions_without_a_failure(file_app: Flask) -> None:
    with file_app.app_context():
        organisation = factories.organisation(db.session)
        names = [
            factories.user(db.session, Role.CASEWORKER, organisation).username for _ in range(USERS)
        ]
        db.session.commit()
    browsers = []
    for name in names:
        browser = file_app.test_client()
        assert login(browser, name).status_code == 302
        browsers.append(browser)
    statuses: list[int] = []
    lock = threading.Lock()

    def visit(browser: object, start: threading.Barrier) -> None:
        start.wait()
        for _ in range(ROUNDS):
            answer = browser.get("/caseworker/")  # type: ignore[attr-defined]
            with lock:
                statuses.append(answer.status_code)

    for _ in range(2):  # each round: every session is due a touch at the same moment
        with file_app.app_context():
            db.session.execute(
                update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=2))
            )
            db.session.commit()
        start = threading.Barrier(USERS)
        threads = [threading.Thread(target=visit, args=(b, start)) for b in browsers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert statuses == [200] * (2 * USERS * ROUNDS)
    with file_app.app_context():
        seen = db.session.scalars(select(UserSession.last_seen_at)).all()
    assert len(seen) == USERS and all(utcnow() - t < timedelta(minutes=1) for t in seen)
