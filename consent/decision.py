"""The pure, deny-by-default access decision.

``decide`` takes frozen facts (``consent.facts``) and returns a ``Decision``; it reads no
database and no clock (``request.at`` is the moment asked about), so it can be tested
exhaustively and replayed for any past moment. Whether a membership, consent or disclosure
is in force is asked of ``consent.status``, the rules every page uses too.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from consent.facts import (
    AccessRequest,
    Action,
    Actor,
    ActorRole,
    CaseContext,
    ConsentFacts,
    FactsNeeded,
    Membership,
    Purpose,
)
from consent.sections import DataScope, Scope, SectionKind
from consent.status import (
    ConsentStatus,
    consent_status,
    disclosure_status,
    membership_active,
    shares_for_cooperation,
)


class Reason(enum.StrEnum):
    ALLOWED_SYSTEM = "allowed_system"
    ALLOWED_SELF = "allowed_self"
    ALLOWED_COUNTY_LIST = "allowed_county_list"
    ALLOWED_TRANSFER_PROPOSED = "allowed_transfer_proposed"
    ALLOWED_CASE_RELATIONSHIP = "allowed_case_relationship"
    ALLOWED_WORK_TASK = "allowed_work_task"
    ALLOWED_CONSENT = "allowed_consent"
    ALLOWED_STATUTORY = "allowed_statutory"
    # Not a decision of ``decide``: the client's log read in a review of the access log
    # (``app.log_review.commands.note_review``), entered in the client's chain.
    ALLOWED_LOG_REVIEW = "allowed_log_review"
    # Not a decision of ``decide`` either: the client's coded facts in a research extract
    # for an approved study (``app.research.commands.extract``), entered in the client's chain.
    ALLOWED_RESEARCH = "allowed_research"
    DENIED_NO_CASE = "denied_no_case"
    DENIED_NOT_OWN_DATA = "denied_not_own_data"
    DENIED_OTHER_COUNTY = "denied_other_county"
    DENIED_NO_RELATIONSHIP = "denied_no_relationship"
    DENIED_NOT_IN_NETWORK = "denied_not_in_network"
    DENIED_CASE_CLOSED = "denied_case_closed"
    DENIED_NO_CONSENT = "denied_no_consent"
    DENIED_REVOKED = "denied_revoked"
    DENIED_EXPIRED = "denied_expired"
    DENIED_NOT_YET_VALID = "denied_not_yet_valid"
    DENIED_SECTION_NOT_IN_SCOPE = "denied_section_not_in_scope"
    DENIED_PURPOSE = "denied_purpose"
    DENIED_READ_ONLY = "denied_read_only"
    DENIED_ROLE = "denied_role"

    @property
    def allowed(self) -> bool:
        return self.value.startswith("allowed")


class BasisKind(enum.StrEnum):
    CONSENT = "consent"
    STATUTORY = "statutory"
    RELATIONSHIP = "relationship"
    WORK_TASK = "work_task"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason
    basis_kind: BasisKind | None = None
    basis_id: uuid.UUID | None = field(default=None)


def _allow(
    reason: Reason, kind: BasisKind | None = None, basis: uuid.UUID | None = None
) -> Decision:
    return Decision(True, reason, kind, basis)


def _deny(reason: Reason) -> Decision:
    return Decision(False, reason)


def decide(request: AccessRequest, case: CaseContext | None) -> Decision:
    """Decide one access request; anything not explicitly allowed is denied."""
    actor = request.actor
    if actor.role is ActorRole.SYSTEM:
        return _allow(Reason.ALLOWED_SYSTEM)
    if case is None or case.client_id != request.client_id:
        return _deny(Reason.DENIED_NO_CASE)
    if not case.narrowed_to.covers(FactsNeeded.of(actor, request.purpose)):
        return _deny(Reason.DENIED_ROLE)  # facts gathered for another kind of decision
    if actor.role is ActorRole.CLIENT:
        if actor.client_id == case.client_id and request.purpose is Purpose.OWN_DATA:
            return _allow(Reason.ALLOWED_SELF)
        return _deny(Reason.DENIED_NOT_OWN_DATA)
    if actor.role is ActorRole.CASEWORKER:
        return _decide_county_staff(request, case)
    if actor.role in (ActorRole.PARTNER, ActorRole.PERSON):
        return _decide_grantee(request, case)
    return _deny(Reason.DENIED_ROLE)


def _decide_county_staff(request: AccessRequest, case: CaseContext) -> Decision:
    actor = request.actor
    if actor.user_id is None:
        return _deny(Reason.DENIED_OTHER_COUNTY)
    if actor.organisation_id != case.county_id:
        if (
            case.transfer_to is not None
            and actor.organisation_id == case.transfer_to
            and (case.closed_at is None or request.at < case.closed_at)
            and request.purpose is Purpose.LIST
            and request.action is Action.READ
            and request.scope is DataScope.NAME
        ):
            # A transfer proposed to their county: its staff recognise whom it concerns (a
            # closed case cannot be accepted, so its proposal shows nothing).
            return _allow(Reason.ALLOWED_TRANSFER_PROPOSED)
        return _deny(Reason.DENIED_OTHER_COUNTY)
    if request.purpose is Purpose.LIST:
        if request.action is Action.READ and request.scope is DataScope.NAME:
            return _allow(Reason.ALLOWED_COUNTY_LIST)
        return _deny(Reason.DENIED_ROLE)
    if request.purpose is not Purpose.CASE_WORK:
        return _deny(Reason.DENIED_ROLE)
    if actor.user_id == case.responsible_worker_id or actor.user_id in case.team_ids:
        return _allow(Reason.ALLOWED_CASE_RELATIONSHIP, BasisKind.RELATIONSHIP)
    for task in case.work_tasks:
        if task.user_id == actor.user_id and request.at <= task.valid_until:
            return _allow(Reason.ALLOWED_WORK_TASK, BasisKind.WORK_TASK, task.id)
    return _deny(Reason.DENIED_NO_RELATIONSHIP)


def grantee_members(actor: Actor, case: CaseContext, at: datetime) -> list[Membership]:
    """The actor's memberships in the case's network that are active at ``at``."""
    return [
        m
        for m in case.memberships
        if membership_active(m, at)
        and (
            (actor.role is ActorRole.PERSON and m.id == actor.member_id)
            or (
                actor.role is ActorRole.PARTNER
                and actor.organisation_id is not None
                and m.organisation_id == actor.organisation_id
            )
        )
    ]


def _decide_grantee(request: AccessRequest, case: CaseContext) -> Decision:
    if request.action is not Action.READ:
        return _deny(Reason.DENIED_READ_ONLY)
    if request.purpose is not Purpose.NETWORK_COOPERATION:
        return _deny(Reason.DENIED_PURPOSE)
    if case.closed_at is not None and case.closed_at <= request.at:
        return _deny(Reason.DENIED_CASE_CLOSED)
    if request.scope in (DataScope.BASIC, DataScope.MESSAGES):
        return _deny(Reason.DENIED_ROLE)  # county-only: the client's own messages too
    members = {m.id for m in grantee_members(request.actor, case, request.at)}
    if not members:
        return _deny(Reason.DENIED_NOT_IN_NETWORK)
    # The name is shared with whoever may read any section: they must know whose plan it is.
    sections = (
        frozenset(SectionKind) if request.scope is DataScope.NAME else frozenset({request.scope})
    )
    # Records are tried in id order (``CaseContext`` keeps them so), so the same facts
    # always name the same basis.
    for disclosure in case.statutory:
        if (
            disclosure.member_id in members
            and disclosure.sections & sections
            and disclosure_status(disclosure, request.at).in_force
        ):
            return _allow(Reason.ALLOWED_STATUTORY, BasisKind.STATUTORY, disclosure.id)
    return _best_consent(case.disclosing_to(members), sections, request)


# When several consents fail, the reason reported is the one closest to allowing.
_DENIAL_ORDER = [
    Reason.DENIED_REVOKED,
    Reason.DENIED_EXPIRED,
    Reason.DENIED_NOT_YET_VALID,
    Reason.DENIED_PURPOSE,
    Reason.DENIED_SECTION_NOT_IN_SCOPE,
    Reason.DENIED_NO_CONSENT,
]


# Why a consent that is not live does not apply, when the request fits it otherwise.
_DENIED_BY_STATUS = {
    ConsentStatus.REVOKED: Reason.DENIED_REVOKED,
    # A superseded consent simply no longer applies; its successor is judged on its own.
    ConsentStatus.SUPERSEDED: Reason.DENIED_NO_CONSENT,
    ConsentStatus.EXPIRED: Reason.DENIED_EXPIRED,
    ConsentStatus.UPCOMING: Reason.DENIED_NOT_YET_VALID,
}


def _best_consent(
    consents: Iterable[ConsentFacts],
    sections: frozenset[SectionKind],
    request: AccessRequest,
) -> Decision:
    denials = [Reason.DENIED_NO_CONSENT]
    for consent in consents:
        status = consent_status(consent, request.at)
        if status in (ConsentStatus.REVOKED, ConsentStatus.SUPERSEDED):
            denials.append(_DENIED_BY_STATUS[status])
            continue
        if not consent.sections & sections:
            denials.append(Reason.DENIED_SECTION_NOT_IN_SCOPE)
            continue
        if consent.purpose is not request.purpose:
            denials.append(Reason.DENIED_PURPOSE)
            continue
        if not status.in_force:
            denials.append(_DENIED_BY_STATUS[status])
            continue
        return _allow(Reason.ALLOWED_CONSENT, BasisKind.CONSENT, consent.id)
    return _deny(min(denials, key=_DENIAL_ORDER.index))


@dataclass(frozen=True)
class Grant:
    """One member's live basis for one scope: what a key seal must exist for."""

    member_id: uuid.UUID
    scope: Scope
    basis_kind: BasisKind
    basis_id: uuid.UUID


def live_grants(case: CaseContext, at: datetime) -> set[Grant]:
    """Every (member, scope, basis) that lets a grantee read at ``at``.

    The decision and the key seals are both derived from the same facts: a
    grantee may read a scope exactly when one of these grants names it.
    """
    if case.closed_at is not None and case.closed_at <= at:
        return set()
    active = {m.id for m in case.memberships if membership_active(m, at)}
    grants: set[Grant] = set()
    bases: list[tuple[uuid.UUID, frozenset[SectionKind], BasisKind, uuid.UUID]] = [
        (d.member_id, d.sections, BasisKind.STATUTORY, d.id)
        for d in case.statutory
        if disclosure_status(d, at).in_force
    ]
    bases += [
        (c.member_id, c.sections, BasisKind.CONSENT, c.id)
        for c in case.consents
        if shares_for_cooperation(c) and consent_status(c, at).in_force
    ]
    for member_id, sections, kind, basis_id in bases:
        if member_id not in active or not sections:
            continue
        grants.add(Grant(member_id, DataScope.NAME, kind, basis_id))
        grants.update(Grant(member_id, section, kind, basis_id) for section in sections)
    return grants
