"""Changing the kind or authority flag of an organisation that is in clients' networks: a
member's kind is fixed when it joins, and only an authority receives statutory disclosures
(or goes without a confidentiality commitment), so such a change waits until those end —
refused with how many are affected, on the directory page and in the API; an allowed change
is in the security log."""

from __future__ import annotations

import json
import logging

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.consents.commands import end_statutory_disclosure, record_statutory_disclosure
from app.i18n import helsinki_today
from app.models import Case, NetworkMember, Organisation, OrgKind, Role
from app.request_log import JsonFormatter
from app.security import new_gate
from consent.base import utcnow
from consent.models import StatutoryDisclosure
from consent.sections import SectionKind
from tests import factories
from tests.conftest import api_token, csrf_token, login

PROBLEM = "application/problem+json"


def kind_form(org: Organisation, kind: str, authority: bool) -> dict[str, str]:
    return {
        "name": org.name,
        "kind": kind,
        "county_id": "",
        "business_id": "",
        **({"authority": "y"} if authority else {}),
    }


def test_an_organisation_in_a_network_keeps_its_kind_until_its_memberships_end(
    client: FlaskClient, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    _, worker, _, case = factories.county_case(db)
    housing = factories.partner(db, case, OrgKind.PUBLIC_SERVICE, starts_on=helsinki_today())
    admin = factories.user(db, Role.ADMIN)
    db.commit()
    login(client, admin.username)
    path = f"/admin/organisations/{housing.organisation.id}"
    form = kind_form(housing.organisation, "other", True)
    refused = client.post(path, data={"csrf_token": csrf_token(client, path), **form})
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "member of client networks (1)" in html and "End those memberships first" in html
    shown = client.get(path).get_data(as_text=True)
    assert "<dt>In client networks now</dt><dd>1</dd>" in shown and 'id="kind-change-hint"' in shown
    db.expire_all()
    assert db.get(Organisation, housing.organisation.id).kind is OrgKind.PUBLIC_SERVICE  # type: ignore[union-attr]

    headers = api_token(client, admin.username)
    api_path = f"/api/v1/organisations/{housing.organisation.id}/kind"
    problem = client.post(api_path, json={"kind": "other", "authority": True}, headers=headers)
    assert problem.status_code == 409 and problem.mimetype == PROBLEM
    [error] = problem.json["errors"]
    assert (error["pointer"], error["code"]) == ("#/kind", "kind_has_members")
    assert "(1)" in error["detail"]
    # Staff of other roles cannot change the directory.
    partner = api_token(client, housing.staff.username)
    assert (
        client.post(
            api_path, json={"kind": "other", "authority": True}, headers=partner
        ).status_code
        == 403
    )

    # The membership ends: the kind can change, and the change is in the security log.
    member = db.get(NetworkMember, housing.member.id)
    assert member is not None
    member.ended_at, member.ended_by_id = utcnow(), worker.id
    db.commit()
    with caplog.at_level(logging.INFO, logger="tukiverkko.security"):
        changed = client.post(api_path, json={"kind": "other", "authority": True}, headers=headers)
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.json["kind"] == "other" and changed.json["authority"] is True
    logged = [
        json.loads(JsonFormatter().format(r))
        for r in caplog.records
        if r.name == "tukiverkko.security"
    ]
    assert [
        (e["operation"], e["organisation_kind_was"], e["organisation_kind"], e["user_id"])
        for e in logged
        if e["event"] == "organisation"
    ] == [("change_kind", "public_service", "other", str(admin.id))]


def test_an_organisation_stays_an_authority_while_it_receives_statutory_disclosures(
    client: FlaskClient, db: Session
) -> None:
    _, worker, _, case = factories.county_case(db)
    kela = factories.partner(db, case, OrgKind.PUBLIC_SERVICE, starts_on=helsinki_today())
    disclosure = record_statutory_disclosure(
        db,
        new_gate(),
        factories.actor(worker),
        case=case,
        member_id=kela.member.id,
        sections=frozenset({SectionKind.LIVELIHOOD}),
        provision="SHL 41 §",
        justification="Toimeentulon turvaaminen (fictional)",
        valid_from=helsinki_today(),
        valid_until=None,
    )
    admin = factories.user(db, Role.ADMIN)
    db.commit()
    login(client, admin.username)
    path = f"/admin/organisations/{kela.organisation.id}"
    form = kind_form(kela.organisation, "public_service", False)
    refused = client.post(path, data={"csrf_token": csrf_token(client, path), **form})
    assert refused.status_code == 409
    assert "it receives statutory disclosures (1)" in refused.get_data(as_text=True)

    headers = api_token(client, admin.username)
    api_path = f"/api/v1/organisations/{kela.organisation.id}/kind"
    no_authority = {"kind": "public_service", "authority": False}
    problem = client.post(api_path, json=no_authority, headers=headers)
    assert problem.status_code == 409
    assert [(e["pointer"], e["code"]) for e in problem.json["errors"]] == [
        ("#/authority", "authority_has_disclosures")
    ]
    # The worker ends the disclosure; its membership still has no confidentiality commitment.
    stored = db.get(StatutoryDisclosure, disclosure.id)  # the requests ended the test's session
    assert stored is not None
    stored_case = db.get(Case, stored.case_id)
    assert stored_case is not None
    end_statutory_disclosure(db, new_gate(), factories.actor(worker), stored, case=stored_case)
    db.commit()
    problem = client.post(api_path, json=no_authority, headers=headers)
    assert problem.status_code == 409
    assert problem.json["errors"][0]["code"] == "authority_members_uncommitted"
    member = db.get(NetworkMember, kela.member.id)
    assert member is not None
    member.confidentiality_committed_on = helsinki_today()
    member.confidentiality_recorded_by_id = worker.id
    db.commit()
    changed = client.post(api_path, json=no_authority, headers=headers)
    assert changed.status_code == 200 and changed.json["authority"] is False
    # Becoming an authority again breaks nothing.
    again = client.post(
        api_path, json={"kind": "public_service", "authority": True}, headers=headers
    )
    assert again.status_code == 200 and again.json["authority"] is True
    # A kind that may never be an authority is refused per field, as on the page.
    wrong = client.post(api_path, json={"kind": "ngo", "authority": True}, headers=headers)
    assert wrong.status_code == 422
