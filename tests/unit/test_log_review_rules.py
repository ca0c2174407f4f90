"""The log review's reconstruction of who could see what, against the access decision itself."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given

from app.log_review.rules import (
    Flag,
    FlagRules,
    LoggedAccess,
    ScannedEntry,
    Verdict,
    flags,
    may_review,
    month_bounds,
    outside_hours,
    verdict,
    who_could_read,
)
from app.models.log_review import FlagKind
from app.models.user import Role
from consent.decision import decide
from consent.facts import AccessRequest, Action, Actor, CaseContext, Membership
from consent.models import ConsentEvent, ConsentEventKind
from consent.sections import DataScope, SectionKind, scope_key
from consent.service import ConsentTerms
from tests.unit.test_consent_properties import (
    CLIENT,
    COOP,
    COUNTY,
    History,
    _as_stood,
    histories,
    partner,
    person,
)

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def _facts_at(history: History, t: datetime) -> CaseContext:
    """The case as it truly stood at ``t`` (the test's own record, not the events)."""
    case = history.case
    return replace(
        case,
        consents=_as_stood(history.truth, t),
        memberships=tuple(m for m in case.memberships if m.added_at <= t),
        statutory=tuple(d for d in case.statutory if d.decided_at <= t),
    )


def _grantees(case: CaseContext) -> list[tuple[Actor, set[uuid.UUID]]]:
    """Each grantee of the network as the decision sees it, with the memberships it acts by."""
    found: dict[Actor, set[uuid.UUID]] = {}
    for m in case.memberships:
        actor = partner(m.organisation_id) if m.organisation_id else person(m.id)
        found.setdefault(actor, set()).add(m.id)
    return list(found.items())


@given(history=histories())
def test_the_reconstruction_at_t_is_decide_over_the_facts_as_they_were_at_t(
    history: History,
) -> None:
    """For any instant t, every grantee and every section: the reconstruction (from the
    consent events) lists the section for one of the grantee's memberships exactly when
    ``decide`` allows that grantee to read it at t over the facts as they truly stood then;
    and the name whenever any section is listed."""
    for t in history.probes:
        shown = who_could_read(history.case, history.events, t)
        facts = _facts_at(history, t)
        for actor, members in _grantees(history.case):
            listed = {s for a in shown if a.member_id in members for s in a.sections}
            for scope in [*SectionKind, DataScope.NAME]:
                request = AccessRequest(actor, CLIENT, Action.READ, COOP, t, scope)
                allowed = decide(request, facts).allowed
                expected = bool(listed) if scope is DataScope.NAME else scope in listed
                assert allowed == expected, (t, actor, scope)


def test_each_basis_names_its_sections_and_members_without_access_are_left_out() -> None:
    housing, ngo = uuid.UUID(int=101), uuid.UUID(int=102)
    consent_id = uuid.UUID(int=201)
    case = CaseContext(
        client_id=CLIENT,
        county_id=COUNTY,
        memberships=(
            Membership(housing, uuid.UUID(int=11), (T0 - timedelta(days=30)).date()),
            Membership(ngo, uuid.UUID(int=12), (T0 - timedelta(days=30)).date()),
        ),
    )
    terms = ConsentTerms(
        housing,
        frozenset({SectionKind.HOUSING, SectionKind.HEALTH}),
        (T0 - timedelta(days=1)).date(),
        None,
    )
    granted = ConsentEvent(
        consent_id=consent_id,
        client_id=CLIENT,
        kind=ConsentEventKind.GRANTED,
        at=T0,
        snapshot=terms.snapshot(),
    )
    revoked = ConsentEvent(
        consent_id=consent_id,
        client_id=CLIENT,
        kind=ConsentEventKind.REVOKED,
        at=T0 + timedelta(hours=2),
        snapshot=terms.snapshot(),
    )
    events = [granted, revoked]
    # Before the consent was recorded nobody could read anything, though its days began earlier.
    assert who_could_read(case, events, T0 - timedelta(minutes=1)) == []
    (shown,) = who_could_read(case, events, T0 + timedelta(hours=1))
    assert shown.member_id == housing
    assert [b.id for b in shown.bases] == [consent_id]
    assert shown.sections == [SectionKind.HOUSING, SectionKind.HEALTH]
    assert who_could_read(case, events, T0 + timedelta(hours=3)) == []

    def entry(at: datetime, organisation: int, scope: str, allowed: bool) -> LoggedAccess:
        return LoggedAccess(
            at=at,
            actor_role="partner",
            action="read",
            organisation_id=uuid.UUID(int=organisation),
            member_id=None,
            scope=scope,
            allowed=allowed,
        )

    housing_key = scope_key(SectionKind.HOUSING)
    during, after = T0 + timedelta(hours=1), T0 + timedelta(hours=3)
    assert verdict(case, events, entry(during, 11, housing_key, True)) is Verdict.CONSISTENT
    assert verdict(case, events, entry(during, 11, "name", True)) is Verdict.CONSISTENT
    assert verdict(case, events, entry(after, 11, housing_key, False)) is Verdict.CONSISTENT
    # A read the facts did not allow, and a refusal of one they did: both stand out.
    assert verdict(case, events, entry(after, 11, housing_key, True)) is Verdict.INCONSISTENT
    assert verdict(case, events, entry(during, 12, housing_key, True)) is Verdict.INCONSISTENT
    assert verdict(case, events, entry(during, 11, housing_key, False)) is Verdict.INCONSISTENT
    county_read = replace(entry(during, 11, housing_key, True), actor_role="caseworker")
    assert verdict(case, events, county_read) is Verdict.NOT_COVERED


def test_who_may_review_the_log() -> None:
    assert may_review(Role.DATA_PROTECTION, False)
    assert may_review(Role.ADMIN, True) and may_review(Role.CASEWORKER, True)
    assert not may_review(Role.ADMIN, False) and not may_review(Role.CASEWORKER, False)
    assert not may_review(Role.PARTNER, True) and not may_review(Role.CLIENT, True)


# -- flagged patterns --------------------------------------------------------------------------

USER, OTHER = uuid.UUID(int=301), uuid.UUID(int=302)
MONDAY_NOON = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)  # 12:00 in Helsinki


def scanned(
    n: int,
    at: datetime,
    *,
    client: int = 1,
    user: uuid.UUID = USER,
    role: str = "caseworker",
    allowed: bool = True,
    basis: str | None = "relationship",
) -> ScannedEntry:
    return ScannedEntry(
        id=uuid.UUID(int=1000 + n),
        client_id=uuid.UUID(int=500 + client),
        at=at,
        actor_user_id=user,
        actor_role=role,
        action="read",
        allowed=allowed,
        basis_kind=basis,
    )


def kinds(found: list[Flag]) -> list[tuple[FlagKind, int]]:
    return [(f.kind, f.entry_id.int - 1000) for f in found]


def test_office_hours_are_helsinki_weekdays_that_are_not_holidays() -> None:
    assert not outside_hours(MONDAY_NOON)
    assert outside_hours(MONDAY_NOON.replace(hour=17))  # 19:00 in Helsinki
    assert outside_hours(MONDAY_NOON.replace(hour=4))  # 6:00
    assert not outside_hours(MONDAY_NOON.replace(hour=5))  # 7:00
    assert outside_hours(MONDAY_NOON - timedelta(days=1))  # a Sunday
    assert outside_hours(datetime(2026, 12, 24, 10, 0, tzinfo=UTC))  # Christmas Eve, a Thursday


def test_each_pattern_is_flagged_once_at_the_entry_that_shows_it() -> None:
    rules = FlagRules(many_clients=3, many_clients_within=timedelta(minutes=10), work_tasks=2)
    minute = timedelta(minutes=1)
    entries = [
        scanned(1, MONDAY_NOON, client=1),
        scanned(2, MONDAY_NOON + minute, client=1),  # the same client again: no new one
        scanned(3, MONDAY_NOON + 2 * minute, client=2),
        scanned(4, MONDAY_NOON + 3 * minute, client=3),  # the third client in ten minutes
        scanned(5, MONDAY_NOON + 4 * minute, client=4),  # the burst goes on: flagged once
        scanned(6, MONDAY_NOON + timedelta(hours=9), client=5),  # 21:00 in Helsinki
        scanned(7, MONDAY_NOON + 5 * minute, client=9),  # a closed case
        scanned(8, MONDAY_NOON + 6 * minute, client=6, allowed=False, basis=None),
        scanned(9, MONDAY_NOON + 7 * minute, client=7, basis="work_task", user=OTHER),
        scanned(10, MONDAY_NOON + 8 * minute, client=7, basis="work_task", user=OTHER),
        scanned(11, MONDAY_NOON + 9 * minute, client=8, basis="work_task", user=OTHER),
        scanned(12, MONDAY_NOON + timedelta(hours=9), client=5, role="partner", user=OTHER),
        scanned(13, MONDAY_NOON + timedelta(hours=9), client=5, role="client", user=OTHER),
    ]
    closed = {uuid.UUID(int=509): MONDAY_NOON}
    found = flags(sorted(entries, key=lambda e: e.at), closed, rules)
    assert sorted(kinds(found), key=lambda k: k[1]) == [
        (FlagKind.MANY_CLIENTS, 4),
        (FlagKind.OUTSIDE_HOURS, 6),
        (FlagKind.CLOSED_CASE, 7),
        (FlagKind.DENIED, 8),
        (FlagKind.WORK_TASKS, 11),
        (FlagKind.OUTSIDE_HOURS, 12),  # partner staff too; the client's own use never
    ]


def test_a_month_runs_from_one_finnish_midnight_to_the_next_months() -> None:
    since, until = month_bounds("2026-12")
    assert since == datetime(2026, 11, 30, 22, 0, tzinfo=UTC)
    assert until == datetime(2026, 12, 31, 22, 0, tzinfo=UTC)
    assert month_bounds("2026-06")[0] == datetime(2026, 5, 31, 21, 0, tzinfo=UTC)  # summer
    for bad in ("2026-13", "2026-1", "26-12", "2026-xx", ""):
        with pytest.raises(ValueError):
            month_bounds(bad)
