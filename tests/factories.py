"""Plain factory functions for fictional test data (obviously fake names only)."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy.orm import Session

from app.models import (
    Case,
    Client,
    MemberKind,
    NetworkMember,
    Organisation,
    OrgKind,
    Phase,
    ResponsibleWorker,
    Role,
    User,
)
from app.network import commands as network
from app.security import new_gate, password_hasher
from consent.base import utcnow
from consent.facts import SYSTEM_ACTOR, Actor, Purpose
from sharing.fields import field_ref
from sharing.gate import AccessGate
from sharing.keys import Keyring

_seq = itertools.count(1)


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


def system_gate(db: Session) -> AccessGate:
    return new_gate()


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
        conditional_release=date.today() + timedelta(days=release_in_days),
    )
    db.add(case)
    db.flush()
    gate = system_gate(db)
    record.name_ct = gate.write_text(
        SYSTEM_ACTOR, field_ref(record, Client.name_ct), name, purpose=Purpose.ADMINISTRATION
    )
    record.identity_code_ct = gate.write_text(
        SYSTEM_ACTOR,
        field_ref(record, Client.identity_code_ct),
        identity_code,
        purpose=Purpose.ADMINISTRATION,
    )
    if worker is not None:
        db.add(ResponsibleWorker(case_id=case.id, worker_id=worker.id, starts_on=date.today()))
    db.flush()
    return record, case


def keyring_of() -> Keyring:
    keyring: Keyring = current_app.extensions["tukiverkko.keyring"]
    return keyring


def now() -> datetime:
    return utcnow()
