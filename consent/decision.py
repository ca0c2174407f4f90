"""The pure, deny-by-default access decision.

``decide`` takes frozen facts and returns a ``Decision``; it reads no database
and no clock (``request.at`` is the moment asked about), so it can be tested
exhaustively and replayed for any past moment. Calendar dates (validity,
membership) are Europe/Helsinki days, inclusive at both ends.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from consent.sections import DataScope, Scope, SectionKind

HELSINKI = ZoneInfo("Europe/Helsinki")
BEGINNING = datetime.min.replace(tzinfo=UTC)  # "recorded at" for facts that always were


class ActorRole(enum.StrEnum):
    CASEWORKER = "caseworker"
    PARTNER = "partner"  # staff of a partner organisation
    PERSON = "person"  # a close person or peer expert without a staff account
    CLIENT = "client"
    ADMIN = "admin"
    SYSTEM = "system"  # command-line operations: demo seed, maintenance


class Action(enum.StrEnum):
    READ = "read"
    WRITE = "write"


class Purpose(enum.StrEnum):
    LIST = "list"  # recognise the client in a list: the name only
    CASE_WORK = "case_work"  # the county's social work with the client
    NETWORK_COOPERATION = "network_cooperation"  # a network member's part in the client's plan
    OWN_DATA = "own_data"  # the client reading or adding to their own data
    ADMINISTRATION = "administration"  # operations run by the system itself


class Direction(enum.StrEnum):
    DISCLOSE = "disclose"  # the county discloses to the grantee
    OBTAIN = "obtain"  # the county obtains from the grantee


class Reason(enum.StrEnum):
    ALLOWED_SYSTEM = "allowed_system"
    ALLOWED_SELF = "allowed_self"
    ALLOWED_COUNTY_LIST = "allowed_county_list"
    ALLOWED_CASE_RELATIONSHIP = "allowed_case_relationship"
    ALLOWED_WORK_TASK = "allowed_work_task"
    ALLOWED_CONSENT = "allowed_consent"
    ALLOWED_STATUTORY = "allowed_statutory"
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
class Actor:
    """Who acts: a user of some role in some organisation, a person grantee, or the system."""

    role: ActorRole
    user_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None  # set for a client acting on their own data
    member_id: uuid.UUID | None = None  # set for a person grantee (close person, peer expert)
    assisted_by: uuid.UUID | None = None  # staff at the terminal in a staff-assisted session


SYSTEM_ACTOR = Actor(role=ActorRole.SYSTEM)


@dataclass(frozen=True)
class WorkTask:
    """A recorded reason (a work task) that lets a worker without a relationship open a case."""

    id: uuid.UUID
    user_id: uuid.UUID
    valid_until: datetime


@dataclass(frozen=True)
class Membership:
    """A network member's active period; a person has no organisation.

    ``ends_on`` is a planned last day (inclusive); ``ended_at`` is the instant the
    membership was ended by hand, which ends access at once.
    """

    id: uuid.UUID
    organisation_id: uuid.UUID | None
    starts_on: date
    ends_on: date | None = None
    ended_at: datetime | None = None
    added_at: datetime = BEGINNING  # when it was recorded

    def active_at(self, at: datetime) -> bool:
        day = helsinki_day(at)
        return (
            self.starts_on <= day
            and (self.ends_on is None or day <= self.ends_on)
            and (self.ended_at is None or at < self.ended_at)
        )


@dataclass(frozen=True)
class ConsentFacts:
    """One consent as the decision sees it. A superseded consent counts as ended."""

    id: uuid.UUID
    member_id: uuid.UUID
    sections: frozenset[SectionKind]
    valid_from: date
    valid_until: date | None
    direction: Direction = Direction.DISCLOSE
    purpose: Purpose = Purpose.NETWORK_COOPERATION
    ended_at: datetime | None = None  # revoked or superseded at this instant
    revoked: bool = False  # True: ended by revocation; False with ended_at: superseded


@dataclass(frozen=True)
class StatutoryFacts:
    """A disclosure on a statutory basis to an authority that is a network member."""

    id: uuid.UUID
    member_id: uuid.UUID
    sections: frozenset[SectionKind]
    valid_from: date
    valid_until: date | None
    ended_at: datetime | None = None
    decided_at: datetime = BEGINNING  # when it was recorded


@dataclass(frozen=True)
class CaseContext:
    """The facts about a client's case that access depends on."""

    client_id: uuid.UUID
    county_id: uuid.UUID
    responsible_worker_id: uuid.UUID | None = None
    team_ids: frozenset[uuid.UUID] = frozenset()
    work_tasks: tuple[WorkTask, ...] = ()
    closed_at: datetime | None = None
    memberships: tuple[Membership, ...] = ()
    consents: tuple[ConsentFacts, ...] = ()
    statutory: tuple[StatutoryFacts, ...] = ()


@dataclass(frozen=True)
class AccessRequest:
    actor: Actor
    client_id: uuid.UUID
    action: Action
    purpose: Purpose
    at: datetime
    scope: Scope = DataScope.BASIC


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


def helsinki_day(at: datetime) -> date:
    """The Finnish calendar day of an instant: what 'valid until 31.12.' means."""
    return at.astimezone(HELSINKI).date()


def decide(request: AccessRequest, case: CaseContext | None) -> Decision:
    """Decide one access request; anything not explicitly allowed is denied."""
    actor = request.actor
    if actor.role is ActorRole.SYSTEM:
        return _allow(Reason.ALLOWED_SYSTEM)
    if case is None or case.client_id != request.client_id:
        return _deny(Reason.DENIED_NO_CASE)
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
    if actor.organisation_id != case.county_id or actor.user_id is None:
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
        if m.active_at(at)
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
    if request.scope is DataScope.BASIC:
        return _deny(Reason.DENIED_ROLE)
    day = helsinki_day(request.at)
    members = {m.id for m in grantee_members(request.actor, case, request.at)}
    if not members:
        return _deny(Reason.DENIED_NOT_IN_NETWORK)
    # The name is shared with whoever may read any section: they must know whose plan it is.
    sections = (
        frozenset(SectionKind) if request.scope is DataScope.NAME else frozenset({request.scope})
    )
    # Records are tried in id order, so the same facts always name the same basis.
    for disclosure in sorted(case.statutory, key=lambda d: d.id):
        if (
            disclosure.member_id in members
            and disclosure.sections & sections
            and _period_state(disclosure.valid_from, disclosure.valid_until, day) is None
            and (disclosure.ended_at is None or request.at < disclosure.ended_at)
        ):
            return _allow(Reason.ALLOWED_STATUTORY, BasisKind.STATUTORY, disclosure.id)
    candidates = sorted(
        (c for c in case.consents if c.member_id in members and c.direction is Direction.DISCLOSE),
        key=lambda c: c.id,
    )
    return _best_consent(candidates, sections, request, day)


def _period_state(valid_from: date, valid_until: date | None, day: date) -> Reason | None:
    if day < valid_from:
        return Reason.DENIED_NOT_YET_VALID
    if valid_until is not None and day > valid_until:
        return Reason.DENIED_EXPIRED
    return None


# When several consents fail, the reason reported is the one closest to allowing.
_DENIAL_ORDER = [
    Reason.DENIED_REVOKED,
    Reason.DENIED_EXPIRED,
    Reason.DENIED_NOT_YET_VALID,
    Reason.DENIED_PURPOSE,
    Reason.DENIED_SECTION_NOT_IN_SCOPE,
    Reason.DENIED_NO_CONSENT,
]


def _best_consent(
    consents: Iterable[ConsentFacts],
    sections: frozenset[SectionKind],
    request: AccessRequest,
    day: date,
) -> Decision:
    denials = [Reason.DENIED_NO_CONSENT]
    for consent in consents:
        if consent.ended_at is not None and consent.ended_at <= request.at:
            # A superseded consent simply no longer applies; its successor is judged on its own.
            denials.append(Reason.DENIED_REVOKED if consent.revoked else Reason.DENIED_NO_CONSENT)
            continue
        if not consent.sections & sections:
            denials.append(Reason.DENIED_SECTION_NOT_IN_SCOPE)
            continue
        if consent.purpose is not request.purpose:
            denials.append(Reason.DENIED_PURPOSE)
            continue
        if (state := _period_state(consent.valid_from, consent.valid_until, day)) is not None:
            denials.append(state)
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
    day = helsinki_day(at)
    active = {m.id for m in case.memberships if m.active_at(at)}
    grants: set[Grant] = set()
    bases: list[tuple[uuid.UUID, frozenset[SectionKind], BasisKind, uuid.UUID]] = [
        (d.member_id, d.sections, BasisKind.STATUTORY, d.id)
        for d in case.statutory
        if _period_state(d.valid_from, d.valid_until, day) is None
        and (d.ended_at is None or at < d.ended_at)
    ]
    bases += [
        (c.member_id, c.sections, BasisKind.CONSENT, c.id)
        for c in case.consents
        if c.direction is Direction.DISCLOSE
        and c.purpose is Purpose.NETWORK_COOPERATION
        and _period_state(c.valid_from, c.valid_until, day) is None
        and (c.ended_at is None or at < c.ended_at)
    ]
    for member_id, sections, kind, basis_id in bases:
        if member_id not in active or not sections:
            continue
        grants.add(Grant(member_id, DataScope.NAME, kind, basis_id))
        grants.update(Grant(member_id, section, kind, basis_id) for section in sections)
    return grants
