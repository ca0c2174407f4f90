"""One commit per request, at the edge: what a request keeps when it succeeds, fails or is refused.

Each test builds an app of its own on a file database (requests must really commit), with
three routes that change a row and log a read, then answer 302, 302 after a refusal shown
on the next page, and 409.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, redirect
from sqlalchemy import create_engine, func, select
from werkzeug.wrappers import Response

from app import create_app
from app.extensions import db
from app.models import Organisation, OrgKind
from app.refusals import Conflict
from app.security import public
from app.web.forms import flash_refusal
from consent.base import Base, utcnow
from sharing import access_log
from sharing.access_log import AccessAction, AccessLogEntry, LogRecord
from sharing.keys import Keyring
from tests.conftest import make_settings

CLIENT = uuid.UUID(int=7)


def _work(name: str) -> None:
    """A change and a logged read, as a page that decrypts something and records something."""
    db.session.add(Organisation(name=name, kind=OrgKind.NGO))
    db.session.flush()
    access_log.append(
        db.session,
        [
            LogRecord(
                client_id=CLIENT,
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


@pytest.fixture
def edge_app(keyring: Keyring, tmp_path: Path) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path / 'edge.db'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    application = create_app(make_settings(url, tmp_path, keyring))

    @application.post("/t/done")
    @public
    def done() -> Response:
        _work("Kept (fictional)")
        return redirect("/")

    @application.post("/t/refused")
    @public
    def refused() -> Response:
        _work("Refused (fictional)")
        flash_refusal(Conflict())
        return redirect("/")

    @application.post("/t/failed")
    @public
    def failed() -> tuple[str, int]:
        _work("Failed (fictional)")
        return "conflict", 409

    application.config["WTF_CSRF_ENABLED"] = False
    yield application
    with application.app_context():
        db.engine.dispose()


def _kept(app: Flask) -> tuple[set[str], int]:
    with app.app_context():
        names = set(db.session.scalars(select(Organisation.name)))
        entries = db.session.scalar(select(func.count(AccessLogEntry.id))) or 0
        return names, entries


@pytest.mark.parametrize(
    ("path", "kept_names"),
    [
        ("/t/done", {"Kept (fictional)"}),
        ("/t/refused", set()),  # a refusal shown on the next page keeps no change …
        ("/t/failed", set()),  # … nor does an error answer
    ],
)
def test_the_edge_commits_success_only_and_always_keeps_the_log(
    edge_app: Flask, path: str, kept_names: set[str]
) -> None:
    response = edge_app.test_client().post(path)
    assert response.status_code in (302, 409)
    names, entries = _kept(edge_app)
    assert names == kept_names
    assert entries == 1  # the read happened, so its log entry stays whatever the answer
