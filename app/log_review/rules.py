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
The county's own staff (responsible worker, team, work tasks) are not reconstructed: their
facts are kept as they stand now, not as they stood (see ARCHITECTURE.md).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.models.log_review import FlagKind
from app.models.user import Role, User
from app.release.holidays import is_working_day
from app.settings import Settings
from consent.decision import BasisKind
from consent.facts import ActorRole, CaseContext
from consent.models import ConsentEvent
from consent.sections import DataScope, SectionKind, scope_key
from consent.service import grants_as_of
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


def verdict(
    case: CaseContext | None, events: Sequence[ConsentEvent], entry: LoggedAccess
) -> Verdict:
    """Whether a network member's log entry agrees with who could read what at its instant."""
    if case is None or entry.actor_role not in _GRANTEES or entry.action != "read":
        return Verdict.NOT_COVERED
    member_id = entry.member_id if entry.actor_role == ActorRole.PERSON.value else None
    readable = readable_scopes(case, events, entry.at, entry.organisation_id, member_id)
    could = entry.scope in readable
    return Verdict.CONSISTENT if could == entry.allowed else Verdict.INCONSISTENT


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
