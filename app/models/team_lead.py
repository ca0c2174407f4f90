"""Who answers a client's log question about a caseworker's own access: the team lead.

A client's "I don't recognise this" question goes to the case's responsible worker
(omatyöntekijä), unless the entry asked about records that worker's own access: then a
worker may not be the one to look into their own use of the client's data, and the
question goes to the worker's team lead, or a deputy designated for them, instead
(``app.client_log.queries.addressed_to``). An administrator names that person on the
worker's account page; both are caseworkers of the same county.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, utcnow


class TeamLead(Base):
    """One caseworker's team lead or designated deputy (one a worker; none: not named)."""

    __tablename__ = "team_leads"
    __table_args__ = (CheckConstraint("worker_id <> lead_id", name="team_lead_not_self"),)

    worker_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), unique=True)
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    county_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    set_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
