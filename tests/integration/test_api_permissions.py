"""The web pages' permission rules hold for the API: one table over roles × operations × objects.

Every operation of the OpenAPI document has a row (a test fails when one is missing).
Each row names the roles that may use it and what they get on their own objects; every
other role gets 403 on its own objects and on foreign ones alike, and an allowed role
gets 404 on a foreign object (another county's client, a client not shared with the
organisation, another client's record, another organisation's notice), exactly as for
an id that does not exist. A caseworker of the same county without a relationship to
the case gets 403, as on the client's web page.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.consents import consent_etag
from app.consents.commands import revoke_consent
from app.consents.texts import CURRENT_VERSION
from app.i18n import helsinki_today
from app.models import Case, Client, NetworkMember, Organisation, OrgKind, Role, User
from app.models.partner import RevocationNotice
from app.plan.content import SectionContent
from app.security import new_gate
from consent.models import Consent
from consent.sections import SectionKind
from tests import factories
from tests.conftest import api_token

SUBJECTS = ("caseworker", "colleague", "client", "partner", "admin")
ROLE_OF = {
    "caseworker": Role.CASEWORKER,
    "colleague": Role.CASEWORKER,
    "client": Role.CLIENT,
    "partner": Role.PARTNER,
    "admin": Role.ADMIN,
}


@dataclass(frozen=True)
class Side:
    """The objects one side of the table addresses: the subject's own, or a foreign one."""

    client: uuid.UUID
    consent: uuid.UUID
    notice: uuid.UUID
    member: uuid.UUID


@dataclass
class World:
    users: dict[str, User]
    own: Side
    foreign: Side
    consents: dict[uuid.UUID, Consent]


def _county_case(
    db: Session, county: Organisation, worker: User, partner_org: Organisation
) -> tuple[Case, NetworkMember, Consent, RevocationNotice]:
    """A client of ``county`` with ``partner_org`` in the network: one consent in force
    (housing), one revoked (so the organisation has a revocation notice), a written plan."""
    actor = factories.actor(worker)
    _, case = factories.client(db, county, name="Kuvitteellinen Asiakas", worker=worker)
    today = helsinki_today()
    member = factories.org_member(
        db,
        actor,
        case,
        partner_org.id,
        role="Asuntoasiat (fictional)",
        starts_on=today - timedelta(days=30),
    )

    def grant(kind: SectionKind) -> Consent:
        return factories.consent(
            db, actor, case, member, kind, valid_until=today + timedelta(days=90)
        )

    consent = grant(SectionKind.HOUSING)
    revoke_consent(db, new_gate(), actor, grant(SectionKind.LIVELIHOOD), receipt=None)
    factories.plan_section(
        db, actor, case, SectionKind.HOUSING, SectionContent(goals="Oma asunto (fictional)")
    )
    notice = db.scalars(
        select(RevocationNotice).where(RevocationNotice.organisation_id == partner_org.id)
    ).one()
    return case, member, consent, notice


@pytest.fixture
def world(db: Session) -> World:
    county, other_county = (factories.organisation(db, OrgKind.COUNTY) for _ in range(2))
    housing, other_service = (factories.organisation(db, OrgKind.PUBLIC_SERVICE) for _ in range(2))
    worker = factories.user(db, Role.CASEWORKER, county)
    other_worker = factories.user(db, Role.CASEWORKER, other_county)
    own, own_member, own_consent, own_notice = _county_case(db, county, worker, housing)
    foreign, foreign_member, foreign_consent, foreign_notice = _county_case(
        db, other_county, other_worker, other_service
    )
    users = {
        "caseworker": worker,
        "colleague": factories.user(db, Role.CASEWORKER, county),
        "client": factories.user(db, Role.CLIENT, client=db.get(Client, own.client_id)),
        "partner": factories.user(db, Role.PARTNER, housing),
        "admin": factories.user(db, Role.ADMIN),
    }
    db.commit()
    return World(
        users,
        Side(own.client_id, own_consent.id, own_notice.id, own_member.id),
        Side(foreign.client_id, foreign_consent.id, foreign_notice.id, foreign_member.id),
        {own_consent.id: own_consent, foreign_consent.id: foreign_consent},
    )


Body = Callable[[World, Side, str], dict[str, Any]]
Headers = Callable[[World, Side], dict[str, str]]


def _grant(world: World, side: Side, subject: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "member_id": str(side.member),
        "sections": ["health"],
        "purpose_text": "Terveyspalvelujen yhteistyö (fictional)",
        "information_text_version": CURRENT_VERSION,
        "confirmed": True,
    }
    if subject != "client":
        body["given_how"] = "written"
    return body


def _section(world: World, side: Side, subject: str) -> dict[str, Any]:
    return {
        "goals": "Opiskelupaikka syksyllä (fictional)",
        "measures": "",
        "client_view": "",
        "worker_view": "",
        "agreement": "draft",
        "responsible": [],
        "review_on": None,
    }


def _update(world: World, side: Side, subject: str) -> dict[str, Any]:
    return {"kind": "housing_offer", "text": "Asunto vapautuu joulukuussa (fictional)"}


def _if_match_consent(world: World, side: Side) -> dict[str, str]:
    return {"If-Match": f'"{consent_etag(world.consents[side.consent])}"'}


def _create(world: World, side: Side) -> dict[str, str]:
    return {"If-None-Match": "*"}


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # with {client}, {consent}, {notice} filled from the side
    roles: frozenset[str]  # subjects that may use it (by role; "colleague" is a caseworker)
    status: int  # what an allowed subject gets on its own object
    body: Body | None = None
    headers: Headers | None = None

    @property
    def per_client(self) -> bool:
        return "{client}" in self.path

    @property
    def has_object(self) -> bool:
        return "{" in self.path


STAFF = frozenset({"caseworker", "colleague"})
CLIENT = frozenset({"client"})
PARTNER = frozenset({"partner"})
EVERYONE = frozenset(SUBJECTS)

TABLE = (
    Row("GET", "/me", EVERYONE, 200),
    Row("GET", "/organisations", EVERYONE, 200),
    Row("DELETE", "/tokens/current", EVERYONE, 204),
    Row("DELETE", "/tokens", EVERYONE, 204),
    Row("GET", "/clients", STAFF, 200),
    Row("GET", "/clients/{client}", STAFF | CLIENT | PARTNER, 200),
    Row("GET", "/clients/{client}/network", STAFF | CLIENT, 200),
    Row("GET", "/clients/{client}/flows", STAFF | CLIENT, 200),
    Row("GET", "/clients/{client}/plan", STAFF | CLIENT | PARTNER, 200),
    Row("GET", "/clients/{client}/plan/sections/housing", STAFF | CLIENT | PARTNER, 200),
    Row(
        "PUT",
        "/clients/{client}/plan/sections/education_work",
        STAFF,
        201,
        body=_section,
        headers=_create,
    ),
    Row("GET", "/clients/{client}/consents", STAFF | CLIENT, 200),
    Row("GET", "/clients/{client}/consents/{consent}", STAFF | CLIENT, 200),
    Row("POST", "/clients/{client}/consents", STAFF | CLIENT, 201, body=_grant),
    Row(
        "POST",
        "/clients/{client}/consents/{consent}/revoke",
        STAFF | CLIENT,
        200,
        headers=_if_match_consent,
    ),
    Row("GET", "/clients/{client}/disclosures", STAFF | CLIENT, 200),
    Row("GET", "/clients/{client}/updates", STAFF | PARTNER, 200),
    Row("POST", "/clients/{client}/updates", PARTNER, 201, body=_update),
    Row("GET", "/clients/{client}/access-log", CLIENT, 200),
    Row("GET", "/clients/{client}/fhir", STAFF | CLIENT | PARTNER, 200),
    Row("GET", "/shared", PARTNER, 200),
    Row("GET", "/notices", PARTNER, 200),
    Row("POST", "/notices/{notice}/confirm", PARTNER, 200),
)


def _cases() -> list[Any]:
    cases = []
    for row in TABLE:
        for subject in SUBJECTS:
            for side in ("own", "foreign") if row.has_object else ("own",):
                cases.append(
                    pytest.param(row, subject, side, id=f"{row.method} {row.path} {subject} {side}")
                )
    return cases


def expected(row: Row, subject: str, side: str) -> int:
    if subject not in row.roles:
        return 403  # the role may not use the operation: the same on any object
    if side == "foreign":
        return 404  # out of reach looks exactly like missing
    if subject == "colleague" and row.per_client:
        return 403  # same county, no relationship: record a work-task reason first
    return row.status


@pytest.mark.parametrize(("row", "subject", "side"), _cases())
def test_the_api_grants_exactly_what_the_web_pages_grant(
    world: World, client: FlaskClient, row: Row, subject: str, side: str
) -> None:
    target = world.own if side == "own" else world.foreign
    path = "/api/v1" + row.path.format(
        client=target.client, consent=target.consent, notice=target.notice
    )
    headers = api_token(client, world.users[subject].username)
    if row.headers is not None:
        headers.update(row.headers(world, target))
    body = row.body(world, target, subject) if row.body is not None else None
    response = client.open(path, method=row.method, headers=headers, json=body)
    want = expected(row, subject, side)
    assert response.status_code == want, response.get_data(as_text=True)
    if want >= 400:
        assert response.mimetype == "application/problem+json"


def test_the_table_covers_every_operation(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").json
    documented = {
        (method.upper(), re.sub(r"\{[^}]+\}", "{}", path.removeprefix("/api/v1")))
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    } - {("POST", "/tokens")}  # signing in: tests/integration/test_api_foundation.py
    tabled = {
        (row.method, re.sub(r"\{[^}]+\}|housing|education_work", "{}", row.path)) for row in TABLE
    }
    assert documented == tabled
