"""Pure rules of the log review (omavalvonta): who may review, and who could read what when.

Who may review the access log: the data-protection officer (``Role.DATA_PROTECTION``) —
with a county, that county's clients; without an organisation, the whole service's — and
an administrator or caseworker an administrator designated (``User.log_reviewer``), each
within their own county (a service administrator: everywhere).

"Who could see what, as of any moment": the facts as they were known at that moment — the
consents rebuilt from their events, memberships and statutory disclosures as recorded by
then — and over them the very rule the access decision and the key seals use for network
members (``consent.service.grants_as_of``, which ``who_could_see`` uses too). Nothing here
decides access again: the grants are the decision's. A log entry of a network member is
then consistent when the grants at its own instant say what the entry says (``verdict``).

The county's own staff are rebuilt the same way from their history (``StaffHistory``):
the owning county (accepted transfers), the responsible worker (the appointment recorded
last by then: each appointment ends the one before), the case team (added and not yet
removed) and work tasks recorded by then; each candidate is then put to ``decide`` itself
(``staff_who_could_read``), and a county worker's log entry is checked by ``decide`` over
the facts of its own instant.

The key seals are checked against the grants (``check_seals``): at the moment, each grant
should have its seals for every data key of its scope that existed then, and no seal
should have existed without a grant; and now, every seal should have its record, every
record not marked removed its seal, and every seal should open to the key it names.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from app.models.log_review import FlagKind
from app.models.user import Role, User
from app.release.holidays import is_working_day
from app.settings import Settings
from consent.decision import BasisKind, Grant, Reason, decide
from consent.facts import (
    AccessRequest,
    Action,
    Actor,
    ActorRole,
    CaseContext,
    Purpose,
    WorkTask,
)
from consent.models import ConsentEvent
from consent.sections import DataScope, Scope, SectionKind, scope_key
from consent.service import case_as_of, grants_as_of
from consent.status import HELSINKI

LOG_SCOPE = "access_log"
"""The scope a review's own log entry names: the client's log, not their data."""

REVIEWERS = frozenset({Role.ADMIN, Role.CASEWORKER})
"""The roles an administrator may designate as log reviewers."""


def may_review(role: Role, log_reviewer: bool) -> bool:
    """Whether an account of ``role`` (designated or not) may review the access log."""
    return role is Role.DATA_PROTECTION or (role in REVIEWERS and log_reviewer)


def is_reviewer(user: User) -> bool:
    """``may_review`` for an account (the ``when`` of the review's pages and operations)."""
    return may_review(user.role, user.log_reviewer)


@dataclass(frozen=True)
class Basis:
    """One consent or statutory disclosure and the sections it opened to a member."""

    kind: BasisKind
    id: uuid.UUID
    sections: tuple[SectionKind, ...]


@dataclass(frozen=True)
class MemberAccess:
    """What one network member could read at the moment asked about, and on which basis."""

    member_id: uuid.UUID
    organisation_id: uuid.UUID | None  # None: a person member
    bases: tuple[Basis, ...]

    @property
    def sections(self) -> list[SectionKind]:
        shared = {s for b in self.bases for s in b.sections}
        return [kind for kind in SectionKind if kind in shared]


def who_could_read(
    case: CaseContext, events: Sequence[ConsentEvent], at: datetime
) -> list[MemberAccess]:
    """Every member of the client's network who could read something at ``at``, with the
    sections and their bases: ``consent.service.grants_as_of`` (the consents rebuilt from
    their events, the rest as recorded by then). Members in the order of the facts; bases
    and sections in a stable order."""
    order = {kind: i for i, kind in enumerate(SectionKind)}
    by_member: dict[uuid.UUID, dict[tuple[BasisKind, uuid.UUID], set[SectionKind]]] = {}
    for grant in grants_as_of(case, events, at):
        if isinstance(grant.scope, SectionKind):
            bases = by_member.setdefault(grant.member_id, {})
            bases.setdefault((grant.basis_kind, grant.basis_id), set()).add(grant.scope)
    found = []
    for member in case.memberships:
        if not (bases := by_member.get(member.id, {})):
            continue
        found.append(
            MemberAccess(
                member.id,
                member.organisation_id,
                tuple(
                    Basis(kind, basis_id, tuple(sorted(kinds, key=order.__getitem__)))
                    for (kind, basis_id), kinds in sorted(bases.items(), key=lambda i: str(i[0][1]))
                ),
            )
        )
    return found


# -- the county's own staff -------------------------------------------------------------------


class StaffTie(enum.StrEnum):
    """What tied a county worker to the case at the moment (the decision's basis names
    only "relationship" or "work task"; this says which relationship)."""

    RESPONSIBLE_WORKER = "responsible_worker"
    TEAM = "team"
    WORK_TASK = "work_task"


@dataclass(frozen=True)
class TransferPeriod:
    """A proposal to move the case to another county: open from ``proposed_at`` until
    ``answered_at``; ``accepted``: the case moved then."""

    from_county_id: uuid.UUID
    to_county_id: uuid.UUID
    proposed_at: datetime
    answered_at: datetime | None
    accepted: bool


@dataclass(frozen=True)
class Appointment:
    worker_id: uuid.UUID
    assigned_at: datetime


@dataclass(frozen=True)
class TeamPeriod:
    user_id: uuid.UUID
    added_at: datetime
    removed_at: datetime | None


@dataclass(frozen=True)
class RecordedTask:
    task: WorkTask
    recorded_at: datetime


@dataclass(frozen=True)
class StaffHistory:
    """The history of the facts ``decide`` reads for county staff, of the client's case:
    the proposals to move it to another county, every appointment of a responsible worker,
    every team membership and every work task, with when each was recorded.
    ``organisations`` is each named worker's organisation."""

    transfers: tuple[TransferPeriod, ...] = ()
    appointments: tuple[Appointment, ...] = ()
    team: tuple[TeamPeriod, ...] = ()
    tasks: tuple[RecordedTask, ...] = ()
    organisations: Mapping[uuid.UUID, uuid.UUID | None] | None = None


def staff_case_as_of(case: CaseContext, history: StaffHistory, at: datetime) -> CaseContext:
    """The case's county-staff facts as they were recorded at ``at``: the county that owned
    it then (before a transfer accepted later, the sending county) and the county a
    proposal then waiting was made to, the responsible worker appointed last by then (an
    appointment ends the one before it at once, whatever days it names, as the current
    facts read only the open one), the team members added and not yet removed, and the
    work tasks recorded by then."""
    county, waiting = case.county_id, None
    for t in sorted(history.transfers, key=lambda t: t.proposed_at, reverse=True):
        if t.accepted and t.answered_at is not None and at < t.answered_at:
            county = t.from_county_id
        if t.proposed_at <= at and (t.answered_at is None or at < t.answered_at):
            waiting = t.to_county_id
    appointed = [a for a in history.appointments if a.assigned_at <= at]
    worker = max(appointed, key=lambda a: a.assigned_at).worker_id if appointed else None
    return replace(
        case,
        county_id=county,
        responsible_worker_id=worker,
        team_ids=frozenset(
            t.user_id
            for t in history.team
            if t.added_at <= at and (t.removed_at is None or at < t.removed_at)
        ),
        work_tasks=tuple(t.task for t in history.tasks if t.recorded_at <= at),
        transfer_to=waiting,
    )


@dataclass(frozen=True)
class StaffAccess:
    """A county worker who could do case work with the client at the moment: their ties
    to the case then, and the decision's basis."""

    user_id: uuid.UUID
    ties: tuple[StaffTie, ...]
    basis_kind: BasisKind
    basis_id: uuid.UUID | None


def _staff_request(
    user_id: uuid.UUID,
    organisation_id: uuid.UUID | None,
    client_id: uuid.UUID,
    at: datetime,
    action: Action = Action.READ,
    purpose: Purpose = Purpose.CASE_WORK,
    scope: Scope = DataScope.BASIC,
) -> AccessRequest:
    actor = Actor(ActorRole.CASEWORKER, user_id=user_id, organisation_id=organisation_id)
    return AccessRequest(actor, client_id, action, purpose, at, scope)


def staff_who_could_read(
    case: CaseContext, history: StaffHistory, at: datetime
) -> list[StaffAccess]:
    """Every county worker tied to the case at ``at`` whom ``decide`` lets do case work
    (read the whole record) then, over ``staff_case_as_of``: the responsible worker, the
    team, those with a work task — in that order. The decision decides; the ties only say
    why each was asked."""
    facts = staff_case_as_of(case, history, at)
    organisations = history.organisations or {}
    ties: dict[uuid.UUID, list[StaffTie]] = {}
    if facts.responsible_worker_id is not None:
        ties.setdefault(facts.responsible_worker_id, []).append(StaffTie.RESPONSIBLE_WORKER)
    for user_id in sorted(facts.team_ids, key=str):
        ties.setdefault(user_id, []).append(StaffTie.TEAM)
    for task in facts.work_tasks:
        if StaffTie.WORK_TASK not in ties.setdefault(task.user_id, []):
            ties[task.user_id].append(StaffTie.WORK_TASK)
    found = []
    for user_id, why in ties.items():
        request = _staff_request(user_id, organisations.get(user_id), case.client_id, at)
        decision = decide(request, facts)
        if decision.allowed and decision.basis_kind is not None:
            found.append(StaffAccess(user_id, tuple(why), decision.basis_kind, decision.basis_id))
    return found


class Verdict(enum.StrEnum):
    CONSISTENT = "consistent"  # the reconstruction says what the entry says
    INCONSISTENT = "inconsistent"  # an allowed read the facts did not allow, or the reverse
    NOT_COVERED = "not_covered"  # the county's own staff, the client, the system


@dataclass(frozen=True)
class LoggedAccess:
    """The fields of a log entry the check reads (``sharing.access_log.AccessLogEntry``)."""

    at: datetime
    actor_role: str
    action: str
    organisation_id: uuid.UUID | None
    member_id: uuid.UUID | None
    scope: str
    allowed: bool
    actor_user_id: uuid.UUID | None = None
    purpose: str = ""
    reason: str = ""


_GRANTEES = frozenset({ActorRole.PARTNER.value, ActorRole.PERSON.value})


def readable_scopes(
    case: CaseContext,
    events: Sequence[ConsentEvent],
    at: datetime,
    organisation_id: uuid.UUID | None,
    member_id: uuid.UUID | None,
) -> set[str]:
    """The stored scopes (``scope_key``) an organisation's staff or a person member could
    read at ``at`` by the facts known then: the name with any section."""
    mine = {
        m.id
        for m in case.memberships
        if (member_id is not None and m.id == member_id)
        or (
            member_id is None
            and organisation_id is not None
            and m.organisation_id == organisation_id
        )
    }
    sections = {
        scope_key(section)
        for access in who_could_read(case, events, at)
        if access.member_id in mine
        for section in access.sections
    }
    return sections | {scope_key(DataScope.NAME)} if sections else set()


def _scope_of(key: str) -> Scope | None:
    """The scope a stored ``scope_key`` names (None: not a scope of client data)."""
    kind = key.removeprefix("section:")
    try:
        return SectionKind(kind) if key.startswith("section:") else DataScope(kind)
    except ValueError:
        return None


def staff_verdict(
    case: CaseContext,
    events: Sequence[ConsentEvent],
    staff: StaffHistory,
    entry: LoggedAccess,
) -> Verdict:
    """Whether a county worker's log entry is what ``decide`` says over the facts recorded
    at its instant (the network's and the county staff's). Entries the decision did not
    make (a review's own, a preview) are not covered."""
    scope = _scope_of(entry.scope)
    if (
        entry.actor_user_id is None
        or entry.reason == Reason.ALLOWED_LOG_REVIEW.value
        or entry.action not in (Action.READ.value, Action.WRITE.value)
        or scope is None
    ):
        return Verdict.NOT_COVERED
    try:
        purpose = Purpose(entry.purpose)
    except ValueError:
        return Verdict.NOT_COVERED
    facts = staff_case_as_of(case_as_of(case, events, entry.at), staff, entry.at)
    request = _staff_request(
        entry.actor_user_id,
        entry.organisation_id,
        case.client_id,
        entry.at,
        Action(entry.action),
        purpose,
        scope,
    )
    allowed = decide(request, facts).allowed
    return Verdict.CONSISTENT if allowed == entry.allowed else Verdict.INCONSISTENT


def verdict(
    case: CaseContext | None,
    events: Sequence[ConsentEvent],
    entry: LoggedAccess,
    staff: StaffHistory | None = None,
) -> Verdict:
    """Whether a log entry agrees with who could read what at its instant: a network
    member's against the grants, a county worker's (given the staff's ``staff`` history)
    against ``decide`` itself."""
    if case is not None and staff is not None and entry.actor_role == ActorRole.CASEWORKER:
        return staff_verdict(case, events, staff, entry)
    if case is None or entry.actor_role not in _GRANTEES or entry.action != "read":
        return Verdict.NOT_COVERED
    member_id = entry.member_id if entry.actor_role == ActorRole.PERSON.value else None
    readable = readable_scopes(case, events, entry.at, entry.organisation_id, member_id)
    could = entry.scope in readable
    return Verdict.CONSISTENT if could == entry.allowed else Verdict.INCONSISTENT


# -- the key seals --------------------------------------------------------------------------


class SealFinding(enum.StrEnum):
    SEALED = "sealed"  # a grant with a seal for every data key of its scope then
    NOTHING_TO_SEAL = "nothing_to_seal"  # a grant whose scope had no data key yet
    MISSING = "missing"  # a grant without a seal for a data key that existed then
    WITHOUT_BASIS = "without_basis"  # a seal then for a member, scope and basis no grant named
    UNRECORDED = "unrecorded"  # a seal now that no record tells of: made outside the service
    GONE = "gone"  # a record never marked removed whose seal is gone: removed outside it
    ALTERED = "altered"  # a seal now that differs from its record or does not open to its key

    @property
    def discrepancy(self) -> bool:
        return self not in (SealFinding.SEALED, SealFinding.NOTHING_TO_SEAL)


@dataclass(frozen=True)
class KeyPeriod:
    """A data key of the client: its scope, and from when until when it existed."""

    id: uuid.UUID
    scope: str
    created_at: datetime
    destroyed_at: datetime | None


@dataclass(frozen=True)
class SealPeriod:
    """A seal's record (``sharing.models.SealRecord``)."""

    seal_id: uuid.UUID
    data_key_id: uuid.UUID
    member_id: uuid.UUID
    scope: str
    basis_id: uuid.UUID
    created_at: datetime
    removed_at: datetime | None


@dataclass(frozen=True)
class SealNow:
    """A seal row as it stands now, with its data key's scope."""

    id: uuid.UUID
    data_key_id: uuid.UUID
    member_id: uuid.UUID
    basis_id: uuid.UUID
    scope: str


@dataclass(frozen=True)
class SealCheck:
    """One finding: about a grant (or a seal) of a member, a scope and a basis."""

    finding: SealFinding
    member_id: uuid.UUID
    scope: str
    basis_id: uuid.UUID


def _existed(start: datetime, end: datetime | None, at: datetime) -> bool:
    return start <= at and (end is None or at < end)


def check_seals(
    grants: Sequence[Grant] | set[Grant],
    keys: Sequence[KeyPeriod],
    records: Sequence[SealPeriod],
    seals_now: Sequence[SealNow],
    unopenable: set[uuid.UUID],
    at: datetime,
) -> list[SealCheck]:
    """The key seals checked against the grants at ``at`` and against their records now.

    At ``at``: each grant should have had a seal (by its record) for every data key of its
    scope that existed then; every seal that existed then should have had a grant of its
    member, scope and basis. Now: every seal should have its record and agree with it and
    open to the key it names (``unopenable``: those that do not); every record not marked
    removed should have its seal. Pure; in a stable order (grants, then the rest).
    """
    keys_then: dict[str, set[uuid.UUID]] = {}
    for key in keys:
        if _existed(key.created_at, key.destroyed_at, at):
            keys_then.setdefault(key.scope, set()).add(key.id)
    sealed_then: dict[tuple[uuid.UUID, str, uuid.UUID], set[uuid.UUID]] = {}
    for r in records:
        if _existed(r.created_at, r.removed_at, at):
            sealed_then.setdefault((r.member_id, r.scope, r.basis_id), set()).add(r.data_key_id)
    found: list[SealCheck] = []
    granted: set[tuple[uuid.UUID, str, uuid.UUID]] = set()
    for grant in sorted(
        grants, key=lambda g: (str(g.member_id), scope_key(g.scope), str(g.basis_id))
    ):
        ident = (grant.member_id, scope_key(grant.scope), grant.basis_id)
        granted.add(ident)
        needed = keys_then.get(ident[1], set())
        if not needed:
            finding = SealFinding.NOTHING_TO_SEAL
        elif needed <= sealed_then.get(ident, set()):
            finding = SealFinding.SEALED
        else:
            finding = SealFinding.MISSING
        found.append(SealCheck(finding, *ident))
    for ident in sorted(sealed_then.keys() - granted, key=str):
        found.append(SealCheck(SealFinding.WITHOUT_BASIS, *ident))
    by_seal = {r.seal_id: r for r in records}
    present = {s.id for s in seals_now}
    for seal in seals_now:
        record = by_seal.get(seal.id)
        if record is None:
            found.append(
                SealCheck(SealFinding.UNRECORDED, seal.member_id, seal.scope, seal.basis_id)
            )
        elif (
            seal.id in unopenable
            or record.removed_at is not None
            or (seal.data_key_id, seal.member_id, seal.basis_id)
            != (record.data_key_id, record.member_id, record.basis_id)
        ):
            found.append(
                SealCheck(SealFinding.ALTERED, record.member_id, record.scope, record.basis_id)
            )
    for r in records:
        if r.removed_at is None and r.seal_id not in present:
            found.append(SealCheck(SealFinding.GONE, r.member_id, r.scope, r.basis_id))
    return found


# -- flagged patterns --------------------------------------------------------------------------


WORKING_HOURS = (time(7), time(18))
"""Office hours, Helsinki time: a read from 18:00 to 7:00 is outside them."""


@dataclass(frozen=True)
class FlagRules:
    """The thresholds (``Settings.log_review_*``)."""

    many_clients: int = 20
    many_clients_within: timedelta = timedelta(hours=1)
    work_tasks: int = 3

    @classmethod
    def of(cls, settings: Settings) -> FlagRules:
        return cls(
            many_clients=settings.log_review_many_clients,
            many_clients_within=timedelta(minutes=settings.log_review_many_clients_minutes),
            work_tasks=settings.log_review_work_tasks,
        )


@dataclass(frozen=True)
class ScannedEntry:
    """The fields of a log entry the flags read."""

    id: uuid.UUID
    client_id: uuid.UUID
    at: datetime
    actor_user_id: uuid.UUID | None
    actor_role: str
    action: str
    allowed: bool
    basis_kind: str | None


@dataclass(frozen=True)
class Flag:
    """One pattern found: its kind and the entry that shows it (for many clients and work
    tasks, the entry at which the count was reached)."""

    kind: FlagKind
    entry_id: uuid.UUID
    client_id: uuid.UUID
    user_id: uuid.UUID | None
    at: datetime


_STAFF = frozenset({ActorRole.CASEWORKER.value, ActorRole.PARTNER.value, ActorRole.ADMIN.value})


def outside_hours(at: datetime) -> bool:
    """Whether ``at`` falls outside office hours in Helsinki, or on a weekend or holiday."""
    local = at.astimezone(HELSINKI)
    if not is_working_day(local.date()):
        return True
    return not WORKING_HOURS[0] <= local.time() < WORKING_HOURS[1]


def flags(
    entries: Sequence[ScannedEntry],
    closed_at: Mapping[uuid.UUID, datetime | None],
    rules: FlagRules = FlagRules(),
) -> list[Flag]:
    """The patterns in ``entries`` (oldest first) of staff members' use: ``closed_at`` is each
    client's case closing instant (None: open). Pure: no database, no clock."""
    found: list[Flag] = []
    window: dict[uuid.UUID, list[ScannedEntry]] = {}
    tasks: dict[uuid.UUID, set[uuid.UUID]] = {}
    for e in entries:
        if e.actor_role not in _STAFF or e.actor_user_id is None:
            continue

        def flag(kind: FlagKind, entry: ScannedEntry = e) -> None:
            found.append(Flag(kind, entry.id, entry.client_id, entry.actor_user_id, entry.at))

        if not e.allowed:
            flag(FlagKind.DENIED)
            continue
        if e.action != "read":
            continue
        if outside_hours(e.at):
            flag(FlagKind.OUTSIDE_HOURS)
        closed = closed_at.get(e.client_id)
        if closed is not None and closed <= e.at:
            flag(FlagKind.CLOSED_CASE)
        recent = [
            r for r in window.get(e.actor_user_id, []) if e.at - r.at <= rules.many_clients_within
        ] + [e]
        window[e.actor_user_id] = recent
        if len({r.client_id for r in recent}) == rules.many_clients and (
            e.client_id not in {r.client_id for r in recent[:-1]}
        ):
            flag(FlagKind.MANY_CLIENTS)
        if e.basis_kind == BasisKind.WORK_TASK.value:
            clients = tasks.setdefault(e.actor_user_id, set())
            if e.client_id not in clients:
                clients.add(e.client_id)
                if len(clients) == rules.work_tasks:
                    flag(FlagKind.WORK_TASKS)
    return found


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The Helsinki month ``YYYY-MM`` as ``[first midnight, next month's first midnight)``.

    :raises ValueError: when ``month`` is not such a month.
    """
    year, _, number = month.partition("-")
    if len(year) != 4 or len(number) != 2 or not (year + number).isdigit():
        raise ValueError(f"not a month: {month!r}")
    first = date(int(year), int(number), 1)
    following = (first + timedelta(days=32)).replace(day=1)
    return (
        datetime.combine(first, time(), HELSINKI),
        datetime.combine(following, time(), HELSINKI),
    )
