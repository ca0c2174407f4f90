"""The consent lifecycle: grant, revoke, amend, expire; and reconstruction of any past moment.

Functions take a Session and primitives, flush, and never commit: the edge commits.
Every change appends a ``ConsentEvent`` carrying a snapshot of the consent's scope.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent.decision import Grant, live_grants
from consent.errors import ConsentNotActive, InvalidConsent
from consent.facts import CaseContext, ConsentFacts, Direction, Purpose, StatutoryFacts
from consent.models import (
    Consent,
    ConsentEvent,
    ConsentEventKind,
    ConsentState,
    GivenHow,
    StatutoryDisclosure,
)
from consent.sections import Scope, SectionKind


@dataclass(frozen=True)
class ConsentTerms:
    """What the client agrees to: whom, which sections, why, which way, for how long."""

    member_id: uuid.UUID
    sections: frozenset[SectionKind]
    valid_from: date
    valid_until: date | None
    direction: Direction = Direction.DISCLOSE
    purpose: Purpose = Purpose.NETWORK_COOPERATION

    def validate(self) -> None:
        """:raises InvalidConsent: when no section is named or the period ends before it starts."""
        if not self.sections:
            raise InvalidConsent("a consent must name at least one plan section")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise InvalidConsent("the consent would end before it starts")
        if self.purpose in (Purpose.LIST, Purpose.ADMINISTRATION, Purpose.OWN_DATA):
            raise InvalidConsent("a consent is given for cooperation or case work")

    def facts(
        self, consent_id: uuid.UUID, ended_at: datetime | None = None, revoked: bool = False
    ) -> ConsentFacts:
        """The decision's view of a consent with these terms."""
        return ConsentFacts(
            id=consent_id,
            member_id=self.member_id,
            sections=self.sections,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            direction=self.direction,
            purpose=self.purpose,
            ended_at=ended_at,
            revoked=revoked,
        )

    @classmethod
    def from_snapshot(cls, snap: dict[str, Any]) -> ConsentTerms:
        return cls(
            member_id=uuid.UUID(snap["member_id"]),
            sections=frozenset(SectionKind(s) for s in snap["sections"]),
            valid_from=date.fromisoformat(snap["valid_from"]),
            valid_until=date.fromisoformat(snap["valid_until"]) if snap["valid_until"] else None,
            direction=Direction(snap["direction"]),
            purpose=Purpose(snap["purpose"]),
        )

    def snapshot(self) -> dict[str, Any]:
        return {
            "member_id": str(self.member_id),
            "sections": sorted(s.value for s in self.sections),
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "direction": self.direction.value,
            "purpose": self.purpose.value,
        }


def terms_of(consent: Consent) -> ConsentTerms:
    return ConsentTerms(
        member_id=consent.member_id,
        sections=frozenset(SectionKind(s) for s in consent.sections),
        valid_from=consent.valid_from,
        valid_until=consent.valid_until,
        direction=consent.direction,
        purpose=consent.purpose,
    )


def grant(
    session: Session,
    *,
    client_id: uuid.UUID,
    case_id: uuid.UUID,
    terms: ConsentTerms,
    given_how: GivenHow,
    information_text_version: str,
    recorded_by_id: uuid.UUID | None,
    at: datetime,
    supersedes: Consent | None = None,
) -> Consent:
    """Record a consent and its GRANTED event.

    :raises InvalidConsent: when the terms are invalid, or a written or oral consent
        has no named recorder.
    """
    terms.validate()
    _require_recorder(given_how, recorded_by_id)
    consent = Consent(
        client_id=client_id,
        case_id=case_id,
        member_id=terms.member_id,
        sections=sorted(s.value for s in terms.sections),
        direction=terms.direction,
        purpose=terms.purpose,
        valid_from=terms.valid_from,
        valid_until=terms.valid_until,
        given_how=given_how,
        information_text_version=information_text_version,
        recorded_by_id=recorded_by_id,
        recorded_at=at,
        state=ConsentState.ACTIVE,
        supersedes_id=supersedes.id if supersedes else None,
    )
    session.add(consent)
    _event(session, consent, ConsentEventKind.GRANTED, recorded_by_id, at)
    session.flush()
    return consent


def revoke(
    session: Session, consent: Consent, *, by_user_id: uuid.UUID | None, at: datetime
) -> None:
    """End a consent now; sharing stops at once, past sharing stays lawful.

    :raises ConsentNotActive: when it had already ended.
    """
    _end(session, consent, ConsentState.REVOKED, ConsentEventKind.REVOKED, by_user_id, at)


def amend(
    session: Session,
    consent: Consent,
    *,
    terms: ConsentTerms,
    given_how: GivenHow,
    information_text_version: str,
    by_user_id: uuid.UUID | None,
    at: datetime,
) -> Consent:
    """Replace a consent with new terms; both are kept, the old one marked superseded.

    :raises ConsentNotActive: when the old consent had already ended.
    :raises InvalidConsent: when the new terms are invalid or name another member.
    """
    if terms.member_id != consent.member_id:
        raise InvalidConsent("an amendment keeps the same grantee; grant a new consent instead")
    terms.validate()
    _require_recorder(given_how, by_user_id)  # before anything changes: amend is all or nothing
    _end(session, consent, ConsentState.SUPERSEDED, ConsentEventKind.SUPERSEDED, by_user_id, at)
    return grant(
        session,
        client_id=consent.client_id,
        case_id=consent.case_id,
        terms=terms,
        given_how=given_how,
        information_text_version=information_text_version,
        recorded_by_id=by_user_id,
        at=at,
        supersedes=consent,
    )


def expire_due(session: Session, *, today: date, at: datetime) -> list[Consent]:
    """Mark active consents whose last valid day is before ``today`` as expired (idempotent)."""
    due = session.scalars(
        select(Consent).where(
            Consent.state == ConsentState.ACTIVE,
            Consent.valid_until.is_not(None),
            Consent.valid_until < today,
        )
    ).all()
    for consent in due:
        consent.state = ConsentState.EXPIRED
        _event(session, consent, ConsentEventKind.EXPIRED, None, at)
    session.flush()
    return list(due)


def _require_recorder(given_how: GivenHow, recorded_by_id: uuid.UUID | None) -> None:
    if given_how is not GivenHow.ELECTRONIC and recorded_by_id is None:
        raise InvalidConsent("a written or oral consent is recorded by a named caseworker")


def _end(
    session: Session,
    consent: Consent,
    state: ConsentState,
    kind: ConsentEventKind,
    by_user_id: uuid.UUID | None,
    at: datetime,
) -> None:
    if consent.state is not ConsentState.ACTIVE:
        raise ConsentNotActive(f"the consent is already {consent.state.value}")
    if at < consent.recorded_at:
        raise InvalidConsent("a consent cannot end before it was recorded")
    consent.state = state
    consent.ended_at = at
    consent.ended_by_id = by_user_id
    _event(session, consent, kind, by_user_id, at)
    session.flush()


def _event(
    session: Session,
    consent: Consent,
    kind: ConsentEventKind,
    actor_user_id: uuid.UUID | None,
    at: datetime,
) -> None:
    session.add(
        ConsentEvent(
            consent_id=consent.id,
            client_id=consent.client_id,
            kind=kind,
            at=at,
            actor_user_id=actor_user_id,
            snapshot=terms_of(consent).snapshot(),
        )
    )


def facts_of(consent: Consent) -> ConsentFacts:
    """The decision's view of a stored consent."""
    return terms_of(consent).facts(
        consent.id, consent.ended_at, consent.state is ConsentState.REVOKED
    )


def disclosure_facts_of(disclosure: StatutoryDisclosure) -> StatutoryFacts:
    """The decision's view of a stored statutory disclosure."""
    return StatutoryFacts(
        disclosure.id,
        disclosure.member_id,
        frozenset(SectionKind(s) for s in disclosure.sections),
        disclosure.valid_from,
        disclosure.valid_until,
        disclosure.ended_at,
        disclosure.decided_at,
    )


def consents_as_of(events: Iterable[ConsentEvent], at: datetime) -> tuple[ConsentFacts, ...]:
    """Rebuild the consents as they stood at ``at`` from their events alone."""
    rebuilt: dict[uuid.UUID, ConsentFacts] = {}
    # At one instant a grant comes before whatever ends it (the database gives no order).
    for event in sorted(events, key=lambda e: (e.at, e.kind is not ConsentEventKind.GRANTED)):
        if event.at > at:
            break
        if event.kind is ConsentEventKind.GRANTED:
            rebuilt[event.consent_id] = ConsentTerms.from_snapshot(event.snapshot).facts(
                event.consent_id
            )
        elif event.kind in (ConsentEventKind.REVOKED, ConsentEventKind.SUPERSEDED):
            rebuilt[event.consent_id] = replace(
                rebuilt[event.consent_id],
                ended_at=event.at,
                revoked=event.kind is ConsentEventKind.REVOKED,
            )
        # EXPIRED changes nothing: the dates in the snapshot already decide.
    return tuple(rebuilt.values())


def who_could_see(
    case: CaseContext, events: Sequence[ConsentEvent], at: datetime
) -> set[tuple[uuid.UUID, Scope]]:
    """Which network members could read which scopes at a past moment, by consent or statute.

    Consents come from their events; statutory disclosures and memberships count only
    from when they were recorded, whatever earlier dates they name.
    """
    return {(grant.member_id, grant.scope) for grant in grants_as_of(case, events, at)}


def case_as_of(case: CaseContext, events: Sequence[ConsentEvent], at: datetime) -> CaseContext:
    """The case's network facts as they were known at ``at``: consents from their events,
    statutory disclosures and memberships only from when they were recorded."""
    return replace(
        case,
        consents=consents_as_of(events, at),
        statutory=tuple(d for d in case.statutory if d.decided_at <= at),
        memberships=tuple(m for m in case.memberships if m.added_at <= at),
    )


def grants_as_of(case: CaseContext, events: Sequence[ConsentEvent], at: datetime) -> set[Grant]:
    """``who_could_see`` with each grant's basis: the live grants over ``case_as_of``."""
    return live_grants(case_as_of(case, events, at), at)
