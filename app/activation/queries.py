"""The client's activation codes as the worker's page lists them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.activation import ActivationCode
from app.pagination import ListPage, paginate

CODES_PER_PAGE = 10


def live_codes(session: Session, client_id: uuid.UUID, at: datetime) -> list[ActivationCode]:
    rows = session.scalars(
        select(ActivationCode).where(
            ActivationCode.client_id == client_id,
            ActivationCode.used_at.is_(None),
            ActivationCode.cancelled_at.is_(None),
            ActivationCode.locked_at.is_(None),
            ActivationCode.expires_at > at,
        )
    )
    return list(rows)


def codes_page(
    session: Session, client_id: uuid.UUID, *, page: int, per_page: int = CODES_PER_PAGE
) -> ListPage[ActivationCode]:
    """One page of the client's codes, newest first (two queries)."""
    of_client = ActivationCode.client_id == client_id
    found = paginate(
        session,
        select(ActivationCode)
        .where(of_client)
        .order_by(ActivationCode.issued_at.desc(), ActivationCode.id),
        page=page,
        per_page=per_page,
        count=select(func.count(ActivationCode.id)).where(of_client),
    )
    return found.map(lambda row: row[0])
