"""Recording a contact with the client (DOMAIN.md, requirement 14)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from app.models import Case
from app.models.contact import Contact, ContactChannel
from app.refusals import N_, Refused
from consent.base import utcnow
from consent.facts import Actor, Purpose
from sharing.fields import field_ref
from sharing.gate import AccessGate


class ContactInFuture(Refused):
    """Raised when a contact is said to have happened after now."""

    code = "contact_in_future"
    field = "occurred_on"
    message = N_("A contact is recorded after it has happened: the time is in the future.")


def record_contact(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    case: Case,
    *,
    occurred_at: datetime,
    channel: ContactChannel,
    staff_assisted: bool,
    note: str | None = None,
    by_id: uuid.UUID | None,
) -> Contact:
    """Add a contact to the case, its note (if any) sealed through the gate.

    :raises ValueError: when ``occurred_at`` is naive (a programming error).
    :raises ContactInFuture: when ``occurred_at`` is in the future.
    :raises AccessDenied: when the actor may not write this client's case.
    """
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    if occurred_at > utcnow():
        raise ContactInFuture()
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
    if text := (note or "").strip():
        contact.note_ct = gate.write_text(
            actor, field_ref(contact, Contact.note_ct), text, purpose=Purpose.CASE_WORK
        )
    return contact
