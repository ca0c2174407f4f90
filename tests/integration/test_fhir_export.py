"""The FHIR R4 export: each role gets exactly what its web pages show, as valid R4 resources.

Every bundle is validated with the ``fhir.resources`` R4B models (the R4-compatible ones),
the whole bundle and each entry on its own, so a failure names the resource.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.commands import record_statutory_disclosure, revoke_consent
from app.consents.texts import FIRST_VERSION
from app.fhir.export import IDENTITY_CODE_SYSTEM, SharingEnded, export_bundle
from app.i18n import helsinki_today
from app.models import (
    Case,
    Client,
    ClientPlan,
    NetworkMember,
    Organisation,
    OrgKind,
    PlanSection,
    Role,
    User,
)
from app.models.plan import AgreementState
from app.network import commands as network_service
from app.plan.content import SectionContent
from app.security import new_gate
from consent.base import utcnow
from consent.facts import Actor, Direction, Purpose
from consent.models import Consent
from consent.sections import SectionKind
from sharing.access_log import AccessLogEntry
from sharing.errors import AccessDenied
from sharing.gate import AccessGate
from tests import factories
from tests.conftest import api_token

BASE = "https://tukiverkko.example"
SECTION_SYSTEM = f"{BASE}/fhir/CodeSystem/plan-section"
IDENTITY_CODE = "010190-900P"
HOUSING_GOAL = "Oma vuokra-asunto ennen vapautumista (fictional)"
HEALTH_GOAL = "Päihdekuntoutus jatkuu avohoitona (fictional)"  # never shared with the partner
RELATIONS_GOAL = "Yhteys siskoon säilyy (fictional)"
SISTER = "Kuvitteellinen Sisko"
NGO_NAME = "Kuvitteellinen Tukiyhdistys"
PURPOSE_TEXT = "Asunnon järjestäminen (fictional)"


def today() -> date:
    return helsinki_today()


@dataclass
class World:
    county: Organisation
    worker: User
    worker_actor: Actor
    record: Client
    case: Case
    client_user: User
    housing: Organisation
    housing_member: NetworkMember
    partner: User
    ngo: Organisation
    ngo_member: NetworkMember
    probation_member: NetworkMember  # ended
    sister: NetworkMember
    plan: ClientPlan
    sections: dict[SectionKind, PlanSection]
    housing_consent: Consent
    sister_consent: Consent
    revoked_consent: Consent

    @property
    def client_actor(self) -> Actor:
        return factories.actor(self.client_user)

    @property
    def partner_actor(self) -> Actor:
        return factories.actor(self.partner)


def org_member(
    db: Session, case: Case, org: Organisation, role: str, actor: Actor
) -> NetworkMember:
    return factories.org_member(
        db, actor, case, org.id, role=role, starts_on=today() - timedelta(days=30)
    )


def write_section(
    db: Session,
    actor: Actor,
    case: Case,
    kind: SectionKind,
    content: SectionContent,
    *,
    agreement: AgreementState = AgreementState.AGREED,
    review_on: date | None = None,
    responsible: tuple[NetworkMember, ...] = (),
) -> PlanSection:
    version = factories.plan_section(
        db,
        actor,
        case,
        kind,
        content,
        agreement=agreement,
        review_on=review_on,
        responsible=responsible,
    )
    section = db.get(PlanSection, version.section_id)
    assert section is not None
    return section


def grant(
    db: Session,
    actor: Actor,
    case: Case,
    member: NetworkMember,
    *sections: SectionKind,
    until: date | None,
    direction: Direction = Direction.DISCLOSE,
) -> Consent:
    return factories.consent(
        db,
        actor,
        case,
        member,
        *sections,
        valid_until=until,
        direction=direction,
        purpose_text=PURPOSE_TEXT,
    )


@pytest.fixture
def world(db: Session) -> World:
    base = factories.county_case(db, name="Kuvitteellinen Kalle", identity_code=IDENTITY_CODE)
    worker, actor, record, case = base.worker, base.actor, base.client, base.case
    client_user = factories.user(db, Role.CLIENT, client=record)
    housing = factories.organisation(db, OrgKind.PUBLIC_SERVICE, "Kuvitteellinen asuntotoimisto")
    partner = factories.user(db, Role.PARTNER, housing)
    ngo = factories.organisation(db, OrgKind.NGO, NGO_NAME)
    probation = factories.organisation(db, OrgKind.PROBATION, "Kuvitteellinen yhdyskuntaseuraamus")
    housing_member = org_member(db, case, housing, "Asuntoasiat (fictional)", actor)
    ngo_member = org_member(db, case, ngo, "Vertaistuki (fictional)", actor)
    ngo_member.confidentiality_committed_on = today()
    probation_member = org_member(db, case, probation, "Valvonta (fictional)", actor)
    network_service.end_member(db, new_gate(), probation_member, by_user_id=worker.id)
    sister = factories.person_member(
        db,
        actor,
        case,
        SISTER,
        role="Tukee arjessa (fictional)",
        starts_on=today() - timedelta(days=10),
    )
    sister.confidentiality_committed_on = today()
    plan = factories.client_plan(
        db, case, review_on=today() + timedelta(days=30), created_by=worker
    )
    sections = {
        SectionKind.HOUSING: write_section(
            db,
            actor,
            case,
            SectionKind.HOUSING,
            SectionContent(
                goals=HOUSING_GOAL,
                measures="Asuntohakemus Kuvitteelliseen asuntotoimistoon",
                client_view="Haluan asua yksin (fictional)",
                worker_view="Tuettu asuminen olisi hyvä alku (fictional)",
            ),
            agreement=AgreementState.DISAGREED,
            review_on=today() + timedelta(days=14),
            responsible=(housing_member,),
        ),
        SectionKind.HEALTH: write_section(
            db,
            actor,
            case,
            SectionKind.HEALTH,
            SectionContent(goals=HEALTH_GOAL, measures="A-klinikan käynnit (fictional)"),
        ),
        SectionKind.RELATIONSHIPS: write_section(
            db,
            actor,
            case,
            SectionKind.RELATIONSHIPS,
            SectionContent(goals=RELATIONS_GOAL),
            agreement=AgreementState.DRAFT,
            responsible=(sister,),
        ),
    }
    until = today() + timedelta(days=90)
    housing_consent = grant(
        db, actor, case, housing_member, SectionKind.HOUSING, SectionKind.LIVELIHOOD, until=until
    )
    sister_consent = grant(db, actor, case, sister, SectionKind.RELATIONSHIPS, until=None)
    revoked = grant(db, actor, case, ngo_member, SectionKind.HEALTH, until=until)
    revoke_consent(db, new_gate(), actor, revoked, receipt=None)
    db.flush()
    return World(
        base.county,
        worker,
        actor,
        record,
        case,
        client_user,
        housing,
        housing_member,
        partner,
        ngo,
        ngo_member,
        probation_member,
        sister,
        plan,
        sections,
        housing_consent,
        sister_consent,
        revoked,
    )


# -- helpers -------------------------------------------------------------------------------


class CountingGate(AccessGate):
    """The real gate, counting its batched reads."""

    reads = 0

    def read_texts(self, *args: Any, **kwargs: Any) -> list[str | None]:
        self.reads += 1
        return super().read_texts(*args, **kwargs)


def counting_gate() -> CountingGate:
    gate = new_gate()
    return CountingGate(gate._session, gate._keyring, gate._load_cases)


def export(
    db: Session, w: World, actor: Actor, purpose: Purpose, gate: AccessGate | None = None
) -> dict[str, Any]:
    return export_bundle(
        db,
        gate or new_gate(),
        actor,
        w.record,
        w.case,
        purpose=purpose,
        base_url=BASE + "/",
    )


def validate(bundle: dict[str, Any]) -> None:
    """Each entry with its own R4B class first (so errors name it), then the whole bundle."""
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    Bundle.model_validate(bundle)


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def by_id(bundle: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in resources(bundle, kind)}


def references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def assert_references_resolve(bundle: dict[str, Any]) -> None:
    full_urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(full_urls) == len(set(full_urls))
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
    assert set(references(bundle)) <= set(full_urls)


def ref(row_id: uuid.UUID) -> dict[str, str]:
    return {"reference": f"urn:uuid:{row_id}"}


def section_codes(resource: dict[str, Any]) -> list[str]:
    return [
        coding["code"]
        for provision in resource["provision"]["provision"]
        for concept in provision["code"]
        for coding in concept["coding"]
        if coding["system"] == SECTION_SYSTEM
    ]


def log(db: Session, client_id: uuid.UUID) -> list[AccessLogEntry]:
    return list(
        db.scalars(
            select(AccessLogEntry)
            .where(AccessLogEntry.client_id == client_id)
            .order_by(AccessLogEntry.seq)
        )
    )


# -- the caseworker ------------------------------------------------------------------------


def test_the_caseworker_gets_the_whole_case_as_valid_r4(db: Session, world: World) -> None:
    gate = counting_gate()
    bundle = export(db, world, world.worker_actor, Purpose.CASE_WORK, gate)

    validate(bundle)
    assert_references_resolve(bundle)
    assert bundle["type"] == "collection"
    assert gate.reads == 1  # one batched gate read for the whole bundle

    [patient] = resources(bundle, "Patient")
    assert patient["id"] == str(world.record.id)
    assert patient["name"][0]["text"] == "Kuvitteellinen Kalle"
    assert patient["identifier"] == [
        {"use": "official", "system": IDENTITY_CODE_SYSTEM, "value": IDENTITY_CODE}
    ]

    goals = by_id(bundle, "Goal")
    assert set(goals) == {str(s.id) for s in world.sections.values()}
    housing_goal = goals[str(world.sections[SectionKind.HOUSING].id)]
    assert housing_goal["description"]["text"] == HOUSING_GOAL
    assert housing_goal["category"][0]["coding"][0] == {
        "system": SECTION_SYSTEM,
        "code": "housing",
        "display": "Housing",
    }
    assert [n["text"] for n in housing_goal["note"]] == [
        "Haluan asua yksin (fictional)",
        "Tuettu asuminen olisi hyvä alku (fictional)",
    ]
    assert housing_goal["note"][0]["authorReference"] == ref(world.record.id)
    acceptance = housing_goal["extension"][0]
    assert {"url": "status", "valueCode": "disagree"} in acceptance["extension"]
    assert {
        "url": f"{BASE}/fhir/StructureDefinition/review-date",
        "valueDate": (today() + timedelta(days=14)).isoformat(),
    } in housing_goal["extension"]
    draft = goals[str(world.sections[SectionKind.RELATIONSHIPS].id)]
    assert draft["lifecycleStatus"] == "proposed"
    assert goals[str(world.sections[SectionKind.HEALTH].id)]["description"]["text"] == HEALTH_GOAL

    [care_plan] = resources(bundle, "CarePlan")
    assert (care_plan["id"], care_plan["status"], care_plan["intent"]) == (
        str(world.plan.id),
        "active",
        "plan",
    )
    assert care_plan["careTeam"] == [ref(world.case.id)]
    assert {g["reference"] for g in care_plan["goal"]} == {f"urn:uuid:{g}" for g in goals}
    assert care_plan["extension"][0]["valueDate"] == (today() + timedelta(days=30)).isoformat()
    activities = {
        a["detail"]["code"]["coding"][0]["code"]: a["detail"] for a in care_plan["activity"]
    }
    assert set(activities) == {"housing", "health"}  # relationships has no measures
    assert activities["housing"]["performer"] == [ref(world.housing.id)]
    assert activities["housing"]["description"] == "Asuntohakemus Kuvitteelliseen asuntotoimistoon"


def test_the_caseworker_sees_the_whole_network_with_periods(db: Session, world: World) -> None:
    bundle = export(db, world, world.worker_actor, Purpose.CASE_WORK)

    organisations = by_id(bundle, "Organization")
    assert set(organisations) == {
        str(o)
        for o in (
            world.county.id,
            world.housing.id,
            world.ngo.id,
            world.probation_member.organisation_id,
        )
    }
    ngo = organisations[str(world.ngo.id)]
    assert ngo["name"] == NGO_NAME
    assert ngo["type"][0]["coding"][0]["code"] == "ngo"
    [sister] = resources(bundle, "RelatedPerson")
    assert sister["id"] == str(world.sister.id)
    assert sister["name"] == [{"text": SISTER}]
    assert sister["relationship"][0]["coding"][0]["code"] == "close_person"
    assert sister["patient"] == ref(world.record.id)
    [worker] = resources(bundle, "Practitioner")
    assert worker["name"] == [{"text": world.worker.display_name}]

    [team] = resources(bundle, "CareTeam")
    assert team["id"] == str(world.case.id) and team["status"] == "active"
    participants = {p["member"]["reference"]: p for p in team["participant"]}
    assert set(participants) == {
        f"urn:uuid:{i}"
        for i in (
            world.county.id,
            world.worker.id,
            world.housing.id,
            world.ngo.id,
            world.probation_member.organisation_id,
            world.sister.id,
        )
    }
    housing = participants[f"urn:uuid:{world.housing.id}"]
    assert housing["role"][0]["text"] == "Asuntoasiat (fictional)"
    assert housing["period"] == {"start": (today() - timedelta(days=30)).isoformat()}
    ended = participants[f"urn:uuid:{world.probation_member.organisation_id}"]
    assert ended["period"]["end"] == world.probation_member.ended_at.isoformat()  # type: ignore[union-attr]
    assert participants[f"urn:uuid:{world.worker.id}"]["onBehalfOf"] == ref(world.county.id)


def test_consents_have_a_provision_per_section_a_period_and_a_purpose(
    db: Session, world: World
) -> None:
    bundle = export(db, world, world.worker_actor, Purpose.CASE_WORK)

    consents = by_id(bundle, "Consent")
    assert set(consents) == {
        str(c.id) for c in (world.housing_consent, world.sister_consent, world.revoked_consent)
    }
    housing = consents[str(world.housing_consent.id)]
    assert housing["status"] == "active"
    assert housing["scope"]["coding"][0]["code"] == "patient-privacy"
    assert housing["patient"] == ref(world.record.id)
    provision = housing["provision"]
    assert provision["type"] == "permit"
    assert provision["period"] == {
        "start": today().isoformat(),
        "end": (today() + timedelta(days=90)).isoformat(),
    }
    assert provision["actor"][0]["reference"] == ref(world.housing.id)
    assert provision["actor"][0]["role"]["coding"][0]["code"] == "IRCP"
    assert section_codes(housing) == ["housing", "livelihood"]
    assert {"system": f"{BASE}/fhir/CodeSystem/purpose", "code": "network_cooperation"}.items() <= (
        provision["purpose"][0].items()
    )
    assert housing["extension"] == [
        {
            "url": f"{BASE}/fhir/StructureDefinition/consent-purpose-text",
            "valueString": PURPOSE_TEXT,
        }
    ]
    sister = consents[str(world.sister_consent.id)]
    assert sister["provision"]["actor"][0]["reference"] == ref(world.sister.id)
    assert sister["provision"]["period"] == {"start": today().isoformat()}  # no last day
    revoked = consents[str(world.revoked_consent.id)]
    assert revoked["status"] == "inactive"
    assert revoked["provision"]["period"]["end"] == world.revoked_consent.ended_at.isoformat()  # type: ignore[union-attr]
    assert section_codes(revoked) == ["health"]


def test_the_policy_names_the_published_information_text(
    app: Flask, db: Session, world: World
) -> None:
    bundle = export(db, world, world.worker_actor, Purpose.CASE_WORK)
    with app.test_request_context(base_url=BASE):
        expected = url_for("portal.consent_information", version=FIRST_VERSION, _external=True)
    for consent in resources(bundle, "Consent"):
        assert consent["policy"] == [{"uri": expected}]


def test_statutory_disclosures_are_not_exported_as_consents(db: Session, world: World) -> None:
    disclosure = record_statutory_disclosure(
        db,
        new_gate(),
        world.worker_actor,
        case=world.case,
        member_id=world.housing_member.id,
        sections=frozenset({SectionKind.EVERYDAY_LIFE}),
        provision="Sosiaalihuoltolaki (1301/2014) 41 §",
        justification="Kiireellinen tilanne (fictional)",
        valid_from=today(),
        valid_until=None,
    )
    bundle = export(db, world, world.worker_actor, Purpose.CASE_WORK)
    validate(bundle)
    assert str(disclosure.id) not in json.dumps(bundle)
    assert "Kiireellinen tilanne" not in json.dumps(bundle)


def test_a_closed_case_exports_a_completed_plan_and_an_inactive_team(
    db: Session, world: World
) -> None:
    world.case.closed_at = utcnow()
    db.flush()
    bundle = export(db, world, world.worker_actor, Purpose.CASE_WORK)
    validate(bundle)
    assert resources(bundle, "CarePlan")[0]["status"] == "completed"
    assert resources(bundle, "CareTeam")[0]["status"] == "inactive"
    assert {g["lifecycleStatus"] for g in resources(bundle, "Goal")} == {"completed"}


def test_a_worker_without_a_relationship_is_refused(db: Session, world: World) -> None:
    stranger = factories.user(db, Role.CASEWORKER, world.county)
    db.commit()
    actor = factories.actor(stranger)
    with pytest.raises(AccessDenied):
        export(db, world, actor, Purpose.CASE_WORK)
    denied = [e for e in log(db, world.record.id) if e.actor_user_id == stranger.id]
    assert denied and not any(e.allowed for e in denied)


def test_the_number_of_queries_does_not_grow_with_the_case(
    db: Session, world: World, sql_count: list[str]
) -> None:
    sql_count.clear()  # from a cold worker, as the second count below
    export(db, world, world.worker_actor, Purpose.CASE_WORK)
    before = len(sql_count)
    more = factories.organisation(db, OrgKind.NGO, "Kuvitteellinen toinen yhdistys")
    member = org_member(db, world.case, more, "Lisää (fictional)", world.worker_actor)
    member.confidentiality_committed_on = today()
    write_section(
        db,
        world.worker_actor,
        world.case,
        SectionKind.EDUCATION_WORK,
        SectionContent(goals="Opiskelu (fictional)", measures="Haku (fictional)"),
        responsible=(member,),
    )
    grant(db, world.worker_actor, world.case, member, SectionKind.EDUCATION_WORK, until=None)
    db.flush()
    sql_count.clear()
    export(db, world, world.worker_actor, Purpose.CASE_WORK)
    assert len(sql_count) == before


# -- the partner ---------------------------------------------------------------------------


def test_a_partner_gets_only_what_is_shared_with_its_organisation(
    db: Session, world: World
) -> None:
    gate = counting_gate()
    bundle = export(db, world, world.partner_actor, Purpose.NETWORK_COOPERATION, gate)

    validate(bundle)
    assert_references_resolve(bundle)
    assert gate.reads == 1
    text = json.dumps(bundle, ensure_ascii=False)
    assert HEALTH_GOAL not in text and "A-klinikan" not in text  # unshared section's content
    assert RELATIONS_GOAL not in text
    assert str(world.sections[SectionKind.HEALTH].id) not in text  # not even an empty Goal
    assert IDENTITY_CODE not in text and IDENTITY_CODE_SYSTEM not in text
    assert SISTER not in text and NGO_NAME not in text and world.worker.display_name not in text
    assert PURPOSE_TEXT not in text  # county-only data
    assert "Asuntoasiat" not in text  # member roles are county-only too

    kinds = sorted(e["resource"]["resourceType"] for e in bundle["entry"])
    assert kinds == ["CarePlan", "Consent", "Goal", "Organization", "Patient"]
    [patient] = resources(bundle, "Patient")
    assert patient == {
        "resourceType": "Patient",
        "id": str(world.record.id),
        "name": [{"use": "official", "text": "Kuvitteellinen Kalle"}],
    }
    [organisation] = resources(bundle, "Organization")
    assert organisation["id"] == str(world.housing.id)
    [goal] = resources(bundle, "Goal")
    assert goal["id"] == str(world.sections[SectionKind.HOUSING].id)
    assert goal["description"]["text"] == HOUSING_GOAL
    # The partner's page shows every text of a shared section, both views included.
    assert [n["text"] for n in goal["note"]] == [
        "Haluan asua yksin (fictional)",
        "Tuettu asuminen olisi hyvä alku (fictional)",
    ]
    assert "extension" not in goal  # agreement and review dates are not on the partner's page
    [care_plan] = resources(bundle, "CarePlan")
    assert "careTeam" not in care_plan and "extension" not in care_plan
    assert care_plan["goal"] == [ref(goal["id"])]
    assert "performer" not in care_plan["activity"][0]["detail"]
    [consent] = resources(bundle, "Consent")
    assert consent["id"] == str(world.housing_consent.id)
    assert consent["provision"]["actor"][0]["reference"] == ref(world.housing.id)
    assert section_codes(consent) == ["housing", "livelihood"]

    reads = [e for e in log(db, world.record.id) if e.actor_user_id == world.partner.id]
    assert {(e.scope, e.purpose, e.allowed) for e in reads} == {
        ("name", "network_cooperation", True),
        ("section:housing", "network_cooperation", True),
    }


def test_a_statutory_basis_shares_sections_without_a_consent_resource(
    db: Session, world: World
) -> None:
    kela = factories.organisation(db, OrgKind.PUBLIC_SERVICE, "Kuvitteellinen Kela-toimisto")
    kela_staff = factories.user(db, Role.PARTNER, kela)
    member = org_member(db, world.case, kela, "Etuudet (fictional)", world.worker_actor)
    record_statutory_disclosure(
        db,
        new_gate(),
        world.worker_actor,
        case=world.case,
        member_id=member.id,
        sections=frozenset({SectionKind.HEALTH}),
        provision="Sosiaalihuoltolaki (1301/2014) 41 §",
        justification="Kiireellinen tilanne (fictional)",
        valid_from=today(),
        valid_until=None,
    )
    actor = factories.actor(kela_staff)
    bundle = export(db, world, actor, Purpose.NETWORK_COOPERATION)

    validate(bundle)
    assert_references_resolve(bundle)
    assert [g["description"]["text"] for g in resources(bundle, "Goal")] == [HEALTH_GOAL]
    assert resources(bundle, "Consent") == []
    text = json.dumps(bundle, ensure_ascii=False)
    assert HOUSING_GOAL not in text and "Kiireellinen tilanne" not in text


def test_after_revocation_the_partner_export_is_refused_and_logged(
    db: Session, world: World
) -> None:
    revoke_consent(db, new_gate(), world.worker_actor, world.housing_consent, receipt=None)
    db.commit()  # a denial rolls the session back

    with pytest.raises(SharingEnded):
        export(db, world, world.partner_actor, Purpose.NETWORK_COOPERATION)
    [entry] = [e for e in log(db, world.record.id) if e.actor_user_id == world.partner.id]
    assert (entry.allowed, entry.scope, entry.reason) == (False, "name", "denied_revoked")


def test_an_organisation_outside_the_network_is_refused_like_a_missing_client(
    db: Session, world: World
) -> None:
    outsider_org = factories.organisation(db, OrgKind.PUBLIC_SERVICE, "Kuvitteellinen ulkopuoli")
    outsider = factories.user(db, Role.PARTNER, outsider_org)
    db.commit()
    actor = factories.actor(outsider)
    with pytest.raises(AccessDenied) as raised:
        export(db, world, actor, Purpose.NETWORK_COOPERATION)
    assert not isinstance(raised.value, SharingEnded)
    assert raised.value.reason == "denied_not_in_network"


def test_a_member_without_a_consent_is_refused(db: Session, world: World) -> None:
    ngo_staff = factories.user(db, Role.PARTNER, world.ngo)  # its consent was revoked
    db.commit()
    actor = factories.actor(ngo_staff)
    with pytest.raises(SharingEnded):
        export(db, world, actor, Purpose.NETWORK_COOPERATION)


# -- the client ----------------------------------------------------------------------------


def test_the_client_gets_their_own_plan_network_and_consents(db: Session, world: World) -> None:
    # An earlier responsible worker: "My network" names only the current one.
    earlier = factories.user(db, Role.CASEWORKER, world.county)
    factories.responsible_worker(
        db,
        world.case,
        earlier,
        starts_on=today() - timedelta(days=100),
        ends_on=today() - timedelta(days=1),
    )
    gate = counting_gate()
    bundle = export(db, world, world.client_actor, Purpose.OWN_DATA, gate)

    validate(bundle)
    assert_references_resolve(bundle)
    assert gate.reads == 1
    [patient] = resources(bundle, "Patient")
    assert patient["identifier"][0]["value"] == IDENTITY_CODE
    assert set(by_id(bundle, "Goal")) == {str(s.id) for s in world.sections.values()}
    assert set(by_id(bundle, "Consent")) == {
        str(c.id) for c in (world.housing_consent, world.sister_consent, world.revoked_consent)
    }
    assert [p["id"] for p in resources(bundle, "Practitioner")] == [str(world.worker.id)]
    assert SISTER in json.dumps(bundle, ensure_ascii=False)

    worker_bundle = export(db, world, world.worker_actor, Purpose.CASE_WORK)
    assert {p["id"] for p in resources(worker_bundle, "Practitioner")} == {
        str(world.worker.id),
        str(earlier.id),
    }
    reads = [e for e in log(db, world.record.id) if e.actor_user_id == world.client_user.id]
    assert reads and all(e.purpose == "own_data" and e.allowed for e in reads)


def test_a_client_cannot_export_for_case_work(db: Session, world: World) -> None:
    db.commit()
    with pytest.raises(AccessDenied):
        export(db, world, world.client_actor, Purpose.CASE_WORK)


def test_another_client_is_refused(db: Session, world: World) -> None:
    other, _ = factories.client(db, world.county, name="Kuvitteellinen Toinen")
    other_user = factories.user(db, Role.CLIENT, client=other)
    db.commit()
    actor = factories.actor(other_user)
    with pytest.raises(AccessDenied):
        export(db, world, actor, Purpose.OWN_DATA)


def test_the_bundle_dates_are_iso_strings(db: Session, world: World) -> None:
    bundle = export(db, world, world.worker_actor, Purpose.CASE_WORK)
    datetime.fromisoformat(bundle["timestamp"])
    for consent in resources(bundle, "Consent"):
        assert datetime.fromisoformat(consent["dateTime"]).tzinfo is not None


# -- through the API -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["worker", "client_user", "partner"])
def test_the_api_serves_the_export_as_fhir_json(
    db: Session, world: World, client: FlaskClient, who: str
) -> None:
    db.commit()
    headers = api_token(client, getattr(world, who).username)
    response = client.get(f"/api/v1/clients/{world.record.id}/fhir", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    bundle = json.loads(response.get_data(as_text=True))
    validate(bundle)
    assert_references_resolve(bundle)
    shared = HEALTH_GOAL in json.dumps(bundle, ensure_ascii=False)
    assert shared is (who != "partner")


def test_the_api_export_of_a_client_out_of_reach_is_a_plain_404(
    db: Session, world: World, client: FlaskClient
) -> None:
    other_county = factories.organisation(db, OrgKind.COUNTY)
    stranger = factories.user(db, Role.CASEWORKER, other_county)
    outsider = factories.user(
        db, Role.PARTNER, factories.organisation(db, OrgKind.NGO, "Kuvitteellinen muu yhdistys")
    )
    db.commit()
    for user in (stranger, outsider):
        response = client.get(
            f"/api/v1/clients/{world.record.id}/fhir", headers=api_token(client, user.username)
        )
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"
