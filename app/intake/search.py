"""Finding a county's clients by name or identity code through the keyed blind index.

The query is turned into keyed digests (``sharing.blind_index``) and matched in the
database; no name or identity code is decrypted to search. The caller decrypts the names
of one page of hits with one batched ``Purpose.LIST`` read through the gate.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from app.cases.queries import CaseRow
from app.models import Case, Client, ResponsibleWorker, User
from app.pagination import ListPage, paginate
from sharing.blind_index import ClientSearchEntry, IndexKind, query_kind, search_digests
from sharing.keys import Keyring

PAGE_SIZE = 20
MAX_QUERY = 200


@dataclass(frozen=True)
class SearchPage(ListPage[CaseRow]):
    """One page of hits, and what the query was taken for (``None``: nothing to search for)."""

    kind: IndexKind | None = None

    @property
    def hits(self) -> list[CaseRow]:
        return self.rows


def _matching_clients(kind: IndexKind, digests: list[bytes]) -> ColumnElement[bool]:
    """Clients having every one of ``digests`` (AND over the query's tokens)."""
    matching = (
        select(ClientSearchEntry.client_id)
        .where(ClientSearchEntry.kind == kind.value, ClientSearchEntry.digest.in_(digests))
        .group_by(ClientSearchEntry.client_id)
        .having(func.count(func.distinct(ClientSearchEntry.digest)) == len(digests))
    )
    return Client.id.in_(matching)


def _county_conditions(county_id: uuid.UUID) -> list[ColumnElement[bool]]:
    """The client's newest case is this county's and has not been disposed of."""
    newer = aliased(Case)
    newest_opened = (
        select(func.max(newer.opened_at)).where(newer.client_id == Client.id).scalar_subquery()
    )
    return [
        Client.county_id == county_id,
        Case.county_id == county_id,
        Case.opened_at == newest_opened,
        Case.disposed_at.is_(None),
    ]


def search_clients(
    session: Session,
    keyring: Keyring,
    county_id: uuid.UUID,
    query: str,
    *,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> SearchPage:
    """The county's clients matching ``query``: an exact identity code, or every name token
    (a token matches a whole name token or its beginning of three or more letters).

    Three queries whatever the number of hits: the index key, the count, the page.
    """
    query = query.strip()[:MAX_QUERY]
    digests = search_digests(keyring, session, query) if query else []
    if not query or not digests:
        kind = query_kind(query) if query else None
        return SearchPage([], 1, 1, 0, kind)
    kind = query_kind(query)
    conditions = [_matching_clients(kind, digests), *_county_conditions(county_id)]
    worker = aliased(User)
    current = aliased(ResponsibleWorker)
    found = paginate(
        session,
        select(Client, Case, worker)
        .join(Case, Case.client_id == Client.id)
        .outerjoin(current, (current.case_id == Case.id) & current.ends_on.is_(None))
        .outerjoin(worker, worker.id == current.worker_id)
        .where(*conditions)
        .order_by(Client.created_at.desc(), Client.id),
        page=page,
        per_page=per_page,
        count=select(func.count(Client.id))
        .join(Case, Case.client_id == Client.id)
        .where(*conditions),
    )
    hits = [CaseRow(client, case, user) for client, case, user in found.rows]
    return SearchPage(hits, found.page, found.pages, found.total, kind)


def client_with_identity_code(
    session: Session, keyring: Keyring, county_id: uuid.UUID, identity_code: str
) -> Client | None:
    """The county's client already recorded with this identity code, if any."""
    found = search_clients(session, keyring, county_id, identity_code, per_page=1)
    if found.kind is not IndexKind.IDENTITY_CODE or not found.hits:
        return None
    return found.hits[0].client
