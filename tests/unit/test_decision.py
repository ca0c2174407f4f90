"""The access decision for county staff, clients and partners (consents arrive with issue 4)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from consent.decision import (
    SYSTEM_ACTOR,
    AccessRequest,
    Action,
    Actor,
    ActorRole,
    CaseContext,
    Purpose,
    Reason,
    WorkTask,
    decide,
)
from consent.sections import SectionKind

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
COUNTY, OTHER_COUNTY, PARTNER_ORG = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
CLIENT = uuid.uuid4()
WORKER, TEAMMATE, COLLEAGUE, ON_CALL = (uuid.uuid4() for _ in range(4))
TASK = WorkTask(uuid.uuid4(), ON_CALL, NOW + timedelta(hours=2))
CASE = CaseContext(
    client_id=CLIENT,
    county_id=COUNTY,
    responsible_worker_id=WORKER,
    team_ids=frozenset({TEAMMATE}),
    work_tasks=(TASK,),
)


def staff(user: uuid.UUID, org: uuid.UUID = COUNTY) -> Actor:
    return Actor(ActorRole.CASEWORKER, user_id=user, organisation_id=org)


def ask(actor: Actor, purpose: Purpose, action: Action = Action.READ, at: datetime = NOW, **kw):  # type: ignore[no-untyped-def]
    return decide(AccessRequest(actor, CLIENT, action, purpose, at, **kw), CASE)


@pytest.mark.parametrize(
    ("actor", "purpose", "action", "expected"),
    [
        (staff(WORKER), Purpose.CASE_WORK, Action.READ, Reason.ALLOWED_CASE_RELATIONSHIP),
        (staff(WORKER), Purpose.CASE_WORK, Action.WRITE, Reason.ALLOWED_CASE_RELATIONSHIP),
        (staff(TEAMMATE), Purpose.CASE_WORK, Action.READ, Reason.ALLOWED_CASE_RELATIONSHIP),
        (staff(ON_CALL), Purpose.CASE_WORK, Action.READ, Reason.ALLOWED_WORK_TASK),
        (staff(COLLEAGUE), Purpose.LIST, Action.READ, Reason.ALLOWED_COUNTY_LIST),
        (staff(COLLEAGUE), Purpose.LIST, Action.WRITE, Reason.DENIED_ROLE),
        (staff(COLLEAGUE), Purpose.CASE_WORK, Action.READ, Reason.DENIED_NO_RELATIONSHIP),
        (staff(WORKER, OTHER_COUNTY), Purpose.LIST, Action.READ, Reason.DENIED_OTHER_COUNTY),
        (staff(WORKER), Purpose.OWN_DATA, Action.READ, Reason.DENIED_ROLE),
        (
            Actor(ActorRole.CLIENT, client_id=CLIENT),
            Purpose.OWN_DATA,
            Action.READ,
            Reason.ALLOWED_SELF,
        ),
        (
            Actor(ActorRole.CLIENT, client_id=CLIENT),
            Purpose.CASE_WORK,
            Action.READ,
            Reason.DENIED_NOT_OWN_DATA,
        ),
        (
            Actor(ActorRole.CLIENT, client_id=uuid.uuid4()),
            Purpose.OWN_DATA,
            Action.READ,
            Reason.DENIED_NOT_OWN_DATA,
        ),
        (
            Actor(ActorRole.PARTNER, uuid.uuid4(), PARTNER_ORG),
            Purpose.CASE_WORK,
            Action.READ,
            Reason.DENIED_NO_CONSENT,
        ),
        (Actor(ActorRole.ADMIN, uuid.uuid4()), Purpose.LIST, Action.READ, Reason.DENIED_ROLE),
        (SYSTEM_ACTOR, Purpose.ADMINISTRATION, Action.WRITE, Reason.ALLOWED_SYSTEM),
    ],
)
def test_decision_table(actor: Actor, purpose: Purpose, action: Action, expected: Reason) -> None:
    decision = ask(actor, purpose, action)
    assert decision.reason is expected
    assert decision.allowed is expected.value.startswith("allowed")


def test_work_task_expires_and_names_its_record() -> None:
    assert ask(staff(ON_CALL), Purpose.CASE_WORK).basis_id == TASK.id
    later = ask(staff(ON_CALL), Purpose.CASE_WORK, at=TASK.valid_until + timedelta(seconds=1))
    assert later.reason is Reason.DENIED_NO_RELATIONSHIP


def test_list_purpose_never_reaches_plan_sections() -> None:
    decision = ask(staff(COLLEAGUE), Purpose.LIST, section=SectionKind.HEALTH)
    assert not decision.allowed


def test_unknown_case_is_denied_for_everyone_but_the_system() -> None:
    request = AccessRequest(staff(WORKER), CLIENT, Action.READ, Purpose.CASE_WORK, NOW)
    assert decide(request, None).reason is Reason.DENIED_NO_CASE
    other = CaseContext(client_id=uuid.uuid4(), county_id=COUNTY, responsible_worker_id=WORKER)
    assert decide(request, other).reason is Reason.DENIED_NO_CASE
