"""Tables owned by ``consent``: consents, their append-only events, statutory disclosures.

The purpose in plain words and a statutory justification are client data and
are stored only as ciphertext (``*_ct``), sealed by the access gate.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from consent.base import Base, encrypted, make_append_only, str_enum, utcnow
from consent.facts import Direction, Purpose


class GivenHow(enum.StrEnum):
    ELECTRONIC = "electronic"  # by the client in the portal
    WRITTEN = "written"  # on paper, recorded by a caseworker
    ORAL = "oral"  # said aloud, recorded by a named caseworker


class ConsentState(enum.StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"  # recorded by maintenance; the decision reads the dates itself
    SUPERSEDED = "superseded"  # amended: a newer consent replaced it


class ConsentEventKind(enum.StrEnum):
    GRANTED = "granted"
    REVOKED = "revoked"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


class Consent(Base):
    """The client's consent to share plan sections with one network member, one way."""

    __tablename__ = "consents"
    # SQLite runs without planner statistics, and with none it takes any one-column index
    # on an equality to be as narrow as another: an index on ``state`` alone (every active
    # consent in the country) would win over the member's. So the state leads only the
    # index of the country-wide sweeps, and follows the member or case everywhere else.
    __table_args__ = (
        Index("ix_consents_member_state", "member_id", "state"),
        Index("ix_consents_case_state", "case_id", "state"),
        Index("ix_consents_state_until", "state", "valid_until"),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"))
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("network_members.id"))
    sections: Mapped[list[str]] = mapped_column(JSON)
    direction: Mapped[Direction] = mapped_column(str_enum(Direction))
    purpose: Mapped[Purpose] = mapped_column(str_enum(Purpose))
    purpose_text_ct: Mapped[bytes | None] = encrypted()
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    given_how: Mapped[GivenHow] = mapped_column(str_enum(GivenHow))
    information_text_version: Mapped[str] = mapped_column(String(40))
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[ConsentState] = mapped_column(str_enum(ConsentState), default=ConsentState.ACTIVE)
    ended_at: Mapped[datetime | None]
    ended_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consents.id"))
    # The release-timeline template its period came from (``app.consents.rules.PeriodTemplate``
    # value), if any; ``reconfirm_since`` is when a change of the release dates left the
    # period out of step with it: the worker and the client are asked to re-confirm.
    period_template: Mapped[str | None] = mapped_column(String(40))
    reconfirm_since: Mapped[datetime | None]
    # A worker saw that the client withdrew it (the dashboard item goes away).
    end_seen_at: Mapped[datetime | None]
    end_seen_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class ConsentEvent(Base):
    """An append-only fact about a consent; the events alone reconstruct any past moment."""

    __tablename__ = "consent_events"

    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consents.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    kind: Mapped[ConsentEventKind] = mapped_column(str_enum(ConsentEventKind))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Snapshot of the consent's scope, so reconstruction needs nothing but the events.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)


make_append_only(ConsentEvent)


class StatutoryDisclosure(Base):
    """A disclosure without consent on a named statutory basis; logged and shown to the client."""

    __tablename__ = "statutory_disclosures"

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("network_members.id"), index=True)
    sections: Mapped[list[str]] = mapped_column(JSON)
    provision: Mapped[str] = mapped_column(String(200))  # e.g. "Sosiaalihuoltolaki 1301/2014 41 §"
    justification_ct: Mapped[bytes | None] = encrypted()
    decided_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    ended_at: Mapped[datetime | None]
    ended_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
