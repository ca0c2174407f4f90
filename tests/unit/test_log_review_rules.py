"""The log review's reconstruction of who could see what, against the access decision itself."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given

from app.log_review.rules import (
    LoggedAccess,
    Verdict,
    may_review,
    verdict,
    who_could_read,
)
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
