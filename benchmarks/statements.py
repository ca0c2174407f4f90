"""Statements per request of a signed-in partner's home page (``/partner/``).

    python -m benchmarks.statements [DATABASE_URL]

Counts what reaches the database driver (SQLAlchemy's ``before_cursor_execute``) for three
requests in a row, then for one request whose session is due its once-a-minute
``last_seen_at`` write. SQLite (a temporary file) unless a PostgreSQL URL is given; that
database's tables are dropped and created again.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, event, update

from app import create_app
from app.extensions import db
from app.models.user_session import UserSession
from consent.base import Base, utcnow
from sharing.keys import generate_keyring
from tests import factories
from tests.conftest import IsolatedClient, login, make_settings


def main(url: str | None = None) -> None:
    folder = Path(tempfile.mkdtemp())
    url = url or f"sqlite:///{folder / 'statements.db'}"
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app(make_settings(url, folder, generate_keyring()))
    with app.app_context():
        world = factories.county_case(db.session)
        username = factories.partner(db.session, world.case).staff.username
        db.session.commit()
    app.test_client_class = IsolatedClient
    browser = app.test_client()
    login(browser, username)
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    def measure(label: str) -> None:
        statements.clear()
        assert browser.get("/partner/").status_code == 200
        print(f"{label}: {len(statements)} statements")
        for statement in statements:
            print("   ", " ".join(statement.split())[:110])

    for n in range(1, 4):
        measure(f"request {n}")
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=2)))
        db.session.commit()
    measure("a request whose session is due its last_seen write")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
