"""Properties of the pure access decision, proven with hypothesis (no database).

The strategies build small support networks around one reference day, the spring DST change in
Finland, so validity and membership boundaries, Helsinki midnights and DST changes are hit often;
a share of the instants spans a couple of years. Record ids are small fixed UUIDs so examples
shrink to readable counterexamples. The oracles below (``_helsinki_day``, ``_supports``,
``_as_stood``) are written independently of ``consent.decision`` and ``consent.service``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from hypothesis import event, given
from hypothesis import strategies as st

from consent.decision import BasisKind, Decision, decide, live_grants
from consent.facts import (
    SYSTEM_ACTOR,
    AccessRequest,
    Action,
    Actor,
    ActorRole,
    CaseContext,
    ConsentFacts,
    Direction,
    FactsNeeded,
    Membership,
    Purpose,
    StatutoryFacts,
)
from consent.models import ConsentEvent, ConsentEventKind
from consent.sections import DataScope, Scope, SectionKind
from consent.service import ConsentTerms, who_could_see

T = TypeVar("T")
HELSINKI = ZoneInfo("Europe/Helsinki")
REF = date(2026, 3, 29)  # clocks go forward in Finland at 03:00 local (01:00 UTC) this day
DST_CHANGES = (
    datetime(2025, 10, 26, 1, tzinfo=UTC),
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
)
CLIENT = uuid.UUID(int=1)
COUNTY = uuid.UUID(int=2)
WORKER = uuid.UUID(int=3)
PARTNER_USER = uuid.UUID(int=4)
ORGS = (uuid.UUID(int=11), uuid.UUID(int=12), uuid.UUID(int=13))
FOREIGN_ORG = uuid.UUID(int=19)  # never a member of any network drawn here
RECEIVING_COUNTY = uuid.UUID(int=21)  # a county a transfer of the case may be proposed to
NOT_A_MEMBER = uuid.UUID(int=99)  # a member id no membership has
COOP = Purpose.NETWORK_COOPERATION
HOT_SECTIONS = (SectionKind.HOUSING, SectionKind.HEALTH)
ALL_SCOPES: tuple[Scope, ...] = (*SectionKind, *DataScope)
MICROSECOND = timedelta(microseconds=1)


def _member_id(n: int) -> uuid.UUID:
    return uuid.UUID(int=100 + n)


def _consent_id(n: int) -> uuid.UUID:
    return uuid.UUID(int=200 + n)


def _statutory_id(n: int) -> uuid.UUID:
    return uuid.UUID(int=300 + n)


def _helsinki_day(at: datetime) -> date:
    return at.astimezone(HELSINKI).date()


def _helsinki_midnight(day: date) -> datetime:
    """The first instant of a Finnish calendar day, in UTC."""
    return datetime.combine(day, time(), HELSINKI).astimezone(UTC)


# -- strategies ------------------------------------------------------------------------------

days: st.SearchStrategy[date] = st.one_of(st.integers(-6, 6), st.integers(-400, 400)).map(
    lambda n: REF + timedelta(days=n)
)

instants: st.SearchStrategy[datetime] = st.one_of(
    # a couple of years
    st.datetimes(datetime(2025, 3, 1), datetime(2027, 4, 30), timezones=st.just(UTC)),
    # the fortnight around the reference day
    st.datetimes(datetime(2026, 3, 22), datetime(2026, 4, 5), timezones=st.just(UTC)),
    # a few seconds either side of a Helsinki midnight
    st.builds(
        lambda day, s: _helsinki_midnight(day) + timedelta(seconds=s), days, st.integers(-3, 3)
    ),
    # two hours either side of a DST change
    st.builds(
        lambda t, s: t + timedelta(seconds=s),
        st.sampled_from(DST_CHANGES),
        st.integers(-7200, 7200),
    ),
)


def _one_in(draw: st.DrawFn, n: int) -> bool:
    """True about once in ``n`` draws (hypothesis's ``one_of`` does not weight its branches)."""
    return draw(st.integers(1, n)) == n


@st.composite
def days_near(draw: st.DrawFn, at: datetime, earliest: int = -3, latest: int = 3) -> date:
    """Mostly within a few Helsinki days of ``at``, so boundaries fall on the request day often."""
    if _one_in(draw, 4):
        return draw(days)
    return _helsinki_day(at) + timedelta(days=draw(st.integers(earliest, latest)))


def instants_near(at: datetime) -> st.SearchStrategy[datetime]:
    """Seconds or days either side of ``at`` (``at`` itself included), or anywhere."""
    return st.one_of(
        st.integers(-2, 2).map(lambda s: at + timedelta(seconds=s)),
        st.timedeltas(timedelta(days=-3), timedelta(days=3)).map(lambda d: at + d),
        instants,
    )


section_scopes: st.SearchStrategy[SectionKind] = st.one_of(
    st.sampled_from(HOT_SECTIONS), st.sampled_from(SectionKind)
)
sections: st.SearchStrategy[frozenset[SectionKind]] = st.builds(
    frozenset.union,
    st.frozensets(st.sampled_from(HOT_SECTIONS)),
    st.frozensets(st.sampled_from(SectionKind), max_size=2),
)
# What the service accepts: at least one section.
named_sections: st.SearchStrategy[frozenset[SectionKind]] = st.builds(
    lambda chosen, fallback: chosen or frozenset({fallback}), sections, section_scopes
)
scopes: st.SearchStrategy[Scope] = st.sampled_from(
    (*HOT_SECTIONS, *SectionKind, DataScope.NAME, DataScope.NAME, DataScope.BASIC)
)


@st.composite
def mostly(draw: st.DrawFn, common: T, every: Sequence[T], one_in: int = 4) -> T:
    """``common`` but about once in ``one_in`` draws any of ``every``."""
    return draw(st.sampled_from(every)) if _one_in(draw, one_in) else common


purposes: st.SearchStrategy[Purpose] = mostly(COOP, tuple(Purpose))
directions: st.SearchStrategy[Direction] = mostly(Direction.DISCLOSE, tuple(Direction))


@st.composite
def periods(draw: st.DrawFn, at: datetime) -> tuple[date, date | None]:
    """A validity or membership period: inclusive Helsinki days, possibly open-ended."""
    start = draw(days_near(at, latest=1))
    if _one_in(draw, 3):
        return start, None
    if _one_in(draw, 4):
        return start, start + timedelta(days=draw(st.integers(0, 400)))
    return start, max(start, draw(days_near(at, earliest=-1)))


@st.composite
def memberships(draw: st.DrawFn, at: datetime) -> tuple[Membership, ...]:
    """One to three members: organisations (possibly one twice) and persons (no organisation)."""
    result = []
    for n in range(draw(st.integers(1, 3))):
        organisation = draw(st.sampled_from((*ORGS, None)))
        starts_on, ends_on = draw(periods(at))
        result.append(Membership(_member_id(n), organisation, starts_on, ends_on))
    return tuple(result)


@st.composite
def consent_facts(
    draw: st.DrawFn, at: datetime, member_ids: tuple[uuid.UUID, ...], n: int
) -> ConsentFacts:
    valid_from, valid_until = draw(periods(at))
    ended_at = draw(instants_near(at)) if _one_in(draw, 3) else None
    return ConsentFacts(
        id=_consent_id(n),
        member_id=draw(st.sampled_from(member_ids)),
        sections=draw(sections),
        valid_from=valid_from,
        valid_until=valid_until,
        direction=draw(directions),
        purpose=draw(purposes),
        ended_at=ended_at,
        revoked=ended_at is not None and draw(st.booleans()),
    )


@st.composite
def statutory_facts(
    draw: st.DrawFn, at: datetime, member_ids: tuple[uuid.UUID, ...], n: int
) -> StatutoryFacts:
    valid_from, valid_until = draw(periods(at))
    return StatutoryFacts(
        id=_statutory_id(n),
        member_id=draw(st.sampled_from(member_ids)),
        sections=draw(sections),
        valid_from=valid_from,
        valid_until=valid_until,
        ended_at=draw(instants_near(at)) if _one_in(draw, 3) else None,
    )


def member_ids_of(case: CaseContext) -> tuple[uuid.UUID, ...]:
    """Who a record may name: the case's members, and sometimes someone outside the network."""
    members = tuple(m.id for m in case.memberships)
    return (*members, *members, NOT_A_MEMBER)


@st.composite
def cases(
    draw: st.DrawFn,
    at: datetime,
    *,
    min_consents: int = 0,
    max_consents: int = 3,
    max_statutory: int = 2,
) -> CaseContext:
    """A case with a network, consents and statutory disclosures, its dates drawn around ``at``."""
    case = CaseContext(
        client_id=CLIENT,
        county_id=COUNTY,
        responsible_worker_id=WORKER,
        closed_at=draw(instants_near(at)) if _one_in(draw, 6) else None,
        memberships=draw(memberships(at)),
        transfer_to=RECEIVING_COUNTY if _one_in(draw, 4) else None,
    )
    member_ids = member_ids_of(case)
    n_consents = draw(st.integers(min_consents, max_consents))
    n_statutory = draw(st.integers(0, max_statutory))
    return replace(
        case,
        consents=tuple(draw(consent_facts(at, member_ids, n)) for n in range(n_consents)),
        statutory=tuple(draw(statutory_facts(at, member_ids, n)) for n in range(n_statutory)),
    )


def partner(organisation_id: uuid.UUID) -> Actor:
    return Actor(ActorRole.PARTNER, user_id=PARTNER_USER, organisation_id=organisation_id)


def person(member_id: uuid.UUID) -> Actor:
    return Actor(ActorRole.PERSON, member_id=member_id)


CASEWORKER = Actor(ActorRole.CASEWORKER, user_id=WORKER, organisation_id=COUNTY)
CLIENT_ACTOR = Actor(ActorRole.CLIENT, client_id=CLIENT)
RECEIVING_WORKER = Actor(
    ActorRole.CASEWORKER, user_id=uuid.UUID(int=22), organisation_id=RECEIVING_COUNTY
)


def grantee_actors(case: CaseContext) -> st.SearchStrategy[Actor]:
    """A partner of a member organisation or of a foreign one, or a person grantee."""
    members = [
        partner(m.organisation_id) if m.organisation_id else person(m.id) for m in case.memberships
    ]
    return st.sampled_from(
        (*members, *members, *members, partner(FOREIGN_ORG), person(NOT_A_MEMBER))
    )


def actor_members(actor: Actor, case: CaseContext) -> set[uuid.UUID]:
    """The memberships (active or not) that a grantee acts through."""
    if actor.role is ActorRole.PERSON:
        return {m.id for m in case.memberships if m.id == actor.member_id}
    return {m.id for m in case.memberships if m.organisation_id == actor.organisation_id}


@dataclass(frozen=True)
class Scenario:
    """A grantee asking to read one scope of a case at one instant."""

    at: datetime
    case: CaseContext
    actor: Actor
    scope: Scope


@st.composite
def scenarios(
    draw: st.DrawFn,
    *,
    scope: st.SearchStrategy[Scope] | None = None,
    min_consents: int = 0,
) -> Scenario:
    """A request and its case; usually with one more consent aimed at the grantee and scope.

    Without the aimed consent, allows are rare (a live record must meet an active membership
    and the scope); with it, the properties about allowed requests get exercised too.
    """
    at = draw(instants)
    case = draw(cases(at, min_consents=min_consents))
    actor = draw(grantee_actors(case))
    asked = draw(scope if scope is not None else scopes)
    members = tuple(sorted(actor_members(actor, case)))
    if members and not _one_in(draw, 3):
        aimed = draw(consent_facts(at, members, len(case.consents)))
        covers = frozenset({asked}) if isinstance(asked, SectionKind) else frozenset(HOT_SECTIONS)
        consents = list(case.consents)
        consents.insert(
            draw(st.integers(0, len(consents))), replace(aimed, sections=aimed.sections | covers)
        )
        case = replace(case, consents=tuple(consents))
    return Scenario(at, case, actor, asked)


def ask(
    actor: Actor,
    case: CaseContext,
    at: datetime,
    scope: Scope,
    purpose: Purpose = COOP,
    action: Action = Action.READ,
) -> Decision:
    return decide(AccessRequest(actor, CLIENT, action, purpose, at, scope), case)


def _covers(record_sections: frozenset[SectionKind], scope: Scope) -> bool:
    # The name goes with any section: whoever reads a section must know whose plan it is.
    return bool(record_sections) if scope is DataScope.NAME else scope in record_sections


def _in_period(valid_from: date, valid_until: date | None, day: date) -> bool:
    return valid_from <= day and (valid_until is None or day <= valid_until)


def _supports(
    record: ConsentFacts | StatutoryFacts, members: set[uuid.UUID], scope: Scope, at: datetime
) -> bool:
    """Whether one record is a live basis for ``scope`` at ``at`` for one of ``members``."""
    if isinstance(record, ConsentFacts) and (
        record.direction is not Direction.DISCLOSE or record.purpose is not COOP
    ):
        return False
    return (
        record.member_id in members
        and _covers(record.sections, scope)
        and _in_period(record.valid_from, record.valid_until, _helsinki_day(at))
        and (record.ended_at is None or at < record.ended_at)
    )


# -- properties --------------------------------------------------------------------------------


@given(
    data=st.data(), at=instants, action=st.sampled_from(Action), purpose=st.sampled_from(Purpose)
)
def test_deny_by_default(
    data: st.DataObject, at: datetime, action: Action, purpose: Purpose
) -> None:
    """An empty case (no consents, statutory records or memberships) lets no grantee do anything."""
    case = CaseContext(client_id=CLIENT, county_id=COUNTY, responsible_worker_id=WORKER)
    actor = data.draw(
        st.one_of(
            st.sampled_from((*ORGS, FOREIGN_ORG)).map(partner),
            st.sampled_from((_member_id(0), NOT_A_MEMBER)).map(person),
        )
    )
    scope = data.draw(st.sampled_from(ALL_SCOPES))
    assert not ask(actor, case, at, scope, purpose, action).allowed


def _only(case: CaseContext, consent: ConsentFacts) -> CaseContext:
    """The case with this one consent as its only basis, open."""
    return replace(case, consents=(consent,), statutory=(), closed_at=None)


@given(
    data=st.data(),
    revoked_at=instants,
    after=st.one_of(st.just(timedelta(0)), st.timedeltas(timedelta(0), timedelta(days=800))),
    scope=scopes,
)
def test_revoked_consent_never_allows_from_its_revocation(
    data: st.DataObject, revoked_at: datetime, after: timedelta, scope: Scope
) -> None:
    """A consent revoked at r allows nothing at r or at any later instant."""
    at = revoked_at + after
    case = data.draw(cases(at, max_consents=0))
    consent = data.draw(consent_facts(at, member_ids_of(case), 0))
    consent = replace(consent, ended_at=revoked_at, revoked=True)
    actor = data.draw(grantee_actors(case))
    assert not ask(actor, _only(case, consent), at, scope).allowed


@given(
    data=st.data(),
    valid_until=days,
    days_after=st.one_of(st.just(1), st.integers(1, 400)),
    seconds=st.one_of(st.integers(0, 3), st.integers(0, 86_399)),
    scope=scopes,
)
def test_expired_consent_never_allows(
    data: st.DataObject, valid_until: date, days_after: int, seconds: int, scope: Scope
) -> None:
    """From the first instant of the Helsinki day after ``valid_until`` on, a consent allows
    nothing."""
    at = _helsinki_midnight(valid_until + timedelta(days=days_after)) + timedelta(seconds=seconds)
    case = data.draw(cases(at, max_consents=0))
    consent = data.draw(consent_facts(at, member_ids_of(case), 0))
    valid_from = min(consent.valid_from, valid_until)
    consent = replace(consent, valid_from=valid_from, valid_until=valid_until)
    actor = data.draw(grantee_actors(case))
    assert not ask(actor, _only(case, consent), at, scope).allowed


@given(
    data=st.data(),
    valid_from=days,
    days_before=st.one_of(st.just(0), st.integers(0, 400)),
    seconds=st.one_of(st.integers(1, 3), st.integers(1, 82_800)),
    scope=scopes,
)
def test_not_yet_valid_consent_never_allows(
    data: st.DataObject, valid_from: date, days_before: int, seconds: int, scope: Scope
) -> None:
    """Before the first instant of the Helsinki day ``valid_from``, a consent allows nothing."""
    at = _helsinki_midnight(valid_from - timedelta(days=days_before)) - timedelta(seconds=seconds)
    case = data.draw(cases(at, max_consents=0))
    consent = data.draw(consent_facts(at, member_ids_of(case), 0))
    valid_until = max(consent.valid_until, valid_from) if consent.valid_until else None
    consent = replace(consent, valid_from=valid_from, valid_until=valid_until)
    actor = data.draw(grantee_actors(case))
    assert not ask(actor, _only(case, consent), at, scope).allowed


@given(
    valid_from=days,
    length=st.one_of(st.none(), st.integers(0, 3), st.integers(0, 400)),
    scope=st.one_of(section_scopes, st.just(DataScope.NAME)),
    first_instant=st.booleans(),
)
def test_validity_days_are_inclusive_helsinki_days(
    valid_from: date, length: int | None, scope: Scope, first_instant: bool
) -> None:
    """An open consent allows from the first instant of its first Helsinki day to the last
    instant of its last one (the counterpart of the expiry properties: a UTC day would be off by
    two or three hours)."""
    valid_until = None if length is None else valid_from + timedelta(days=length)
    last_day = valid_until or valid_from + timedelta(days=30)
    at = (
        _helsinki_midnight(valid_from)
        if first_instant
        else _helsinki_midnight(last_day + timedelta(days=1)) - MICROSECOND
    )
    member = Membership(_member_id(0), ORGS[0], valid_from - timedelta(days=1))
    consent = ConsentFacts(
        _consent_id(0), member.id, frozenset(SectionKind), valid_from, valid_until
    )
    case = CaseContext(CLIENT, COUNTY, memberships=(member,), consents=(consent,))
    decision = ask(partner(ORGS[0]), case, at, scope)
    assert decision.allowed
    assert decision.basis_id == consent.id


def _records(case: CaseContext) -> dict[uuid.UUID, ConsentFacts | StatutoryFacts]:
    records: list[ConsentFacts | StatutoryFacts] = [*case.consents, *case.statutory]
    return {r.id: r for r in records}


def _active_members(actor: Actor, case: CaseContext, at: datetime) -> set[uuid.UUID]:
    day = _helsinki_day(at)
    return {
        m.id
        for m in case.memberships
        if m.id in actor_members(actor, case) and _in_period(m.starts_on, m.ends_on, day)
    }


@given(scenario=scenarios())
def test_scope_never_widens(scenario: Scenario) -> None:
    """A grantee allowed a scope has a live consent or statutory record covering it for one of its
    active memberships, and the decision's basis_id names such a record."""
    at, case, actor, scope = scenario.at, scenario.case, scenario.actor, scenario.scope
    decision = ask(actor, case, at, scope)
    event(f"allowed: {decision.allowed}")
    if not decision.allowed:
        return
    records = _records(case)
    assert decision.basis_id in records
    basis = records[decision.basis_id]
    expected_kind = BasisKind.CONSENT if isinstance(basis, ConsentFacts) else BasisKind.STATUTORY
    assert decision.basis_kind is expected_kind
    assert _supports(basis, _active_members(actor, case, at), scope, at)


@given(data=st.data(), scenario=scenarios(scope=section_scopes), position=st.integers(0, 10))
def test_consent_for_other_sections_changes_nothing(
    data: st.DataObject, scenario: Scenario, position: int
) -> None:
    """Adding a consent (of any other terms) for sections other than S never changes whether S is
    allowed, nor on which basis."""
    at, case, actor, scope = scenario.at, scenario.case, scenario.actor, scenario.scope
    extra = data.draw(consent_facts(at, member_ids_of(case), 9))
    extra = replace(extra, sections=extra.sections - {scope})
    consents = list(case.consents)
    consents.insert(position % (len(consents) + 1), extra)
    before = ask(actor, case, at, scope)
    after = ask(actor, replace(case, consents=tuple(consents)), at, scope)
    event(f"allowed: {before.allowed}")
    assert (after.allowed, after.basis_kind, after.basis_id) == (
        before.allowed,
        before.basis_kind,
        before.basis_id,
    )


@given(data=st.data(), scenario=scenarios(min_consents=1))
def test_removing_a_consent_never_allows_more(data: st.DataObject, scenario: Scenario) -> None:
    """Removing a consent never turns a denial into an allow."""
    at, case, actor, scope = scenario.at, scenario.case, scenario.actor, scenario.scope
    index = data.draw(st.integers(0, len(case.consents) - 1))
    fewer = replace(case, consents=case.consents[:index] + case.consents[index + 1 :])
    allowed_with_fewer = ask(actor, fewer, at, scope).allowed
    event(f"allowed with fewer: {allowed_with_fewer}")
    if allowed_with_fewer:
        assert ask(actor, case, at, scope).allowed


@given(data=st.data(), scenario=scenarios(min_consents=1))
def test_revoking_never_allows_more(data: st.DataObject, scenario: Scenario) -> None:
    """Revoking an open consent (at any instant) never turns a denial into an allow."""
    at, case, actor, scope = scenario.at, scenario.case, scenario.actor, scenario.scope
    index = data.draw(st.integers(0, len(case.consents) - 1))
    opened = list(case.consents)
    opened[index] = replace(opened[index], ended_at=None, revoked=False)
    revoked = list(opened)
    revoked[index] = replace(opened[index], ended_at=data.draw(instants_near(at)), revoked=True)
    allowed_after = ask(actor, replace(case, consents=tuple(revoked)), at, scope).allowed
    event(f"allowed after revoking: {allowed_after}")
    if allowed_after:
        assert ask(actor, replace(case, consents=tuple(opened)), at, scope).allowed


@given(data=st.data(), scenario=scenarios(), purpose=purposes, action=st.sampled_from(Action))
def test_leaving_the_network_ends_access(
    data: st.DataObject, scenario: Scenario, purpose: Purpose, action: Action
) -> None:
    """When every membership of an organisation ended before the request's Helsinki day, no
    consent or statutory record lets its staff do anything."""
    at, case, scope = scenario.at, scenario.case, scenario.scope
    organisation = scenario.actor.organisation_id or data.draw(st.sampled_from(ORGS))
    day = _helsinki_day(at)
    left: list[Membership] = []
    for m in case.memberships:
        if m.organisation_id == organisation:
            ends_on = day - timedelta(days=data.draw(st.one_of(st.just(1), st.integers(1, 30))))
            m = replace(m, starts_on=min(m.starts_on, ends_on), ends_on=ends_on)
        left.append(m)
    assert not ask(
        partner(organisation), replace(case, memberships=tuple(left)), at, scope, purpose, action
    ).allowed


@given(
    data=st.data(),
    closed_at=instants,
    later=st.one_of(st.just(timedelta(0)), st.timedeltas(timedelta(0), timedelta(days=400))),
    scope=scopes,
    action=st.sampled_from(Action),
)
def test_closing_the_case_denies_grantees_but_not_the_worker(
    data: st.DataObject, closed_at: datetime, later: timedelta, scope: Scope, action: Action
) -> None:
    """From the instant a case closes, no partner or person may do anything with it, while the
    responsible worker (omatyöntekijä) keeps case-work access."""
    at = closed_at + later
    case = replace(data.draw(cases(at)), closed_at=closed_at)
    purpose = data.draw(purposes)
    assert not ask(data.draw(grantee_actors(case)), case, at, scope, purpose, action).allowed
    assert ask(CASEWORKER, case, at, scope, Purpose.CASE_WORK, action).allowed


@given(scenario=scenarios())
def test_live_grants_agree_with_decide(scenario: Scenario) -> None:
    """For every grantee and scope, ``decide`` (READ, NETWORK_COOPERATION) allows iff
    ``live_grants`` holds a grant of that scope for one of the grantee's members, and the basis
    the decision names is such a grant: a key seal exists exactly when reading is allowed."""
    at, case = scenario.at, scenario.case
    grants = live_grants(case, at)
    event(f"grants: {bool(grants)}")
    grantees = [partner(o) for o in (*ORGS, FOREIGN_ORG)] + [
        person(m) for m in (*(m.id for m in case.memberships), NOT_A_MEMBER)
    ]
    for actor in grantees:
        members = actor_members(actor, case)
        for scope in ALL_SCOPES:
            decision = ask(actor, case, at, scope)
            sealed = {g for g in grants if g.member_id in members and g.scope is scope}
            assert decision.allowed == bool(sealed), (actor, scope, decision, sealed)
            if decision.allowed:
                assert any(
                    g.basis_kind is decision.basis_kind and g.basis_id == decision.basis_id
                    for g in sealed
                )


@given(scenario=scenarios(), purpose=purposes, action=st.sampled_from(Action))
def test_the_part_of_the_facts_a_request_needs_decides_as_the_whole(
    scenario: Scenario, purpose: Purpose, action: Action
) -> None:
    """A loader may gather only the facts a request needs (``FactsNeeded``): on that part
    every such request is decided as on the whole case, and a request needing more is denied."""
    at, case = scenario.at, scenario.case
    actors = (
        scenario.actor,
        CASEWORKER,
        RECEIVING_WORKER,
        CLIENT_ACTOR,
        partner(FOREIGN_ORG),
        SYSTEM_ACTOR,
    )
    for actor in actors:
        part = case.narrowed(FactsNeeded.of(actor, purpose))
        for scope in ALL_SCOPES:
            request = AccessRequest(actor, CLIENT, action, purpose, at, scope)
            assert decide(request, part) == decide(request, case), (actor, scope)
        for other in actors:
            needed = FactsNeeded.of(other, purpose)
            if not part.narrowed_to.covers(needed):
                request = AccessRequest(other, CLIENT, action, purpose, at, DataScope.NAME)
                assert not decide(request, part).allowed, (actor, other)


@given(data=st.data(), scenario=scenarios(), purpose=purposes)
def test_decision_is_pure_and_order_free(
    data: st.DataObject, scenario: Scenario, purpose: Purpose
) -> None:
    """Asking twice gives equal decisions, and reordering the case's tuples changes neither
    whether access is allowed nor the reason; the basis stays a live record of the grantee."""
    at, case, scope = scenario.at, scenario.case, scenario.scope
    actor = data.draw(st.sampled_from((scenario.actor, scenario.actor, CASEWORKER, CLIENT_ACTOR)))
    action = data.draw(st.sampled_from(Action))
    first = ask(actor, case, at, scope, purpose, action)
    assert ask(actor, case, at, scope, purpose, action) == first
    shuffled = replace(
        case,
        consents=tuple(data.draw(st.permutations(case.consents))),
        memberships=tuple(data.draw(st.permutations(case.memberships))),
        statutory=tuple(data.draw(st.permutations(case.statutory))),
    )
    again = ask(actor, shuffled, at, scope, purpose, action)
    assert (again.allowed, again.reason, again.basis_kind) == (
        first.allowed,
        first.reason,
        first.basis_kind,
    )
    if first.basis_kind in (BasisKind.CONSENT, BasisKind.STATUTORY):
        records = _records(case)
        assert again.basis_id in records
        assert _supports(records[again.basis_id], _active_members(actor, case, at), scope, at)
    else:
        assert again == first


# -- reconstruction from events ------------------------------------------------------------------


@dataclass
class TrueConsent:
    """The test's own record of a consent: its terms, when it was granted and how it ended."""

    facts: ConsentFacts
    granted_at: datetime
    ended_at: datetime | None = None
    revoked: bool = False
    open: bool = True  # may still be revoked, amended or expired


def _as_stood(truth: list[TrueConsent], at: datetime) -> tuple[ConsentFacts, ...]:
    """The consents as they truly stood at ``at``: granted by then, ended only if ended by then."""
    return tuple(
        replace(c.facts, ended_at=c.ended_at, revoked=c.revoked)
        if c.ended_at is not None and c.ended_at <= at
        else c.facts
        for c in truth
        if c.granted_at <= at
    )


@st.composite
def terms(draw: st.DrawFn, at: datetime, member_ids: tuple[uuid.UUID, ...]) -> ConsentTerms:
    """Terms the service accepts: a section at least, an ordered period, a consent purpose."""
    valid_from, valid_until = draw(periods(at))
    return ConsentTerms(
        member_id=draw(st.sampled_from(member_ids)),
        sections=draw(named_sections),
        valid_from=valid_from,
        valid_until=valid_until,
        direction=draw(directions),
        purpose=draw(st.sampled_from((COOP, COOP, Purpose.CASE_WORK))),
    )


@dataclass(frozen=True)
class History:
    """Consent events as the service appends them, the truth behind them, instants to ask about."""

    case: CaseContext  # no consents: those come from the events
    events: tuple[ConsentEvent, ...]  # in the order they were appended
    truth: list[TrueConsent]
    probes: tuple[datetime, ...]


@st.composite
def histories(draw: st.DrawFn, *, same_instant_steps: bool = True) -> History:
    """A random run of grant/revoke/amend/expire steps, as the service would record them.

    Steps may share an instant (a fixed clock), unless ``same_instant_steps`` is False.
    """
    gaps = st.one_of(
        st.just(timedelta(0) if same_instant_steps else MICROSECOND),
        st.timedeltas(timedelta(seconds=1), timedelta(hours=6)),
        st.timedeltas(timedelta(hours=6), timedelta(days=40)),
    )
    now = draw(instants)
    case = draw(cases(now, max_consents=0))
    member_ids = tuple(m.id for m in case.memberships)
    truth: list[TrueConsent] = []
    events: list[ConsentEvent] = []

    def record(consent: TrueConsent, kind: ConsentEventKind, at: datetime) -> None:
        snapshot = ConsentTerms(
            consent.facts.member_id,
            consent.facts.sections,
            consent.facts.valid_from,
            consent.facts.valid_until,
            consent.facts.direction,
            consent.facts.purpose,
        ).snapshot()
        events.append(
            ConsentEvent(
                consent_id=consent.facts.id,
                client_id=CLIENT,
                kind=kind,
                at=at,
                snapshot=snapshot,
            )
        )

    def new(agreed: ConsentTerms, at: datetime) -> None:
        facts = ConsentFacts(
            _consent_id(len(truth)),
            agreed.member_id,
            agreed.sections,
            agreed.valid_from,
            agreed.valid_until,
            agreed.direction,
            agreed.purpose,
        )
        truth.append(TrueConsent(facts, at))
        record(truth[-1], ConsentEventKind.GRANTED, at)

    for _ in range(draw(st.integers(1, 8))):
        now += draw(gaps)
        step = draw(st.sampled_from(("grant", "revoke", "amend", "expire")))
        open_ones = [c for c in truth if c.open]
        if step == "grant" or not open_ones:
            new(draw(terms(now, member_ids)), now)
            continue
        target = draw(st.sampled_from(open_ones))
        target.open = False
        if step == "expire":
            record(target, ConsentEventKind.EXPIRED, now)  # changes nothing: the dates decide
            continue
        target.ended_at, target.revoked = now, step == "revoke"
        kind = ConsentEventKind.REVOKED if step == "revoke" else ConsentEventKind.SUPERSEDED
        record(target, kind, now)
        if step == "amend":
            new(replace(draw(terms(now, member_ids)), member_id=target.facts.member_id), now)
    around = [e.at + d for e in events for d in (-MICROSECOND, timedelta(0), MICROSECOND)]
    validity = [
        _helsinki_midnight(d) + s
        for c in truth
        for d in (c.facts.valid_from, (c.facts.valid_until or REF) + timedelta(days=1))
        for s in (-MICROSECOND, timedelta(0))
    ]
    probes = (*around, *validity, *draw(st.lists(instants, max_size=4)))
    return History(case, tuple(events), truth, probes)


@given(history=histories())
def test_who_could_see_reconstructs_the_past(history: History) -> None:
    """For any instant, ``who_could_see`` over the events alone equals the live grants of the
    consents as they truly stood then (tracked independently while the history was made)."""
    for t in history.probes:
        expected = {
            (g.member_id, g.scope)
            for g in live_grants(replace(history.case, consents=_as_stood(history.truth, t)), t)
        }
        assert who_could_see(history.case, history.events, t) == expected, t


@given(data=st.data(), history=histories(same_instant_steps=True))
def test_who_could_see_ignores_the_order_events_come_in(
    data: st.DataObject, history: History
) -> None:
    """The events may come in any order (a SELECT without ORDER BY), even a grant and its
    revocation at the same instant: the reconstruction is the same."""
    events = data.draw(st.permutations(history.events))
    for t in history.probes:
        assert who_could_see(history.case, events, t) == who_could_see(
            history.case, history.events, t
        ), t
