"""Changing who may read what: consents, statutory disclosures and network membership.

Each change re-syncs the client's key seals in the same transaction, so the
change of rights and the change of key possession commit (or fail) together.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.orm import Session

from app.models import Case, NetworkMember, Organisation
from app.models.partner import NoticeReason
from app.services.fields import field
from app.services.partner import notify_membership_ended, notify_revocation
from consent import service
from consent.base import utcnow
from consent.decision import Actor, Purpose, helsinki_day
from consent.errors import InvalidConsent
from consent.models import Consent, GivenHow, StatutoryDisclosure
from consent.sections import SectionKind
from consent.service import ConsentTerms
from sharing.gate import AccessGate


def grant_consent(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    case: Case,
    terms: ConsentTerms,
    purpose_text: str,
    given_how: GivenHow,
    information_text_version: str,
) -> Consent:
    """Record a consent, seal its sections to the grantee, and encrypt its purpose text.

    :raises InvalidConsent: when the terms are invalid, the grantee is not (or no longer)
        in this network, or is not an authority and has no recorded confidentiality
        commitment.
    :raises AccessDenied: when the actor may not work on this client's case.
    """
    _require_eligible(session, terms.member_id, case)
    consent = service.grant(
        session,
        client_id=case.client_id,
        case_id=case.id,
        terms=terms,
        given_how=given_how,
        information_text_version=information_text_version,
        recorded_by_id=actor.user_id,
        at=utcnow(),
    )
    consent.purpose_text_ct = gate.write_text(
        actor, field(consent, "purpose_text_ct"), purpose_text, purpose=consent_purpose(actor)
    )
    gate.sync_seals(case.client_id)
    return consent


def amend_consent(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    consent: Consent,
    *,
    case: Case,
    terms: ConsentTerms,
    purpose_text: str,
    given_how: GivenHow,
    information_text_version: str,
) -> Consent:
    """Replace a consent with new terms (narrower or wider); the old one is kept, superseded.

    The seals follow in the same transaction: sections no longer covered are unsealed
    at once, newly covered ones sealed.

    :raises ConsentNotActive: when the old consent had already ended.
    :raises InvalidConsent: when the terms are invalid or name another member, or the
        member has left the network or lacks a needed confidentiality commitment.
    """
    if consent.case_id != case.id:
        raise InvalidConsent("the consent is not about this client's case")
    _require_eligible(session, terms.member_id, case)
    amended = service.amend(
        session,
        consent,
        terms=terms,
        given_how=given_how,
        information_text_version=information_text_version,
        by_user_id=actor.user_id,
        at=utcnow(),
    )
    amended.purpose_text_ct = gate.write_text(
        actor, field(amended, "purpose_text_ct"), purpose_text, purpose=consent_purpose(actor)
    )
    gate.sync_seals(case.client_id)
    return amended


def revoke_consent(session: Session, gate: AccessGate, actor: Actor, consent: Consent) -> None:
    """Revoke now: the seals go in the same transaction, so the very next read is refused.

    The grantee's organisation is notified in the same transaction and asked to confirm
    that it keeps no copy (``app.services.partner.notify_revocation``).

    :raises ConsentNotActive: when it had already ended.
    """
    at = utcnow()
    service.revoke(session, consent, by_user_id=actor.user_id, at=at)
    gate.sync_seals(consent.client_id)
    notify_revocation(session, consent, reason=NoticeReason.REVOKED, at=at)


def record_statutory_disclosure(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    case: Case,
    member_id: uuid.UUID,
    sections: frozenset[SectionKind],
    provision: str,
    justification: str,
    valid_from: date,
    valid_until: date | None,
) -> StatutoryDisclosure:
    """Disclose on a statutory basis to an authority in the network; needs the provision,
    a justification and the deciding worker.

    :raises InvalidConsent: when the recipient is not an authority in this network,
        or the provision or justification is missing.
    """
    member = session.get(NetworkMember, member_id)
    organisation = session.get(Organisation, member.organisation_id) if member else None
    if member is None or member.case_id != case.id or organisation is None:
        raise InvalidConsent("the recipient is not an organisation in this client's network")
    _require_current(member)
    if not organisation.kind.is_authority:
        raise InvalidConsent("only authorities receive disclosures without consent")
    if not sections or not provision.strip() or not justification.strip() or actor.user_id is None:
        raise InvalidConsent(
            "a statutory disclosure needs sections, a provision and a justification"
        )
    if valid_until is not None and valid_until < valid_from:
        raise InvalidConsent("the disclosure would end before it starts")
    disclosure = StatutoryDisclosure(
        client_id=case.client_id,
        case_id=case.id,
        member_id=member_id,
        sections=sorted(s.value for s in sections),
        provision=provision.strip(),
        decided_by_id=actor.user_id,
        decided_at=utcnow(),
        valid_from=valid_from,
        valid_until=valid_until,
    )
    session.add(disclosure)
    session.flush()
    disclosure.justification_ct = gate.write_text(
        actor, field(disclosure, "justification_ct"), justification, purpose=Purpose.CASE_WORK
    )
    gate.sync_seals(case.client_id)
    return disclosure


def end_membership(
    session: Session,
    gate: AccessGate,
    member: NetworkMember,
    *,
    by_user_id: uuid.UUID | None,
    reason: NoticeReason = NoticeReason.MEMBERSHIP_ENDED,
) -> None:
    """End a membership now: access ends at once and the member's seals go in this transaction.

    An organisation is asked, as after a revocation, to confirm it keeps no copy of what
    each consent in force shared with it (``app.services.partner.notify_membership_ended``);
    ``reason`` says why sharing ended: the worker ended the membership, or closed the case.
    """
    now = utcnow()
    notify_membership_ended(session, member, reason=reason, at=now)
    member.ended_at = now
    member.ended_by_id = by_user_id
    member.ends_on = min(member.ends_on or helsinki_day(now), helsinki_day(now))
    session.flush()
    gate.sync_seals(member.client_id)


def _require_eligible(session: Session, member_id: uuid.UUID, case: Case) -> None:
    """:raises InvalidConsent: unless the member is a current member of this case's network
    and is an authority or has a recorded confidentiality commitment."""
    member = session.get(NetworkMember, member_id)
    if member is None or member.case_id != case.id:
        raise InvalidConsent("the grantee is not a member of this client's network")
    _require_current(member)
    organisation = (
        session.get(Organisation, member.organisation_id) if member.organisation_id else None
    )
    is_authority = organisation is not None and organisation.kind.is_authority
    if not is_authority and member.confidentiality_committed_on is None:
        # NGOs, peer experts and close persons are not bound by official secrecy.
        raise InvalidConsent("record the member's confidentiality commitment before consenting")


def _require_current(member: NetworkMember) -> None:
    """:raises InvalidConsent: when the membership has ended (by hand or past its last day)."""
    now = utcnow()
    if member.ended_at is not None or (
        member.ends_on is not None and member.ends_on < helsinki_day(now)
    ):
        raise InvalidConsent("the member has left this client's network")


def consent_purpose(actor: Actor) -> Purpose:
    """Why an actor handles consent data: the client acts on their own, a worker does case work."""
    return Purpose.OWN_DATA if actor.client_id is not None else Purpose.CASE_WORK
