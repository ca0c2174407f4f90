"""``paginate``: the count and one page of rows in SQL, the page clamped to the first or the
last; on a real (in-memory SQLite) table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, event, insert, select
from sqlalchemy.orm import Session

from app.pagination import paginate

NUMBERS = Table("numbers", MetaData(), Column("n", Integer, primary_key=True))


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    NUMBERS.metadata.create_all(engine)
    with Session(engine) as session:
        yield session


def _fill(session: Session, count: int) -> None:
    if count:
        session.execute(insert(NUMBERS), [{"n": n} for n in range(1, count + 1)])


def _paged(session: Session, rows: int, page: int, per_page: int = 10) -> tuple[object, int]:
    _fill(session, rows)
    statements: list[str] = []
    event.listen(session.get_bind(), "before_cursor_execute", lambda *a: statements.append(a[2]))
    # (The app's own listener begins SQLite transactions with a BEGIN: not a query, not counted.)
    found = paginate(
        session, select(NUMBERS.c.n).order_by(NUMBERS.c.n), page=page, per_page=per_page
    )
    return found, sum(statement.startswith("SELECT") for statement in statements)


@pytest.mark.parametrize(
    ("rows", "page", "numbers", "shown_page", "pages", "total", "statements"),
    [
        (0, 1, [], 1, 1, 0, 2),  # empty: the one page
        (0, 3, [], 1, 1, 0, 2),
        (7, 1, list(range(1, 8)), 1, 1, 7, 2),
        (10, 1, list(range(1, 11)), 1, 1, 10, 2),
        (25, 1, list(range(1, 11)), 1, 3, 25, 2),
        (25, 3, list(range(21, 26)), 3, 3, 25, 2),  # the last page, not full
        (25, 2, list(range(11, 21)), 2, 3, 25, 2),
        (25, 9, list(range(21, 26)), 3, 3, 25, 2),  # past the last: the last page
        (20, 3, list(range(11, 21)), 2, 2, 20, 2),
        (25, 0, list(range(1, 11)), 1, 3, 25, 2),  # below the first: the first page
    ],
)
def test_a_page_is_counted_then_read_in_two_statements(
    session: Session,
    rows: int,
    page: int,
    numbers: list[int],
    shown_page: int,
    pages: int,
    total: int,
    statements: int,
) -> None:
    found, ran = _paged(session, rows, page)
    assert [row.n for row in found.rows] == numbers
    assert (found.page, found.pages, found.total) == (shown_page, pages, total)
    assert ran == statements
