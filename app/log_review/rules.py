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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.models.user import Role, User
from consent.decision import BasisKind
from consent.facts import ActorRole, CaseContext
from consent.models import ConsentEvent
from consent.sections import DataScope, SectionKind, scope_key
from consent.service import grants_as_of

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
