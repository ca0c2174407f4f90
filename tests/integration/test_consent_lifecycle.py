"""The consent lifecycle through ``consent.service`` against the database (SQLite and PostgreSQL).

Grant, revoke, amend and expire each append a ``ConsentEvent`` with the consent's scope; the events
alone rebuild who could read what at any past instant, and no operation rewrites an earlier event.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cases.facts import load_case_contexts
from app.models import Case, Client, NetworkMember, Organisation, OrgKind, User
from consent import service
from consent.decision import live_grants
from consent.errors import ConsentNotActive, InvalidConsent
from consent.facts import Direction, Purpose
from consent.models import Consent, ConsentEvent, ConsentEventKind, ConsentState, GivenHow
from consent.sections import DataScope, Scope, SectionKind
from consent.service import ConsentTerms
from tests import factories

HELSINKI = ZoneInfo("Europe/Helsinki")
TODAY = date(2026, 3, 29)
NOON = datetime.combine(TODAY, time(12), HELSINKI).astimezone(UTC)
COOP = Purpose.NETWORK_COOPERATION
INFO = "tiedote-2026-01"  # the version of the information text the client was shown


@dataclass
class Network:
    client: Client
    case: Case
    worker: User
    housing: NetworkMember
    kela: NetworkMember


def member(db: Session, case: Case, organisation: Organisation, starts_on: date) -> NetworkMember:
    # Recorded when the period began: reconstruction counts members from when entered.
    entered = datetime.combine(starts_on, time(8), HELSINKI)
    return factories.member(db, case, organisation, starts_on=starts_on, added_at=entered)


@pytest.fixture
def network(db: Session) -> Network:
    _, worker, client, case = factories.county_case(db)
    since = TODAY - timedelta(days=60)
    housing = member(db, case, factories.organisation(db, OrgKind.PUBLIC_SERVICE), since)
    kela = member(db, case, factories.organisation(db, OrgKind.PUBLIC_SERVICE), since)
    return Network(client, case, worker, housing, kela)


def terms(
    who: NetworkMember,
    sections: set[SectionKind],
    valid_from: date = TODAY - timedelta(days=30),
    valid_until: date | None = None,
    **changes: Any,
) -> ConsentTerms:
    return ConsentTerms(who.id, frozenset(sections), valid_from, valid_until, **changes)


def grant(
    db: Session,
    net: Network,
    agreed: ConsentTerms,
    *,
    at: datetime = NOON,
    given_how: GivenHow = GivenHow.WRITTEN,
    recorder: bool = True,
) -> Consent:
    return service.grant(
        db,
        client_id=net.client.id,
        case_id=net.case.id,
        terms=agreed,
        given_how=given_how,
        information_text_version=INFO,
        recorded_by_id=net.worker.id if recorder else None,
        at=at,
    )


def amend(
    db: Session, net: Network, consent: Consent, agreed: ConsentTerms, at: datetime
) -> Consent:
    return service.amend(
        db,
        consent,
        terms=agreed,
        given_how=GivenHow.WRITTEN,
        information_text_version=INFO,
        by_user_id=net.worker.id,
        at=at,
    )


def events_of(db: Session, consent: Consent) -> list[ConsentEvent]:
    return list(
        db.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.consent_id == consent.id)
            .order_by(ConsentEvent.at)
        )
    )


def count(db: Session, model: type[Consent] | type[ConsentEvent]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def stored_events(db: Session) -> dict[uuid.UUID, tuple[Any, ...]]:
    """Every event's stored columns, read from the database rather than the identity map."""
    rows = db.execute(
        select(
            ConsentEvent.id,
            ConsentEvent.consent_id,
            ConsentEvent.client_id,
            ConsentEvent.kind,
            ConsentEvent.at,
            ConsentEvent.actor_user_id,
            ConsentEvent.snapshot,
        )
    )
    return {row.id: tuple(row) for row in rows}


# -- grant -----------------------------------------------------------------------------------


def test_grant_writes_the_consent_and_a_granted_event_with_its_scope(
    db: Session, network: Network
) -> None:
    agreed = terms(
        network.housing,
        {SectionKind.HOUSING, SectionKind.EVERYDAY_LIFE},
        valid_until=TODAY + timedelta(days=90),
    )

    consent = grant(db, network, agreed)

    stored = db.get(Consent, consent.id)
    assert stored is not None
    assert stored.state is ConsentState.ACTIVE
    assert stored.sections == ["everyday_life", "housing"]
    assert (stored.recorded_by_id, stored.recorded_at) == (network.worker.id, NOON)
    assert (stored.ended_at, stored.ended_by_id, stored.supersedes_id) == (None, None, None)
    [event] = events_of(db, consent)
    assert event.kind is ConsentEventKind.GRANTED
    assert (event.client_id, event.at, event.actor_user_id) == (
        network.client.id,
        NOON,
        network.worker.id,
    )
    assert event.snapshot == {
        "member_id": str(network.housing.id),
        "sections": ["everyday_life", "housing"],
        "valid_from": (TODAY - timedelta(days=30)).isoformat(),
        "valid_until": (TODAY + timedelta(days=90)).isoformat(),
        "direction": "disclose",
        "purpose": "network_cooperation",
    }


@pytest.mark.parametrize("given_how", [GivenHow.ORAL, GivenHow.WRITTEN])
def test_oral_or_written_consent_needs_a_named_recorder(
    db: Session, network: Network, given_how: GivenHow
) -> None:
    with pytest.raises(InvalidConsent, match="recorded by a named caseworker"):
        grant(
            db,
            network,
            terms(network.housing, {SectionKind.HOUSING}),
            given_how=given_how,
            recorder=False,
        )
    assert (count(db, Consent), count(db, ConsentEvent)) == (0, 0)


def test_electronic_consent_is_given_by_the_client_without_a_recorder(
    db: Session, network: Network
) -> None:
    consent = grant(
        db,
        network,
        terms(network.housing, {SectionKind.HOUSING}),
        given_how=GivenHow.ELECTRONIC,
        recorder=False,
    )
    [event] = events_of(db, consent)
    assert (consent.recorded_by_id, event.actor_user_id) == (None, None)


@pytest.mark.parametrize(
    ("sections", "valid_from", "valid_until", "purpose", "message"),
    [
        (set(), TODAY, None, COOP, "at least one plan section"),
        ({SectionKind.HOUSING}, TODAY, TODAY - timedelta(days=1), COOP, "end before it starts"),
        ({SectionKind.HOUSING}, TODAY, None, Purpose.LIST, "cooperation or case work"),
        ({SectionKind.HOUSING}, TODAY, None, Purpose.OWN_DATA, "cooperation or case work"),
    ],
)
def test_invalid_terms_are_refused_and_nothing_is_written(
    db: Session,
    network: Network,
    sections: set[SectionKind],
    valid_from: date,
    valid_until: date | None,
    purpose: Purpose,
    message: str,
) -> None:
    with pytest.raises(InvalidConsent, match=message):
        grant(
            db, network, terms(network.housing, sections, valid_from, valid_until, purpose=purpose)
        )
    assert (count(db, Consent), count(db, ConsentEvent)) == (0, 0)


def test_a_consent_valid_for_one_day_is_accepted(db: Session, network: Network) -> None:
    consent = grant(db, network, terms(network.housing, {SectionKind.HOUSING}, TODAY, TODAY))
    assert (consent.valid_from, consent.valid_until) == (TODAY, TODAY)


# -- revoke ----------------------------------------------------------------------------------


def test_revoke_ends_the_consent_and_appends_a_revoked_event(db: Session, network: Network) -> None:
    consent = grant(db, network, terms(network.housing, {SectionKind.HOUSING}))
    later = NOON + timedelta(hours=3)

    service.revoke(db, consent, by_user_id=network.worker.id, at=later)

    db.expire_all()
    stored = db.get(Consent, consent.id)
    assert stored is not None
    assert (stored.state, stored.ended_at, stored.ended_by_id) == (
        ConsentState.REVOKED,
        later,
        network.worker.id,
    )
    granted, revoked = events_of(db, stored)
    assert granted.kind is ConsentEventKind.GRANTED
    assert (revoked.kind, revoked.at, revoked.actor_user_id) == (
        ConsentEventKind.REVOKED,
        later,
        network.worker.id,
    )
    assert revoked.snapshot == granted.snapshot


def test_revoking_twice_is_refused(db: Session, network: Network) -> None:
    consent = grant(db, network, terms(network.housing, {SectionKind.HOUSING}))
    service.revoke(db, consent, by_user_id=network.worker.id, at=NOON + timedelta(hours=1))

    with pytest.raises(ConsentNotActive, match="revoked"):
        service.revoke(db, consent, by_user_id=network.worker.id, at=NOON + timedelta(hours=2))

    assert consent.ended_at == NOON + timedelta(hours=1)
    assert [e.kind for e in events_of(db, consent)] == [
        ConsentEventKind.GRANTED,
        ConsentEventKind.REVOKED,
    ]


# -- amend -----------------------------------------------------------------------------------


def test_amend_keeps_both_consents_and_links_them(db: Session, network: Network) -> None:
    old = grant(db, network, terms(network.housing, {SectionKind.HOUSING, SectionKind.HEALTH}))
    later = NOON + timedelta(days=1)

    new = amend(db, network, old, terms(network.housing, {SectionKind.HOUSING}), later)

    db.expire_all()
    stored_old, stored_new = db.get(Consent, old.id), db.get(Consent, new.id)
    assert stored_old is not None and stored_new is not None
    assert (stored_old.state, stored_old.ended_at, stored_old.ended_by_id) == (
        ConsentState.SUPERSEDED,
        later,
        network.worker.id,
    )
    assert stored_old.sections == ["health", "housing"]
    assert (stored_new.state, stored_new.supersedes_id, stored_new.ended_at) == (
        ConsentState.ACTIVE,
        old.id,
        None,
    )
    assert (stored_new.sections, stored_new.recorded_at) == (["housing"], later)
    assert [(e.kind, e.at) for e in events_of(db, stored_old)] == [
        (ConsentEventKind.GRANTED, NOON),
        (ConsentEventKind.SUPERSEDED, later),
    ]
    [granted] = events_of(db, stored_new)
    assert (granted.kind, granted.snapshot["sections"]) == (ConsentEventKind.GRANTED, ["housing"])


def test_amend_refuses_another_grantee_and_changes_nothing(db: Session, network: Network) -> None:
    old = grant(db, network, terms(network.housing, {SectionKind.HOUSING}))

    with pytest.raises(InvalidConsent, match="same grantee"):
        amend(
            db, network, old, terms(network.kela, {SectionKind.HOUSING}), NOON + timedelta(days=1)
        )

    assert (old.state, old.ended_at) == (ConsentState.ACTIVE, None)
    assert (count(db, Consent), count(db, ConsentEvent)) == (1, 1)


def test_amend_refuses_invalid_terms_before_ending_the_old_consent(
    db: Session, network: Network
) -> None:
    old = grant(db, network, terms(network.housing, {SectionKind.HOUSING}))

    with pytest.raises(InvalidConsent):
        amend(db, network, old, terms(network.housing, set()), NOON + timedelta(days=1))

    assert (old.state, old.ended_at) == (ConsentState.ACTIVE, None)
    assert (count(db, Consent), count(db, ConsentEvent)) == (1, 1)


def test_amend_without_a_named_recorder_changes_nothing(db: Session, network: Network) -> None:
    old = grant(db, network, terms(network.housing, {SectionKind.HOUSING}))

    with pytest.raises(InvalidConsent):
        service.amend(
            db,
            old,
            terms=terms(network.housing, {SectionKind.HEALTH}),
            given_how=GivenHow.ORAL,
            information_text_version=INFO,
            by_user_id=None,
            at=NOON + timedelta(days=1),
        )

    assert (old.state, old.ended_at) == (ConsentState.ACTIVE, None)
    assert (count(db, Consent), count(db, ConsentEvent)) == (1, 1)


def test_a_consent_cannot_end_before_it_was_recorded(db: Session, network: Network) -> None:
    consent = grant(db, network, terms(network.housing, {SectionKind.HOUSING}))

    with pytest.raises(InvalidConsent):
        service.revoke(db, consent, by_user_id=network.worker.id, at=NOON - timedelta(seconds=1))

    assert consent.state is ConsentState.ACTIVE


def test_an_amended_consent_can_be_neither_amended_nor_revoked_again(
    db: Session, network: Network
) -> None:
    old = grant(db, network, terms(network.housing, {SectionKind.HOUSING}))
    amend(db, network, old, terms(network.housing, {SectionKind.HEALTH}), NOON + timedelta(days=1))

    with pytest.raises(ConsentNotActive, match="superseded"):
        amend(
            db, network, old, terms(network.housing, {SectionKind.OTHER}), NOON + timedelta(days=2)
        )
    with pytest.raises(ConsentNotActive, match="superseded"):
        service.revoke(db, old, by_user_id=network.worker.id, at=NOON + timedelta(days=2))
    assert count(db, Consent) == 2


# -- expire ----------------------------------------------------------------------------------


def test_expire_due_marks_only_consents_past_their_last_day_and_is_idempotent(
    db: Session, network: Network
) -> None:
    def until(last_day: date | None) -> Consent:
        return grant(
            db,
            network,
            terms(network.housing, {SectionKind.HOUSING}, TODAY - timedelta(days=30), last_day),
            at=NOON - timedelta(days=30),
        )

    due = until(TODAY - timedelta(days=1))
    last_day_today = until(TODAY)
    tomorrow = until(TODAY + timedelta(days=1))
    open_ended = until(None)
    revoked_and_past = until(TODAY - timedelta(days=2))
    service.revoke(db, revoked_and_past, by_user_id=network.worker.id, at=NOON - timedelta(days=5))
    events_before = count(db, ConsentEvent)

    expired = service.expire_due(db, today=TODAY, at=NOON)

    assert [c.id for c in expired] == [due.id]
    db.expire_all()
    states = {c.id: c.state for c in db.scalars(select(Consent))}
    assert states == {
        due.id: ConsentState.EXPIRED,
        last_day_today.id: ConsentState.ACTIVE,
        tomorrow.id: ConsentState.ACTIVE,
        open_ended.id: ConsentState.ACTIVE,
        revoked_and_past.id: ConsentState.REVOKED,
    }
    assert count(db, ConsentEvent) == events_before + 1
    assert [(e.kind, e.at, e.actor_user_id) for e in events_of(db, due)][-1] == (
        ConsentEventKind.EXPIRED,
        NOON,
        None,
    )
    stored = stored_events(db)

    assert service.expire_due(db, today=TODAY, at=NOON + timedelta(minutes=1)) == []

    assert stored_events(db) == stored
    db.expire_all()
    assert {c.id: c.state for c in db.scalars(select(Consent))} == states


# -- reconstruction --------------------------------------------------------------------------


def test_who_could_see_rebuilds_each_period_from_the_stored_events(
    db: Session, network: Network
) -> None:
    """Kela's consent stands throughout; housing's is granted (t1), narrowed (t2), revoked (t3)."""
    t0 = NOON - timedelta(days=3)
    t1, t2, t3 = t0 + timedelta(hours=1), t0 + timedelta(days=1), t0 + timedelta(days=2)
    kela = grant(db, network, terms(network.kela, {SectionKind.LIVELIHOOD}), at=t0)
    wide = terms(network.housing, {SectionKind.HOUSING, SectionKind.HEALTH})
    first = grant(db, network, wide, at=t1)
    narrowed = amend(db, network, first, terms(network.housing, {SectionKind.HOUSING}), t2)
    service.revoke(db, narrowed, by_user_id=network.worker.id, at=t3)
    db.expire_all()
    case = load_case_contexts(db, [network.client.id])[network.client.id]
    events = list(db.scalars(select(ConsentEvent)))
    assert len(events) == 5 and {e.consent_id for e in events} == {kela.id, first.id, narrowed.id}

    def named(who: NetworkMember, *sections: Scope) -> set[tuple[uuid.UUID, Scope]]:
        return {(who.id, scope) for scope in (DataScope.NAME, *sections)}

    kela_reads = named(network.kela, SectionKind.LIVELIHOOD)
    second = timedelta(seconds=1)
    expected: list[tuple[datetime, set[tuple[uuid.UUID, Scope]]]] = [
        (t0 - second, set()),
        (t0, kela_reads),
        (t1 - second, kela_reads),
        (t1, kela_reads | named(network.housing, SectionKind.HOUSING, SectionKind.HEALTH)),
        (
            t1 + timedelta(hours=5),
            kela_reads | named(network.housing, SectionKind.HOUSING, SectionKind.HEALTH),
        ),
        (t2 - second, kela_reads | named(network.housing, SectionKind.HOUSING, SectionKind.HEALTH)),
        (t2, kela_reads | named(network.housing, SectionKind.HOUSING)),
        (t3 - second, kela_reads | named(network.housing, SectionKind.HOUSING)),
        (t3, kela_reads),
        (t3 + timedelta(days=30), kela_reads),
    ]
    for at, who in expected:
        assert service.who_could_see(case, events, at) == who, at
    # At the present instant the events and the stored rows tell the same story.
    assert {(g.member_id, g.scope) for g in live_grants(case, NOON)} == kela_reads


# -- append-only -----------------------------------------------------------------------------


EVENT_REWRITE = re.compile(r"^\s*(UPDATE|DELETE\s+FROM)\s+\"?consent_events\"?", re.IGNORECASE)


def test_no_operation_rewrites_or_deletes_an_earlier_event(
    db: Session, network: Network, sql_count: list[str]
) -> None:
    seen: dict[uuid.UUID, tuple[Any, ...]] = {}

    def unchanged_and_grown_by(added: int) -> None:
        nonlocal seen
        now = stored_events(db)
        assert {k: now[k] for k in seen} == seen  # earlier events still there, byte for byte
        assert len(now) == len(seen) + added
        seen = now

    housing = grant(db, network, terms(network.housing, {SectionKind.HOUSING, SectionKind.HEALTH}))
    unchanged_and_grown_by(1)
    kela = grant(
        db,
        network,
        terms(network.kela, {SectionKind.LIVELIHOOD}, valid_until=TODAY + timedelta(days=1)),
    )
    unchanged_and_grown_by(1)
    narrowed = amend(
        db,
        network,
        housing,
        terms(network.housing, {SectionKind.HOUSING}),
        NOON + timedelta(days=1),
    )
    unchanged_and_grown_by(2)
    service.revoke(db, narrowed, by_user_id=network.worker.id, at=NOON + timedelta(days=2))
    unchanged_and_grown_by(1)
    with pytest.raises(ConsentNotActive):
        service.revoke(db, narrowed, by_user_id=network.worker.id, at=NOON + timedelta(days=3))
    with pytest.raises(InvalidConsent):
        amend(db, network, kela, terms(network.housing, {SectionKind.HOUSING}), NOON)
    unchanged_and_grown_by(0)
    service.expire_due(db, today=TODAY + timedelta(days=5), at=NOON + timedelta(days=5))
    unchanged_and_grown_by(1)
    service.expire_due(db, today=TODAY + timedelta(days=5), at=NOON + timedelta(days=5))
    unchanged_and_grown_by(0)
    db.flush()

    assert [s for s in sql_count if EVENT_REWRITE.match(s)] == []
    assert any(s.lstrip().upper().startswith("INSERT INTO CONSENT_EVENTS") for s in sql_count)


def test_obtaining_consents_keep_their_direction_in_the_snapshot(
    db: Session, network: Network
) -> None:
    consent = grant(
        db,
        network,
        terms(network.kela, {SectionKind.LIVELIHOOD}, direction=Direction.OBTAIN),
    )
    [event] = events_of(db, consent)
    assert event.snapshot["direction"] == "obtain"
    case = load_case_contexts(db, [network.client.id])[network.client.id]
    # The county obtaining information shares nothing with the member.
    assert service.who_could_see(case, [event], NOON) == set()
