"""The pure, deny-by-default access decision.

``decide`` takes frozen facts and returns a ``Decision``; it reads no database
and no clock (``request.at`` is the moment asked about), so it can be tested
exhaustively and replayed for any past moment.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from consent.sections import SectionKind


class ActorRole(enum.StrEnum):
    CASEWORKER = "caseworker"
    PARTNER = "partner"
    CLIENT = "client"
    ADMIN = "admin"
    SYSTEM = "system"  # command-line operations: demo seed, maintenance


class Action(enum.StrEnum):
    READ = "read"
    WRITE = "write"


class Purpose(enum.StrEnum):
    LIST = "list"  # recognise the client in a list: basic data only
    CASE_WORK = "case_work"  # social work with the client (assessment, plan, network)
    OWN_DATA = "own_data"  # the client reading or adding to their own data
    ADMINISTRATION = "administration"  # operations run by the system itself


class Reason(enum.StrEnum):
    ALLOWED_SYSTEM = "allowed_system"
    ALLOWED_SELF = "allowed_self"
    ALLOWED_COUNTY_LIST = "allowed_county_list"
    ALLOWED_CASE_RELATIONSHIP = "allowed_case_relationship"
    ALLOWED_WORK_TASK = "allowed_work_task"
    DENIED_NO_CASE = "denied_no_case"
    DENIED_NOT_OWN_DATA = "denied_not_own_data"
    DENIED_OTHER_COUNTY = "denied_other_county"
    DENIED_NO_RELATIONSHIP = "denied_no_relationship"
    DENIED_NO_CONSENT = "denied_no_consent"
    DENIED_ROLE = "denied_role"


@dataclass(frozen=True)
class Actor:
    """Who acts: a user of some role in some organisation, or the system itself."""

    role: ActorRole
    user_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None  # set for a client acting on their own data


SYSTEM_ACTOR = Actor(role=ActorRole.SYSTEM)


@dataclass(frozen=True)
class WorkTask:
    """A recorded reason (a work task) that lets a worker without a relationship open a case."""

    id: uuid.UUID
    user_id: uuid.UUID
    valid_until: datetime


@dataclass(frozen=True)
class CaseContext:
    """The facts about a client's case that access depends on."""

    client_id: uuid.UUID
    county_id: uuid.UUID
    responsible_worker_id: uuid.UUID | None = None
    team_ids: frozenset[uuid.UUID] = frozenset()
    work_tasks: tuple[WorkTask, ...] = ()


@dataclass(frozen=True)
class AccessRequest:
    actor: Actor
    client_id: uuid.UUID
    action: Action
    purpose: Purpose
    at: datetime
    section: SectionKind | None = None  # None: the client's basic data


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason
    basis_id: uuid.UUID | None = field(default=None)


def _allow(reason: Reason, basis_id: uuid.UUID | None = None) -> Decision:
    return Decision(True, reason, basis_id)


def _deny(reason: Reason) -> Decision:
    return Decision(False, reason)


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
    if actor.role is ActorRole.PARTNER:
        return _deny(Reason.DENIED_NO_CONSENT)
    return _deny(Reason.DENIED_ROLE)


def _decide_county_staff(request: AccessRequest, case: CaseContext) -> Decision:
    actor = request.actor
    if actor.organisation_id != case.county_id or actor.user_id is None:
        return _deny(Reason.DENIED_OTHER_COUNTY)
    if (
        request.purpose is Purpose.LIST
        and request.action is Action.READ
        and request.section is None
    ):
        return _allow(Reason.ALLOWED_COUNTY_LIST)
    if request.purpose is not Purpose.CASE_WORK:
        return _deny(Reason.DENIED_ROLE)
    if actor.user_id == case.responsible_worker_id or actor.user_id in case.team_ids:
        return _allow(Reason.ALLOWED_CASE_RELATIONSHIP)
    for task in case.work_tasks:
        if task.user_id == actor.user_id and request.at <= task.valid_until:
            return _allow(Reason.ALLOWED_WORK_TASK, task.id)
    return _deny(Reason.DENIED_NO_RELATIONSHIP)
