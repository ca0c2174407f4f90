"""A caseworker sees the own county's clients; opening a record needs a relationship or a reason."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.models import CaseTeamMember, OrgKind, Role, WorkTaskReason
from consent.base import utcnow
from tests import factories
from tests.conftest import csrf_token, login


def test_responsible_worker_opens_the_record(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker, record, _ = factories.county_case(db)
    db.commit()
    login(client, worker.username)
    page = client.get(f"/caseworker/clients/{record.id}").get_data(as_text=True)
    assert "Kuvitteellinen Kalle" in page
    assert "010190-900P" in page


def test_another_countys_client_is_indistinguishable_from_a_missing_one(client, db) -> None:  # type: ignore[no-untyped-def]
    _, _, record, _ = factories.county_case(db)
    stranger = factories.user(db, Role.CASEWORKER, factories.organisation(db, OrgKind.COUNTY))
    db.commit()
    login(client, stranger.username)
    foreign = client.get(f"/caseworker/clients/{record.id}")
    missing = client.get("/caseworker/clients/00000000-0000-4000-8000-000000000000")
    assert foreign.status_code == missing.status_code == 404
    assert "Kuvitteellinen" not in foreign.get_data(as_text=True)
    assert "Kuvitteellinen" not in client.get("/caseworker/clients").get_data(as_text=True)


def test_colleague_needs_a_recorded_reason_which_lasts_until_the_end_of_the_day(client, db) -> None:  # type: ignore[no-untyped-def]
    county, _, record, _ = factories.county_case(db)
    colleague = factories.user(db, Role.CASEWORKER, county)
    db.commit()
    login(client, colleague.username)
    assert "Kuvitteellinen Kalle" in client.get("/caseworker/clients").get_data(
        as_text=True
    )  # the list
    refused = client.get(f"/caseworker/clients/{record.id}")
    assert refused.status_code == 403
    assert "010190-900P" not in refused.get_data(as_text=True)

    token = csrf_token(client, f"/caseworker/clients/{record.id}")
    empty = client.post(
        f"/caseworker/clients/{record.id}/work-task", data={"csrf_token": token, "reason": ""}
    )
    assert empty.status_code == 400
    assert db.scalars(select(WorkTaskReason)).all() == []

    reason = "Päivystys: omatyöntekijä lomalla (fictional)"
    recorded = client.post(
        f"/caseworker/clients/{record.id}/work-task", data={"csrf_token": token, "reason": reason}
    )
    assert recorded.status_code == 302
    assert "010190-900P" in client.get(f"/caseworker/clients/{record.id}").get_data(as_text=True)
    stored = db.scalars(select(WorkTaskReason)).one()
    assert reason.encode() not in stored.reason_ct
    assert utcnow() < stored.valid_until <= utcnow() + timedelta(days=1)


def test_case_team_member_opens_the_record(client, db) -> None:  # type: ignore[no-untyped-def]
    county, _, record, case = factories.county_case(db)
    teammate = factories.user(db, Role.CASEWORKER, county)
    db.add(CaseTeamMember(case_id=case.id, user_id=teammate.id))
    db.commit()
    login(client, teammate.username)
    assert client.get(f"/caseworker/clients/{record.id}").status_code == 200


def test_partner_staff_cannot_use_caseworker_pages(client, db) -> None:  # type: ignore[no-untyped-def]
    _, _, record, _ = factories.county_case(db)
    partner = factories.user(db, Role.PARTNER, factories.organisation(db, OrgKind.NGO))
    db.commit()
    login(client, partner.username)
    assert client.get(f"/caseworker/clients/{record.id}").status_code == 403


def test_client_sees_own_name_on_my_page(client, db) -> None:  # type: ignore[no-untyped-def]
    _, _, record, _ = factories.county_case(db, name="Kuvitteellinen Kerttu")
    account = factories.user(db, Role.CLIENT, client=record)
    db.commit()
    login(client, account.username)
    assert "Kuvitteellinen Kerttu" in client.get("/my/").get_data(as_text=True)


def test_caseload_page_runs_a_fixed_number_of_queries(client, db, sql_count) -> None:  # type: ignore[no-untyped-def]
    county, worker, _, _ = factories.county_case(db)
    db.commit()
    login(client, worker.username)

    def queries_for_list() -> int:
        sql_count.clear()
        page = client.get("/caseworker/clients").get_data(as_text=True)
        assert "Kuvitteellinen" in page
        return len(sql_count)

    with_one = queries_for_list()
    for n in range(30):
        factories.client(db, county, name=f"Kuvitteellinen {n}", worker=worker)
    db.commit()
    with_many = queries_for_list()
    assert with_many == with_one
    assert (
        len(
            re.findall(
                "Kuvitteellinen", client.get("/caseworker/clients?page=2").get_data(as_text=True)
            )
        )
        == 6
    )


def test_a_read_only_page_still_commits_its_log_entries(client, db) -> None:  # type: ignore[no-untyped-def]
    from sharing.access_log import AccessLogEntry

    _, worker, record, _ = factories.county_case(db)
    db.commit()
    login(client, worker.username)
    assert client.get(f"/caseworker/clients/{record.id}").status_code == 200
    db.rollback()  # anything the page left uncommitted would vanish here
    reads = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == record.id, AccessLogEntry.actor_user_id == worker.id
        )
    ).all()
    assert {(r.action, r.scope, r.allowed) for r in reads} >= {
        ("read", "name", True),
        ("read", "basic", True),
    }


def test_a_failed_page_keeps_the_log_of_reads_it_made(app, db) -> None:  # type: ignore[no-untyped-def]
    from flask import abort

    from app import create_app
    from app.models.case import Client
    from app.security import new_gate
    from consent.facts import SYSTEM_ACTOR, Purpose
    from sharing.access_log import AccessLogEntry
    from sharing.fields import sealed

    _, _, record, _ = factories.county_case(db)
    db.commit()
    client_id = record.id
    probe = create_app(app.extensions["tukiverkko.settings"])

    def read_then_fail() -> str:
        new_gate().read_texts(
            SYSTEM_ACTOR,
            [sealed(record, Client.name_ct)],
            purpose=Purpose.ADMINISTRATION,
        )
        abort(400)

    probe.add_url_rule("/read-then-fail", "read_then_fail", read_then_fail)
    probe.view_functions["read_then_fail"]._tukiverkko_access = "public"  # type: ignore[attr-defined]
    assert probe.test_client().get("/read-then-fail").status_code == 400
    db.rollback()
    entries = db.scalars(select(AccessLogEntry).where(AccessLogEntry.client_id == client_id)).all()
    assert ("read", "name") in {(e.action, e.scope) for e in entries}
