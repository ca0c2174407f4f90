"""Approved research studies and the pseudonymised extracts made for them (issue 18).

A ``ResearchApproval`` records that one county's data may be used for one study: its name,
the permit's reference (Findata's, or the county's own decision under the Secondary Use Act
552/2019), who recorded the approval (the county's administrator or the data-protection
officer), the analyst named to produce extracts, and the days it is valid. It holds the
study's own pseudonym key, random and stored only wrapped under the master keyring
(``app.research.commands``): pseudonyms of one study never match another's. Ending the
approval destroys the key, so no later extract can reproduce the study's pseudonyms.

A ``ResearchExtract`` records each extract made (who, when, how many clients); each
included client's access log says so too.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, utcnow


class ResearchApproval(Base):
    """One study's approval to use one county's coded facts, for a period."""

    __tablename__ = "research_approvals"

    county_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    study_name: Mapped[str] = mapped_column(String(200))
    permit_reference: Mapped[str] = mapped_column(String(100))
    requester_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    valid_from: Mapped[date]
    expires_on: Mapped[date]  # the last day extracts may be made
    approved_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    approver_role: Mapped[str] = mapped_column(String(20))  # admin or data_protection
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    ended_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # The study's pseudonym key, wrapped under a master key; both NULL once ended.
    key_master_id: Mapped[str | None] = mapped_column(String(64))
    key_wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)


class ResearchExtract(Base):
    """One extract made for an approved study."""

    __tablename__ = "research_extracts"

    approval_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("research_approvals.id"), index=True)
    produced_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    produced_at: Mapped[datetime] = mapped_column(default=utcnow)
    clients: Mapped[int]
