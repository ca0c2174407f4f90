"""What a partner sends and confirms, and the notices that ask it to delete copies.

Commands take a Session (and the gate where they write encrypted text), flush, never
commit, and say no with the refusals below.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import NetworkMember
from app.models.partner import (
    TASK_REPORTS,
    NoticeReason,
    PartnerUpdate,
    PartnerUpdateKind,
    RevocationNotice,
)
from app.models.release import ChecklistItem, ItemState
from app.partner_work.queries import client_access, update_cover
from app.partner_work.rules import (
    AccessState,
    ClientAccess,
    UpdateBlock,
    UpdateCover,
    sections_carried,
)
from app.refusals import N_, Listed, NotFound, Refused
from app.release.commands import record_report
from consent.base import utcnow
from consent.facts import Action, Actor, ActorRole, Direction, Purpose
from consent.models import Consent, ConsentState, StatutoryDisclosure
from consent.sections import DataScope, SectionKind
from consent.service import disclosure_facts_of, facts_of
from consent.status import consent_status, disclosure_status, helsinki_day, membership_active
from sharing.fields import field_ref
from sharing.gate import AccessGate

UPDATE_TEXT_MAX = 2000

# -- refusals -----------------------------------------------------------------------------


class UpdateRefused(NotFound):
    """Raised when the organisation has no access to the client now (nothing was stored)."""

    code = "no_access_now"


class UpdateTextMissing(Refused):
    """Raised when an update has no text."""

    code = "text_missing"
    field = "text"
    message = N_("Write the update.")


class UpdateTextTooLong(Refused):
    """Raised when an update's text is longer than ``UPDATE_TEXT_MAX``."""

    code = "text_too_long"
    field = "text"
    message = N_("At most %(max)d characters.")

    def __init__(self) -> None:
        super().__init__(params={"max": UPDATE_TEXT_MAX})


class NoFlowAgreed(Refused):
    """Raised when no information flow from the organisation to the county is agreed."""

    code = UpdateBlock.NO_FLOW.value
    field = "kind"
    message = N_(
        "The county cannot receive this update: no information flow from your organisation "
        "to the county has been agreed with the client. Ask the client's responsible worker "
        "to agree one."
    )


class NoObtainConsent(Refused):
    """Raised when the law needs the client's consent to obtain the update and none is in force."""

    code = UpdateBlock.NO_CONSENT.value
    field = "kind"
    message = N_(
        "The county cannot receive this update: the client has not consented to the county "
        "obtaining information from your organisation. Ask the client's responsible worker."
    )


class KindNotCovered(Refused):
    """Raised when the obtain-consents in force do not cover what the update's kind is about
    (``app.partner_work.rules.UPDATE_SECTIONS``)."""

    code = UpdateBlock.NOT_COVERED.value
    field = "kind"
    message = N_(
        "The county cannot receive this kind of update: it is about %(missing)s, and the "
        "client has consented to the county obtaining information from your organisation "
        "only about %(covered)s. Choose another kind, or ask the client's responsible worker."
    )

    def __init__(self, missing: Sequence[SectionKind], covered: Sequence[SectionKind]) -> None:
        super().__init__(params={"missing": Listed(missing), "covered": Listed(covered)})


class KindNotSent(Refused):
    """Raised when an update is of a kind only a task's report makes."""

    code = "kind_not_sent"
    field = "kind"
    message = N_("Report a task's state on the task itself.")


class TaskNotFound(NotFound):
    """Raised when the task is not on the client's checklist or not this organisation's."""

    code = "task_not_found"


class TaskStateNotReported(Refused):
    """Raised when a report says neither done nor not possible."""

    code = "state_not_reported"
    field = "state"
    message = N_("Choose whether the task is done or cannot be done.")


class TaskNoteMissing(Refused):
    """Raised when a task is reported not possible without saying why."""

    code = "note_missing"
    field = "note"
    message = N_("Say why the task cannot be done.")


class TaskNoteTooLong(Refused):
    """Raised when a report's note is longer than ``UPDATE_TEXT_MAX``."""

    code = "note_too_long"
    field = "note"
    message = N_("At most %(max)d characters.")

    def __init__(self) -> None:
        super().__init__(params={"max": UPDATE_TEXT_MAX})


class UpdateNotFound(NotFound):
    """Raised when the update is not about the case."""

    code = "update_not_found"


class NoticeNotFound(NotFound):
    """Raised when the notice does not exist or belongs to another organisation."""

    code = "notice_not_found"


# -- updates to the responsible worker ----------------------------------------------------


def on_behalf_of(actor: Actor) -> Actor:
    """The system writing into the county's data for a grantee, named in the access log.

    Grantees only ever read (``decide`` refuses their writes), yet an update a partner sends
    or an answer a person member writes becomes county data. Their right to send it is
    decided first; the system then seals the text, with the partner's user and organisation,
    or the person's membership, on the log entry so the client sees who sent something.
    """
    return Actor(
        ActorRole.SYSTEM,
        user_id=actor.user_id,
        organisation_id=actor.organisation_id,
        member_id=actor.member_id,
    )


def record_update(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    client_id: uuid.UUID,
    kind: PartnerUpdateKind,
    text: str,
) -> PartnerUpdate:
    """Store a partner's update for the client's responsible worker, encrypted and attributed.

    :raises AccessDenied: when the gate refuses the partner this client (logged, rolled back).
    :raises UpdateRefused: when the organisation reads the client but not through a membership
        of the newest case (should not happen while the decision and this module agree).
    :raises KindNotSent: when ``kind`` is a task's report (``report_task`` makes those).
    :raises NoFlowAgreed: when no flow from the organisation to the county is agreed.
    :raises NoObtainConsent: when the law needs an obtain-consent and none is in force.
    :raises KindNotCovered: when the obtain-consents in force do not cover the kind's sections.
    :raises UpdateTextMissing: when the text is empty.
    :raises UpdateTextTooLong: when the text is longer than ``UPDATE_TEXT_MAX``.
    :raises ValueError: when the actor is not partner staff (a caller's mistake).
    """
    if actor.role is not ActorRole.PARTNER or actor.organisation_id is None:
        raise ValueError("only partner staff send updates")
    if actor.user_id is None:
        raise ValueError("an update needs its author")
    text = text.strip()
    if not text:
        raise UpdateTextMissing()
    if len(text) > UPDATE_TEXT_MAX:
        raise UpdateTextTooLong()
    if kind in TASK_REPORTS:
        raise KindNotSent()
    gate.check(actor, client_id, Action.READ, Purpose.NETWORK_COOPERATION, DataScope.NAME)
    now = utcnow()
    _, case, access = client_access(session, actor.organisation_id, client_id, at=now)
    if case is None or access.state is not AccessState.SHARED:
        raise UpdateRefused()
    cover = _require_incoming_flow(session, case.id, actor.organisation_id, access, kind, now)
    under = cover.received_under(kind)
    update = PartnerUpdate(
        case_id=case.id,
        client_id=client_id,
        organisation_id=actor.organisation_id,
        member_id=min(access.member_ids),
        author_id=actor.user_id,
        created_at=now,
        kind=kind,
        sections=None if under is None else [section.value for section in under],
    )
    update.text_ct = gate.write_text(
        on_behalf_of(actor),
        field_ref(update, PartnerUpdate.text_ct),
        text,
        purpose=Purpose.NETWORK_COOPERATION,
    )
    session.add(update)
    session.flush()
    return update


def _require_incoming_flow(
    session: Session,
    case_id: uuid.UUID,
    organisation_id: uuid.UUID,
    access: ClientAccess,
    kind: PartnerUpdateKind,
    at: datetime,
) -> UpdateCover:
    """Refuse unless the county may receive an update of ``kind`` from the organisation's
    memberships: an open flow agreement from the member, and an obtain-consent in force
    covering what the kind is about where the law needs one
    (``app.partner_work.rules.UpdateCover``); the cover it is received under otherwise.

    :raises NoFlowAgreed:
    :raises NoObtainConsent:
    :raises KindNotCovered:
    """
    cover = update_cover(session, case_id, organisation_id, access, at)
    block = cover.block(kind)
    if block is UpdateBlock.NO_FLOW:
        raise NoFlowAgreed()
    if block is UpdateBlock.NO_CONSENT:
        raise NoObtainConsent()
    if block is UpdateBlock.NOT_COVERED:
        raise KindNotCovered(sections_carried(kind), cover.covered)
    return cover


# -- the partner's checklist tasks --------------------------------------------------------

REPORTED = {
    ItemState.DONE: PartnerUpdateKind.TASK_DONE,
    ItemState.NOT_POSSIBLE: PartnerUpdateKind.TASK_NOT_POSSIBLE,
}


def report_task(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    client_id: uuid.UUID,
    item_id: uuid.UUID,
    state: ItemState,
    note: str | None,
) -> PartnerUpdate:
    """Mark the organisation's own checklist task done or not possible, with a note that
    reaches the responsible worker as an update (encrypted, attributed, in the record).

    The county assigned the task to the member, so its report needs no flow agreement of
    its own. A task that cannot be done needs a note saying why.

    :raises AccessDenied: when the gate refuses the partner this client (logged, rolled back).
    :raises UpdateRefused: when the organisation reads nothing of the client now.
    :raises TaskNotFound: when the item is not on the client's checklist, removed, or not
        assigned to one of the organisation's memberships.
    :raises TaskStateNotReported: when ``state`` is neither done nor not possible.
    :raises TaskNoteMissing: when a task is reported not possible without a note.
    :raises TaskNoteTooLong: when the note is longer than ``UPDATE_TEXT_MAX``.
    :raises ItemFinished: when the task is not open (someone changed it first).
    :raises ValueError: when the actor is not partner staff (a caller's mistake).
    """
    if actor.role is not ActorRole.PARTNER or actor.organisation_id is None:
        raise ValueError("only partner staff report tasks")
    if actor.user_id is None:
        raise ValueError("a report needs its author")
    if state not in REPORTED:
        raise TaskStateNotReported()
    text = (note or "").strip() or None
    if state is ItemState.NOT_POSSIBLE and text is None:
        raise TaskNoteMissing()
    if text is not None and len(text) > UPDATE_TEXT_MAX:
        raise TaskNoteTooLong()
    gate.check(actor, client_id, Action.READ, Purpose.NETWORK_COOPERATION, DataScope.NAME)
    now = utcnow()
    _, case, access = client_access(session, actor.organisation_id, client_id, at=now)
    if case is None or access.state is not AccessState.SHARED:
        raise UpdateRefused()
    item = session.get(ChecklistItem, item_id)
    if (
        item is None
        or item.case_id != case.id
        or item.removed_at is not None
        or item.responsible_member_id not in access.member_ids
    ):
        raise TaskNotFound()
    record_report(session, item, state, actor.user_id)
    update = PartnerUpdate(
        case_id=case.id,
        client_id=client_id,
        organisation_id=actor.organisation_id,
        member_id=item.responsible_member_id,
        author_id=actor.user_id,
        created_at=now,
        kind=REPORTED[state],
        checklist_item_id=item.id,
    )
    update.text_ct = gate.write_text(
        on_behalf_of(actor),
        field_ref(update, PartnerUpdate.text_ct),
        text,
        purpose=Purpose.NETWORK_COOPERATION,
    )
    session.add(update)
    session.flush()
    return update


def acknowledge_update(
    session: Session, case_id: uuid.UUID, update_id: uuid.UUID, *, by_user_id: uuid.UUID
) -> bool:
    """Record that the county has taken the update in; ``False`` if someone already had.

    :raises UpdateNotFound: when the update is not about the case.
    """
    update = session.get(PartnerUpdate, update_id)
    if update is None or update.case_id != case_id:
        raise UpdateNotFound()
    if update.acknowledged_at is not None:
        return False
    update.acknowledged_at = utcnow()
    update.acknowledged_by_id = by_user_id
    session.flush()
    return True


# -- notices when sharing ends early ------------------------------------------------------


def notify_revocation(
    session: Session, consent: Consent, *, reason: NoticeReason, at: datetime
) -> RevocationNotice | None:
    """Ask the grantee's organisation to confirm it keeps no copy (flushes).

    Only a consent that disclosed something can have left a copy: one to obtain
    information, one that never began, or one for a person grantee (who has no
    organisation to confirm) makes no notice. A consent gets one notice per organisation,
    with the reason sharing first ended: a later end returns that notice unchanged.
    """
    if consent.direction is not Direction.DISCLOSE or consent.valid_from > helsinki_day(at):
        return None
    return _notice(session, consent, reason=reason, at=at)


def notify_disclosure_ended(
    session: Session, disclosure: StatutoryDisclosure, *, reason: NoticeReason, at: datetime
) -> RevocationNotice | None:
    """Ask the recipient organisation of a statutory disclosure that ended early (the worker
    ended it, or the membership ended) to confirm it keeps no copy, as after a revocation
    (flushes). One that never began disclosed nothing: no notice; one notice per disclosure."""
    if disclosure.valid_from > helsinki_day(at):
        return None
    return _notice(session, disclosure, reason=reason, at=at)


def _notice(
    session: Session,
    basis: Consent | StatutoryDisclosure,
    *,
    reason: NoticeReason,
    at: datetime,
) -> RevocationNotice | None:
    """The notice to the basis's member's organisation (none for a person), made once."""
    member = session.get(NetworkMember, basis.member_id)
    if member is None or member.organisation_id is None:
        return None
    column = (
        RevocationNotice.consent_id
        if isinstance(basis, Consent)
        else RevocationNotice.disclosure_id
    )
    existing = session.scalar(
        select(RevocationNotice).where(
            column == basis.id, RevocationNotice.organisation_id == member.organisation_id
        )
    )
    if existing is not None:
        return existing
    notice = RevocationNotice(
        consent_id=basis.id if isinstance(basis, Consent) else None,
        disclosure_id=None if isinstance(basis, Consent) else basis.id,
        client_id=basis.client_id,
        organisation_id=member.organisation_id,
        reason=reason,
        created_at=at,
    )
    session.add(notice)
    session.flush()
    return notice


def notify_membership_ended(
    session: Session, member: NetworkMember, *, reason: NoticeReason, at: datetime
) -> list[RevocationNotice]:
    """Ask the member's organisation about every consent and statutory disclosure in force
    as its membership is ended early, by the worker, by closing the case or by deactivating
    the organisation (flushes; call it before marking the membership ended).

    Both "in force" questions are ``consent.status``'s: a membership that is not active
    (not begun, past its last day or ended) gave nothing to keep or the organisation knew
    the date; a consent that is not in force (revoked, superseded, expired, not begun)
    has already had its notice or never disclosed anything.
    """
    if not membership_active(member.membership(), at):
        return []
    consents = session.scalars(
        select(Consent)
        .where(Consent.member_id == member.id, Consent.state == ConsentState.ACTIVE)
        .order_by(Consent.valid_from, Consent.id)
    ).all()
    in_force = [c for c in consents if consent_status(facts_of(c), at).in_force]
    notices = [notify_revocation(session, c, reason=reason, at=at) for c in in_force]
    disclosures = session.scalars(
        select(StatutoryDisclosure)
        .where(StatutoryDisclosure.member_id == member.id, StatutoryDisclosure.ended_at.is_(None))
        .order_by(StatutoryDisclosure.valid_from, StatutoryDisclosure.id)
    ).all()
    notices += [
        notify_disclosure_ended(session, d, reason=reason, at=at)
        for d in disclosures
        if disclosure_status(disclosure_facts_of(d), at).in_force
    ]
    return [notice for notice in notices if notice is not None]


def confirm_notice(
    session: Session, notice_id: uuid.UUID, *, organisation_id: uuid.UUID, by_user_id: uuid.UUID
) -> bool:
    """Record that the organisation keeps no copy; ``False`` if someone had already confirmed.

    :raises NoticeNotFound: when the notice is not this organisation's.
    """
    notice = session.get(RevocationNotice, notice_id)
    if notice is None or notice.organisation_id != organisation_id:
        raise NoticeNotFound()
    if notice.confirmed_at is not None:
        return False
    notice.confirmed_at = utcnow()
    notice.confirmed_by_id = by_user_id
    session.flush()
    return True
