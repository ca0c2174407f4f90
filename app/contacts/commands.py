"""Contacts with the client: recording one and listing them page by page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from math import ceil

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app.models import Case
from app.models.contact import Contact, ContactChannel
from consent.base import utcnow

PAGE_SIZE = 20


@dataclass(frozen=True)
class ContactPage:
    rows: list[Contact]
    page: int
    pages: int
    total: int


def contact_page(
    session: Session, case_id: uuid.UUID, *, page: int = 1, per_page: int = PAGE_SIZE
) -> ContactPage:
    """One page of the case's contacts, newest first, with who recorded them (two queries)."""
    total = session.scalar(select(func.count(Contact.id)).where(Contact.case_id == case_id)) or 0
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = session.scalars(
        select(Contact)
        .where(Contact.case_id == case_id)
        .options(joinedload(Contact.recorded_by))
        .order_by(Contact.occurred_at.desc(), Contact.recorded_at.desc(), Contact.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return ContactPage(list(rows), page, pages, total)


def record_contact(
    session: Session,
    case: Case,
    *,
    occurred_at: datetime,
    channel: ContactChannel,
    staff_assisted: bool,
    by_id: uuid.UUID | None,
) -> Contact:
    """Add a contact to the case (its note is sealed afterwards through the gate).

    :raises ValueError: when ``occurred_at`` is naive or in the future.
    """
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    if occurred_at > utcnow():
        raise ValueError("a contact cannot be in the future")
    contact = Contact(
        case_id=case.id,
        client_id=case.client_id,
        occurred_at=occurred_at,
        channel=channel,
        staff_assisted=staff_assisted,
        recorded_by_id=by_id,
        recorded_at=utcnow(),
    )
    session.add(contact)
    session.flush()
    return contact
