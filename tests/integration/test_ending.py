"""Ending: each service ended with the client; closing the case ends all sharing at once.

DOMAIN.md process step 7 and requirement 7. After closing, no partner can read anything
(the decision denies and no key seal is left to open), the county still reads its own
records, and maintenance disposes of the case when its service task's retention ends.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cases.facts import load_case_contexts
from app.ending import commands as ending_service
from app.i18n import ENGLISH_PATTERNS, helsinki_today
from app.maintenance import commands as maintenance
from app.maintenance import retention
from app.models import (
    Case,
    Client,
    NetworkMember,
    Organisation,
    OrgKind,
    Phase,
    PlanSection,
    PlanSectionVersion,
    Role,
    ServiceTask,
)
from app.models.case import PhaseChange
from app.models.ending import CaseClosure, ServiceEnding
from app.models.parallel_plan import ParallelPlan, ParallelPlanKind
from app.models.release import ChecklistItem, ReleaseTask
from app.plan.content import SectionContent
from app.security import new_gate
from consent.base import utcnow
from consent.decision import Reason
from consent.facts import SYSTEM_ACTOR, Actor, Purpose
from consent.models import Consent, ConsentState
from consent.sections import SectionKind
from consent.status import HELSINKI
from sharing import envelope, seal
from sharing.errors import AccessDenied, KeyDestroyed
from sharing.fields import sealed
from sharing.gate import AccessGate
from sharing.models import DataKey, KeySeal
from tests import factories
from tests.conftest import csrf_token, login

TODAY = helsinki_today()
COOP = Purpose.NETWORK_COOPERATION
ENGLISH_DAY = ENGLISH_PATTERNS["date.medium"]  # how the English pages write a date


@dataclass
class World:
    worker: Actor
    worker_name: str
    worker_username: str
    housing_staff: Actor
    ngo_staff: Actor
    client: Client
    case: Case
    housing: NetworkMember
    ngo: NetworkMember
    section: PlanSectionVersion  # the housing section, consented to housing

    @property
    def base(self) -> str:
        return f"/caseworker/clients/{self.client.id}/ending"


@pytest.fixture
def world(db: Session) -> World:
    base = factories.county_case(db, name="Kuvitteellinen Kaarina", phase=Phase.ENDING)
    actor, case = base.actor, base.case
    case.service_task = ServiceTask.SUBSTANCE_ABUSE
    housing = factories.partner(db, case, name="Asuntotoimi (fictional)")
    ngo = factories.partner(
        db,
        case,
        OrgKind.NGO,
        name="Tukiyhdistys (fictional)",
        committed_on=TODAY - timedelta(days=30),
    )
    section = factories.plan_section(
        db, actor, case, SectionKind.HOUSING, SectionContent(goals="Oma vuokra-asunto")
    )
    factories.plan_section(
        db, actor, case, SectionKind.EVERYDAY_LIFE, SectionContent(goals="Vertaisryhmä")
    )
    since = TODAY - timedelta(days=10)
    factories.consent(db, actor, case, housing.member, SectionKind.HOUSING, valid_from=since)
    factories.consent(db, actor, case, ngo.member, SectionKind.EVERYDAY_LIFE, valid_from=since)
    db.commit()  # a denial ends the unit of work: keep the setup
    return World(
        actor,
        base.worker.display_name,
        base.worker.username,
        housing.actor,
        ngo.actor,
        base.client,
        case,
        housing.member,
        ngo.member,
        section,
    )


def read_housing(w: World, actor: Actor, purpose: Purpose = COOP) -> str:
    text = new_gate().read_texts(
        actor, [sealed(w.section, PlanSectionVersion.content_ct)], purpose=purpose
    )[0]
    assert text is not None
    return json.loads(text)["goals"]


def decrypt(row, column) -> str | None:  # type: ignore[no-untyped-def]
    return new_gate().read_texts(
        SYSTEM_ACTOR, [sealed(row, column)], purpose=Purpose.ADMINISTRATION
    )[0]


def seals_of(db: Session, **where) -> int:  # type: ignore[no-untyped-def]
    query = select(func.count(KeySeal.id))
    for column, value in where.items():
        query = query.where(getattr(KeySeal, column) == value)
    return db.scalar(query) or 0


def ending_form(client, path: str, **overrides: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    data = {
        "csrf_token": csrf_token(client, path),
        "ended_on": helsinki_today().isoformat(),
        "client_view": "Pärjään nyt omillani, asunto on pysyvä (fictional).",
        "worker_assessment": "Asuminen on vakiintunut; tuki voi päättyä (fictional).",
        "client_agreed": "yes",
        "continues": "Asiakas ottaa yhteyttä sosiaalipäivystykseen tarvittaessa (fictional).",
        "membership": "end",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def body(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.get_data(as_text=True))


# -- ending one service --------------------------------------------------------------------


def test_ending_a_service_stores_both_views_encrypted_and_ends_access_at_once(
    client, db: Session, world: World
) -> None:  # type: ignore[no-untyped-def]
    assert read_housing(world, world.housing_staff) == "Oma vuokra-asunto"
    login(client, world.worker_username)
    path = f"{world.base}/members/{world.housing.id}"
    page = body(client.get(path))
    assert "Asuntotoimi (fictional)" in page and "End the membership now" in page

    response = client.post(path, data=ending_form(client, path))
    assert response.status_code == 302, body(response)

    ending = db.scalars(select(ServiceEnding)).one()
    assert ending.member_id == world.housing.id and ending.case_id == world.case.id
    assert ending.client_agreed is True and not ending.membership_kept
    assert not ending.ended_with_case and ending.ended_on == helsinki_today()
    assert ending.recorded_by_id == world.worker.user_id and ending.recorded_at is not None
    assert (
        decrypt(ending, ServiceEnding.client_view_ct)
        == "Pärjään nyt omillani, asunto on pysyvä (fictional)."
    )
    assert decrypt(ending, ServiceEnding.worker_assessment_ct).startswith("Asuminen on vakiintunut")
    assert decrypt(ending, ServiceEnding.continues_ct).startswith("Asiakas ottaa yhteyttä")
    for column in (
        ServiceEnding.client_view_ct,
        ServiceEnding.worker_assessment_ct,
        ServiceEnding.continues_ct,
    ):
        assert b"Asunto" not in getattr(ending, column.key)
        assert b"asunto" not in getattr(ending, column.key)

    housing = db.get(NetworkMember, world.housing.id)
    assert housing.ended_at is not None and housing.ended_by_id == world.worker.user_id
    assert seals_of(db, member_id=world.housing.id) == 0
    with pytest.raises(AccessDenied, match=Reason.DENIED_NOT_IN_NETWORK.value):
        read_housing(world, world.housing_staff)

    listing = body(client.get(world.base))
    assert "Pärjään nyt omillani" in listing and "Asiakas ottaa yhteyttä" in listing
    assert world.worker_name in listing


def test_keeping_the_membership_is_an_explicit_choice_and_keeps_access(
    client, db: Session, world: World
) -> None:  # type: ignore[no-untyped-def]
    login(client, world.worker_username)
    path = f"{world.base}/members/{world.ngo.id}"
    missing = client.post(path, data=ending_form(client, path, membership=None))
    assert missing.status_code == 400
    assert "Choose whether the membership ends or continues." in body(missing)
    assert db.scalar(select(func.count(ServiceEnding.id))) == 0

    kept = client.post(
        path,
        data=ending_form(
            client,
            path,
            continues="Yhdistyksen vertaisryhmä jatkuu vapaaehtoisena (fictional)",
            membership="keep",
        ),
    )
    assert kept.status_code == 302
    ending = db.scalars(select(ServiceEnding)).one()
    assert ending.membership_kept is True
    assert db.get(NetworkMember, world.ngo.id).ended_at is None
    assert seals_of(db, member_id=world.ngo.id) > 0
    everyday = db.scalars(
        select(PlanSectionVersion)
        .join(PlanSection, PlanSection.id == PlanSectionVersion.section_id)
        .where(PlanSection.kind == SectionKind.EVERYDAY_LIFE)
    ).one()
    text = new_gate().read_texts(
        world.ngo_staff, [sealed(everyday, PlanSectionVersion.content_ct)], purpose=COOP
    )[0]
    assert json.loads(text or "{}")["goals"] == "Vertaisryhmä"
    # One ending per service.
    again = client.post(path, data=ending_form(client, path, membership="keep"))
    assert again.status_code == 302
    assert db.scalar(select(func.count(ServiceEnding.id))) == 1


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"client_view": "  "}, "Write down the client's own view."),
        ({"worker_assessment": ""}, "Write down your assessment."),
        ({"client_agreed": None}, "Choose whether the client agrees."),
        ({"ended_on": "2999-01-01"}, "The date cannot be in the future."),
        ({"ended_on": "not a date"}, "Not a valid date value."),
        ({"client_view": "x" * 4001}, "At most 4000 characters."),
    ],
)
def test_an_invalid_ending_is_refused_and_keeps_what_was_typed(
    client, db: Session, world: World, overrides, error
) -> None:  # type: ignore[no-untyped-def]
    login(client, world.worker_username)
    path = f"{world.base}/members/{world.housing.id}"
    response = client.post(
        path, data=ending_form(client, path, continues="Säilyvä teksti (fictional)", **overrides)
    )
    page = body(response)
    assert response.status_code == 400
    assert error in page
    assert "Säilyvä teksti (fictional)" in page
    assert 'aria-invalid="true"' in page
    assert db.scalar(select(func.count(ServiceEnding.id))) == 0
    assert db.get(NetworkMember, world.housing.id).ended_at is None


def test_a_parallel_service_ending_marks_its_plan_ended(client, db: Session, world: World) -> None:  # type: ignore[no-untyped-def]
    plan = ParallelPlan(
        case_id=world.case.id,
        client_id=world.client.id,
        kind=ParallelPlanKind.SUPERVISION_PLAN,
        organisation_id=world.housing.organisation_id,
    )
    db.add(plan)
    db.commit()
    login(client, world.worker_username)
    path = f"{world.base}/plans/{plan.id}"
    form = body(client.get(path))
    assert "End a service: Supervision plan" in form and 'name="membership"' not in form
    response = client.post(path, data=ending_form(client, path, membership=None))
    assert response.status_code == 302, body(response)
    ending = db.scalars(select(ServiceEnding)).one()
    assert ending.parallel_plan_id == plan.id and ending.member_id is None
    stored = db.get(ParallelPlan, plan.id)
    assert stored.ended_at is not None and stored.ended_by_id == world.worker.user_id


# -- closing the case ----------------------------------------------------------------------


def test_the_confirmation_page_says_what_closing_does_and_when_the_case_is_disposed(
    client, db: Session, world: World
) -> None:  # type: ignore[no-untyped-def]
    login(client, world.worker_username)
    page = body(client.get(f"{world.base}/close"))
    assert "All sharing ends at once." in page
    assert "Every key seal of the client is destroyed (" in page
    assert "Asuntotoimi (fictional), Tukiyhdistys (fictional)" in page
    assert "2 consents are in force now." in page
    assert "Service task: Substance-abuse work." in page
    assert "kept 10 years" in page
    expected = retention.disposal_on(utcnow(), ServiceTask.SUBSTANCE_ABUSE)
    assert expected.year == helsinki_today().year + 10
    assert f"disposed of on {format_date(expected, ENGLISH_DAY, locale='en')}" in page
    assert "<script" not in page
    # Both services lack an ending: each is offered as an explicit choice, in a fieldset.
    assert page.count('name="end_with_case"') == 2
    assert "<legend>Services still open</legend>" in page


def test_closing_needs_a_summary_and_every_open_service_ended_and_keeps_input(
    client, db: Session, world: World
) -> None:  # type: ignore[no-untyped-def]
    login(client, world.worker_username)
    path = f"{world.base}/close"
    empty = client.post(
        path, data={"csrf_token": csrf_token(client, path), "end_with_case": [str(world.ngo.id)]}
    )
    assert empty.status_code == 400
    assert "Write down the reason for closing and a summary." in body(empty)
    assert re.search(
        rf'value="{world.ngo.id}"[^>]*checked|checked[^>]*value="{world.ngo.id}"', body(empty)
    )

    one_missing = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "summary": "Monialaista työtä ei enää tarvita (fictional).",
            "end_with_case": [str(world.ngo.id), "not-an-id"],
        },
    )
    page = body(one_missing)
    assert one_missing.status_code == 400
    assert "Record the ending of each service still open" in page
    assert "Asuntotoimi (fictional)." in page
    assert "Monialaista työtä ei enää tarvita (fictional)." in page
    case = db.get(Case, world.case.id)
    assert case.closed_at is None and case.phase is Phase.ENDING
    assert db.scalar(select(func.count(CaseClosure.id))) == 0
    assert seals_of(db, client_id=world.client.id) > 0


def test_closing_ends_all_sharing_at_once_and_no_partner_can_read_anything(
    client, db: Session, world: World
) -> None:  # type: ignore[no-untyped-def]
    # Before: the housing office reads the housing section through the gate and its seal.
    assert read_housing(world, world.housing_staff) == "Oma vuokra-asunto"
    key_id = envelope.key_id_of(world.section.content_ct)
    keyring = factories.keyring_of()
    assert seal.open_as_grantee(
        db,
        keyring,
        organisation_id=world.housing_staff.organisation_id,
        member_id=None,
        data_key_ids=[key_id],
    )
    db.commit()
    login(client, world.worker_username)
    # The NGO's service was ended with the client and the membership kept; housing is
    # ended with the case by the worker's explicit choice.
    member_path = f"{world.base}/members/{world.ngo.id}"
    kept = client.post(member_path, data=ending_form(client, member_path, membership="keep"))
    assert kept.status_code == 302
    assert read_housing(world, world.housing_staff) == "Oma vuokra-asunto"  # still shared
    path = f"{world.base}/close"
    response = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "summary": "Asiakas pärjää itsenäisesti; monialaista työtä ei tarvita (fictional).",
            "early_reason": "Asiakas muutti toiselle hyvinvointialueelle (fictional).",
            "end_with_case": [str(world.housing.id)],
        },
    )
    assert response.status_code == 302, body(response)

    case = db.get(Case, world.case.id)
    assert case.phase is Phase.CLOSED and case.closed_at is not None
    change = db.scalars(select(PhaseChange).where(PhaseChange.case_id == case.id)).one()
    assert (change.from_phase, change.phase) == (Phase.ENDING, Phase.CLOSED)
    assert change.changed_by_id == world.worker.user_id and change.changed_at == case.closed_at
    closure = db.scalars(select(CaseClosure)).one()
    assert closure.closed_at == case.closed_at and closure.closed_by_id == world.worker.user_id
    assert closure.memberships_ended == 2 and closure.seals_removed > 0
    assert decrypt(closure, CaseClosure.summary_ct).startswith("Asiakas pärjää itsenäisesti")
    assert b"itsen" not in closure.summary_ct
    endings = {e.member_id: e for e in db.scalars(select(ServiceEnding))}
    assert endings[world.housing.id].ended_with_case
    assert endings[world.housing.id].client_view_ct is None
    assert not endings[world.ngo.id].ended_with_case
    for m in (world.housing, world.ngo):
        assert db.get(NetworkMember, m.id).ended_at is not None  # kept or not, all end

    # Every seal of the client is gone; consents stay on record, still "active".
    assert seals_of(db, client_id=world.client.id) == 0
    states = db.scalars(select(Consent.state).where(Consent.case_id == case.id)).all()
    assert states == [ConsentState.ACTIVE, ConsentState.ACTIVE]
    db.commit()

    # After: the gate denies because the case is closed ...
    for actor in (world.housing_staff, world.ngo_staff):
        with pytest.raises(AccessDenied, match=Reason.DENIED_CASE_CLOSED.value):
            read_housing(world, actor)
        with pytest.raises(AccessDenied, match=Reason.DENIED_CASE_CLOSED.value):
            new_gate().read_texts(actor, [sealed(world.client, Client.name_ct)], purpose=COOP)
    # ... and even skipping the decision, no seal is left to open the key with.
    for org in (world.housing_staff.organisation_id, world.ngo_staff.organisation_id):
        with pytest.raises(seal.NoSeal):
            seal.open_as_grantee(
                db, keyring, organisation_id=org, member_id=None, data_key_ids=[key_id]
            )
    # The county still reads its own records.
    assert read_housing(world, world.worker, Purpose.CASE_WORK) == "Oma vuokra-asunto"

    page = body(client.get(world.base))
    assert "The case is closed" in page and "The case is read-only." in page
    assert "Asiakas pärjää itsenäisesti" in page
    disposal = retention.disposal_on(case.closed_at, ServiceTask.SUBSTANCE_ABUSE)
    assert format_date(disposal, ENGLISH_DAY, locale="en") in page
    assert "Close the case…" not in page and "Record the ending" not in page


def test_a_closed_case_accepts_no_more_endings_or_closing(
    client, db: Session, world: World
) -> None:  # type: ignore[no-untyped-def]
    ending_service.close_case(
        db,
        new_gate(),
        world.worker,
        case=world.case,
        summary="Suljettu (fictional)",
        early_reason="Vapautuminen on jo toteutunut muualla (fictional).",
        end_with_case={world.housing.id, world.ngo.id},
    )
    db.commit()
    login(client, world.worker_username)
    token = csrf_token(client, world.base)
    member_path = f"{world.base}/members/{world.ngo.id}"
    assert client.get(member_path).status_code == 302
    refused = client.post(member_path, data={"csrf_token": token, "client_view": "x"})
    assert refused.status_code == 409  # every client page refuses changes to a closed case
    assert "can no longer be changed" in body(refused)
    again = client.post(f"{world.base}/close", data={"csrf_token": token, "summary": "x"})
    assert again.status_code == 409
    assert db.scalar(select(func.count(CaseClosure.id))) == 1
    with pytest.raises(ending_service.CaseClosed):
        ending_service.close_case(db, new_gate(), world.worker, case=world.case, summary="x")


def test_a_case_closed_before_this_procedure_still_shows_as_closed(
    client, db: Session, world: World
) -> None:  # type: ignore[no-untyped-def]
    case = db.get(Case, world.case.id)
    case.phase, case.closed_at = Phase.CLOSED, utcnow() - timedelta(days=30)
    db.commit()
    login(client, world.worker_username)
    page = body(client.get(world.base))
    assert "The case is closed" in page and "Reason and summary" not in page
    disposal = retention.disposal_on(case.closed_at, ServiceTask.SUBSTANCE_ABUSE)
    assert format_date(disposal, ENGLISH_DAY, locale="en") in page
    assert client.get(f"{world.base}/close").status_code == 302


def test_another_countys_worker_gets_404(client, db: Session, world: World) -> None:  # type: ignore[no-untyped-def]
    other = factories.organisation(db, OrgKind.COUNTY)
    stranger = factories.user(db, Role.CASEWORKER, other)
    db.commit()
    login(client, stranger.username)
    for path in (
        world.base,
        f"{world.base}/close",
        f"{world.base}/members/{world.housing.id}",
    ):
        assert client.get(path).status_code == 404
    token = csrf_token(client, "/caseworker/")
    closing = client.post(f"{world.base}/close", data={"csrf_token": token, "summary": "x"})
    assert closing.status_code == 404
    assert db.get(Case, world.case.id).closed_at is None


def test_a_member_or_plan_of_another_case_is_404(client, db: Session, world: World) -> None:  # type: ignore[no-untyped-def]
    county = db.get(Organisation, db.get(Client, world.client.id).county_id)
    _, other_case = factories.client(db, county, name="Toinen Asiakas")
    org = db.get(Organisation, world.housing.organisation_id)
    stranger = factories.member(db, other_case, org)
    plan = ParallelPlan(
        case_id=other_case.id,
        client_id=other_case.client_id,
        kind=ParallelPlanKind.OTHER,
        organisation_id=org.id,
    )
    db.add(plan)
    db.commit()
    login(client, world.worker_username)
    assert client.get(f"{world.base}/members/{stranger.id}").status_code == 404
    assert client.get(f"{world.base}/plans/{plan.id}").status_code == 404


def test_a_new_notification_about_a_closed_client_opens_a_new_case(
    client, db: Session, world: World
) -> None:  # type: ignore[no-untyped-def]
    ending_service.close_case(
        db,
        new_gate(),
        world.worker,
        case=world.case,
        summary="Suljettu (fictional)",
        early_reason="Vapautuminen on jo toteutunut muualla (fictional).",
        end_with_case={world.housing.id, world.ngo.id},
    )
    db.commit()
    login(client, world.worker_username)
    new = "/caseworker/intake/new"
    today = helsinki_today().isoformat()
    response = client.post(
        new,
        data={
            "csrf_token": csrf_token(client, new),
            "action": "save",
            "client_id": str(world.client.id),
            "name": "",
            "identity_code": "",
            "notifier_kind": "prison_staff",
            "notifier_name": "Vartija Veikko (fictional)",
            "channel": "phone",
            "contacted_on": today,
            "received_on": today,
            "received_time": "00:00",
            "need": "Uusi tuomio, asunto vaarassa (fictional)",
            "path": "consent",
        },
    )
    assert response.status_code == 302, body(response)
    cases = db.scalars(
        select(Case).where(Case.client_id == world.client.id).order_by(Case.opened_at)
    ).all()
    assert len(cases) == 2
    old, new_case = cases
    assert old.id == world.case.id and old.closed_at is not None and old.phase is Phase.CLOSED
    assert new_case.closed_at is None and new_case.phase is Phase.NOTIFIED
    # The old network is not the new case's: its members read nothing.
    with pytest.raises(AccessDenied, match=Reason.DENIED_NOT_IN_NETWORK.value):
        read_housing(world, world.housing_staff)


# -- retention -----------------------------------------------------------------------------


def test_the_disposal_date_follows_the_service_task_and_the_close_day() -> None:
    noon = datetime(2026, 3, 10, 12, tzinfo=HELSINKI)
    for task in ServiceTask:
        assert retention.retention_years_of(task) == 10
        assert retention.disposal_on(noon, task) == date(2036, 3, 10)
    # The Helsinki day counts: 23:30 UTC on 9 March is already 10 March in Finland.
    utc_late = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    assert retention.disposal_on(utc_late, ServiceTask.ADULT_SOCIAL_WORK) == date(2036, 3, 10)
    leap = datetime(2028, 2, 29, 12, tzinfo=HELSINKI)
    assert retention.disposal_on(leap, ServiceTask.SUBSTANCE_ABUSE) == date(2038, 3, 1)
    assert retention.disposal_on(noon, ServiceTask.SUBSTANCE_ABUSE, override=2) == date(2028, 3, 10)


def test_maintenance_disposes_the_closed_case_when_its_retention_ends(
    db: Session, world: World
) -> None:
    ending_service.close_case(
        db,
        new_gate(),
        world.worker,
        case=world.case,
        summary="Suljettu (fictional)",
        early_reason="Vapautuminen on jo toteutunut muualla (fictional).",
        end_with_case={world.housing.id, world.ngo.id},
    )
    db.commit()
    closed_at = db.get(Case, world.case.id).closed_at
    disposal = retention.disposal_on(closed_at, ServiceTask.SUBSTANCE_ABUSE)
    keyring = factories.keyring_of()

    def run_at(at: datetime) -> maintenance.MaintenanceReport:
        later = AccessGate(db, keyring, load_case_contexts, clock=lambda: at)
        return maintenance.run(db, later, now=at, retention_years=None)

    eve = datetime.combine(disposal - timedelta(days=1), time(23, 50), HELSINKI)
    assert run_at(eve).cases_disposed == 0
    assert db.get(Case, world.case.id).disposed_at is None
    assert read_housing(world, world.worker, Purpose.CASE_WORK) == "Oma vuokra-asunto"

    day = datetime.combine(disposal, time(0, 10), HELSINKI)
    assert run_at(day).cases_disposed == 1
    assert run_at(day).cases_disposed == 0  # idempotent
    assert db.get(Case, world.case.id).disposed_at is not None
    live = db.scalar(
        select(func.count(DataKey.id)).where(
            DataKey.client_id == world.client.id, DataKey.wrapped.is_not(None)
        )
    )
    assert live == 0
    with pytest.raises(KeyDestroyed):
        new_gate().read_texts(
            SYSTEM_ACTOR,
            [sealed(world.section, PlanSectionVersion.content_ct)],
            purpose=Purpose.ADMINISTRATION,
        )


# -- the page's cost -----------------------------------------------------------------------


def test_the_ending_and_closing_pages_run_a_fixed_number_of_queries(
    client, db: Session, world: World, sql_count
) -> None:  # type: ignore[no-untyped-def]
    login(client, world.worker_username)

    def queries() -> tuple[int, int]:
        counts = []
        for path in (world.base, f"{world.base}/close"):
            sql_count.clear()
            assert client.get(path).status_code == 200
            counts.append(len(sql_count))
        return counts[0], counts[1]

    def add_services(numbers: range) -> None:
        for n in numbers:
            org = factories.organisation(db, OrgKind.PUBLIC_SERVICE, f"Palvelu {n} (fictional)")
            extra = factories.member(db, world.case, org)
            ending_service.record_member_ending(
                db,
                new_gate(),
                world.worker,
                case=world.case,
                member=extra,
                assessment=ending_service.Assessment(
                    helsinki_today(), f"Näkemys {n}", f"Arvio {n}", n % 2 == 0, None
                ),
                keep_membership=n % 2 == 0,
            )
            db.add(
                ParallelPlan(
                    case_id=world.case.id,
                    client_id=world.client.id,
                    kind=ParallelPlanKind.OTHER,
                    organisation_id=org.id,
                )
            )
        db.commit()

    add_services(range(1))
    few = queries()
    add_services(range(1, 9))
    assert queries() == few
    page = body(client.get(world.base))
    assert "Näkemys 7" in page and "Arvio 0" in page


def test_closing_before_release_or_with_open_tasks_warns_and_asks_why(
    client, db: Session, world: World
) -> None:  # type: ignore[no-untyped-def]
    case = db.get(Case, world.case.id)
    case.conditional_release, case.probation_start = TODAY + timedelta(days=30), None
    db.add(
        ChecklistItem(
            case_id=case.id,
            client_id=case.client_id,
            task=ReleaseTask.BANK_ACCOUNT,
            responsible_user_id=world.worker.user_id,
        )
    )
    db.commit()
    login(client, world.worker_username)
    path = f"{world.base}/close"
    page = html.unescape(body(client.get(path)))
    assert "Wait: is it too early to close?" in page
    release = format_date(TODAY + timedelta(days=30), ENGLISH_PATTERNS["date.medium"], locale="en")
    assert f"The client has not been released yet: the release day is {release}." in page
    assert "Tasks of the release-day checklist are still open: 1." in page
    form = {
        "csrf_token": csrf_token(client, path),
        "summary": "Monialaista työtä ei enää tarvita (fictional).",
        "end_with_case": [str(world.housing.id), str(world.ngo.id)],
    }
    refused = client.post(path, data=form)
    assert refused.status_code == 400
    assert "Write down why you close the case now." in body(refused)
    db.expire_all()
    assert db.get(Case, world.case.id).closed_at is None

    reason = "Asiakas muuttaa ulkomaille ennen vapautumista (fictional)."
    closed = client.post(path, data=form | {"early_reason": reason})
    assert closed.status_code == 302, body(closed)
    closure = db.scalars(select(CaseClosure)).one()
    assert decrypt(closure, CaseClosure.early_reason_ct) == reason
    assert closure.early_reason_ct is not None and b"ulkomaille" not in closure.early_reason_ct
    assert reason in html.unescape(body(client.get(world.base)))


def test_closing_after_release_with_tasks_done_asks_nothing_more(
    client, db: Session, world: World
) -> None:  # type: ignore[no-untyped-def]
    case = db.get(Case, world.case.id)
    case.conditional_release, case.probation_start = TODAY - timedelta(days=1), None
    db.commit()
    login(client, world.worker_username)
    path = f"{world.base}/close"
    assert "too early to close" not in body(client.get(path))
    closed = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "summary": "Monialaista työtä ei enää tarvita (fictional).",
            "end_with_case": [str(world.housing.id), str(world.ngo.id)],
        },
    )
    assert closed.status_code == 302, body(closed)
    assert db.scalars(select(CaseClosure)).one().early_reason_ct is None
