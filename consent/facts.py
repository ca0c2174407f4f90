"""The facts the access decision and the status rules read: frozen values, built from rows.

``app`` builds them from its tables (memberships, consents, disclosures, a case's team and
work tasks); ``consent.status`` and ``consent.decide`` only read them.
"""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from consent.sections import DataScope, Scope, SectionKind

BEGINNING = datetime.min.replace(tzinfo=UTC)  # "recorded at" for facts that always were


class ActorRole(enum.StrEnum):
    CASEWORKER = "caseworker"
    PARTNER = "partner"  # staff of a partner organisation
    PERSON = "person"  # a close person or peer expert without a staff account
    CLIENT = "client"
    ADMIN = "admin"
    MANAGER = "manager"  # statistics only: the decision refuses them everything of a client
    ANALYST = "analyst"
    DATA_PROTECTION = "data_protection"  # the data-protection officer reviewing the log
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
class Grantee:
    """A grantee of the client's network: an organisation (its staff), or one person member."""

    organisation_id: uuid.UUID | None = None
    member_id: uuid.UUID | None = None

    def holds(self, membership: Membership) -> bool:
        """Whether ``membership`` is this grantee's."""
        if self.member_id is not None:
            return membership.id == self.member_id
        return (
            self.organisation_id is not None and membership.organisation_id == self.organisation_id
        )


@dataclass(frozen=True)
class FactsNeeded:
    """The part of a case's facts a decision reads, so that a loader may gather just that.

    ``decide`` reads, besides the case's client: for the system and the client, nothing
    more; for county staff, the county, and at case work (not when listing names) the
    responsible worker, the team and the work tasks; for partner staff or a person, the
    closing instant, the grantee's own memberships and the consents and statutory
    disclosures made to them. A ``CaseContext`` holding just the part a request needs
    decides it exactly as the whole does (tests/unit/test_consent_properties.py).
    """

    relationships: bool = False  # responsible worker, team, work tasks
    network: bool = False  # every membership, consent and statutory disclosure
    grantee: Grantee | None = None  # (without ``network``) only this grantee's
    # Part of the key of every kept decision's look-ups: hashed once, not at each.
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.relationships, self.network, self.grantee)))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def of(cls, actor: Actor, purpose: Purpose) -> FactsNeeded:
        """What deciding a request of ``actor`` for ``purpose`` reads."""
        if actor.role in (ActorRole.SYSTEM, ActorRole.CLIENT):
            return cls()
        if actor.role is ActorRole.CASEWORKER:
            return cls(relationships=purpose is not Purpose.LIST)
        if actor.role is ActorRole.PARTNER and actor.organisation_id is not None:
            return cls(grantee=Grantee(organisation_id=actor.organisation_id))
        if actor.role is ActorRole.PERSON and actor.member_id is not None:
            return cls(grantee=Grantee(member_id=actor.member_id))
        return EVERYTHING

    def covers(self, other: FactsNeeded) -> bool:
        """Whether facts gathered for ``self`` hold all that ``other`` reads."""
        network = (
            not (other.network or other.grantee)
            or self.network
            or (not other.network and other.grantee == self.grantee)
        )
        return (self.relationships or not other.relationships) and network


EVERYTHING = FactsNeeded(relationships=True, network=True)
"""The whole case: what the key seals and every page about the case read."""


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


def _by_id(record: ConsentFacts | StatutoryFacts) -> int:
    return record.id.int


@dataclass(frozen=True)
class CaseContext:
    """The facts about a client's case that access depends on.

    Its consents and statutory disclosures are kept in id order (sorted once here, however
    they were given), so the decision tries them in a fixed order without sorting per call.
    """

    client_id: uuid.UUID
    county_id: uuid.UUID
    responsible_worker_id: uuid.UUID | None = None
    team_ids: frozenset[uuid.UUID] = frozenset()
    work_tasks: tuple[WorkTask, ...] = ()
    closed_at: datetime | None = None
    memberships: tuple[Membership, ...] = ()
    consents: tuple[ConsentFacts, ...] = ()
    statutory: tuple[StatutoryFacts, ...] = ()
    narrowed_to: FactsNeeded = EVERYTHING  # gathered for this part of the facts only
    # The county a transfer of the case is proposed to and not yet answered: its staff may
    # recognise the client by name (to accept or decline), nothing more.
    transfer_to: uuid.UUID | None = None

    _disclosing: dict[uuid.UUID, list[ConsentFacts]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen: the one place the records are put in order (already sorted: linear).
        object.__setattr__(self, "consents", tuple(sorted(self.consents, key=_by_id)))
        object.__setattr__(self, "statutory", tuple(sorted(self.statutory, key=_by_id)))
        disclosing = defaultdict(list)
        for consent in self.consents:
            if consent.direction is Direction.DISCLOSE:
                disclosing[consent.member_id].append(consent)
        object.__setattr__(self, "_disclosing", dict(disclosing))

    def disclosing_to(self, members: Collection[uuid.UUID]) -> list[ConsentFacts]:
        """The consents to disclose to any of these members, in id order."""
        found = [c for m in members for c in self._disclosing.get(m, ())]
        return found if len(members) < 2 else sorted(found, key=_by_id)

    def narrowed(self, needed: FactsNeeded) -> CaseContext:
        """Only the part of the facts that ``needed`` names (see ``FactsNeeded``)."""
        if needed.network:
            memberships = self.memberships
        elif needed.grantee is not None:
            memberships = tuple(m for m in self.memberships if needed.grantee.holds(m))
        else:
            memberships = ()
        ids = {m.id for m in memberships}
        related = needed.relationships
        return CaseContext(
            client_id=self.client_id,
            county_id=self.county_id,
            responsible_worker_id=self.responsible_worker_id if related else None,
            team_ids=self.team_ids if related else frozenset(),
            work_tasks=self.work_tasks if related else (),
            closed_at=self.closed_at,
            memberships=memberships,
            consents=tuple(c for c in self.consents if c.member_id in ids),
            statutory=tuple(d for d in self.statutory if d.member_id in ids),
            narrowed_to=needed,
            transfer_to=self.transfer_to,
        )


@dataclass(frozen=True)
class AccessRequest:
    actor: Actor
    client_id: uuid.UUID
    action: Action
    purpose: Purpose
    at: datetime
    scope: Scope = DataScope.BASIC
