"""The case's contacts, a page at a time."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app.models.contact import Contact
from app.pagination import ListPage, paginate

PAGE_SIZE = 20


def contact_page(
    session: Session, case_id: uuid.UUID, *, page: int = 1, per_page: int = PAGE_SIZE
) -> ListPage[Contact]:
    """One page of the case's contacts, newest first, with who recorded them (two queries)."""
    rows = paginate(
        session,
        select(Contact)
        .where(Contact.case_id == case_id)
        .options(joinedload(Contact.recorded_by))
        .order_by(Contact.occurred_at.desc(), Contact.recorded_at.desc(), Contact.id),
        page=page,
        per_page=per_page,
        count=select(func.count(Contact.id)).where(Contact.case_id == case_id),
    )
    return rows.map(lambda row: row[0])
