"""The fictional demo world: obviously fake people and organisations, every phase represented.

Identity codes use individual numbers 900–999, which real codes never use. Each client
is taken through the workflow's own services (intake, assignment, assessment, network,
flows, consents, contacts) as a demo caseworker, so the demo shows what the app records.
Basic client data is sealed through the access gate as the system actor.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.assessment import commands as assessment
from app.assessment import rules as assessment_rules
from app.cases.commands import appoint, change_phase
from app.cases.facts import load_case_contexts
from app.consents.commands import grant_consent
from app.consents.texts import FIRST_VERSION
from app.contacts import commands as contacts
from app.ending import commands as ending
from app.i18n import helsinki_today
from app.intake import commands as intake
from app.intake import identity_code
from app.maintenance.retention import disposal_on
from app.models import (
    Case,
    CaseTeamMember,
    Client,
    MemberKind,
    NetworkMember,
    Organisation,
    OrgKind,
    Phase,
    Role,
    ServiceTask,
    User,
)
from app.models.assessment import NeedLevel, Urgency
from app.models.case import PhaseChange
from app.models.contact import ContactChannel
from app.models.ending import ServiceEnding
from app.models.flows import FlowAgreement, FlowChannel, FlowDirection
from app.models.intake import Channel, NotificationPath, NotifierKind
from app.models.parallel_plan import ParallelPlan, ParallelPlanKind
from app.models.plan import AgreementState
from app.models.release import ReleaseTask
from app.models.review import GoalProgress
from app.models.team_lead import TeamLead
from app.network import commands as network
from app.plan import commands as plan_commands
from app.plan import rules as plan_rules
from app.release import commands as release_checklist
from app.release import queries as checklist_queries
from app.reviews import commands as reviews
from app.statistics.national import set_national
from consent.base import utcnow
from consent.facts import SYSTEM_ACTOR, Actor, ActorRole, Direction, Purpose
from consent.models import Consent, GivenHow
from consent.sections import SectionKind
from consent.service import ConsentTerms
from consent.status import HELSINKI
from sharing import blind_index, seal
from sharing.fields import field_ref
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
PRISON, PROBATION, KELA, HOUSING, NGO, PEERS = (name for name, _, _ in ORGANISATIONS[2:])
# The statistics' history lives in a county of its own, with its own (userless) partner
# organisations, so the other demo logins' lists and queues stay as they were.
HISTORY_COUNTY = "Menneilän hyvinvointialue (demo)"
HISTORY_ORGANISATIONS = [
    (name.replace("(demo)", "– Menneilä (demo)"), kind, "Menneilä")
    for name, kind, _ in ORGANISATIONS[2:]
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
    ("johto.jaana", "Jaana Johtaja (demo)", Role.MANAGER, COUNTY_A),
    ("analyysi.antti", "Antti Analyytikko (demo)", Role.ANALYST, COUNTY_A),
    ("tietosuoja.tuula", "Tuula Tietosuoja (demo)", Role.DATA_PROTECTION, COUNTY_A),
    ("sosiaalityo.helmi", "Helmi Historia (demo)", Role.CASEWORKER, HISTORY_COUNTY),
    ("johto.heikki", "Heikki Johtaja (demo)", Role.MANAGER, HISTORY_COUNTY),
]

# caseworker, their team lead or deputy (app.models.team_lead); Testilä has one worker only
TEAM_LEADS = [("sosiaalityo.aino", "sosiaalityo.eero"), ("sosiaalityo.eero", "sosiaalityo.aino")]

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
# The first clients of county A have client logins: give them a plan and a network to see.
PHASES = [
    Phase.FOLLOW_UP,
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
    Phase.NOTIFIED,
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
LOGINS_COUNTED_CLIENTS = 2  # the first clients of county A get a client login each

# The statistics' history: HISTORY_COUNTY's clients notified over the last eighteen months,
# about five a quarter, so some of the county's quarterly counts pass the threshold of 5 and some
# are suppressed. Each is taken through the workflow's own commands as it happened; the
# moments the commands record as "now" are then moved back to the day in the history.
HISTORY_CLIENTS = 30
HISTORY_DAYS = 540
HISTORY_NAMES = ["Historia", "Menneinen", "Arkisto"]


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
        name: Organisation(name=name, kind=kind, municipality=m)
        for name, kind, m in [
            *ORGANISATIONS,
            (HISTORY_COUNTY, OrgKind.COUNTY, "Menneilä"),
            *HISTORY_ORGANISATIONS,
        ]
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
    # Aino and Eero answer the clients' questions about each other's own access.
    for worker, lead in TEAM_LEADS:
        session.add(
            TeamLead(
                worker_id=users[worker].id,
                lead_id=users[lead].id,
                county_id=orgs[COUNTY_A].id,
            )
        )
    # Each organisation's grantee key pair, as the directory makes it with the organisation.
    seal.grantee_keys(session, keyring, [(org.id, None) for org in orgs.values()])
    gate = AccessGate(session, keyring, load_case_contexts)
    rng = random.Random(2026)  # noqa: S311  (deterministic fictional data, not security)
    today = helsinki_today()
    county_workers = {
        COUNTY_A: [users["sosiaalityo.aino"], users["sosiaalityo.eero"]],
        COUNTY_B: [users["sosiaalityo.tiina"]],
    }
    # The history county's partners, under the names ``_demo_network`` looks up.
    past = {
        **{
            name: orgs[h]
            for (name, _, _), (h, _, _) in zip(
                ORGANISATIONS[2:], HISTORY_ORGANISATIONS, strict=True
            )
        },
        HISTORY_COUNTY: orgs[HISTORY_COUNTY],
    }
    for k in range(HISTORY_CLIENTS):
        _history_client(session, gate, keyring, past, users["sosiaalityo.helmi"], k, today, rng)
    for n, phase in enumerate(PHASES):
        county = COUNTY_A if n % 4 != 3 else COUNTY_B
        client = _demo_client(
            session, gate, keyring, orgs, county_workers[county], county, n, phase, today, rng
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
    # The three demo counties take part in the national statistics, so the pooled view
    # (``/statistics/national``) has something to pool.
    for name in (COUNTY_A, COUNTY_B, HISTORY_COUNTY):
        set_national(session, orgs[name].id, True, by=None)
    session.flush()
    return True


def _demo_client(
    session: Session,
    gate: AccessGate,
    keyring: Keyring,
    orgs: dict[str, Organisation],
    workers: list[User],
    county: str,
    n: int,
    phase: Phase,
    today: date,
    rng: random.Random,
) -> Client:
    """One client taken through the workflow's own services up to ``phase``."""
    name = f"{FIRST_NAMES[n]} {SURNAMES[n % len(SURNAMES)]}"
    born = date(1970 + rng.randrange(35), rng.randrange(1, 13), rng.randrange(1, 29))
    code = identity_code.make(born, 900 + n)
    client = Client(county_id=orgs[county].id, name_ct=b"")
    session.add(client)
    release = today + timedelta(days=RELEASE_OFFSET[phase] + rng.randrange(-10, 10))
    case = Case(
        client_id=client.id,
        county_id=orgs[county].id,
        prison_id=orgs[PRISON].id,
        probation_office_id=orgs[PROBATION].id,
        phase=Phase.NOTIFIED,
        service_task=ServiceTask.SUBSTANCE_ABUSE if n % 3 == 0 else ServiceTask.ADULT_SOCIAL_WORK,
        sentence_start=release - timedelta(days=400 + rng.randrange(300)),
        conditional_release=release,
        probation_start=release - timedelta(days=90) if n % 2 == 0 else None,
        probation_end=release if n % 2 == 0 else None,
        opened_at=_days_ago(today, 150),
    )
    session.add(case)
    session.flush()

    gate.write_fields(
        SYSTEM_ACTOR,
        [(client, Client.name_ct, name), (client, Client.identity_code_ct, code)],
        purpose=Purpose.ADMINISTRATION,
    )
    blind_index.index_client(session, keyring, client.id, name, code)

    recorder = _actor(workers[0])
    notification = intake.record_notification(
        session,
        gate,
        recorder,
        case,
        intake.NotificationFacts(
            received_at=_days_ago(today, 140),
            contacted_on=today - timedelta(days=140),
            notifier_kind=NotifierKind.PRISON_STAFF,
            channel=Channel.PHONE,
            need=NEEDS[n % len(NEEDS)],
            path=NotificationPath.CONSENT,
            notifier_name="Vankilan sosiaalityöntekijä (demo)",
            notifier_organisation_id=orgs[PRISON].id,
        ),
        work_task_reason="Saapuneen yhteydenoton kirjaaminen (demo)",
    )
    if phase is Phase.NOTIFIED:
        return client  # waits, unassigned, in the county's intake queue
    worker = workers[n % len(workers)]
    actor = _actor(worker)
    # Taken, the responsible worker appointed and the assessment started: three steps.
    intake.take(
        session, gate, actor, notification, work_task_reason="Ilmoituksen vastaanotto (demo)"
    )
    intake.appoint_responsible_worker(session, actor, notification, worker)
    intake.start_assessment(session, actor, notification)
    if len(workers) > 1:
        session.add(CaseTeamMember(case_id=case.id, user_id=workers[(n + 1) % len(workers)].id))
    _demo_contacts(session, gate, actor, case, today)
    members = (
        _demo_network(session, gate, actor, orgs, client, case, today)
        if _reached(phase, Phase.NETWORK)
        else []
    )
    _demo_assessment(
        session, gate, actor, case, members, today, complete=_reached(phase, Phase.NETWORK)
    )
    for later in (Phase.RELEASE, Phase.FOLLOW_UP, Phase.ENDING):
        if _reached(phase, later):
            change_phase(session, case, later, worker.id)
    if _reached(phase, Phase.RELEASE):
        _demo_plan(session, gate, actor, orgs, case, members, today)
        session.add(
            ParallelPlan(
                case_id=case.id,
                client_id=client.id,
                kind=ParallelPlanKind.RELEASE_PLAN,
                organisation_id=orgs[PRISON].id,
                made_on=today - timedelta(days=60),
                review_on=release,
                added_by_id=worker.id,
            )
        )
        _demo_checklist(session, actor, case, today)
    if _reached(phase, Phase.FOLLOW_UP):
        reviews.record_review(
            session,
            gate,
            actor,
            case,
            reviews.ReviewFacts(
                held_on=today - timedelta(days=30),
                client_took_part=True,
                member_ids=frozenset(m.id for m in members[:2]),
                other_participants=None,
                notes="Asunto järjestynyt, työkokeilu alkaa (kuvitteellinen).",
                next_review_on=today + timedelta(days=10),
                goals=(
                    reviews.GoalAssessment(
                        SectionKind.HOUSING,
                        GoalProgress.ACHIEVED,
                        "Asunto löytyi, olen tyytyväinen (kuvitteellinen).",
                    ),
                    reviews.GoalAssessment(
                        SectionKind.LIVELIHOOD,
                        GoalProgress.IN_PROGRESS,
                        "Kelan päätöstä odotetaan vielä (kuvitteellinen).",
                    ),
                ),
            ),
            today=today,
        )
    if _reached(phase, Phase.ENDING):
        ending.record_member_ending(
            session,
            gate,
            actor,
            case=case,
            member=members[0],
            assessment=ending.Assessment(
                today - timedelta(days=20),
                "Vankilan kanssa ei ole enää asioitavaa (kuvitteellinen).",
                "Vapautuminen toteutui suunnitellusti (kuvitteellinen).",
                True,
            ),
            keep_membership=False,
        )
    if phase is Phase.CLOSED:
        ending.close_case(
            session,
            gate,
            actor,
            case=case,
            summary="Monialaista työtä ei enää tarvita (kuvitteellinen).",
            end_with_case={m.id for m in members},
            # Asked only if the release day is still ahead or checklist tasks are open.
            early_reason="Asiakas muutti toisen hyvinvointialueen asukkaaksi (kuvitteellinen).",
        )
    session.flush()
    return client


NEEDS = [
    "Asunto ja toimeentulo vapautumisen jälkeen ovat auki (kuvitteellinen).",
    "Päihdekuntoutuksen jatkuminen vapautumisen jälkeen (kuvitteellinen).",
    "Velat ja asiointi Kelan kanssa huolettavat (kuvitteellinen).",
]
_ORDER = list(Phase)


def _reached(phase: Phase, step: Phase) -> bool:
    return _ORDER.index(phase) >= _ORDER.index(step)


def _days_ago(today: date, days: int) -> datetime:
    return datetime.combine(today - timedelta(days=days), time(10), HELSINKI)


def _actor(user: User) -> Actor:
    return Actor(ActorRole.CASEWORKER, user_id=user.id, organisation_id=user.organisation_id)


def _demo_contacts(
    session: Session, gate: AccessGate, actor: Actor, case: Case, today: date
) -> None:
    for days, channel, assisted, note in (
        (120, ContactChannel.FACE_TO_FACE, False, "Ensitapaaminen vankilassa (kuvitteellinen)."),
        (
            60,
            ContactChannel.VIDEO,
            True,
            "Etätapaaminen, vankilan ohjaaja avusti (kuvitteellinen).",
        ),
        (7, ContactChannel.PHONE, False, "Puhelu vapautumisen valmistelusta (kuvitteellinen)."),
    ):
        contacts.record_contact(
            session,
            gate,
            actor,
            case,
            occurred_at=_days_ago(today, days),
            channel=channel,
            staff_assisted=assisted,
            note=note,
            by_id=actor.user_id,
        )


def _demo_assessment(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    case: Case,
    members: list[NetworkMember],
    today: date,
    *,
    complete: bool,
    started_on: date | None = None,
    factors: Sequence[str] = ("sobriety", "housing"),
) -> None:
    started = started_on or today - timedelta(days=120)
    data = assessment_rules.AssessmentInput(
        contact_on=started - timedelta(days=20),
        urgency_assessed_on=started - timedelta(days=19),
        urgency=Urgency.NOT_URGENT,
        started_on=started,
        responsible_worker_needed=True,
        client_took_part=True,
        participant_ids=frozenset(m.id for m in members if m.organisation_id is not None),
        needs={
            SectionKind.HOUSING: assessment_rules.NeedInput(
                NeedLevel.SIGNIFICANT,
                "Haluan oman asunnon, en palaa entiseen porukkaan (kuvitteellinen).",
                "Asunnottomuuden riski vapautuessa on suuri (kuvitteellinen).",
            ),
            SectionKind.HEALTH: assessment_rules.NeedInput(
                NeedLevel.SOME,
                "Olen ollut raittiina vankilassa (kuvitteellinen).",
                "Päihdepalvelun jatkumo varmistettava (kuvitteellinen).",
            ),
        },
        factors={
            code: assessment_rules.FactorInput(True, "Otetaan suunnitelmassa huomioon (demo).")
            for code in factors
        },
    )
    saved, _ = assessment.save_assessment(
        session,
        gate,
        actor,
        case=case,
        assessment=None,
        before=assessment_rules.EMPTY,
        after=data,
        seen_version=0,
        members=members,
        today=today,
    )
    if complete:
        assessment.complete_assessment(
            session,
            gate,
            actor,
            case=case,
            assessment=saved,
            stored=data,
            seen_version=saved.version,
            today=today,
        )


def _demo_network(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    orgs: dict[str, Organisation],
    client: Client,
    case: Case,
    today: date,
) -> list[NetworkMember]:
    """Members, commitments, agreed information flows and written consents."""
    added = today - timedelta(days=60)
    members: list[NetworkMember] = []
    for kind, org_name, person, role in (
        (MemberKind.PRISON, PRISON, None, "Rikosseuraamusesimies"),
        (MemberKind.PROBATION, PROBATION, None, "Valvoja"),
        (MemberKind.PUBLIC_SERVICE, KELA, None, "Etuuskäsittelijä"),
        (MemberKind.PUBLIC_SERVICE, HOUSING, None, "Asumisneuvoja"),
        (MemberKind.NGO, NGO, None, "Tukihenkilö"),
        (MemberKind.PEER_EXPERT, PEERS, None, "Kokemusasiantuntija"),
        (MemberKind.CLOSE_PERSON, None, "Läheinen Kuvitteellinen (demo)", "Sisar"),
    ):
        member = NetworkMember(
            case_id=case.id,
            client_id=client.id,
            kind=kind,
            organisation_id=orgs[org_name].id if org_name else None,
            starts_on=added,
            added_by_id=actor.user_id,
            added_at=datetime.combine(added, time(9), HELSINKI),
        )
        member.person_name_ct, member.role_ct = gate.write_texts(
            actor,
            [
                (field_ref(member, NetworkMember.person_name_ct), person),
                (field_ref(member, NetworkMember.role_ct), role),
            ],
            purpose=Purpose.CASE_WORK,
        )
        session.add(member)
        session.flush()
        if kind in (MemberKind.NGO, MemberKind.PEER_EXPERT, MemberKind.CLOSE_PERSON):
            member.confidentiality_committed_on = added
            member.confidentiality_recorded_by_id = actor.user_id
        members.append(member)
    by_org = {m.organisation_id: m for m in members}
    for org_name, direction, channel, subject, practice in FLOWS:
        network.add_flow(
            session,
            gate,
            actor,
            member=by_org[orgs[org_name].id],
            direction=direction,
            channel=channel,
            subject=subject,
            practice=practice,
            agreed_on=added,
            agreed_with_client=True,
        )
    for org_name, sections, purpose_text, way in CONSENTS:
        grant_consent(
            session,
            gate,
            actor,
            case=case,
            terms=ConsentTerms(by_org[orgs[org_name].id].id, frozenset(sections), added, None, way),
            purpose_text=purpose_text,
            given_how=GivenHow.WRITTEN,
            information_text_version=FIRST_VERSION,
            receipt=None,
        )
    return members


FLOWS = [
    (
        PROBATION,
        FlowDirection.FROM_MEMBER,
        FlowChannel.PHONE,
        "Muutokset vapautumispäivään (kuvitteellinen)",
        "Valvoja ilmoittaa omatyöntekijälle vuorokauden kuluessa (kuvitteellinen)",
    ),
    (
        HOUSING,
        FlowDirection.BOTH,
        FlowChannel.PLATFORM,
        "Asuntohakemuksen tilanne (kuvitteellinen)",
        "Asumisneuvoja päivittää tilanteen Tukiverkkoon kerran viikossa (kuvitteellinen)",
    ),
    (
        KELA,
        FlowDirection.TO_MEMBER,
        FlowChannel.LETTER,
        "Toimeentulotuen hakemus (kuvitteellinen)",
        "Omatyöntekijä lähettää hakemuksen liitteineen ennen vapautumista (kuvitteellinen)",
    ),
]
CONSENTS = [
    (
        HOUSING,
        {SectionKind.HOUSING},
        "Asunnon järjestäminen vapautumiseen (kuvitteellinen)",
        Direction.DISCLOSE,
    ),
    # The county obtains the housing service's news of the housing application: with the
    # flow both ways above, asuminen.anna can send housing updates (an offer, free text).
    (
        HOUSING,
        {SectionKind.HOUSING},
        "Asuntohakemuksen tilanteen saaminen asumispalveluilta (kuvitteellinen)",
        Direction.OBTAIN,
    ),
    (
        KELA,
        {SectionKind.LIVELIHOOD},
        "Toimeentulon turvaaminen vapautumispäivästä (kuvitteellinen)",
        Direction.DISCLOSE,
    ),
    (
        PROBATION,
        {SectionKind.PROBATIONARY_LIBERTY, SectionKind.RELEASE_TRANSITION},
        "Valvotun koevapauden ja vapautumisen yhteensovitus (kuvitteellinen)",
        Direction.DISCLOSE,
    ),
    (
        NGO,
        {SectionKind.EVERYDAY_LIFE},
        "Tukihenkilötoiminta arjessa (kuvitteellinen)",
        Direction.DISCLOSE,
    ),
]


def _demo_plan(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    orgs: dict[str, Organisation],
    case: Case,
    members: list[NetworkMember],
    today: date,
) -> None:
    plan_commands.set_review_date(
        session, case=case, actor=actor, review_on=today + timedelta(days=30), today=today
    )
    organisation_of = {m.organisation_id: m.id for m in members if m.organisation_id}
    responsible = {SectionKind.HOUSING: HOUSING, SectionKind.LIVELIHOOD: KELA}
    for kind, (goal, measure) in PLAN_TEXT.items():
        owner = responsible.get(kind)
        plan_commands.save_section(
            session,
            gate,
            actor,
            case=case,
            kind=kind,
            section=None,
            seen_version=0,
            before=plan_rules.EMPTY,
            after=plan_rules.SectionInput(
                goals=goal,
                measures=measure,
                client_view="Tämä on minulle tärkeää (kuvitteellinen).",
                agreement=AgreementState.AGREED,
                responsible_ids=frozenset({organisation_of[orgs[owner].id]})
                if owner
                else frozenset(),
            ),
            members=members,
            today=today,
        )


def _demo_checklist(session: Session, actor: Actor, case: Case, today: date) -> None:
    """The release-day checklist: past-due tasks done, the housing application left overdue."""
    release_checklist.generate(session, case, actor.user_id, utcnow())
    for item in checklist_queries.items(session, case.id):
        if item.due_on and item.due_on < today and item.task is not ReleaseTask.HOUSING_APPLICATION:
            release_checklist.mark_done(session, item, actor.user_id)


def _history_client(
    session: Session,
    gate: AccessGate,
    keyring: Keyring,
    orgs: dict[str, Organisation],
    worker: User,
    k: int,
    today: date,
    rng: random.Random,
) -> None:
    """One of the history county's clients: as far through the process as the days allow."""
    notified = today - timedelta(days=HISTORY_DAYS - k * 17 + rng.randrange(0, 10))
    assessed = notified + timedelta(days=7 + rng.randrange(40))
    networked = assessed + timedelta(days=15 + rng.randrange(30))
    released = networked + timedelta(days=45 + rng.randrange(60))
    reviewed = released + timedelta(days=40 + rng.randrange(30))
    closing = released + timedelta(days=120 + rng.randrange(60))
    name = f"{FIRST_NAMES[k % len(FIRST_NAMES)]} {HISTORY_NAMES[k % len(HISTORY_NAMES)]}"
    client = Client(county_id=orgs[HISTORY_COUNTY].id, name_ct=b"")
    session.add(client)
    case = Case(
        client_id=client.id,
        county_id=orgs[HISTORY_COUNTY].id,
        prison_id=orgs[PRISON].id,
        probation_office_id=orgs[PROBATION].id,
        phase=Phase.NOTIFIED,
        sentence_start=released - timedelta(days=300 + rng.randrange(300)),
        conditional_release=released,
        opened_at=datetime.combine(notified, time(9), HELSINKI),
    )
    session.add(case)
    session.flush()
    born = date(1965 + rng.randrange(40), rng.randrange(1, 13), rng.randrange(1, 29))
    code = identity_code.make(born, 950 + k)
    gate.write_fields(
        SYSTEM_ACTOR,
        [(client, Client.name_ct, name), (client, Client.identity_code_ct, code)],
        purpose=Purpose.ADMINISTRATION,
    )
    blind_index.index_client(session, keyring, client.id, name, code)
    actor = _actor(worker)
    notification = intake.record_notification(
        session,
        gate,
        actor,
        case,
        intake.NotificationFacts(
            received_at=datetime.combine(notified, time(10), HELSINKI),
            contacted_on=notified,
            notifier_kind=NotifierKind.PRISON_STAFF,
            channel=Channel.PHONE,
            need=NEEDS[k % len(NEEDS)],
            path=NotificationPath.CONSENT,
            notifier_name="Vankilan sosiaalityöntekijä (demo)",
            notifier_organisation_id=orgs[PRISON].id,
        ),
        work_task_reason="Saapuneen yhteydenoton kirjaaminen (demo)",
    )
    intake.take(
        session, gate, actor, notification, work_task_reason="Ilmoituksen vastaanotto (demo)"
    )
    appointed = min(today, notified + timedelta(days=1 + rng.randrange(20)))
    appoint(session, case, worker, appointed, worker.id, appointed)
    if assessed > today:
        return
    intake.start_assessment(session, actor, notification)
    _dated_back(session, case, assessed)
    factors = rng.sample([f.code for f in assessment_rules.FACTORS], 2 + rng.randrange(3))
    _demo_assessment(
        session, gate, actor, case, [], today, complete=False, started_on=assessed, factors=factors
    )
    if networked > today:
        return
    # Members joined, flows agreed and consents given on the day the network was assembled.
    members = _demo_network(
        session, gate, actor, orgs, client, case, networked + timedelta(days=60)
    )
    moment = datetime.combine(networked, time(11), HELSINKI)
    for consent in session.scalars(select(Consent).where(Consent.case_id == case.id)):
        consent.recorded_at = moment
    for flow in session.scalars(select(FlowAgreement).where(FlowAgreement.case_id == case.id)):
        flow.recorded_at = moment
    change_phase(session, case, Phase.NETWORK, worker.id)
    _dated_back(session, case, networked)
    if released - timedelta(days=30) > today:
        return
    change_phase(session, case, Phase.RELEASE, worker.id)
    _dated_back(session, case, released - timedelta(days=30))
    release_checklist.generate(
        session, case, worker.id, datetime.combine(released - timedelta(days=30), time(9), HELSINKI)
    )
    for item in checklist_queries.items(session, case.id):
        # Most tasks done by the release day, the health and substance ones often after it.
        late = item.task in (ReleaseTask.HEALTH_CARE, ReleaseTask.SUBSTANCE_SERVICES)
        done_on = released + timedelta(days=rng.randrange(-20, 30 if late else 5))
        if done_on <= today and rng.random() < 0.8:
            release_checklist.mark_done(session, item, worker.id)
            item.state_changed_at = datetime.combine(done_on, time(13), HELSINKI)
    if released > today:
        return
    change_phase(session, case, Phase.FOLLOW_UP, worker.id)
    _dated_back(session, case, released)
    if reviewed > today:
        return
    _demo_plan(session, gate, actor, orgs, case, members, released - timedelta(days=20))
    progress = (GoalProgress.ACHIEVED, GoalProgress.IN_PROGRESS)
    reviews.record_review(
        session,
        gate,
        actor,
        case,
        reviews.ReviewFacts(
            held_on=reviewed,
            client_took_part=True,
            member_ids=frozenset(),
            other_participants=None,
            notes=None,
            next_review_on=reviewed + timedelta(days=90),
            goals=(
                reviews.GoalAssessment(SectionKind.HOUSING, rng.choice(progress), None),
                reviews.GoalAssessment(SectionKind.LIVELIHOOD, rng.choice(progress), None),
            ),
        ),
        today=reviewed,
    )
    if k % 3 or closing > today:
        return
    change_phase(session, case, Phase.ENDING, worker.id)
    _dated_back(session, case, closing - timedelta(days=14))
    closure = ending.close_case(
        session,
        gate,
        actor,
        case=case,
        summary="Monialaista työtä ei enää tarvita (kuvitteellinen).",
        early_reason="Tehtävät siirtyivät peruspalveluihin (kuvitteellinen).",
        factors=[*rng.sample(factors, max(1, len(factors) - 1)), "housing"],
        end_with_case={m.id for m in members},
    )
    for service in session.scalars(select(ServiceEnding).where(ServiceEnding.case_id == case.id)):
        service.ended_on = closing
    moment = datetime.combine(closing, time(14), HELSINKI)
    closure.closed_at = case.closed_at = moment
    case.disposal_on = disposal_on(moment, case.service_task)
    _dated_back(session, case, closing)


def _dated_back(session: Session, case: Case, day: date) -> None:
    """The case's newest phase change, recorded now, dated to ``day`` of the history."""
    change = session.scalars(
        select(PhaseChange)
        .where(PhaseChange.case_id == case.id)
        .order_by(PhaseChange.changed_at.desc())
        .limit(1)
    ).one()
    change.changed_at = datetime.combine(day, time(12), HELSINKI)
    session.flush()
