"""Lists shown a page at a time: one count and one page of rows, in SQL.

Written here rather than taken from Flask-SQLAlchemy's ``db.paginate``: queries take a plain
``Session`` (no request, no Flask), a page past the end is clamped to the last page instead of
answering 404 or an empty list (a link kept from yesterday still shows something), and the
count can be a cheaper query than the rows' own (no joins, no ordering).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from math import ceil
from typing import Any, Generic, TypeVar

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class ListPage(Generic[T]):
    """One page of a list: its rows, which page it is, how many pages and rows in all."""

    rows: list[T]
    page: int
    pages: int
    total: int

    def map(self, convert: Callable[[T], U]) -> ListPage[U]:
        """The same page with each row converted."""
        return ListPage([convert(row) for row in self.rows], self.page, self.pages, self.total)


def clamp(page: int, total: int, per_page: int) -> tuple[int, int]:
    """``(page, pages)``: the asked page kept within 1..pages (there is always one page)."""
    pages = max(1, ceil(total / per_page))
    return min(max(1, page), pages), pages


def paginate(
    session: Session,
    query: Select[*tuple[Any, ...]],
    *,
    page: int,
    per_page: int,
    count: Select[*tuple[Any, ...]] | None = None,
    params: Mapping[str, Any] | None = None,
) -> ListPage[Row[*tuple[Any, ...]]]:
    """Run ``query`` for one page (two statements: the count, then the page's rows).

    ``query`` must have a total order (end its ORDER BY with a unique column), or rows may
    repeat or go missing between pages. ``count`` defaults to counting ``query``'s rows.
    ``params``: the values of the statements' bound parameters (a statement built once).
    """
    if count is None:
        count = select(func.count()).select_from(query.order_by(None).subquery())
    total = session.scalar(count, params) or 0
    page, pages = clamp(page, total, per_page)
    rows = session.execute(query.offset((page - 1) * per_page).limit(per_page), params).all()
    return ListPage(list(rows), page, pages, total)


class SmallList:
    """A list bounded by one client (their appointments, one organisation's updates on their
    case), its statement built once with bound parameters: a page of its rows, counted in the
    same statement by a window over every matching row (cheap for a few dozen, never for a
    list that grows with the country). One statement; two more only for a page past the end.
    """

    def __init__(self, query: Select[*tuple[Any, ...]]) -> None:
        self.query = query
        self._counted = (
            query.add_columns(func.count().over())
            .offset(bindparam("page_offset"))
            .limit(bindparam("page_limit"))
        )

    def page(
        self, session: Session, params: Mapping[str, Any], *, page: int, per_page: int
    ) -> ListPage[tuple[Any, ...]]:
        """One page (clamped as ``paginate`` clamps it) of the rows ``params`` select."""
        found = session.execute(
            self._counted,
            {**params, "page_offset": (max(1, page) - 1) * per_page, "page_limit": per_page},
        ).all()
        if not found and page > 1:
            listed = paginate(session, self.query, page=page, per_page=per_page, params=params)
            return listed.map(tuple)
        total = found[0][-1] if found else 0
        pages = clamp(1, total, per_page)[1]
        return ListPage([row[:-1] for row in found], max(1, page), pages, total)


def paginate_list(items: Sequence[T], *, page: int, per_page: int) -> ListPage[T]:
    """One page of a list already in memory."""
    page, pages = clamp(page, len(items), per_page)
    return ListPage(list(items[(page - 1) * per_page : page * per_page]), page, pages, len(items))
