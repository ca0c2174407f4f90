"""Changing who may read what: consents, statutory disclosures and ending a membership.

One command per use case, called alike by the caseworker's pages, the client's portal and
the API: who acts is the ``actor`` (a worker recording a consent the client gave in writing
or orally, or the client giving one electronically, on a page or with a token), not a code
path of its own. Each command checks the rules (``app/consents/rules.py``), makes the
change, re-syncs the client's key seals, writes the client's receipt and asks an
organisation whose sharing ended to confirm it keeps no copy, all in the caller's
transaction: it flushes and never commits. A refused command has changed nothing and
raises a typed refusal (``app/refusals.py``).

``receipt`` is the edge's wording of the client's receipt (``app/web/receipts.RequestWording``
on the pages and in the API); ``None`` writes no receipt, for set-up data that no client
was party to (the demo world, test fixtures, benchmarks).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.consents.receipts import ReceiptWording, issue_receipt
from app.consents.rules import (
    Change,
    GrantCode,
    Grantee,
    PeriodTemplate,
    Timeline,
    by_client,
    change_refusal,
    consent_purpose,
    derived_template,
    disclosure_codes,
    follows_timeline,
    grant_codes,
    period,
)
from app.information_texts import queries as text_queries
from app.models import Case, NetworkMember, Organisation
from app.models.outbox import PersonEmailAddress
from app.models.partner import NoticeReason
from app.models.receipt import ReceiptAction
from app.partner_work.commands import (
    notify_disclosure_ended,
    notify_membership_ended,
    notify_revocation,
)
from app.refusals import N_, Conflict, NotFound, Refused
from consent import service
from consent.base import utcnow
from consent.errors import ConsentNotActive, InvalidConsent
from consent.facts import Actor, Purpose
from consent.models import Consent, ConsentState, GivenHow, StatutoryDisclosure
from consent.sections import SectionKind
from consent.service import ConsentTerms, disclosure_facts_of, facts_of
from consent.status import consent_status, disclosure_status, helsinki_day, membership_status
from sharing.fields import field_ref, sealed
from sharing.gate import AccessGate

# -- refusals ------------------------------------------------------------------------------------


class ConsentNotRecorded(Refused):
    """Raised when the consent's own terms are not something the client can agree to (no
    section, a period that ends before it starts): the pages' forms catch these first."""

    code = "invalid_consent_terms"
    message = N_("The consent could not be recorded. Check the member and the dates.")


class ConsentNotGiven(ConsentNotRecorded):
    """Raised instead of ``ConsentNotRecorded`` when the client gives the consent."""

    message = N_("The consent could not be given. Check your choices and try again.")


class ConsentNotChanged(ConsentNotRecorded):
    """Raised instead of ``ConsentNotRecorded`` when the client changes the consent."""

    message = N_("The consent could not be changed. Check your choices and try again.")


class ConsentEnded(Conflict):
    """Raised when revoking or changing a consent that is no longer in force or upcoming."""

    code = "consent_ended"
    message = N_("This consent has already ended.")


class ConsentNotFound(NotFound):
    """Raised when the consent is not one of this client's case."""

    code = "consent_not_found"


class DisclosureEnded(Conflict):
    """Raised when ending a statutory disclosure that has already ended (or run out)."""

    code = "disclosure_ended"
    message = N_("This statutory disclosure has already ended.")


class NothingToReconfirm(Conflict):
    """Raised when a consent is not (or no longer) waiting to be re-confirmed, or its
    template gives no period for the current dates."""

    code = "nothing_to_reconfirm"
    message = N_("This consent no longer needs to be confirmed again.")


class NoWithdrawalToSee(Conflict):
    """Raised when acknowledging a consent the client did not withdraw, or one already seen."""

    code = "no_withdrawal_to_see"
    message = N_("Someone has already marked this withdrawal as seen.")


# -- consents ------------------------------------------------------------------------------------


def _grant_codes(
    session: Session,
    case: Case,
    grantee: Grantee | None,
    *,
    information_text_version: str,
    **rest: Any,
) -> dict[str, GrantCode]:
    """``rules.grant_codes`` with the information texts of the case's county looked up."""
    return grant_codes(
        grantee,
        information_text_version=information_text_version,
        current_version=text_queries.current_version(session, case.county_id),
        version_published=text_queries.is_published_for(
            session, information_text_version, case.county_id
        ),
        **rest,
    )


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
    receipt: ReceiptWording | None,
) -> Consent:
    """Record a consent, seal its sections to the grantee, encrypt its purpose text and
    write the client's receipt.

    :raises Refused: with a code per field (``GrantCode``) when the member may not be given
        a consent, or the way it was given or the information text does not fit who acts;
        ``ConsentNotRecorded`` when its terms are invalid.
    :raises AccessDenied: when the actor may not work on this client's case.
    """
    at = utcnow()
    client = by_client(actor)
    member, grantee = _grantee(session, case, terms.member_id, at)
    codes = _grant_codes(
        session,
        case,
        grantee,
        client=client,
        given_how=given_how,
        information_text_version=information_text_version,
        direction=terms.direction,
        valid_from=terms.valid_from,
        today=helsinki_day(at),
    )
    if codes:
        raise _refused(session, gate, actor, member, codes)
    try:
        consent = service.grant(
            session,
            client_id=case.client_id,
            case_id=case.id,
            terms=terms,
            given_how=given_how,
            information_text_version=information_text_version,
            recorded_by_id=actor.user_id,
            at=at,
        )
    except InvalidConsent:  # raised before anything changed
        raise (ConsentNotGiven if client else ConsentNotRecorded)() from None
    consent.period_template = _template_of(consent, case, at)
    consent.purpose_text_ct = gate.write_text(
        actor,
        field_ref(consent, Consent.purpose_text_ct),
        purpose_text,
        purpose=consent_purpose(actor),
    )
    gate.sync_seals(case.client_id)
    if receipt is not None:
        assert member is not None  # the rules refused anyone else
        issue_receipt(
            session,
            gate,
            actor,
            case=case,
            action=ReceiptAction.GRANT,
            consent=consent,
            previous=None,
            member_label=_label(session, gate, actor, member),
            purpose_text=purpose_text,
            wording=receipt,
            at=at,
        )
    return consent


def amend_consent(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    consent: Consent,
    *,
    case: Case,
    change: Change,
    terms: ConsentTerms,
    purpose_text: str,
    given_how: GivenHow,
    information_text_version: str,
    receipt: ReceiptWording | None,
) -> Consent:
    """Replace a consent with narrower or wider terms; the old one is kept, superseded.

    The seals follow in the same transaction: sections no longer covered are unsealed
    at once, newly covered ones sealed. The client's receipt says which way it changed.

    :raises ConsentNotFound: when the consent is not about this client's case.
    :raises ConsentEnded: when the old consent had already ended.
    :raises Refused: when the terms are not the change chosen (``ChangeCode``), or the
        member has left the network or lacks a needed confidentiality commitment, or the
        way it was given or the information text does not fit who acts (``GrantCode``);
        ``ConsentNotRecorded`` when the terms are invalid or name another member.
    """
    if consent.case_id != case.id:
        raise ConsentNotFound()
    at = utcnow()
    client = by_client(actor)
    _require_current(consent, at)
    refusal = change_refusal(
        change,
        sections=[SectionKind(s) for s in consent.sections],
        valid_from=consent.valid_from,
        valid_until=consent.valid_until,
        new_sections=terms.sections,
        new_until=terms.valid_until,
    )
    if refusal is not None:
        raise refusal
    member, grantee = _grantee(session, case, consent.member_id, at)
    codes = _grant_codes(
        session,
        case,
        grantee,
        client=client,
        given_how=given_how,
        information_text_version=information_text_version,
    )
    if codes:
        raise _refused(session, gate, actor, member, codes)
    amended = _amend(
        session,
        gate,
        actor,
        consent,
        terms=terms,
        given_how=given_how,
        information_text_version=information_text_version,
        purpose_text=purpose_text,
        client=client,
        at=at,
    )
    amended.period_template = _template_of(amended, case, at)
    gate.sync_seals(case.client_id)
    if receipt is not None:
        assert member is not None
        issue_receipt(
            session,
            gate,
            actor,
            case=case,
            action=ReceiptAction.NARROW if change is Change.NARROW else ReceiptAction.EXTEND,
            consent=amended,
            previous=consent,
            member_label=_label(session, gate, actor, member),
            purpose_text=purpose_text,
            wording=receipt,
            at=at,
        )
    return amended


def _amend(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    consent: Consent,
    *,
    terms: ConsentTerms,
    given_how: GivenHow,
    information_text_version: str,
    purpose_text: str,
    client: bool,
    at: datetime,
) -> Consent:
    """Replace ``consent`` with one on ``terms`` (the service's amendment, its refusals as the
    pages word them) and seal the purpose text on the new one."""
    try:
        new = service.amend(
            session,
            consent,
            terms=terms,
            given_how=given_how,
            information_text_version=information_text_version,
            by_user_id=actor.user_id,
            at=at,
        )
    except ConsentNotActive:
        raise ConsentEnded() from None
    except InvalidConsent:  # raised before anything changed
        raise (ConsentNotChanged if client else ConsentNotRecorded)() from None
    new.purpose_text_ct = gate.write_text(
        actor,
        field_ref(new, Consent.purpose_text_ct),
        purpose_text,
        purpose=consent_purpose(actor),
    )
    return new


def revoke_consent(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    consent: Consent,
    *,
    receipt: ReceiptWording | None,
) -> None:
    """Revoke now: the seals go in the same transaction, so the very next read is refused.

    The grantee's organisation is asked in the same transaction to confirm that it keeps
    no copy (``notify_revocation``), and the client gets a receipt.

    :raises ConsentEnded: when it had already ended (revoked, replaced, or past its last day).
    """
    at = utcnow()
    _require_current(consent, at)
    try:
        service.revoke(session, consent, by_user_id=actor.user_id, at=at)
    except ConsentNotActive:  # raised before anything changed
        raise ConsentEnded() from None
    gate.sync_seals(consent.client_id)
    notify_revocation(session, consent, reason=NoticeReason.REVOKED, at=at)
    if not by_client(actor) and actor.user_id is not None:  # the worker knows already
        consent.end_seen_at, consent.end_seen_by_id = at, actor.user_id
    if receipt is not None:
        case = session.get(Case, consent.case_id)
        assert case is not None  # foreign key
        _ending_receipt(session, gate, actor, consent, case, ReceiptAction.REVOKE, receipt, at)


def end_by_transfer(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    consent: Consent,
    *,
    case: Case,
    sending: Organisation,
    receipt: ReceiptWording | None,
    at: datetime,
) -> None:
    """End a consent that the case's transfer from ``sending`` ends (``consent.transfer``):
    revoked by the accepting worker (``actor``), its organisation asked to confirm it keeps
    no copy (reason ``transferred``), and the client's receipt saying the matter moved to
    the case's county now (``sending`` was its controller). The caller re-syncs the seals.
    """
    service.revoke(session, consent, by_user_id=actor.user_id, at=at)
    notify_revocation(session, consent, reason=NoticeReason.TRANSFERRED, at=at)
    consent.end_seen_at, consent.end_seen_by_id = at, actor.user_id  # no client withdrawal
    if receipt is not None:
        _ending_receipt(
            session, gate, actor, consent, case, ReceiptAction.TRANSFERRED, receipt, at, sending
        )


def _ending_receipt(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    consent: Consent,
    case: Case,
    action: ReceiptAction,
    wording: ReceiptWording,
    at: datetime,
    transferred_from: Organisation | None = None,
) -> None:
    """The client's receipt for a consent that ended (revoked, or ended by a transfer)."""
    member = session.get(NetworkMember, consent.member_id)
    assert member is not None  # foreign key
    label, purpose_text = _label_and_purpose(session, gate, actor, member, consent)
    issue_receipt(
        session,
        gate,
        actor,
        case=case,
        action=action,
        consent=consent,
        previous=None,
        member_label=label,
        purpose_text=purpose_text,
        wording=wording,
        at=at,
        transferred_from=transferred_from,
    )


# -- the release timeline ------------------------------------------------------------------------


def timeline_of(case: Case, at: datetime) -> Timeline:
    """The client's release timeline as the templates read it: the CURRENT dates, with the
    release day every page shows (``Case.release_day``)."""
    return Timeline.at(at, case.release_day, case.probation_end)


def mark_out_of_step(session: Session, case: Case, at: datetime) -> list[Consent]:
    """After the case's release dates changed: mark each current consent whose period came
    from a template and no longer matches it as waiting for re-confirmation (flushes).

    The consent itself is not changed, never widened: the worker and the client see it
    listed and confirm the new period (``reconfirm_consent``) or keep the old one
    (``keep_period``). One that is back in step (the dates moved back) is no longer listed.
    """
    timeline = timeline_of(case, at)
    marked: list[Consent] = []
    for consent in session.scalars(
        select(Consent).where(
            Consent.case_id == case.id,
            Consent.state == ConsentState.ACTIVE,
            Consent.period_template.is_not(None),
        )
    ):
        if consent.period_template is None or not consent_status(facts_of(consent), at).current:
            continue
        template = PeriodTemplate(consent.period_template)
        if follows_timeline(template, consent.valid_from, consent.valid_until, timeline):
            consent.reconfirm_since = None
        else:
            consent.reconfirm_since = consent.reconfirm_since or at
            marked.append(consent)
    session.flush()
    return marked


def reconfirm_consent(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    consent: Consent,
    *,
    case: Case,
    given_how: GivenHow,
    information_text_version: str,
    receipt: ReceiptWording | None,
) -> Consent:
    """Replace a consent waiting for re-confirmation with one for its template's period on
    the current dates: same member, sections, direction and purpose, given again under the
    information text (the client electronically, a worker recording a written or oral one).

    :raises ConsentNotFound: when the consent is not about this client's case.
    :raises ConsentEnded: when it had already ended.
    :raises NothingToReconfirm: when it is not waiting, or the template has no period now.
    :raises Refused: as ``grant_consent`` does for who acts and the information text.
    """
    if consent.case_id != case.id:
        raise ConsentNotFound()
    at = utcnow()
    _require_current(consent, at)
    if consent.reconfirm_since is None or consent.period_template is None:
        raise NothingToReconfirm()
    new = period(PeriodTemplate(consent.period_template), timeline_of(case, at))
    if new.valid_from is None or new.valid_until is None:
        raise NothingToReconfirm()
    client = by_client(actor)
    member, grantee = _grantee(session, case, consent.member_id, at)
    codes = _grant_codes(
        session,
        case,
        grantee,
        client=client,
        given_how=given_how,
        information_text_version=information_text_version,
    )
    if codes:
        raise _refused(session, gate, actor, member, codes)
    assert member is not None  # the rules refused anyone else
    label, purpose_text = _label_and_purpose(session, gate, actor, member, consent)
    terms = ConsentTerms(
        member_id=consent.member_id,
        sections=frozenset(SectionKind(s) for s in consent.sections),
        valid_from=new.valid_from,  # today at the earliest: a consent never reaches back
        valid_until=new.valid_until,
        direction=consent.direction,
        purpose=consent.purpose,
    )
    renewed = _amend(
        session,
        gate,
        actor,
        consent,
        terms=terms,
        given_how=given_how,
        information_text_version=information_text_version,
        purpose_text=purpose_text,
        client=client,
        at=at,
    )
    renewed.period_template = consent.period_template
    gate.sync_seals(case.client_id)
    if receipt is not None:
        longer = consent.valid_until is None or (
            renewed.valid_until is not None and renewed.valid_until > consent.valid_until
        )
        issue_receipt(
            session,
            gate,
            actor,
            case=case,
            action=ReceiptAction.EXTEND
            if longer or renewed.valid_from < consent.valid_from
            else ReceiptAction.NARROW,
            consent=renewed,
            previous=consent,
            member_label=label,
            purpose_text=purpose_text,
            wording=receipt,
            at=at,
        )
    return renewed


def keep_period(session: Session, consent: Consent, *, case: Case) -> None:
    """Keep a consent's own period although the release dates moved: it stops following the
    timeline and is no longer listed for re-confirmation (flushes).

    :raises ConsentNotFound: when the consent is not about this client's case.
    :raises NothingToReconfirm: when it is not waiting for re-confirmation.
    """
    if consent.case_id != case.id:
        raise ConsentNotFound()
    if consent.reconfirm_since is None:
        raise NothingToReconfirm()
    consent.reconfirm_since = None
    consent.period_template = None
    session.flush()


def see_withdrawal(
    session: Session, consent: Consent, *, case: Case, by_user_id: uuid.UUID, at: datetime
) -> None:
    """Record that a worker saw the client's withdrawal of a consent (flushes).

    :raises ConsentNotFound: when the consent is not about this client's case.
    :raises NoWithdrawalToSee: when it is not revoked, or someone already saw it.
    """
    if consent.case_id != case.id:
        raise ConsentNotFound()
    if consent.state is not ConsentState.REVOKED or consent.end_seen_at is not None:
        raise NoWithdrawalToSee()
    consent.end_seen_at = at
    consent.end_seen_by_id = by_user_id
    session.flush()


# -- statutory disclosures and memberships -------------------------------------------------------


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

    :raises Refused: with a code per field (``DisclosureCode``) when the recipient is not an
        authority in this network whose membership has not ended, or the sections, the
        provision or the justification are missing, or the period ends before it starts.
    """
    at = utcnow()
    member = session.get(NetworkMember, member_id)
    if member is not None and member.case_id != case.id:
        member = None
    organisation = (
        session.get(Organisation, member.organisation_id)
        if member is not None and member.organisation_id is not None
        else None
    )
    codes = disclosure_codes(
        membership_status(member.membership(), at) if member is not None else None,
        is_authority=organisation is not None and organisation.is_authority,
        sections=sections,
        provision=provision,
        justification=justification,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    if codes:
        raise Refused(errors=codes)
    if actor.user_id is None:  # only a worker decides on a disclosure
        raise Refused()
    disclosure = StatutoryDisclosure(
        client_id=case.client_id,
        case_id=case.id,
        member_id=member_id,
        sections=sorted(s.value for s in sections),
        provision=provision.strip(),
        decided_by_id=actor.user_id,
        decided_at=at,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    session.add(disclosure)
    session.flush()
    disclosure.justification_ct = gate.write_text(
        actor,
        field_ref(disclosure, StatutoryDisclosure.justification_ct),
        justification,
        purpose=Purpose.CASE_WORK,
    )
    gate.sync_seals(case.client_id)
    return disclosure


def end_statutory_disclosure(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    disclosure: StatutoryDisclosure,
    *,
    case: Case,
) -> None:
    """End a statutory disclosure now, naming the worker: its seals go in this transaction,
    and the recipient organisation is asked, as after a revocation, to confirm it keeps no
    copy (``notify_disclosure_ended``).

    :raises ConsentNotFound: when the disclosure is not about this client's case.
    :raises DisclosureEnded: when it has already ended or run out.
    """
    if disclosure.case_id != case.id:
        raise ConsentNotFound()
    at = utcnow()
    if actor.user_id is None:  # only a worker ends a disclosure
        raise Refused()
    if not disclosure_status(disclosure_facts_of(disclosure), at).current:
        raise DisclosureEnded()
    disclosure.ended_at = at
    disclosure.ended_by_id = actor.user_id
    session.flush()
    gate.sync_seals(disclosure.client_id)
    notify_disclosure_ended(session, disclosure, reason=NoticeReason.DISCLOSURE_ENDED, at=at)


def end_membership(
    session: Session,
    gate: AccessGate,
    member: NetworkMember,
    *,
    by_user_id: uuid.UUID | None,
    reason: NoticeReason = NoticeReason.MEMBERSHIP_ENDED,
) -> None:
    """End a membership now: sharing with the member ends at once, its seals go in this
    transaction, and so does a person member's e-mail address.

    An organisation is asked, as after a revocation, to confirm it keeps no copy of what
    each consent in force shared with it (``notify_membership_ended``); ``reason`` says
    why sharing ended: the worker ended the membership, or closed the case.
    """
    now = utcnow()
    notify_membership_ended(session, member, reason=reason, at=now)
    member.ended_at = now
    member.ended_by_id = by_user_id
    member.ends_on = min(member.ends_on or helsinki_day(now), helsinki_day(now))
    session.flush()
    gate.sync_seals(member.client_id)
    # A person member's address was kept only to tell them of new messages.
    session.execute(delete(PersonEmailAddress).where(PersonEmailAddress.member_id == member.id))


# -- internals -----------------------------------------------------------------------------------


def _grantee(
    session: Session, case: Case, member_id: uuid.UUID, at: datetime
) -> tuple[NetworkMember | None, Grantee | None]:
    """The member, if one of this case's network, and how the grant rules see them."""
    member = session.get(NetworkMember, member_id)
    if member is None or member.case_id != case.id:
        return None, None
    organisation = (
        session.get(Organisation, member.organisation_id) if member.organisation_id else None
    )
    is_authority = organisation is not None and organisation.is_authority
    return member, Grantee(
        status=membership_status(member.membership(), at),
        commitment_missing=not is_authority and member.confidentiality_committed_on is None,
    )


def _refused(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    member: NetworkMember | None,
    codes: dict[str, GrantCode],
) -> Refused:
    """The refusal of these codes; naming the member when the message does."""
    named = member is not None and GrantCode.NO_COMMITMENT in codes.values()
    label = _label(session, gate, actor, member) if member is not None and named else ""
    return Refused(errors=codes, params={"name": label})


def _template_of(consent: Consent, case: Case, at: datetime) -> str | None:
    """The template whose period, on the case's current dates, the consent's period is."""
    found = derived_template(consent.valid_from, consent.valid_until, timeline_of(case, at))
    return found.value if found else None


def _require_current(consent: Consent, at: datetime) -> None:
    """:raises ConsentEnded: unless the consent is in force or starts later."""
    if (
        consent.state is not ConsentState.ACTIVE
        or not consent_status(facts_of(consent), at).current
    ):
        raise ConsentEnded()


def _label(session: Session, gate: AccessGate, actor: Actor, member: NetworkMember) -> str:
    """The member as the client knows them: the organisation's name, or the person's."""
    return _label_and_purpose(session, gate, actor, member, None)[0]


def _label_and_purpose(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    member: NetworkMember,
    consent: Consent | None,
) -> tuple[str, str]:
    """The member's label and the consent's purpose text, decrypted in one gate read."""
    organisation = (
        session.get(Organisation, member.organisation_id) if member.organisation_id else None
    )
    refs = [] if organisation else [sealed(member, NetworkMember.person_name_ct)]
    if consent is not None:
        refs.append(sealed(consent, Consent.purpose_text_ct))
    texts = gate.read_texts(actor, refs, purpose=consent_purpose(actor)) if refs else []
    label = organisation.name if organisation else (texts[0] or "–")
    purpose_text = (texts[-1] or "") if consent is not None else ""
    return label, purpose_text
