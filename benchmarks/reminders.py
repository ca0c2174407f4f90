"""How long the daily e-mail's question "who has something waiting?" takes, source by source.

    python -m benchmarks.reminders [DATABASE_URL] [--cases N] [--workers M]

One county with N cases (each with one of every reminder: tests/integration/
test_reminders.make_world) and M more caseworkers without cases, so the worker's sources are
tried against a county where most workers have nothing to do with most cases. Prints each
source's rows and time (best of five) and the whole ``users_with_reminders``. SQLite (a
temporary file) unless a PostgreSQL URL is given; that database's tables are dropped and
created again, and analysed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db
from app.i18n import helsinki_today
from app.models import Role
from app.reminders import queries as reminders
from consent.base import Base
from sharing.keys import generate_keyring
from tests import factories
from tests.conftest import make_settings
from tests.integration.test_reminders import PARTNER_NAME, make_world

RUNS = 5


def best(run: object) -> float:
    """The best of ``RUNS`` timings of ``run()``, in milliseconds."""
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        timings.append(time.perf_counter() - start)
    return min(timings) * 1000


def main(url: str | None, cases: int, workers: int) -> None:
    folder = Path(tempfile.mkdtemp())
    url = url or f"sqlite:///{folder / 'reminders.db'}"
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app(make_settings(url, folder, generate_keyring()))
    with app.app_context():
        session = db.session
        county = factories.organisation(session)
        for n in range(cases):
            make_world(session, partner_name=f"{PARTNER_NAME} {n}", county=county)
        for _ in range(workers):
            factories.user(session, Role.CASEWORKER, county)
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
            session.commit()
        today = helsinki_today()
        print(f"{url.split('://')[0]}: {cases} cases, {cases + workers} caseworkers in one county")
        for source in reminders.SOURCES:
            rows = len(source.read(session, today, None))
            ms = best(lambda source=source: source.read(session, today, None))
            print(f"  {source.kind.value:22} {source.audience.value:8} {rows:5} rows {ms:8.1f} ms")
        users = len(reminders.users_with_reminders(session, today))
        ms = best(lambda: reminders.users_with_reminders(session, today))
        print(f"  users_with_reminders: {users} users, {ms:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url", nargs="?")
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--workers", type=int, default=100)
    arguments = parser.parse_args()
    main(arguments.url, arguments.cases, arguments.workers)
