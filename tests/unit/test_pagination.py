"""``paginate``: the count and one page of rows in SQL, the page clamped to the first or the
last; ``SmallList``: the same pages, counted in the rows' statement; on a real (in-memory
SQLite) table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Select,
    Table,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.orm import Session

from app.pagination import ListPage, SmallList, paginate

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


def _paged(
    session: Session,
    rows: int,
    page: int,
    per_page: int = 10,
    pager: Callable[..., ListPage[Any]] = paginate,
) -> tuple[ListPage[Any], int]:
    _fill(session, rows)
    statements: list[str] = []
    event.listen(session.get_bind(), "before_cursor_execute", lambda *a: statements.append(a[2]))
    # (The app's own listener begins SQLite transactions with a BEGIN: not a query, not counted.)
    found = pager(session, select(NUMBERS.c.n).order_by(NUMBERS.c.n), page=page, per_page=per_page)
    return found, sum(statement.startswith("SELECT") for statement in statements)


PAGES = [
    # rows, page asked → numbers shown, page shown, pages, total, and whether it is past the end
    (0, 1, [], 1, 1, 0, False),  # empty: the one page
    (0, 3, [], 1, 1, 0, True),
    (7, 1, list(range(1, 8)), 1, 1, 7, False),
    (10, 1, list(range(1, 11)), 1, 1, 10, False),
    (25, 1, list(range(1, 11)), 1, 3, 25, False),
    (25, 3, list(range(21, 26)), 3, 3, 25, False),  # the last page, not full
    (25, 2, list(range(11, 21)), 2, 3, 25, False),
    (25, 9, list(range(21, 26)), 3, 3, 25, True),  # past the last: the last page
    (20, 3, list(range(11, 21)), 2, 2, 20, True),
    (25, 0, list(range(1, 11)), 1, 3, 25, False),  # below the first: the first page
]
COLUMNS = ("rows", "page", "numbers", "shown_page", "pages", "total", "past_the_end")


def _small(
    session: Session, query: Select[tuple[int]], *, page: int, per_page: int
) -> ListPage[tuple[int]]:
    return SmallList(query).page(session, {}, page=page, per_page=per_page)


@pytest.mark.parametrize("pager", [paginate, _small], ids=["counted apart", "small list"])
@pytest.mark.parametrize(COLUMNS, PAGES)
def test_a_page_is_clamped_and_counted(
    session: Session,
    pager: Callable[..., ListPage[Any]],
    rows: int,
    page: int,
    numbers: list[int],
    shown_page: int,
    pages: int,
    total: int,
    past_the_end: bool,
) -> None:
    found, ran = _paged(session, rows, page, pager=pager)
    assert [row[0] for row in found.rows] == numbers
    assert (found.page, found.pages, found.total) == (shown_page, pages, total)
    if pager is paginate:
        assert ran == 2  # the count, then the page's rows
    else:
        # The rows alone, without their count, from one statement; past the end, the empty
        # answer is followed by the count and the last page's rows.
        assert found.rows == [(n,) for n in numbers]
        assert ran == (3 if past_the_end else 1)
