"""Where a membership, a consent, a statutory disclosure and a person's link stand at an
instant: ``consent.status`` on its own (tables at Helsinki midnights and DST changes), and
against ``decide`` and ``live_grants``, which must read the same rules (hypothesis).

The strategies are those of ``test_consent_properties`` (small networks around the spring
DST change, boundaries hit often). The oracles here (``_day``, ``_midnight``) use only
``zoneinfo``, not ``consent.status``.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from consent.decision import BasisKind, Grant, Reason, live_grants
from consent.facts import (
    Actor,
    ActorRole,
    CaseContext,
    ConsentFacts,
    Direction,
    Membership,
    Purpose,
    StatutoryFacts,
)
from consent.sections import DataScope, Scope, SectionKind
from consent.status import (
    ConsentStatus,
    LinkFacts,
    LinkStatus,
    MembershipStatus,
    PeriodStatus,
    consent_status,
    disclosure_status,
    helsinki_day,
    link_status,
    membership_active,
    membership_status,
    period_status,
    shares_for_cooperation,
)
from tests.unit.test_consent_properties import (
    CLIENT,
    COUNTY,
    DST_CHANGES,
    ORGS,
    actor_members,
    ask,
    cases,
    consent_facts,
    grantee_actors,
    instants,
    instants_near,
    memberships,
    periods,
    section_scopes,
    statutory_facts,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
MICROSECOND = timedelta(microseconds=1)
MEMBER = uuid.UUID(int=501)
CONSENT = uuid.UUID(int=502)
DISCLOSURE = uuid.UUID(int=503)
ORG = ORGS[0]
COOP = Purpose.NETWORK_COOPERATION
SPRING = date(2026, 3, 29)  # 23 hours: 03:00 local (01:00 UTC) becomes 04:00
AUTUMN = date(2026, 10, 25)  # 25 hours: 04:00 local (01:00 UTC) becomes 03:00 again
LONG_AGO = date(2000, 1, 1)


def _utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def _day(at: datetime) -> date:
    return at.astimezone(HELSINKI).date()


def _midnight(day: date) -> datetime:
    """The first instant of a Finnish calendar day, in UTC."""
    return datetime.combine(day, time(), HELSINKI).astimezone(UTC)


def _last_instant(day: date) -> datetime:
    return _midnight(day + timedelta(days=1)) - MICROSECOND


# -- tables: the Finnish calendar day --------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "day"),
    [
        # winter (UTC+2): the day starts at 22:00 UTC the evening before
        (_utc(2026, 3, 27, 21, 59, 59, 999999), date(2026, 3, 27)),
        (_utc(2026, 3, 27, 22), date(2026, 3, 28)),
        # the spring change: 29 March starts at 22:00 UTC and ends at 21:00 UTC (23 hours)
        (_utc(2026, 3, 28, 21, 59, 59, 999999), date(2026, 3, 28)),
        (_utc(2026, 3, 28, 22), SPRING),
        (_utc(2026, 3, 29, 0, 59, 59), SPRING),  # 02:59:59 local, just before the jump
        (_utc(2026, 3, 29, 1), SPRING),  # 04:00 local
        (_utc(2026, 3, 29, 20, 59, 59, 999999), SPRING),
        (_utc(2026, 3, 29, 21), date(2026, 3, 30)),
        # summer (UTC+3): the day starts at 21:00 UTC the evening before
        (_utc(2026, 7, 1, 20, 59, 59, 999999), date(2026, 7, 1)),
        (_utc(2026, 7, 1, 21), date(2026, 7, 2)),
        # the autumn change: 25 October starts at 21:00 UTC and ends at 22:00 UTC (25 hours)
        (_utc(2026, 10, 24, 20, 59, 59, 999999), date(2026, 10, 24)),
        (_utc(2026, 10, 24, 21), AUTUMN),
        (_utc(2026, 10, 25, 0, 30), AUTUMN),  # 03:30 local, the first time
        (_utc(2026, 10, 25, 1, 30), AUTUMN),  # 03:30 local, the second time
        (_utc(2026, 10, 25, 21, 59, 59, 999999), AUTUMN),
        (_utc(2026, 10, 25, 22), date(2026, 10, 26)),
        # the zone the instant is given in does not matter, only the instant
        (datetime(2026, 3, 28, 23, 30, tzinfo=timezone(timedelta(hours=-5))), SPRING),
        (datetime(2026, 3, 29, 2, 59, tzinfo=timezone(timedelta(hours=5))), date(2026, 3, 28)),
    ],
)
def test_helsinki_day(at: datetime, day: date) -> None:
    assert helsinki_day(at) == day


@pytest.mark.parametrize(
    ("starts", "ends", "day", "expected"),
    [
        (date(2026, 3, 10), None, date(2026, 3, 9), PeriodStatus.UPCOMING),
        (date(2026, 3, 10), None, date(2026, 3, 10), PeriodStatus.CURRENT),
        (date(2026, 3, 10), None, date(2099, 1, 1), PeriodStatus.CURRENT),
        (date(2026, 3, 10), date(2026, 3, 10), date(2026, 3, 10), PeriodStatus.CURRENT),
        (date(2026, 3, 10), date(2026, 3, 10), date(2026, 3, 11), PeriodStatus.PAST),
        (date(2026, 3, 10), date(2026, 3, 20), date(2026, 3, 20), PeriodStatus.CURRENT),
        (date(2026, 3, 10), date(2026, 3, 20), date(2026, 3, 21), PeriodStatus.PAST),
        (date(2026, 3, 10), date(2026, 3, 20), date(2026, 3, 9), PeriodStatus.UPCOMING),
    ],
)
def test_period_days_are_inclusive(
    starts: date, ends: date | None, day: date, expected: PeriodStatus
) -> None:
    assert period_status(starts, ends, day) is expected


# -- tables: memberships ---------------------------------------------------------------------

ON_THE_SPRING_DAY = Membership(MEMBER, ORG, starts_on=SPRING, ends_on=SPRING)
ON_THE_AUTUMN_DAY = Membership(MEMBER, ORG, starts_on=AUTUMN, ends_on=AUTUMN)
ENDED_BY_HAND_AT = _utc(2026, 3, 29, 9, 15)
ENDED_BY_HAND = Membership(MEMBER, ORG, date(2026, 3, 1), None, ended_at=ENDED_BY_HAND_AT)
ENDED_BEFORE_STARTING = Membership(
    MEMBER, None, date(2026, 4, 10), date(2026, 4, 20), ended_at=_utc(2026, 4, 1, 12)
)


@pytest.mark.parametrize(
    ("membership", "at", "expected"),
    [
        # a one-day membership on the 23-hour day
        (ON_THE_SPRING_DAY, _utc(2026, 3, 28, 21, 59, 59, 999999), MembershipStatus.UPCOMING),
        (ON_THE_SPRING_DAY, _utc(2026, 3, 28, 22), MembershipStatus.ACTIVE),
        (ON_THE_SPRING_DAY, _utc(2026, 3, 29, 20, 59, 59, 999999), MembershipStatus.ACTIVE),
        (ON_THE_SPRING_DAY, _utc(2026, 3, 29, 21), MembershipStatus.ENDED),
        # a one-day membership on the 25-hour day
        (ON_THE_AUTUMN_DAY, _utc(2026, 10, 24, 20, 59, 59, 999999), MembershipStatus.UPCOMING),
        (ON_THE_AUTUMN_DAY, _utc(2026, 10, 24, 21), MembershipStatus.ACTIVE),
        (ON_THE_AUTUMN_DAY, _utc(2026, 10, 25, 21, 59, 59, 999999), MembershipStatus.ACTIVE),
        (ON_THE_AUTUMN_DAY, _utc(2026, 10, 25, 22), MembershipStatus.ENDED),
        # ended by hand: at that very instant, not at the end of the day
        (ENDED_BY_HAND, ENDED_BY_HAND_AT - MICROSECOND, MembershipStatus.ACTIVE),
        (ENDED_BY_HAND, ENDED_BY_HAND_AT, MembershipStatus.ENDED),
        (ENDED_BY_HAND, _utc(2027, 1, 1), MembershipStatus.ENDED),
        # ended by hand before its first day: never active
        (ENDED_BEFORE_STARTING, _utc(2026, 4, 1, 11, 59), MembershipStatus.UPCOMING),
        (ENDED_BEFORE_STARTING, _utc(2026, 4, 1, 12), MembershipStatus.ENDED),
        (ENDED_BEFORE_STARTING, _utc(2026, 4, 15), MembershipStatus.ENDED),
    ],
)
def test_membership_status(
    membership: Membership, at: datetime, expected: MembershipStatus
) -> None:
    assert membership_status(membership, at) is expected
    assert membership_active(membership, at) is (expected is MembershipStatus.ACTIVE)


# -- tables: consents and disclosures --------------------------------------------------------


def _consent(
    valid_from: date = date(2026, 3, 10),
    valid_until: date | None = SPRING,
    ended_at: datetime | None = None,
    *,
    revoked: bool = False,
    direction: Direction = Direction.DISCLOSE,
    purpose: Purpose = COOP,
) -> ConsentFacts:
    return ConsentFacts(
        CONSENT,
        MEMBER,
        frozenset({SectionKind.HOUSING}),
        valid_from,
        valid_until,
        direction,
        purpose,
        ended_at,
        revoked,
    )


REVOKED_AT = _utc(2026, 3, 20, 8)


@pytest.mark.parametrize(
    ("consent", "at", "expected"),
    [
        (_consent(), _midnight(date(2026, 3, 10)) - MICROSECOND, ConsentStatus.UPCOMING),
        (_consent(), _midnight(date(2026, 3, 10)), ConsentStatus.LIVE),
        (_consent(), _last_instant(SPRING), ConsentStatus.LIVE),
        (_consent(), _utc(2026, 3, 29, 21), ConsentStatus.EXPIRED),  # 30 March has begun
        (_consent(valid_until=None), _utc(2031, 1, 1), ConsentStatus.LIVE),
        # ended: revoked or superseded from that instant, whatever its days say
        (_consent(ended_at=REVOKED_AT, revoked=True), REVOKED_AT - MICROSECOND, ConsentStatus.LIVE),
        (_consent(ended_at=REVOKED_AT, revoked=True), REVOKED_AT, ConsentStatus.REVOKED),
        (_consent(ended_at=REVOKED_AT), REVOKED_AT, ConsentStatus.SUPERSEDED),
        (_consent(ended_at=REVOKED_AT, revoked=True), _utc(2027, 1, 1), ConsentStatus.REVOKED),
        # revoked before its first day: upcoming until then, revoked after
        (
            _consent(date(2026, 4, 1), None, REVOKED_AT, revoked=True),
            REVOKED_AT - MICROSECOND,
            ConsentStatus.UPCOMING,
        ),
        (
            _consent(date(2026, 4, 1), None, REVOKED_AT, revoked=True),
            REVOKED_AT,
            ConsentStatus.REVOKED,
        ),
        # revoked after it had expired: expired until the revocation, revoked after it
        (
            _consent(valid_until=date(2026, 3, 15), ended_at=REVOKED_AT, revoked=True),
            REVOKED_AT - MICROSECOND,
            ConsentStatus.EXPIRED,
        ),
        # the direction and purpose do not change where a consent stands
        (_consent(direction=Direction.OBTAIN), _utc(2026, 3, 15), ConsentStatus.LIVE),
        (_consent(purpose=Purpose.CASE_WORK), _utc(2026, 3, 15), ConsentStatus.LIVE),
    ],
)
def test_consent_status(consent: ConsentFacts, at: datetime, expected: ConsentStatus) -> None:
    assert consent_status(consent, at) is expected


def _disclosure(ended_at: datetime | None = None) -> StatutoryFacts:
    sections = frozenset({SectionKind.HEALTH})
    return StatutoryFacts(DISCLOSURE, MEMBER, sections, date(2026, 10, 20), AUTUMN, ended_at)


@pytest.mark.parametrize(
    ("disclosure", "at", "expected"),
    [
        (_disclosure(), _midnight(date(2026, 10, 20)) - MICROSECOND, ConsentStatus.UPCOMING),
        (_disclosure(), _midnight(date(2026, 10, 20)), ConsentStatus.LIVE),
        (_disclosure(), _utc(2026, 10, 25, 21, 59, 59, 999999), ConsentStatus.LIVE),
        (_disclosure(), _utc(2026, 10, 25, 22), ConsentStatus.EXPIRED),
        (_disclosure(_utc(2026, 10, 22, 10)), _utc(2026, 10, 22, 9, 59), ConsentStatus.LIVE),
        # a disclosure the worker ended early reads as revoked
        (_disclosure(_utc(2026, 10, 22, 10)), _utc(2026, 10, 22, 10), ConsentStatus.REVOKED),
        (_disclosure(_utc(2026, 10, 1)), _utc(2026, 10, 2), ConsentStatus.REVOKED),
    ],
)
def test_disclosure_status(
    disclosure: StatutoryFacts, at: datetime, expected: ConsentStatus
) -> None:
    assert disclosure_status(disclosure, at) is expected


@pytest.mark.parametrize(
    ("status", "in_force", "current"),
    [
        (ConsentStatus.LIVE, True, True),
        (ConsentStatus.UPCOMING, False, True),
        (ConsentStatus.REVOKED, False, False),
        (ConsentStatus.EXPIRED, False, False),
        (ConsentStatus.SUPERSEDED, False, False),
    ],
)
def test_only_a_live_record_is_in_force(
    status: ConsentStatus, in_force: bool, current: bool
) -> None:
    assert status.in_force is in_force
    assert status.current is current


@pytest.mark.parametrize(
    ("direction", "purpose", "shares"),
    [
        (Direction.DISCLOSE, COOP, True),
        (Direction.OBTAIN, COOP, False),
        (Direction.DISCLOSE, Purpose.CASE_WORK, False),
        (Direction.OBTAIN, Purpose.CASE_WORK, False),
    ],
)
def test_only_disclosing_for_cooperation_shares(
    direction: Direction, purpose: Purpose, shares: bool
) -> None:
    assert shares_for_cooperation(_consent(direction=direction, purpose=purpose)) is shares


# -- tables: a person's link -----------------------------------------------------------------

LINK_DAY = date(2026, 3, 20)
NOW = _utc(2026, 3, 18, 12)
LINK = LinkFacts(valid_until=SPRING)
LIVE = _consent(valid_until=None)
MEMBERSHIP = Membership(MEMBER, None, date(2026, 3, 1))
GONE = _utc(2026, 3, 18, 11)  # an hour before NOW


@pytest.mark.parametrize(
    ("link", "consent", "membership", "at", "expected"),
    [
        (LINK, LIVE, MEMBERSHIP, NOW, LinkStatus.WAITING),
        (replace(LINK, bound=True), LIVE, MEMBERSHIP, NOW, LinkStatus.ACTIVE),
        (replace(LINK, locked=True), LIVE, MEMBERSHIP, NOW, LinkStatus.LOCKED),
        (replace(LINK, bound=True, locked=True), LIVE, MEMBERSHIP, NOW, LinkStatus.ACTIVE),
        # its last day is inclusive, in Helsinki days (the spring day ends at 21:00 UTC)
        (LINK, LIVE, MEMBERSHIP, _utc(2026, 3, 29, 20, 59, 59, 999999), LinkStatus.WAITING),
        (LINK, LIVE, MEMBERSHIP, _utc(2026, 3, 29, 21), LinkStatus.EXPIRED),
        # what ended it first, by kind: the link itself, its consent, the membership, its days
        (
            replace(LINK, ended_at=GONE, bound=True),
            replace(LIVE, ended_at=GONE, revoked=True),
            replace(MEMBERSHIP, ended_at=GONE),
            NOW,
            LinkStatus.ENDED,
        ),
        (replace(LINK, ended_at=NOW), LIVE, MEMBERSHIP, NOW, LinkStatus.ENDED),
        (replace(LINK, ended_at=NOW + MICROSECOND), LIVE, MEMBERSHIP, NOW, LinkStatus.WAITING),
        (
            LINK,
            replace(LIVE, ended_at=GONE, revoked=True),
            replace(MEMBERSHIP, ended_at=GONE),
            NOW,
            LinkStatus.CONSENT_ENDED,
        ),
        (LINK, replace(LIVE, ended_at=GONE), MEMBERSHIP, NOW, LinkStatus.CONSENT_ENDED),
        (
            LINK,
            replace(LIVE, valid_until=date(2026, 3, 17)),
            MEMBERSHIP,
            NOW,
            LinkStatus.CONSENT_ENDED,
        ),
        (
            LINK,
            replace(LIVE, direction=Direction.OBTAIN),
            MEMBERSHIP,
            NOW,
            LinkStatus.CONSENT_ENDED,
        ),
        (LINK, replace(LIVE, purpose=Purpose.CASE_WORK), MEMBERSHIP, NOW, LinkStatus.CONSENT_ENDED),
        (
            replace(LINK, valid_until=date(2026, 3, 10)),
            LIVE,
            replace(MEMBERSHIP, ended_at=GONE),
            NOW,
            LinkStatus.MEMBERSHIP_ENDED,
        ),
        (
            LINK,
            LIVE,
            replace(MEMBERSHIP, ends_on=date(2026, 3, 17)),
            NOW,
            LinkStatus.MEMBERSHIP_ENDED,
        ),
        (
            replace(LINK, valid_until=date(2026, 3, 17), bound=True),
            LIVE,
            MEMBERSHIP,
            NOW,
            LinkStatus.EXPIRED,
        ),
    ],
)
def test_link_status(
    link: LinkFacts,
    consent: ConsentFacts,
    membership: Membership,
    at: datetime,
    expected: LinkStatus,
) -> None:
    assert link_status(link, consent, membership, at) is expected


@pytest.mark.parametrize("status", list(LinkStatus))
def test_only_a_waiting_or_bound_link_is_usable(status: LinkStatus) -> None:
    assert status.usable is (status in (LinkStatus.WAITING, LinkStatus.ACTIVE))


# -- properties of the rules alone -----------------------------------------------------------

_RANK = {
    MembershipStatus.UPCOMING: 0,
    MembershipStatus.ACTIVE: 1,
    MembershipStatus.ENDED: 2,
    ConsentStatus.UPCOMING: 0,
    ConsentStatus.LIVE: 1,
    ConsentStatus.EXPIRED: 2,
    ConsentStatus.REVOKED: 2,
    ConsentStatus.SUPERSEDED: 2,
}


def _in_period(starts: date, ends: date | None, day: date) -> bool:
    return starts <= day and (ends is None or day <= ends)


def _not_ended(ended_at: datetime | None, at: datetime) -> bool:
    return ended_at is None or at < ended_at


@st.composite
def a_membership(draw: st.DrawFn, at: datetime) -> Membership:
    """One membership drawn around ``at``: sometimes ended by hand, near ``at`` or anywhere."""
    membership = draw(memberships(at))[0]
    if draw(st.integers(0, 2)) == 0:
        membership = replace(membership, ended_at=draw(instants_near(at)))
    return membership


@given(data=st.data(), at=instants)
def test_the_rules_match_their_definition(data: st.DataObject, at: datetime) -> None:
    """Each status is its period in inclusive Helsinki days, cut short by an end instant."""
    membership = data.draw(a_membership(at))
    consent = data.draw(consent_facts(at, (MEMBER,), 0))
    disclosure = data.draw(statutory_facts(at, (MEMBER,), 0))
    day = _day(at)
    assert membership_active(membership, at) == (
        _not_ended(membership.ended_at, at)
        and _in_period(membership.starts_on, membership.ends_on, day)
    )
    assert consent_status(consent, at).in_force == (
        _not_ended(consent.ended_at, at)
        and _in_period(consent.valid_from, consent.valid_until, day)
    )
    assert disclosure_status(disclosure, at).in_force == (
        _not_ended(disclosure.ended_at, at)
        and _in_period(disclosure.valid_from, disclosure.valid_until, day)
    )


@given(data=st.data(), at=instants, last=st.booleans())
def test_days_change_only_at_helsinki_midnight(
    data: st.DataObject, at: datetime, last: bool
) -> None:
    """Without an end instant, a status is the same all through a Finnish calendar day (23 or
    25 hours long on DST days): from its first microsecond to its last."""
    membership = replace(data.draw(a_membership(at)), ended_at=None)
    consent = replace(data.draw(consent_facts(at, (MEMBER,), 0)), ended_at=None, revoked=False)
    disclosure = replace(data.draw(statutory_facts(at, (MEMBER,), 0)), ended_at=None)
    edge = _last_instant(_day(at)) if last else _midnight(_day(at))
    assert helsinki_day(edge) == helsinki_day(at)
    assert membership_status(membership, edge) is membership_status(membership, at)
    assert consent_status(consent, edge) is consent_status(consent, at)
    assert disclosure_status(disclosure, edge) is disclosure_status(disclosure, at)


@given(data=st.data(), at=instants)
def test_an_end_instant_ends_exactly_then(data: st.DataObject, at: datetime) -> None:
    """Ended at ``e``: ended from ``e`` on; the microsecond before, the days alone decide."""
    ended_at = data.draw(instants_near(at))
    membership = data.draw(a_membership(at))
    consent = data.draw(consent_facts(at, (MEMBER,), 0))
    disclosure = data.draw(statutory_facts(at, (MEMBER,), 0))
    open_consent = replace(consent, ended_at=None, revoked=False)
    ended = replace(consent, ended_at=ended_at, revoked=data.draw(st.booleans()))
    before = ended_at - MICROSECOND
    assert membership_status(replace(membership, ended_at=ended_at), ended_at) is (
        MembershipStatus.ENDED
    )
    assert membership_status(replace(membership, ended_at=ended_at), before) is (
        membership_status(replace(membership, ended_at=None), before)
    )
    assert consent_status(ended, ended_at) is (
        ConsentStatus.REVOKED if ended.revoked else ConsentStatus.SUPERSEDED
    )
    assert consent_status(ended, before) is consent_status(open_consent, before)
    assert disclosure_status(replace(disclosure, ended_at=ended_at), ended_at) is (
        ConsentStatus.REVOKED
    )
    assert disclosure_status(replace(disclosure, ended_at=ended_at), before) is (
        disclosure_status(replace(disclosure, ended_at=None), before)
    )


@given(data=st.data(), first=instants, later=st.timedeltas(timedelta(0), timedelta(days=30)))
def test_nothing_comes_back(data: st.DataObject, first: datetime, later: timedelta) -> None:
    """Over time a status only moves forward (upcoming → active or live → ended): whatever has
    ended never applies again, and nothing becomes upcoming once it has begun."""
    second = first + later
    membership = data.draw(a_membership(first))
    consent = data.draw(consent_facts(first, (MEMBER,), 0))
    disclosure = data.draw(statutory_facts(first, (MEMBER,), 0))
    for status_at in (
        lambda at: membership_status(membership, at),
        lambda at: consent_status(consent, at),
        lambda at: disclosure_status(disclosure, at),
    ):
        assert _RANK[status_at(first)] <= _RANK[status_at(second)]


# -- the rules against the decision ----------------------------------------------------------


def _section_of(record: ConsentFacts | StatutoryFacts, fallback: SectionKind) -> SectionKind:
    return min(record.sections, default=fallback)


@given(data=st.data(), at=instants, scope=section_scopes)
def test_membership_active_is_decides_in_network(
    data: st.DataObject, at: datetime, scope: SectionKind
) -> None:
    """A grantee is in the network for ``decide`` exactly when one of its memberships is
    ``membership_active``; with a consent that fits otherwise, that is when it may read."""
    case = replace(data.draw(cases(at)), closed_at=None)
    actor = data.draw(grantee_actors(case))
    mine = actor_members(actor, case)
    active = any(membership_active(m, at) for m in case.memberships if m.id in mine)
    event(f"active: {active}")
    decision = ask(actor, case, at, scope)
    assert (decision.reason is Reason.DENIED_NOT_IN_NETWORK) == (not active)
    fitting = tuple(
        ConsentFacts(uuid.UUID(int=900 + n), m.id, frozenset({scope}), LONG_AGO, None)
        for n, m in enumerate(case.memberships)
    )
    assert ask(actor, replace(case, consents=fitting), at, scope).allowed == active


def _open_network(member_id: uuid.UUID) -> CaseContext:
    """An open case whose one member (a person) has been active since long ago."""
    return CaseContext(
        CLIENT, COUNTY, memberships=(Membership(member_id, None, LONG_AGO),), closed_at=None
    )


def _person(member_id: uuid.UUID) -> Actor:
    return Actor(ActorRole.PERSON, member_id=member_id)


_REASON_OF = {
    ConsentStatus.REVOKED: Reason.DENIED_REVOKED,
    ConsentStatus.EXPIRED: Reason.DENIED_EXPIRED,
    ConsentStatus.UPCOMING: Reason.DENIED_NOT_YET_VALID,
    ConsentStatus.SUPERSEDED: Reason.DENIED_NO_CONSENT,
}


@given(data=st.data(), at=instants)
def test_consent_in_force_is_decides_allow(data: st.DataObject, at: datetime) -> None:
    """With an active member and an open case, a consent for a section lets its member read
    it exactly when ``consent_status(...).in_force`` and it ``shares_for_cooperation``; when
    it is only the status that fails, the denial says which status."""
    consent = data.draw(consent_facts(at, (MEMBER,), 0))
    scope = _section_of(consent, SectionKind.HOUSING)
    consent = replace(consent, sections=consent.sections | {scope})
    status = consent_status(consent, at)
    event(f"status: {status}")
    decision = ask(_person(MEMBER), replace(_open_network(MEMBER), consents=(consent,)), at, scope)
    assert decision.allowed == (status.in_force and shares_for_cooperation(consent))
    if decision.allowed:
        assert (decision.basis_kind, decision.basis_id) == (BasisKind.CONSENT, consent.id)
    elif consent.direction is Direction.DISCLOSE and consent.purpose is COOP:
        assert decision.reason is _REASON_OF[status]


@given(data=st.data(), at=instants)
def test_disclosure_in_force_is_decides_allow(data: st.DataObject, at: datetime) -> None:
    """Likewise a statutory disclosure: it lets its member read exactly when in force."""
    disclosure = data.draw(statutory_facts(at, (MEMBER,), 0))
    scope = _section_of(disclosure, SectionKind.HEALTH)
    disclosure = replace(disclosure, sections=disclosure.sections | {scope})
    status = disclosure_status(disclosure, at)
    event(f"status: {status}")
    case = replace(_open_network(MEMBER), statutory=(disclosure,))
    decision = ask(_person(MEMBER), case, at, scope)
    assert decision.allowed == status.in_force
    if decision.allowed:
        assert (decision.basis_kind, decision.basis_id) == (BasisKind.STATUTORY, disclosure.id)


def _expected_grants(case: CaseContext, at: datetime) -> set[Grant]:
    """``live_grants`` spelled out with the status rules, one record at a time."""
    if case.closed_at is not None and case.closed_at <= at:
        return set()
    active = {m.id for m in case.memberships if membership_active(m, at)}
    expected: set[Grant] = set()
    records: list[tuple[uuid.UUID, frozenset[SectionKind], BasisKind, uuid.UUID]] = [
        (c.member_id, c.sections, BasisKind.CONSENT, c.id)
        for c in case.consents
        if shares_for_cooperation(c) and consent_status(c, at).in_force
    ]
    records += [
        (d.member_id, d.sections, BasisKind.STATUTORY, d.id)
        for d in case.statutory
        if disclosure_status(d, at).in_force
    ]
    for member_id, kinds, basis_kind, basis_id in records:
        if member_id in active and kinds:
            scopes: list[Scope] = [DataScope.NAME, *kinds]
            expected.update(Grant(member_id, s, basis_kind, basis_id) for s in scopes)
    return expected


@given(data=st.data(), at=instants)
def test_live_grants_are_the_status_rules(data: st.DataObject, at: datetime) -> None:
    """``live_grants`` is exactly: an active membership meets a record in force (a consent
    only when it shares for cooperation), for the name and each of the record's sections."""
    case = data.draw(cases(at))
    grants = live_grants(case, at)
    event(f"grants: {bool(grants)}")
    assert grants == _expected_grants(case, at)


@given(data=st.data(), at=instants)
def test_live_grants_are_decide_per_member(data: st.DataObject, at: datetime) -> None:
    """For each member (asking as that one member, a person grantee) and each scope, ``decide``
    allows exactly when ``live_grants`` holds a grant of that member and scope, and on one of
    those grants' bases."""
    case = data.draw(cases(at))
    grants = live_grants(case, at)
    event(f"grants: {bool(grants)}")
    for membership in case.memberships:
        for scope in (*SectionKind, DataScope.NAME, DataScope.BASIC):
            decision = ask(_person(membership.id), case, at, scope)
            held = {
                (g.basis_kind, g.basis_id)
                for g in grants
                if g.member_id == membership.id and g.scope is scope
            }
            assert decision.allowed == bool(held), (membership, scope, decision)
            if decision.allowed:
                assert (decision.basis_kind, decision.basis_id) in held


@st.composite
def links(draw: st.DrawFn, at: datetime) -> LinkFacts:
    valid_until = draw(periods(at))[0]
    ended_at = draw(instants_near(at)) if draw(st.integers(0, 3)) == 0 else None
    bound = draw(st.booleans())
    return LinkFacts(valid_until, ended_at, bound, locked=not bound and draw(st.booleans()))


@given(data=st.data(), at=instants)
def test_a_usable_link_is_a_live_grant(data: st.DataObject, at: datetime) -> None:
    """A link is usable exactly when its own limits hold (not ended, not past its last day,
    not locked before it was bound), its membership has not ended and its consent is a
    basis in force; whenever its member is active, that is when ``live_grants`` holds its
    consent for the member, section by section."""
    membership = replace(data.draw(a_membership(at)), id=MEMBER, organisation_id=None)
    consent = data.draw(consent_facts(at, (MEMBER,), 0))
    # A consent names a section at least (``ConsentTerms.validate``), and so does its link.
    consent = replace(consent, sections=consent.sections or frozenset({SectionKind.HOUSING}))
    link = data.draw(links(at))
    status = link_status(link, consent, membership, at)
    event(f"link: {status}")
    own_limits = (
        _not_ended(link.ended_at, at)
        and _day(at) <= link.valid_until
        and (link.bound or not link.locked)
    )
    basis = shares_for_cooperation(consent) and consent_status(consent, at).in_force
    ended = membership_status(membership, at) is MembershipStatus.ENDED
    assert status.usable == (own_limits and basis and not ended)
    if membership_status(membership, at) is not MembershipStatus.UPCOMING:
        case = CaseContext(CLIENT, COUNTY, memberships=(membership,), consents=(consent,))
        held = {
            g.scope
            for g in live_grants(case, at)
            if (g.member_id, g.basis_kind, g.basis_id) == (MEMBER, BasisKind.CONSENT, consent.id)
        }
        assert status.usable == (own_limits and bool(held))
        if status.usable:
            assert held == {DataScope.NAME, *consent.sections}


@given(
    at=st.sampled_from(DST_CHANGES),
    seconds=st.integers(-26 * 3600, 26 * 3600),
    offset=st.integers(-1, 1),
)
def test_dst_changes_do_not_move_the_day(at: datetime, seconds: int, offset: int) -> None:
    """Around a DST change the Finnish day is still the zone's: a one-day membership is
    active from its Helsinki midnight to the next, whatever the length of that day."""
    instant = at + timedelta(seconds=seconds)
    day = _day(at) + timedelta(days=offset)
    membership = Membership(MEMBER, ORG, day, day)
    expected = _midnight(day) <= instant < _midnight(day + timedelta(days=1))
    assert membership_active(membership, instant) == expected


def test_the_oracles_see_the_dst_days() -> None:
    """The test's own midnights: 23 hours on the spring day, 25 on the autumn one."""
    assert _midnight(SPRING + timedelta(days=1)) - _midnight(SPRING) == timedelta(hours=23)
    assert _midnight(AUTUMN + timedelta(days=1)) - _midnight(AUTUMN) == timedelta(hours=25)
