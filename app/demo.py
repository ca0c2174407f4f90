"""The fictional demo world: obviously fake people and organisations, every phase represented.

Identity codes use individual numbers 900–999, which real codes never use.
All client content is sealed through the access gate as the system actor.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.i18n import HELSINKI, helsinki_today
from app.models import (
    Case,
    CaseTeamMember,
    Client,
    ClientPlan,
    MemberKind,
    NetworkMember,
    Organisation,
    OrgKind,
    Phase,
    PlanSection,
    PlanSectionVersion,
    ResponsibleWorker,
    Role,
    ServiceTask,
    User,
)
from app.services import identity_code
from app.services.cases import load_case_contexts
from app.services.fields import field
from consent.base import Base
from consent.decision import SYSTEM_ACTOR, Purpose
from consent.sections import DataScope, Scope, SectionKind
from sharing.gate import AccessGate
from sharing.keys import Keyring

DEMO_PASSWORD = "demo-tukiverkko"  # noqa: S105  (fictional local demo only; refused in production)
COUNTY_A = "Esimerkkilän hyvinvointialue (demo)"
COUNTY_B = "Testilän hyvinvointialue (demo)"

ORGANISATIONS = [
    (COUNTY_A, OrgKind.COUNTY, "Esimerkkilä"),
    (COUNTY_B, OrgKind.COUNTY, "Testilä"),
    ("Kuvitteellinen vankila (demo)", OrgKind.PRISON, "Esimerkkilä"),
    ("Kuvitteellinen yhdyskuntaseuraamustoimisto (demo)", OrgKind.PROBATION, "Esimerkkilä"),
    ("Kela, kuvitteellinen toimisto (demo)", OrgKind.PUBLIC_SERVICE, "Esimerkkilä"),
    ("Esimerkkilän asumispalvelut (demo)", OrgKind.PUBLIC_SERVICE, "Esimerkkilä"),
    ("Tukijärjestö Kuvitelma ry (demo)", OrgKind.NGO, "Esimerkkilä"),
    ("Vertaistuki Keksitty ry (demo)", OrgKind.PEER_SUPPORT, "Esimerkkilä"),
]

# username, display name, role, organisation name (None: admin or client)
STAFF = [
    ("sosiaalityo.aino", "Aino Esimerkki (demo)", Role.CASEWORKER, COUNTY_A),
    ("sosiaalityo.eero", "Eero Esimerkki (demo)", Role.CASEWORKER, COUNTY_A),
    ("sosiaalityo.tiina", "Tiina Testilä (demo)", Role.CASEWORKER, COUNTY_B),
    ("vankila.pekka", "Pekka Vartija (demo)", Role.PARTNER, "Kuvitteellinen vankila (demo)"),
    (
        "rise.riikka",
        "Riikka Valvoja (demo)",
        Role.PARTNER,
        "Kuvitteellinen yhdyskuntaseuraamustoimisto (demo)",
    ),
    ("kela.kalle", "Kalle Etuus (demo)", Role.PARTNER, "Kela, kuvitteellinen toimisto (demo)"),
    ("asuminen.anna", "Anna Asunto (demo)", Role.PARTNER, "Esimerkkilän asumispalvelut (demo)"),
    ("jarjesto.jussi", "Jussi Järjestö (demo)", Role.PARTNER, "Tukijärjestö Kuvitelma ry (demo)"),
    ("vertais.veera", "Veera Vertainen (demo)", Role.PARTNER, "Vertaistuki Keksitty ry (demo)"),
    ("yllapito.ylva", "Ylva Ylläpito (demo)", Role.ADMIN, None),
]

FIRST_NAMES = [
    "Aatu",
    "Bertta",
    "Celsius",
    "Doris",
    "Eemil",
    "Fanni",
    "Gösta",
    "Hilma",
    "Iivari",
    "Jenna",
    "Kauko",
    "Lempi",
    "Martti",
    "Nelli",
    "Oiva",
    "Pirkko",
    "Rauno",
    "Saimi",
    "Toivo",
    "Ulla",
]
SURNAMES = ["Demonen", "Testinen", "Esimerkki", "Kuvitelma", "Keksitty"]

# Phase of each of the 20 demo clients: every phase appears, most in the active middle.
PHASES = [
    Phase.NOTIFIED,
    Phase.NOTIFIED,
    Phase.ASSESSMENT,
    Phase.ASSESSMENT,
    Phase.ASSESSMENT,
    Phase.NETWORK,
    Phase.NETWORK,
    Phase.NETWORK,
    Phase.RELEASE,
    Phase.RELEASE,
    Phase.RELEASE,
    Phase.FOLLOW_UP,
    Phase.FOLLOW_UP,
    Phase.FOLLOW_UP,
    Phase.FOLLOW_UP,
    Phase.ENDING,
    Phase.ENDING,
    Phase.CLOSED,
    Phase.NOTIFIED,
    Phase.ASSESSMENT,
]
# Days from today to the expected conditional release, per phase.
RELEASE_OFFSET = {
    Phase.NOTIFIED: 200,
    Phase.ASSESSMENT: 150,
    Phase.NETWORK: 80,
    Phase.RELEASE: 20,
    Phase.FOLLOW_UP: -60,
    Phase.ENDING: -300,
    Phase.CLOSED: -500,
}
PLAN_TEXT = {
    SectionKind.HOUSING: (
        "Oma vuokra-asunto vapautumisen jälkeen (kuvitteellinen).",
        "Asuntohakemus jätetään kolme kuukautta ennen vapautumista.",
    ),
    SectionKind.LIVELIHOOD: (
        "Toimeentulo turvattu vapautumispäivästä (kuvitteellinen).",
        "Kelan perustoimeentulotuen hakemus yhdessä ennen vapautumista.",
    ),
    SectionKind.HEALTH: (
        "Päihteetön arki (kuvitteellinen).",
        "Aika päihdepalveluihin vapautumisviikolle.",
    ),
    SectionKind.DESISTANCE: (
        "Uusi alku ja oma arki (kuvitteellinen).",
        "Vertaistukiryhmä kerran viikossa.",
    ),
}
LOGINS_COUNTED_CLIENTS = 2
Sealer = Callable[..., bytes]  # the first clients of county A get a client login each


def logins_text() -> str:
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    for username, display, role, org in STAFF:
        lines.append(f"  {role.value:<10} {username:<20} {display}, {org or '-'}")
    for n in range(1, LOGINS_COUNTED_CLIENTS + 1):
        lines.append(f"  {'client':<10} {f'asiakas.demo{n}':<20} demo client {n}")
    return "\n".join(lines)


def seed(session: Session, keyring: Keyring, password_hash: str) -> bool:
    """Create the demo world unless it already exists; returns whether it created it.

    ``password_hash`` is the hash of ``DEMO_PASSWORD`` that every demo login shares.
    """
    if session.scalar(select(Organisation).where(Organisation.name == COUNTY_A)) is not None:
        return False
    orgs = {
        name: Organisation(name=name, kind=kind, municipality=m) for name, kind, m in ORGANISATIONS
    }
    session.add_all(orgs.values())
    users = {
        username: User(
            username=username,
            display_name=display,
            role=role,
            organisation_id=orgs[org].id if org else None,
            password_hash=password_hash,
        )
        for username, display, role, org in STAFF
    }
    session.add_all(users.values())
    session.flush()
    gate = AccessGate(session, keyring, load_case_contexts)
    rng = random.Random(2026)  # noqa: S311  (deterministic fictional data, not security)
    today = helsinki_today()
    county_workers = {
        COUNTY_A: [users["sosiaalityo.aino"], users["sosiaalityo.eero"]],
        COUNTY_B: [users["sosiaalityo.tiina"]],
    }
    for n, phase in enumerate(PHASES):
        county = COUNTY_A if n % 4 != 3 else COUNTY_B
        client = _demo_client(
            session, gate, orgs, county_workers[county], county, n, phase, today, rng
        )
        if county == COUNTY_A and n < LOGINS_COUNTED_CLIENTS:
            session.add(
                User(
                    username=f"asiakas.demo{n + 1}",
                    display_name="",
                    role=Role.CLIENT,
                    client_id=client.id,
                    password_hash=password_hash,
                )
            )
    session.flush()
    return True


def _demo_client(
    session: Session,
    gate: AccessGate,
    orgs: dict[str, Organisation],
    workers: list[User],
    county: str,
    n: int,
    phase: Phase,
    today: date,
    rng: random.Random,
) -> Client:
    name = f"{FIRST_NAMES[n]} {SURNAMES[n % len(SURNAMES)]}"
    born = date(1970 + rng.randrange(35), rng.randrange(1, 13), rng.randrange(1, 29))
    client = Client(county_id=orgs[county].id, name_ct=b"")
    session.add(client)
    release = today + timedelta(days=RELEASE_OFFSET[phase] + rng.randrange(-10, 10))
    case = Case(
        client_id=client.id,
        county_id=orgs[county].id,
        prison_id=orgs["Kuvitteellinen vankila (demo)"].id,
        probation_office_id=orgs["Kuvitteellinen yhdyskuntaseuraamustoimisto (demo)"].id,
        phase=phase,
        service_task=ServiceTask.SUBSTANCE_ABUSE if n % 3 == 0 else ServiceTask.ADULT_SOCIAL_WORK,
        sentence_start=release - timedelta(days=400 + rng.randrange(300)),
        conditional_release=release,
        probation_start=release - timedelta(days=90) if n % 2 == 0 else None,
        probation_end=release if n % 2 == 0 else None,
        closed_at=datetime.combine(today - timedelta(days=30), time(12), HELSINKI)
        if phase is Phase.CLOSED
        else None,
    )
    session.add(case)
    session.flush()

    def sealed(row: Base, column: str, value: str, scope: Scope = DataScope.BASIC) -> bytes:
        ciphertext = gate.write_text(
            SYSTEM_ACTOR, field(row, column, scope), value, purpose=Purpose.ADMINISTRATION
        )
        assert ciphertext is not None
        return ciphertext

    client.name_ct = sealed(client, "name_ct", name, DataScope.NAME)
    client.identity_code_ct = sealed(client, "identity_code_ct", identity_code.make(born, 900 + n))
    if phase is Phase.NOTIFIED and n > 1:
        return client  # not yet assigned: waits in the county's intake
    worker = workers[n % len(workers)]
    session.add(
        ResponsibleWorker(
            case_id=case.id, worker_id=worker.id, starts_on=today - timedelta(days=120)
        )
    )
    if len(workers) > 1:
        session.add(CaseTeamMember(case_id=case.id, user_id=workers[(n + 1) % len(workers)].id))
    if phase in {Phase.NOTIFIED, Phase.ASSESSMENT}:
        return client
    _demo_network(session, sealed, orgs, client, case, today)
    if phase in {Phase.RELEASE, Phase.FOLLOW_UP, Phase.ENDING, Phase.CLOSED}:
        _demo_plan(session, sealed, client, case, worker, today)
    return client


def _demo_network(
    session: Session,
    sealed: Sealer,
    orgs: dict[str, Organisation],
    client: Client,
    case: Case,
    today: date,
) -> None:
    members = [
        (MemberKind.PRISON, "Kuvitteellinen vankila (demo)", None, "Rikosseuraamusesimies"),
        (
            MemberKind.PROBATION,
            "Kuvitteellinen yhdyskuntaseuraamustoimisto (demo)",
            None,
            "Valvoja",
        ),
        (
            MemberKind.PUBLIC_SERVICE,
            "Kela, kuvitteellinen toimisto (demo)",
            None,
            "Etuuskäsittelijä",
        ),
        (MemberKind.PUBLIC_SERVICE, "Esimerkkilän asumispalvelut (demo)", None, "Asumisneuvoja"),
        (MemberKind.NGO, "Tukijärjestö Kuvitelma ry (demo)", None, "Tukihenkilö"),
        (MemberKind.PEER_EXPERT, "Vertaistuki Keksitty ry (demo)", None, "Kokemusasiantuntija"),
        (MemberKind.CLOSE_PERSON, None, "Läheinen Kuvitteellinen (demo)", "Sisar"),
    ]
    for kind, org_name, person, role in members:
        member = NetworkMember(
            case_id=case.id,
            client_id=client.id,
            kind=kind,
            organisation_id=orgs[org_name].id if org_name else None,
            starts_on=today - timedelta(days=60),
        )
        if person:
            member.person_name_ct = sealed(member, "person_name_ct", person)
        member.role_ct = sealed(member, "role_ct", role)
        session.add(member)


def _demo_plan(
    session: Session, sealed: Sealer, client: Client, case: Case, worker: User, today: date
) -> None:
    plan = ClientPlan(
        case_id=case.id,
        client_id=client.id,
        review_on=today + timedelta(days=30),
        created_by_id=worker.id,
    )
    session.add(plan)
    for kind, (goal, measure) in PLAN_TEXT.items():
        section = PlanSection(plan_id=plan.id, client_id=client.id, kind=kind, current_version=1)
        version = PlanSectionVersion(
            section_id=section.id,
            client_id=client.id,
            version=1,
            content_ct=b"",
            author_id=worker.id,
        )
        content = json.dumps(
            {"goals": goal, "measures": measure, "client_view": "", "worker_view": ""}
        )
        version.content_ct = sealed(version, "content_ct", content, kind)
        session.add_all([section, version])
