"""Plain factory functions for fictional test data (obviously fake names only).

A test world is built from these, never by hand in a test module: organisations and their
users (with a password hash), a client with a case and a responsible worker, network
members, consents, the plan and its sections. Where the product has a command for a thing
(adding a member as the worker does, granting a consent, saving a plan section) the
factory goes through it; the few that write rows straight to the tables say so, and are
for the given state of a world or for a shape the command refuses.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.commands import grant_consent
from app.consents.texts import FIRST_VERSION
from app.i18n import helsinki_today
from app.models import (
    Case,
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
    User,
)
from app.models.flows import FlowChannel, FlowDirection
from app.models.plan import AgreementState, PlanResponsible
from app.network import commands as network
from app.network.rules import MEMBER_KIND_OF
from app.plan import commands as plan_commands
from app.plan.content import SectionContent
from app.plan.rules import EMPTY, SectionInput
from app.second_factor import commands as second_factor_commands
from app.second_factor import queries as second_factor_queries
from app.second_factor.events import Origin
from app.second_factor.rules import code_at, time_step
from app.security import current_keyring, new_gate, password_hasher
from consent.base import utcnow
from consent.facts import SYSTEM_ACTOR, Actor, Direction, Purpose
from consent.models import Consent, GivenHow
from consent.sections import SectionKind
from consent.service import ConsentTerms
from sharing.gate import AccessGate
from sharing.keys import Keyring

_seq = itertools.count(1)


# -- organisations and users -------------------------------------------------------------------


def organisation(
    db: Session, kind: OrgKind = OrgKind.COUNTY, name: str | None = None
) -> Organisation:
    org = Organisation(name=name or f"Testiorganisaatio {next(_seq)} (fictional)", kind=kind)
    db.add(org)
    db.flush()
    return org


def user(
    db: Session,
    role: Role,
    organisation: Organisation | None = None,
    *,
    client: Client | None = None,
    password: str = "pw",
    username: str | None = None,
) -> User:
    account = User(
        username=username or f"{role.value}{next(_seq)}",
        display_name="" if role is Role.CLIENT else f"Testi Työntekijä {next(_seq)}",
        role=role,
        organisation_id=organisation.id if organisation else None,
        client_id=client.id if client else None,
        password_hash=password_hasher().hash(password),
    )
    db.add(account)
    db.flush()
    return account


class Enrolled(NamedTuple):
    secret: bytes  # the TOTP secret, as the staff member's app holds it
    recovery_codes: list[str]


def second_factor(db: Session, account: User) -> Enrolled:
    """Two-step sign-in set up for a staff member, confirmed two minutes ago (so the codes
    of now and the next step are unused)."""
    at = utcnow() - timedelta(minutes=2)
    keyring = current_keyring()
    second_factor_commands.start_enrolment(db, keyring, account, now=at)
    pending = second_factor_queries.factor_of(db, account, active=False)
    assert pending is not None
    secret = second_factor_queries.secret_of(keyring, pending)
    codes = second_factor_commands.confirm_enrolment(
        db,
        keyring,
        password_hasher(),
        account,
        code_at(secret, time_step(at)),
        now=at,
        origin=Origin(None, "test"),
    )
    return Enrolled(secret, codes)


def actor(account: User) -> Actor:
    """The actor a signed-in ``account`` acts as (as ``app.security.current_actor`` builds it)."""
    return Actor(
        role=account.role.actor_role,
        user_id=account.id,
        organisation_id=account.organisation_id,
        client_id=account.client_id,
    )


# -- clients and their cases ---------------------------------------------------------------------


def client(
    db: Session,
    county: Organisation,
    *,
    name: str = "Testi Asiakas",
    identity_code: str | None = "010190-900P",
    phase: Phase = Phase.ASSESSMENT,
    worker: User | None = None,
    release_in_days: int = 60,
) -> tuple[Client, Case]:
    """A client with a case in ``county``, fields sealed as the system actor."""
    record = Client(county_id=county.id, name_ct=b"")
    db.add(record)
    case = Case(
        client_id=record.id,
        county_id=county.id,
        phase=phase,
        conditional_release=helsinki_today() + timedelta(days=release_in_days),
    )
    db.add(case)
    db.flush()
    system_gate(db).write_fields(
        SYSTEM_ACTOR,
        [(record, Client.name_ct, name), (record, Client.identity_code_ct, identity_code)],
        purpose=Purpose.ADMINISTRATION,
    )
    if worker is not None:
        responsible_worker(db, case, worker)
    db.flush()
    return record, case


def responsible_worker(
    db: Session,
    case: Case,
    worker: User,
    *,
    starts_on: date | None = None,
    ends_on: date | None = None,
    assigned_by: User | None = None,
) -> ResponsibleWorker:
    """A period in which ``worker`` is the case's responsible worker (omatyöntekijä), from
    today unless ``starts_on`` says otherwise."""
    period = ResponsibleWorker(
        case_id=case.id,
        worker_id=worker.id,
        starts_on=starts_on or helsinki_today(),
        ends_on=ends_on,
        assigned_by_id=assigned_by.id if assigned_by else None,
    )
    db.add(period)
    db.flush()
    return period


class CountyCase(NamedTuple):
    """A county, one of its caseworkers, and a client whose responsible worker they are
    (unpacks as ``county, worker, client, case``)."""

    county: Organisation
    worker: User
    client: Client
    case: Case

    @property
    def actor(self) -> Actor:
        return actor(self.worker)


def county_case(
    db: Session,
    *,
    name: str = "Kuvitteellinen Kalle",
    county: Organisation | None = None,
    identity_code: str | None = "010190-900P",
    phase: Phase = Phase.ASSESSMENT,
    release_in_days: int = 60,
) -> CountyCase:
    """A client called ``name`` with a case in ``county`` (a new county unless given) and a
    new caseworker of that county responsible for it."""
    county = county or organisation(db, OrgKind.COUNTY)
    worker = user(db, Role.CASEWORKER, county)
    record, case = client(
        db,
        county,
        name=name,
        identity_code=identity_code,
        phase=phase,
        worker=worker,
        release_in_days=release_in_days,
    )
    return CountyCase(county, worker, record, case)


# -- the network ---------------------------------------------------------------------------------


def org_member(
    db: Session, actor: Actor, case: Case, organisation_id: uuid.UUID, *, role: str, starts_on: date
) -> NetworkMember:
    """An organisation joining the case's network, added as the worker adds one."""
    return network.add_organisation_member(
        db,
        new_gate(),
        actor,
        case=case,
        organisation_id=organisation_id,
        role=role,
        starts_on=starts_on,
        ends_on=None,
    )


def person_member(
    db: Session,
    actor: Actor,
    case: Case,
    name: str,
    *,
    role: str,
    starts_on: date,
    contact: str | None = None,
    kind: MemberKind = MemberKind.CLOSE_PERSON,
) -> NetworkMember:
    """A person (a close relative by default) joining the case's network, added as the
    worker adds one."""
    return network.add_person_member(
        db,
        new_gate(),
        actor,
        case=case,
        kind=kind,
        name=name,
        contact=contact,
        role=role,
        starts_on=starts_on,
        ends_on=None,
    )


def member(
    db: Session,
    case: Case,
    organisation: Organisation | None = None,
    *,
    person_name: str = "Kuvitteellinen Läheinen",
    starts_on: date | None = None,
    committed_on: date | None = None,
    ended_at: datetime | None = None,
    added_at: datetime | None = None,
) -> NetworkMember:
    """A member already in the case's network, written straight to the table as a world's
    given state (no role, none of the command's checks, and from 30 days ago unless
    ``starts_on`` says otherwise): an organisation, as the kind of member its own kind
    implies, or without one a close person whose name the system seals.

    For the worker adding a member (its role, its checks, its entry in the log) use
    ``org_member`` or ``person_member``.
    """
    row = NetworkMember(
        case_id=case.id,
        client_id=case.client_id,
        kind=MEMBER_KIND_OF[organisation.kind] if organisation else MemberKind.CLOSE_PERSON,
        organisation_id=organisation.id if organisation else None,
        starts_on=starts_on or helsinki_today() - timedelta(days=30),
        confidentiality_committed_on=committed_on,
        ended_at=ended_at,
    )
    if added_at is not None:
        row.added_at = added_at
    if organisation is None:
        system_gate(db).write_fields(
            SYSTEM_ACTOR,
            [(row, NetworkMember.person_name_ct, person_name)],
            purpose=Purpose.ADMINISTRATION,
        )
    db.add(row)
    db.flush()
    return row


@dataclass(frozen=True)
class Partner:
    """An organisation in a case's network, and one member of its staff."""

    organisation: Organisation
    member: NetworkMember
    staff: User

    @property
    def actor(self) -> Actor:
        return actor(self.staff)


def partner(
    db: Session,
    case: Case,
    kind: OrgKind = OrgKind.PUBLIC_SERVICE,
    *,
    name: str | None = None,
    starts_on: date | None = None,
    committed_on: date | None = None,
) -> Partner:
    """A new organisation of ``kind`` already in the case's network (see ``member``), with
    one staff member."""
    org = organisation(db, kind, name)
    staff = user(db, Role.PARTNER, org)
    joined = member(db, case, org, starts_on=starts_on, committed_on=committed_on)
    return Partner(org, joined, staff)


# -- consents ------------------------------------------------------------------------------------


def consent(
    db: Session,
    actor: Actor,
    case: Case,
    to: NetworkMember,
    *sections: SectionKind,
    valid_from: date | None = None,
    valid_until: date | None = None,
    direction: Direction = Direction.DISCLOSE,
    purpose_text: str = "Asunnon järjestäminen (fictional)",
    given_how: GivenHow = GivenHow.WRITTEN,
) -> Consent:
    """A consent to share ``sections`` with ``to`` (from today unless given), recorded as the
    worker records one: through ``grant_consent``, with no receipt."""
    return grant_consent(
        db,
        new_gate(),
        actor,
        case=case,
        terms=ConsentTerms(
            to.id, frozenset(sections), valid_from or helsinki_today(), valid_until, direction
        ),
        purpose_text=purpose_text,
        given_how=given_how,
        information_text_version=FIRST_VERSION,
        receipt=None,
    )


def agreed_updates(
    db: Session, actor: Actor, case: Case, to: NetworkMember, *, obtain: bool = True
) -> None:
    """What lets the county receive updates from ``to``, as the worker records it: an
    information flow from the member agreed with the client and (``obtain``) the client's
    consent to the county obtaining information from it."""
    network.add_flow(
        db,
        new_gate(),
        actor,
        member=to,
        direction=FlowDirection.FROM_MEMBER,
        channel=FlowChannel.PLATFORM,
        subject="Asumiseen liittyvät muutokset (fictional)",
        practice="Ilmoitus Tukiverkossa viikon sisällä (fictional)",
        agreed_on=helsinki_today(),
        agreed_with_client=True,
    )
    if obtain:
        consent(db, actor, case, to, SectionKind.HOUSING, direction=Direction.OBTAIN)


# -- the plan ------------------------------------------------------------------------------------


def client_plan(
    db: Session, case: Case, *, review_on: date | None = None, created_by: User | None = None
) -> ClientPlan:
    """The case's plan with no sections yet, under review on ``review_on`` (past dates too)."""
    plan = ClientPlan(
        case_id=case.id,
        client_id=case.client_id,
        review_on=review_on,
        created_by_id=created_by.id if created_by else None,
    )
    db.add(plan)
    db.flush()
    return plan


def plan_section(
    db: Session,
    actor: Actor,
    case: Case,
    kind: SectionKind,
    content: SectionContent,
    *,
    agreement: AgreementState = AgreementState.DRAFT,
    review_on: date | None = None,
    responsible: tuple[NetworkMember, ...] = (),
    direct: bool = False,
) -> PlanSectionVersion:
    """A new version of the case's ``kind`` section by ``actor`` (the first creates the
    section, and the plan when there is none).

    It is saved as the worker's page saves one, through ``save_section``; with ``direct``
    it is written straight to the tables instead (still sealed through the gate), for a
    shape the command refuses: keys beyond the four texts, or a responsible member who has
    left the network.

    :raises ValueError: for content only ``direct`` writes.
    """
    if direct:
        return _stored_version(db, actor, case, kind, content, agreement, review_on, responsible)
    if content.others or content.plain is not None:
        raise ValueError("save_section writes the four texts only: pass direct=True")
    section = _section_of(db, case, kind)
    members = db.scalars(select(NetworkMember).where(NetworkMember.case_id == case.id)).all()
    version = plan_commands.save_section(
        db,
        new_gate(),
        actor,
        case=case,
        kind=kind,
        section=section,
        seen_version=section.current_version if section else 0,
        before=EMPTY,  # what it held does not matter: every call adds a version
        after=SectionInput(
            **content.texts(),
            agreement=agreement,
            responsible_ids=frozenset(m.id for m in responsible),
            review_on=review_on,
        ),
        members=members,
        today=helsinki_today(),
    )
    assert version is not None  # the texts always differ from EMPTY's: goals are required
    return version


def _stored_version(
    db: Session,
    actor: Actor,
    case: Case,
    kind: SectionKind,
    content: SectionContent,
    agreement: AgreementState,
    review_on: date | None,
    responsible: tuple[NetworkMember, ...],
) -> PlanSectionVersion:
    plan = plan_commands.ensure_plan(db, case, actor)
    section = _section_of(db, case, kind)
    if section is None:
        section = PlanSection(plan_id=plan.id, client_id=case.client_id, kind=kind)
        section.current_version = 0
        db.add(section)
    section.current_version += 1
    version = PlanSectionVersion(
        section_id=section.id,
        client_id=case.client_id,
        version=section.current_version,
        kind=kind,
        agreement=agreement,
        review_on=review_on,
        author_id=actor.user_id,
    )
    new_gate().write_fields(
        actor,
        [(version, PlanSectionVersion.content_ct, content.to_json())],
        purpose=Purpose.CASE_WORK,
    )
    version.responsibles = [
        PlanResponsible(version_id=version.id, member_id=m.id) for m in responsible
    ]
    db.add(version)
    db.flush()
    return version


def _section_of(db: Session, case: Case, kind: SectionKind) -> PlanSection | None:
    return db.scalar(
        select(PlanSection)
        .join(ClientPlan, ClientPlan.id == PlanSection.plan_id)
        .where(ClientPlan.case_id == case.id, PlanSection.kind == kind)
    )


# -- the machinery ---------------------------------------------------------------------------------


def system_gate(db: Session) -> AccessGate:
    return new_gate()


def keyring_of() -> Keyring:
    return current_keyring()


def now() -> datetime:
    return utcnow()
