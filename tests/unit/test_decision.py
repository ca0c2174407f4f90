"""The access decision, table-driven: county staff, clients, partners and person grantees."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from consent.decision import BasisKind, Reason, decide
from consent.facts import (
    SYSTEM_ACTOR,
    AccessRequest,
    Action,
    Actor,
    ActorRole,
    CaseContext,
    ConsentFacts,
    Direction,
    Membership,
    Purpose,
    StatutoryFacts,
    WorkTask,
)
from consent.sections import DataScope, Scope, SectionKind

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
TODAY = date(2026, 11, 23)
COUNTY, OTHER_COUNTY, HOUSING_ORG, KELA, NGO = (uuid.uuid4() for _ in range(5))
CLIENT = uuid.uuid4()
WORKER, TEAMMATE, COLLEAGUE, ON_CALL = (uuid.uuid4() for _ in range(4))
TASK = WorkTask(uuid.uuid4(), ON_CALL, NOW + timedelta(hours=2))
HOUSING_MEMBER = Membership(uuid.uuid4(), HOUSING_ORG, TODAY - timedelta(days=30))
KELA_MEMBER = Membership(uuid.uuid4(), KELA, TODAY - timedelta(days=30))
NGO_MEMBER = Membership(uuid.uuid4(), NGO, TODAY - timedelta(days=30), TODAY - timedelta(days=1))
SISTER = Membership(uuid.uuid4(), None, TODAY - timedelta(days=30))
HOUSING_CONSENT = ConsentFacts(
    uuid.uuid4(),
    HOUSING_MEMBER.id,
    frozenset({SectionKind.HOUSING}),
    TODAY,
    TODAY + timedelta(days=90),
)
SISTER_CONSENT = ConsentFacts(
    uuid.uuid4(), SISTER.id, frozenset({SectionKind.RELATIONSHIPS}), TODAY, None
)
NGO_CONSENT = ConsentFacts(
    uuid.uuid4(), NGO_MEMBER.id, frozenset({SectionKind.HOUSING}), TODAY, None
)
KELA_STATUTE = StatutoryFacts(
    uuid.uuid4(), KELA_MEMBER.id, frozenset({SectionKind.LIVELIHOOD}), TODAY, TODAY
)
CASE = CaseContext(
    client_id=CLIENT,
    county_id=COUNTY,
    responsible_worker_id=WORKER,
    team_ids=frozenset({TEAMMATE}),
    work_tasks=(TASK,),
    memberships=(HOUSING_MEMBER, KELA_MEMBER, NGO_MEMBER, SISTER),
    consents=(HOUSING_CONSENT, SISTER_CONSENT, NGO_CONSENT),
    statutory=(KELA_STATUTE,),
)
HOUSING_STAFF = Actor(ActorRole.PARTNER, uuid.uuid4(), HOUSING_ORG)
SISTER_ACTOR = Actor(ActorRole.PERSON, member_id=SISTER.id)
COOP = Purpose.NETWORK_COOPERATION


def staff(user: uuid.UUID, org: uuid.UUID = COUNTY) -> Actor:
    return Actor(ActorRole.CASEWORKER, user_id=user, organisation_id=org)


def ask(
    actor: Actor,
    purpose: Purpose,
    scope: Scope = DataScope.BASIC,
    action: Action = Action.READ,
    at: datetime = NOW,
    case: CaseContext = CASE,
):  # type: ignore[no-untyped-def]
    return decide(AccessRequest(actor, CLIENT, action, purpose, at, scope), case)


@pytest.mark.parametrize(
    ("actor", "purpose", "scope", "action", "expected"),
    [
        (
            staff(WORKER),
            Purpose.CASE_WORK,
            DataScope.BASIC,
            Action.READ,
            Reason.ALLOWED_CASE_RELATIONSHIP,
        ),
        (
            staff(WORKER),
            Purpose.CASE_WORK,
            SectionKind.HEALTH,
            Action.WRITE,
            Reason.ALLOWED_CASE_RELATIONSHIP,
        ),
        (
            staff(TEAMMATE),
            Purpose.CASE_WORK,
            DataScope.BASIC,
            Action.READ,
            Reason.ALLOWED_CASE_RELATIONSHIP,
        ),
        (staff(ON_CALL), Purpose.CASE_WORK, DataScope.BASIC, Action.READ, Reason.ALLOWED_WORK_TASK),
        (staff(COLLEAGUE), Purpose.LIST, DataScope.NAME, Action.READ, Reason.ALLOWED_COUNTY_LIST),
        (staff(COLLEAGUE), Purpose.LIST, DataScope.BASIC, Action.READ, Reason.DENIED_ROLE),
        (staff(COLLEAGUE), Purpose.LIST, SectionKind.HOUSING, Action.READ, Reason.DENIED_ROLE),
        (staff(COLLEAGUE), Purpose.LIST, DataScope.NAME, Action.WRITE, Reason.DENIED_ROLE),
        (
            staff(COLLEAGUE),
            Purpose.CASE_WORK,
            DataScope.BASIC,
            Action.READ,
            Reason.DENIED_NO_RELATIONSHIP,
        ),
        (
            staff(WORKER, OTHER_COUNTY),
            Purpose.LIST,
            DataScope.NAME,
            Action.READ,
            Reason.DENIED_OTHER_COUNTY,
        ),
        (staff(WORKER), Purpose.OWN_DATA, DataScope.BASIC, Action.READ, Reason.DENIED_ROLE),
        (
            Actor(ActorRole.CLIENT, client_id=CLIENT),
            Purpose.OWN_DATA,
            SectionKind.HEALTH,
            Action.READ,
            Reason.ALLOWED_SELF,
        ),
        (
            Actor(ActorRole.CLIENT, client_id=CLIENT),
            Purpose.CASE_WORK,
            DataScope.BASIC,
            Action.READ,
            Reason.DENIED_NOT_OWN_DATA,
        ),
        (
            Actor(ActorRole.CLIENT, client_id=uuid.uuid4()),
            Purpose.OWN_DATA,
            DataScope.NAME,
            Action.READ,
            Reason.DENIED_NOT_OWN_DATA,
        ),
        (HOUSING_STAFF, COOP, SectionKind.HOUSING, Action.READ, Reason.ALLOWED_CONSENT),
        (HOUSING_STAFF, COOP, DataScope.NAME, Action.READ, Reason.ALLOWED_CONSENT),
        (HOUSING_STAFF, COOP, SectionKind.HEALTH, Action.READ, Reason.DENIED_SECTION_NOT_IN_SCOPE),
        (HOUSING_STAFF, COOP, DataScope.BASIC, Action.READ, Reason.DENIED_ROLE),
        # The client's messages with the county are county-only, whatever is shared.
        (HOUSING_STAFF, COOP, DataScope.MESSAGES, Action.READ, Reason.DENIED_ROLE),
        (HOUSING_STAFF, COOP, SectionKind.HOUSING, Action.WRITE, Reason.DENIED_READ_ONLY),
        (HOUSING_STAFF, Purpose.CASE_WORK, SectionKind.HOUSING, Action.READ, Reason.DENIED_PURPOSE),
        (
            Actor(ActorRole.PARTNER, uuid.uuid4(), KELA),
            COOP,
            SectionKind.LIVELIHOOD,
            Action.READ,
            Reason.ALLOWED_STATUTORY,
        ),
        (
            Actor(ActorRole.PARTNER, uuid.uuid4(), KELA),
            COOP,
            SectionKind.HOUSING,
            Action.READ,
            Reason.DENIED_NO_CONSENT,
        ),
        (
            Actor(ActorRole.PARTNER, uuid.uuid4(), NGO),
            COOP,
            SectionKind.HOUSING,
            Action.READ,
            Reason.DENIED_NOT_IN_NETWORK,
        ),
        (
            Actor(ActorRole.PARTNER, uuid.uuid4(), uuid.uuid4()),
            COOP,
            DataScope.NAME,
            Action.READ,
            Reason.DENIED_NOT_IN_NETWORK,
        ),
        (SISTER_ACTOR, COOP, SectionKind.RELATIONSHIPS, Action.READ, Reason.ALLOWED_CONSENT),
        (SISTER_ACTOR, COOP, SectionKind.HOUSING, Action.READ, Reason.DENIED_SECTION_NOT_IN_SCOPE),
        (
            Actor(ActorRole.PERSON, member_id=uuid.uuid4()),
            COOP,
            DataScope.NAME,
            Action.READ,
            Reason.DENIED_NOT_IN_NETWORK,
        ),
        (
            Actor(ActorRole.ADMIN, uuid.uuid4()),
            Purpose.LIST,
            DataScope.NAME,
            Action.READ,
            Reason.DENIED_ROLE,
        ),
        (
            SYSTEM_ACTOR,
            Purpose.ADMINISTRATION,
            DataScope.BASIC,
            Action.WRITE,
            Reason.ALLOWED_SYSTEM,
        ),
    ],
)
def test_decision_table(
    actor: Actor, purpose: Purpose, scope: Scope, action: Action, expected: Reason
) -> None:
    decision = ask(actor, purpose, scope, action)
    assert decision.reason is expected
    assert decision.allowed is expected.allowed


def test_allowed_decisions_name_the_record_they_relied_on() -> None:
    assert ask(staff(ON_CALL), Purpose.CASE_WORK).basis_id == TASK.id
    consent = ask(HOUSING_STAFF, COOP, SectionKind.HOUSING)
    assert (consent.basis_kind, consent.basis_id) == (BasisKind.CONSENT, HOUSING_CONSENT.id)
    kela = ask(Actor(ActorRole.PARTNER, uuid.uuid4(), KELA), COOP, SectionKind.LIVELIHOOD)
    assert (kela.basis_kind, kela.basis_id) == (BasisKind.STATUTORY, KELA_STATUTE.id)


def test_work_task_expires() -> None:
    later = ask(staff(ON_CALL), Purpose.CASE_WORK, at=TASK.valid_until + timedelta(seconds=1))
    assert later.reason is Reason.DENIED_NO_RELATIONSHIP


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # 22:30 UTC on 22.11. is already 23.11. in Helsinki: the first valid day.
        (datetime(2026, 11, 22, 22, 30, tzinfo=UTC), Reason.ALLOWED_CONSENT),
        (datetime(2026, 11, 22, 21, 30, tzinfo=UTC), Reason.DENIED_NOT_YET_VALID),
        # The last valid day is inclusive until Helsinki midnight.
        (datetime(2027, 2, 21, 21, 59, tzinfo=UTC), Reason.ALLOWED_CONSENT),
        (datetime(2027, 2, 21, 22, 1, tzinfo=UTC), Reason.DENIED_EXPIRED),
    ],
)
def test_validity_is_inclusive_in_helsinki_days(at: datetime, expected: Reason) -> None:
    assert ask(HOUSING_STAFF, COOP, SectionKind.HOUSING, at=at).reason is expected


def test_revocation_takes_effect_at_its_instant() -> None:
    revoked = ConsentFacts(**{**HOUSING_CONSENT.__dict__, "ended_at": NOW, "revoked": True})
    case = replace(CASE, consents=(revoked,))
    assert ask(
        HOUSING_STAFF, COOP, SectionKind.HOUSING, at=NOW - timedelta(seconds=1), case=case
    ).allowed
    assert (
        ask(HOUSING_STAFF, COOP, SectionKind.HOUSING, at=NOW, case=case).reason
        is Reason.DENIED_REVOKED
    )


def test_closing_the_case_ends_all_sharing_but_not_the_countys_access() -> None:
    closed = replace(CASE, closed_at=NOW - timedelta(days=1))
    assert (
        ask(HOUSING_STAFF, COOP, SectionKind.HOUSING, case=closed).reason
        is Reason.DENIED_CASE_CLOSED
    )
    assert ask(staff(WORKER), Purpose.CASE_WORK, SectionKind.HOUSING, case=closed).allowed


def test_obtain_direction_does_not_disclose() -> None:
    obtain = ConsentFacts(**{**HOUSING_CONSENT.__dict__, "direction": Direction.OBTAIN})
    case = replace(CASE, consents=(obtain,))
    assert (
        ask(HOUSING_STAFF, COOP, SectionKind.HOUSING, case=case).reason is Reason.DENIED_NO_CONSENT
    )


def test_unknown_case_is_denied_for_everyone_but_the_system() -> None:
    request = AccessRequest(staff(WORKER), CLIENT, Action.READ, Purpose.CASE_WORK, NOW)
    assert decide(request, None).reason is Reason.DENIED_NO_CASE
    other = CaseContext(client_id=uuid.uuid4(), county_id=COUNTY, responsible_worker_id=WORKER)
    assert decide(request, other).reason is Reason.DENIED_NO_CASE


@pytest.mark.parametrize("role", [ActorRole.MANAGER, ActorRole.ANALYST])
@pytest.mark.parametrize("purpose", list(Purpose))
def test_county_managers_and_analysts_read_nothing_of_a_client(
    role: ActorRole, purpose: Purpose
) -> None:
    """Statistics roles of the client's own county: every section and scope refused."""
    actor = Actor(role, uuid.uuid4(), COUNTY)
    for scope in [*SectionKind, *DataScope]:
        decision = ask(actor, purpose, scope, Action.READ)
        assert not decision.allowed and decision.reason is Reason.DENIED_ROLE
