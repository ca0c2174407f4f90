"""The consent matrix, the partner's home, a person's link and ``decide`` agree (hypothesis,
against a real database).

Each example draws a small history — a client's case in one county, one to three network
members (an authority, an NGO, a close person; an organisation may be a member twice),
then a few steps a minute to days apart: consents granted, amended, revoked; memberships
ended by hand; statutory disclosures to the authority recorded and ended; links issued to
the close person, bound, locked and ended; maintenance marking consents expired; the case
closed. The steps
run through the app's own commands with the clock set to each step's instant (the commands
read it from ``utcnow``; the access gate is given the same clock); a step a command refuses
is skipped, as it would be in the app. Only ending a disclosure early, for which the app has
no command, is written to its row.

Then, at instants drawn around the history's boundaries (each Helsinki midnight that starts
or ends a period, each instant something was issued, ended, bound or locked, and the
microsecond before each), at the later steps (where the app asks "now") and one anywhere,
every read model is asked what each member may see of each plan section, and they must
agree:

- the matrix (``load_matrix``): the member's row is active and a cell holds a disclosing
  consent or statutory disclosure that is in force (not "not yet in force");
- ``live_grants`` over the facts the gate loads (``load_case_contexts``);
- ``decide`` for reading for network cooperation, as the organisation's staff or the person
  (and it denies as "not in network" exactly when the matrix shows no active membership);
- the partner's home: the client listed by ``shared_clients`` and ``client_access``, with the
  same sections;
- the person's links (``grants_for_client``): a link is in use exactly when its own limits
  (its last day, not ended, not locked) allow and its consent is a live grant for its
  member, and then it shows exactly its sections that the consent is a live grant for.

Each example runs in a savepoint rolled back at its end, so examples do not see each other.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from unittest.mock import patch
from zoneinfo import ZoneInfo

from hypothesis import (
    HealthCheck,
    Phase,
    currently_in_test_context,
    event,
    given,
    note,
    settings,
    target,
)
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

import app.consents.commands as consent_commands
import app.ending.commands as ending_commands
import app.network.commands as network_commands
import app.partner_work.commands as partner_commands
from app.cases.facts import load_case_contexts
from app.consents.queries import load_matrix
from app.consents.rules import Change
from app.consents.texts import FIRST_VERSION
from app.ending.commands import close_case
from app.models import Case, Client, MemberKind, NetworkMember, Organisation, OrgKind, Role
from app.models.person_access import PersonAccessGrant
from app.network.commands import add_organisation_member, add_person_member, end_member
from app.partner_work.queries import client_access, shared_clients
from app.person_access import commands as person_access
from app.person_access.queries import grants_for_client, live_consents
from app.person_access.rules import CODE_ATTEMPTS, shown_sections
from app.refusals import Refused
from app.security import password_hasher
from consent.decision import BasisKind, Decision, Reason, decide, live_grants
from consent.facts import AccessRequest, Action, Actor, ActorRole, CaseContext, Direction, Purpose
from consent.models import Consent, GivenHow, StatutoryDisclosure
from consent.sections import DataScope, Scope, SectionKind
from consent.service import ConsentTerms, expire_due
from consent.status import MembershipStatus
from sharing.gate import AccessGate
from tests import factories
from tests.unit.test_consent_properties import instants

HELSINKI = ZoneInfo("Europe/Helsinki")
MICROSECOND = timedelta(microseconds=1)
COOP = Purpose.NETWORK_COOPERATION
SECTIONS = tuple(SectionKind)
T = TypeVar("T")


def _note(what: str) -> None:
    """A hypothesis statistics event (``--hypothesis-show-statistics``), also outside it."""
    if currently_in_test_context():
        event(what)


def _day(at: datetime) -> date:
    return at.astimezone(HELSINKI).date()


def _midnight(day: date) -> datetime:
    """The first instant of a Finnish calendar day, in UTC."""
    return datetime.combine(day, time(), HELSINKI).astimezone(UTC)


# -- the history, as data ----------------------------------------------------------------------


class Joiner(enum.StrEnum):
    AUTHORITY = "authority"  # the probation office: may also receive statutory disclosures
    NGO = "ngo"
    PERSON = "person"  # a close person, who reads through a link


@dataclass(frozen=True)
class MemberPlan:
    joiner: Joiner
    starts: int  # days from the Helsinki day of the history's start
    length: int | None  # the last day is ``starts + length``; None: open-ended


@dataclass(frozen=True)
class Grant:
    member: int
    sections: frozenset[SectionKind]
    starts: int  # days from the step's Helsinki day
    length: int | None
    direction: Direction


@dataclass(frozen=True)
class Amend:
    consent: int
    change: Change
    sections: frozenset[SectionKind]  # removed when narrowing, added when extending
    days: int  # how much earlier (narrowing) or later (extending; 2: no last day) it ends


@dataclass(frozen=True)
class Revoke:
    consent: int


@dataclass(frozen=True)
class EndMembership:
    member: int


@dataclass(frozen=True)
class Disclose:
    member: int
    sections: frozenset[SectionKind]
    starts: int
    length: int | None


@dataclass(frozen=True)
class EndDisclosure:
    disclosure: int


@dataclass(frozen=True)
class Issue:
    consent: int
    sections: frozenset[SectionKind]  # narrowed to the consent's
    days: int  # the link's last day, from the step's day (at most the consent's and membership's)


@dataclass(frozen=True)
class Bind:
    link: int


@dataclass(frozen=True)
class Lock:
    link: int


@dataclass(frozen=True)
class EndLink:
    link: int


@dataclass(frozen=True)
class Expire:
    """Maintenance records the consents past their last day as expired."""


@dataclass(frozen=True)
class Close:
    """The worker closes the case, ending every membership that has not ended with it."""


Step = (
    Grant
    | Amend
    | Revoke
    | EndMembership
    | Disclose
    | EndDisclosure
    | Issue
    | Bind
    | Lock
    | EndLink
    | Expire
    | Close
)


@dataclass(frozen=True)
class History:
    start: datetime
    members: tuple[MemberPlan, ...]  # a close person, and one of each organisation at most
    # The first organisation with a last day joins again this many days after it (or not).
    rejoin: int | None
    steps: tuple[tuple[timedelta, Step], ...]  # each after the previous one by the gap
    probes: tuple[int, ...]  # which instants to ask at, by position from the last
    anywhere: timedelta  # and one more, this long after the start (or before it)


index = st.integers(0, 5)
some_sections = st.frozensets(st.sampled_from(SECTIONS), min_size=1, max_size=3)
lengths = st.one_of(st.none(), st.integers(0, 4))
gaps = st.one_of(
    st.integers(1, 59).map(lambda s: timedelta(seconds=s)),
    st.integers(1, 59).map(lambda m: timedelta(minutes=m)),
    st.integers(1, 23).map(lambda h: timedelta(hours=h)),
    st.integers(1, 2).map(lambda d: timedelta(days=d)),
)
grants = st.builds(
    Grant,
    index,
    some_sections,
    st.integers(-1, 1),
    lengths,
    st.sampled_from((Direction.DISCLOSE,) * 4 + (Direction.OBTAIN,)),
)
first_grants = st.builds(
    Grant, index, some_sections, st.integers(-1, 0), lengths, st.just(Direction.DISCLOSE)
)
issues = st.builds(Issue, index, some_sections, st.integers(0, 10))
steps: st.SearchStrategy[Step] = st.one_of(
    grants,
    issues,
    issues,
    st.builds(Amend, index, st.sampled_from(Change), some_sections, st.integers(0, 2)),
    st.builds(Revoke, index),
    st.builds(EndMembership, index),
    st.builds(Disclose, index, some_sections, st.integers(-2, 2), lengths),
    st.builds(EndDisclosure, index),
    st.builds(Bind, index),
    st.builds(Lock, index),
    st.builds(EndLink, index),
    st.just(Expire()),
    st.just(Close()),
)


def member_plans(joiner: Joiner, latest_start: int = 1) -> st.SearchStrategy[MemberPlan]:
    return st.builds(
        MemberPlan,
        st.just(joiner),
        st.integers(-3, latest_start),
        st.one_of(st.none(), st.integers(0, 10), st.integers(4, 10)),
    )


histories = st.builds(
    History,
    instants,
    # A close person, and none, one or both of the organisations.
    st.builds(
        lambda *plans: tuple(plan for plan in plans if plan is not None),
        member_plans(Joiner.PERSON, latest_start=0),
        st.none() | member_plans(Joiner.AUTHORITY),
        st.none() | member_plans(Joiner.NGO),
    ),
    st.one_of(st.none(), st.integers(0, 2)),
    # A consent to each of the first members (most else needs one; the first ones mostly in
    # force at once), often a link for the close person, then anything.
    st.builds(
        lambda first, link, then: (
            *((gap, replace(g, member=n)) for n, (gap, g) in enumerate(first)),
            *link,
            *then,
        ),
        st.lists(st.tuples(gaps, grants | first_grants), min_size=1, max_size=3),
        st.lists(st.tuples(gaps, issues), max_size=1),
        st.lists(st.tuples(gaps, steps), min_size=1, max_size=8),
    ),
    st.lists(st.integers(0, 255), min_size=1, max_size=4, unique=True).map(tuple),
    st.timedeltas(timedelta(days=-4), timedelta(days=10)),
)


# -- writing it through the app --------------------------------------------------------------


@dataclass
class World:
    """The case and what the history made of it, in the order it was made."""

    db: Session
    gate: AccessGate
    worker: Actor
    worker_id: uuid.UUID
    case: Case
    client: Client
    organisations: dict[Joiner, Organisation]
    members: list[NetworkMember] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    disclosures: list[StatutoryDisclosure] = field(default_factory=list)
    links: list[person_access.IssuedAccess] = field(default_factory=list)
    instants: list[datetime] = field(default_factory=list)  # when each step ran


class Clock:
    """The instant the commands and the gate take for "now"."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@contextmanager
def commands_at(clock: Clock) -> Iterator[None]:
    """The commands read ``utcnow`` from their own modules: point it at the clock."""
    with ExitStack() as stack:
        for module in (consent_commands, ending_commands, network_commands, partner_commands):
            stack.enter_context(patch.object(module, "utcnow", clock))
        yield


def _pick(items: Sequence[T], n: int) -> T | None:
    return items[n % len(items)] if items else None


def _period(day: date, starts: int, length: int | None) -> tuple[date, date | None]:
    first = day + timedelta(days=starts)
    return first, None if length is None else first + timedelta(days=length)


def _terms(consent: Consent, sections: frozenset[SectionKind], until: date | None) -> ConsentTerms:
    return ConsentTerms(
        consent.member_id, sections, consent.valid_from, until, direction=consent.direction
    )


def _amended_terms(consent: Consent, step: Amend, today: date) -> ConsentTerms:
    old = frozenset(SectionKind(s) for s in consent.sections)
    until = consent.valid_until
    if step.change is Change.NARROW:
        narrower = old - step.sections or old
        end = (until or today + timedelta(days=3)) - timedelta(days=step.days)
        return _terms(consent, narrower, end)
    later = None if until is None or step.days == 2 else until + timedelta(days=step.days)
    return _terms(consent, old | step.sections, later)


def _member_of(world: World, member_id: uuid.UUID) -> NetworkMember:
    return next(m for m in world.members if m.id == member_id)


def run_step(world: World, step: Step, at: datetime) -> bool:
    """Do one step as the app would at ``at``; False when there was nothing to do it to.

    :raises Refused: when the app's command says no (nothing has changed then).
    """
    db, gate, worker, case = world.db, world.gate, world.worker, world.case
    today = _day(at)
    if isinstance(step, Grant):
        member = _pick(world.members, step.member)
        if member is None:
            return False
        first, last = _period(today, step.starts, step.length)
        terms = ConsentTerms(member.id, step.sections, first, last, direction=step.direction)
        world.consents.append(
            consent_commands.grant_consent(
                db,
                gate,
                worker,
                case=case,
                terms=terms,
                purpose_text="Tuki asumiseen (fictional)",
                given_how=GivenHow.WRITTEN,
                information_text_version=FIRST_VERSION,
                receipt=None,
            )
        )
    elif isinstance(step, Amend):
        consent = _pick(world.consents, step.consent)
        if consent is None:
            return False
        world.consents.append(
            consent_commands.amend_consent(
                db,
                gate,
                worker,
                consent,
                case=case,
                change=step.change,
                terms=_amended_terms(consent, step, today),
                purpose_text="Tuki asumiseen, muutettu (fictional)",
                given_how=GivenHow.ORAL,
                information_text_version=FIRST_VERSION,
                receipt=None,
            )
        )
    elif isinstance(step, Revoke):
        consent = _pick(world.consents, step.consent)
        if consent is None:
            return False
        consent_commands.revoke_consent(db, gate, worker, consent, receipt=None)
    elif isinstance(step, EndMembership):
        member = _pick(world.members, step.member)
        if member is None:
            return False
        end_member(db, gate, member, by_user_id=world.worker_id)
    elif isinstance(step, Disclose):
        authorities = [
            m
            for m in world.members
            if m.organisation_id == world.organisations[Joiner.AUTHORITY].id
        ]
        # Mostly to an authority; now and then to anyone, which the command refuses.
        member = _pick(world.members if step.member % 4 == 3 else authorities, step.member)
        if member is None:
            return False
        first, last = _period(today, step.starts, step.length)
        world.disclosures.append(
            consent_commands.record_statutory_disclosure(
                db,
                gate,
                worker,
                case=case,
                member_id=member.id,
                sections=step.sections,
                provision="Laki 123/2026 1 § (fictional)",
                justification="Valvonnan toteuttaminen (fictional)",
                valid_from=first,
                valid_until=last,
            )
        )
    elif isinstance(step, EndDisclosure):
        # The app has no command for ending a disclosure early: the row, as maintenance reads it.
        disclosure = _pick(world.disclosures, step.disclosure)
        if disclosure is None or disclosure.ended_at is not None:
            return False
        disclosure.ended_at = at
        db.flush()
        gate.sync_seals(case.client_id)
    elif isinstance(step, Issue):
        people = [m for m in world.members if m.organisation_id is None]
        # Mostly one the worker's page offers (``live_consents``); now and then any of theirs.
        offered = [c for m in people for c in live_consents(db, m.id, at)]
        if not offered or step.consent % 3 == 2:
            offered = [c for c in world.consents if c.member_id in {m.id for m in people}]
        consent = _pick(offered, step.consent)
        if consent is None:
            return False
        member = _member_of(world, consent.member_id)
        chosen = step.sections & {SectionKind(s) for s in consent.sections}
        limits = [d for d in (consent.valid_until, member.ends_on) if d is not None]
        world.links.append(
            person_access.issue_access(
                db,
                case=case,
                member=member,
                consent_id=consent.id,
                sections=chosen or {SectionKind(s) for s in consent.sections},
                valid_until=min([today + timedelta(days=step.days), *limits]),
                issued_by_id=world.worker_id,
                hasher=password_hasher(),
                at=at,
            )
        )
    elif isinstance(step, Bind | Lock | EndLink):
        if not world.links:
            return False
        issued = world.links[step.link % len(world.links)]
        if isinstance(step, Bind):
            person_access.bind(db, issued.grant, issued.code, hasher=password_hasher(), at=at)
        elif isinstance(step, EndLink):
            person_access.end_access(db, issued.grant, world.worker_id, at=at)
        else:
            for _ in range(CODE_ATTEMPTS.max_failures):
                # Each wrong code is counted (WrongCode) until the link locks.
                with suppress(Refused):
                    person_access.bind(db, issued.grant, "WRONG", hasher=password_hasher(), at=at)
    elif isinstance(step, Expire):
        expire_due(db, today=today, at=at)
    else:
        members = [m.id for m in world.members]
        close_case(
            db,
            gate,
            worker,
            case=case,
            summary="Tuki päättyy (fictional)",
            end_with_case=members,
            early_reason="Tuki päättyy ennen vapautumista (fictional)",
        )
    return True


def make_world(db: Session, history: History, clock: Clock) -> World:
    """The county, its worker, the client's case and the network, as the worker adds them."""
    county = factories.organisation(db, OrgKind.COUNTY)
    user = factories.user(db, Role.CASEWORKER, county)
    client, case = factories.client(db, county, worker=user)
    worker = Actor(ActorRole.CASEWORKER, user_id=user.id, organisation_id=county.id)
    organisations = {
        Joiner.AUTHORITY: factories.organisation(db, OrgKind.PROBATION),
        Joiner.NGO: factories.organisation(db, OrgKind.NGO),
    }
    gate = AccessGate(db, factories.keyring_of(), load_case_contexts, clock=clock)
    world = World(db, gate, worker, user.id, case, client, organisations)
    today = _day(history.start)
    for n, plan in enumerate(history.members):
        first, last = _period(today, plan.starts, plan.length)
        try:
            with db.begin_nested():
                if plan.joiner is Joiner.PERSON:
                    member = add_person_member(
                        db,
                        gate,
                        worker,
                        case=case,
                        kind=MemberKind.CLOSE_PERSON,
                        name=f"Läheinen {n} (fictional)",
                        contact=None,
                        role="Sisar",
                        starts_on=first,
                        ends_on=last,
                    )
                else:
                    member = add_organisation_member(
                        db,
                        gate,
                        worker,
                        case=case,
                        organisation_id=organisations[plan.joiner].id,
                        role="Tukee asumisessa",
                        starts_on=first,
                        ends_on=last,
                    )
        except Refused:  # the same organisation twice for overlapping periods
            _note("member refused")
            continue
        # A close person or an NGO commits to confidentiality before anything is shared.
        member.confidentiality_committed_on = today
        world.members.append(member)
    again = next((m for m in world.members if m.organisation_id and m.ends_on), None)
    if history.rejoin is not None and again is not None:
        assert again.organisation_id is not None and again.ends_on is not None
        member = add_organisation_member(
            db,
            gate,
            worker,
            case=case,
            organisation_id=again.organisation_id,
            role="Tukee taas",
            starts_on=again.ends_on + timedelta(days=1 + history.rejoin),
            ends_on=None,
        )
        member.confidentiality_committed_on = today
        world.members.append(member)
        _note("an organisation joins twice")
    db.flush()
    return world


def play(world: World, history: History, clock: Clock) -> None:
    for gap, step in history.steps:
        clock.at += gap
        world.instants.append(clock.at)
        try:
            with world.db.begin_nested():
                done = run_step(world, step, clock.at)
        except Refused as refusal:
            codes = ", ".join(sorted(c for _, c, _ in refusal.messages()))
            _note(f"refused: {type(step).__name__} ({codes})")
        else:
            _note(f"{'ran' if done else 'nothing to do'}: {type(step).__name__}")


# -- what each read model says -------------------------------------------------------------------


def boundaries(world: World) -> list[datetime]:
    """Every instant a status may change at, and the microsecond before each."""
    db = world.db
    days: set[date] = set()
    ends: set[datetime] = set(world.instants)
    for member in db.scalars(select(NetworkMember).where(NetworkMember.case_id == world.case.id)):
        days.add(member.starts_on)
        if member.ends_on is not None:
            days.add(member.ends_on + timedelta(days=1))
        if member.ended_at is not None:
            ends.add(member.ended_at)
    records: list[Consent | StatutoryDisclosure] = [
        *db.scalars(select(Consent).where(Consent.case_id == world.case.id)),
        *db.scalars(
            select(StatutoryDisclosure).where(StatutoryDisclosure.case_id == world.case.id)
        ),
    ]
    for record in records:
        days.add(record.valid_from)
        if record.valid_until is not None:
            days.add(record.valid_until + timedelta(days=1))
        if record.ended_at is not None:
            ends.add(record.ended_at)
    for link in db.scalars(
        select(PersonAccessGrant).where(PersonAccessGrant.case_id == world.case.id)
    ):
        days.add(link.valid_until + timedelta(days=1))
        moments = (link.issued_at, link.ended_at, link.bound_at, link.locked_at)
        ends.update(t for t in moments if t is not None)
    ends.update(_midnight(day) for day in days)
    return sorted({t - d for t in ends for d in (MICROSECOND, timedelta(0))})


def _decide(actor: Actor, case: CaseContext, at: datetime, scope: Scope) -> Decision:
    return decide(AccessRequest(actor, case.client_id, Action.READ, COOP, at, scope), case)


def _why_not(decision: Decision, *, closed: bool, active: bool) -> bool:
    """Whether a decision's reason fits the matrix: "case closed" once closed, else "not in
    network" exactly when no membership of the grantee is active."""
    if closed:
        return decision.reason is Reason.DENIED_CASE_CLOSED
    return (decision.reason is Reason.DENIED_NOT_IN_NETWORK) == (not active)


def assert_agreement(world: World, at: datetime) -> tuple[int, int]:
    """Assert that every read model says the same at ``at``; how many (member, section) pairs
    are shared then, and how many links are in use (for the statistics)."""
    db, client = world.db, world.client
    matrix = load_matrix(
        db, world.gate, world.worker, world.case, purpose=Purpose.CASE_WORK, now=at
    )
    context = load_case_contexts(db, [client.id])[client.id]
    grants = live_grants(context, at)

    # The matrix: what each member can see now.
    status = {row.member.id: row.member.status for row in matrix.rows}
    assert set(status) == {m.id for m in world.members}
    in_the_matrix = {
        (row.member.id, section)
        for row in matrix.rows
        if row.member.status is MembershipStatus.ACTIVE
        for section, cell in zip(matrix.sections, row.cells, strict=True)
        if any(c.direction is Direction.DISCLOSE and not c.upcoming for c in cell)
    }
    granted = {(g.member_id, g.scope) for g in grants if isinstance(g.scope, SectionKind)}
    assert in_the_matrix == granted, (at, matrix.rows)

    # Persons, as decide sees them: the same sections, and "in network" is the row's status
    # (once the case has closed, every membership has ended with it).
    closed = context.closed_at is not None and context.closed_at <= at
    for member in world.members:
        if member.organisation_id is not None:
            continue
        person = Actor(ActorRole.PERSON, member_id=member.id)
        active = status[member.id] is MembershipStatus.ACTIVE
        assert not (closed and active)
        for section in SECTIONS:
            decision = _decide(person, context, at, section)
            assert decision.allowed == ((member.id, section) in in_the_matrix)
            assert _why_not(decision, closed=closed, active=active)

    # The partner's home, per organisation: the members' sections together.
    for organisation in world.organisations.values():
        mine = {m.id for m in world.members if m.organisation_id == organisation.id}
        expected = {s for m, s in in_the_matrix if m in mine}
        staff = Actor(ActorRole.PARTNER, user_id=uuid.uuid4(), organisation_id=organisation.id)
        decisions = {s: _decide(staff, context, at, s) for s in SECTIONS}
        decided = {s for s, d in decisions.items() if d.allowed}
        active = any(status[m] is MembershipStatus.ACTIVE for m in mine)
        assert all(_why_not(d, closed=closed, active=active) for d in decisions.values())
        _, _, access = client_access(db, organisation.id, client.id, at=at)
        listed = [
            row.access
            for row in shared_clients(db, organisation.id, at=at).rows
            if row.client.id == client.id
        ]
        home = set(listed[0].sections) if listed else set()
        assert decided == expected, (organisation.kind, at)
        assert set(access.sections) == expected, (organisation.kind, at, access)
        assert home == expected, (organisation.kind, at, listed)
        named = _decide(staff, context, at, DataScope.NAME).allowed
        assert named == bool(expected) == bool(listed)

    # The person's links: one in use shows what its consent is a live grant for.
    in_use = 0
    for row in grants_for_client(db, client.id, at=at):
        link = row.grant
        if link.issued_at > at:
            continue  # not issued yet
        consent = db.get(Consent, link.consent_id)
        assert consent is not None
        own_limits = (
            (link.ended_at is None or at < link.ended_at)
            and _day(at) <= link.valid_until
            and (link.binding_hash is not None or link.locked_at is None)
        )
        through = {
            g.scope
            for g in grants
            if (g.member_id, g.basis_kind, g.basis_id)
            == (link.member_id, BasisKind.CONSENT, consent.id)
            and isinstance(g.scope, SectionKind)
        }
        shown = set(shown_sections(link, consent)) if row.status.usable else set()
        _note(f"link: {row.status}")
        in_use += row.status.usable
        assert row.status.usable == (own_limits and bool(through)), (row.status, at)
        assert shown == ({SectionKind(s) for s in link.sections} & through if own_limits else set())
        assert shown <= {s for m, s in in_the_matrix if m == link.member_id}
    return len(in_the_matrix), in_use


# -- the property ----------------------------------------------------------------------------------


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    report_multiple_bugs=False,
    # Without the explain phase: it traces every line while shrinking, five times slower here.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)
@given(history=histories)
def test_read_models_agree_with_decide(db: Session, history: History) -> None:
    """At any instant, for every member and plan section: the matrix says the member can see
    it now ⇔ ``live_grants`` holds it ⇔ ``decide`` allows it ⇔ the partner's home lists it
    (for an organisation) ⇔ a link in use shows it (for a person, within the link's own
    sections and days)."""
    note(f"history: {history}")
    savepoint = db.begin_nested()
    try:
        clock = Clock(history.start)
        with commands_at(clock):
            world = make_world(db(), history, clock)  # the Session itself, as the app has it
            play(world, history, clock)
        # Around the boundaries, and at the later steps (where the app would ask "now"), the
        # last step first.
        candidates = boundaries(world) + world.instants[len(world.instants) // 2 :]
        chosen = [candidates[-1 - n % len(candidates)] for n in history.probes]
        asked = [*chosen, history.start + history.anywhere, clock.at]  # and at the end
        note(f"asked at: {asked}")
        seen = [assert_agreement(world, at) for at in asked]
        shared, in_use = max(n for n, _ in seen), sum(n for _, n in seen)
        _note(f"most pairs shared at a probe: {min(shared, 4)}")
        _note(f"a link in use at a probe: {in_use > 0}")
        # Steer towards histories whose links are in use when asked.
        target(float(in_use), label="links in use")
    finally:
        savepoint.rollback()


def test_the_history_reaches_every_read_model(db: Session) -> None:
    """A fixed history that shares with all three members (the property's examples vary)."""
    start = datetime(2026, 3, 28, 21, 30, tzinfo=UTC)  # 23:30 on the eve of the spring DST day
    history = History(
        start,
        (
            MemberPlan(Joiner.AUTHORITY, -1, None),
            MemberPlan(Joiner.NGO, -1, 2),
            MemberPlan(Joiner.PERSON, -1, None),
        ),
        None,
        (
            (timedelta(minutes=1), Grant(1, frozenset(SECTIONS[:2]), 0, 1, Direction.DISCLOSE)),
            (timedelta(minutes=1), Grant(2, frozenset(SECTIONS[1:3]), 0, None, Direction.DISCLOSE)),
            (timedelta(minutes=1), Disclose(0, frozenset(SECTIONS[2:3]), 0, None)),
            (timedelta(minutes=1), Issue(0, frozenset(SECTIONS[1:2]), 3)),
            (timedelta(minutes=1), Bind(0)),
        ),
        (),
        timedelta(0),
    )
    clock = Clock(history.start)
    with commands_at(clock):
        world = make_world(db(), history, clock)  # the Session itself, as the app has it
        play(world, history, clock)
    assert (len(world.members), len(world.consents), len(world.disclosures)) == (3, 2, 1)
    assert len(world.links) == 1
    for at in boundaries(world):
        assert_agreement(world, at)
    at = clock.at
    assert assert_agreement(world, at) == (5, 1)  # five (member, section) pairs; the link
    context = load_case_contexts(db, [world.client.id])[world.client.id]
    assert {(g.member_id, g.scope) for g in live_grants(context, at) if g.scope in SECTIONS} == {
        (world.members[1].id, SECTIONS[0]),
        (world.members[1].id, SECTIONS[1]),
        (world.members[2].id, SECTIONS[1]),
        (world.members[2].id, SECTIONS[2]),
        (world.members[0].id, SECTIONS[2]),
    }
