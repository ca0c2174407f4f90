"""The review of the access log: who may search it, what they see, and who could see what when."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.log_review.commands import NotAReviewerRole, designate
from app.models import Organisation, OrgKind, Role, User
from consent.base import utcnow
from consent.decision import Reason
from consent.sections import SectionKind
from consent.status import HELSINKI
from sharing import access_log
from sharing.access_log import AccessAction, AccessLogEntry, LogRecord
from tests import factories
from tests.conftest import api_token, csrf_token, login
from tests.integration.test_client_log import partner_history
from tests.integration.test_portal_consents import World, make_world, text_of


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)


def _county(db: Session, w: World) -> Organisation:
    county = db.get(Organisation, w.worker.organisation_id)
    assert county is not None
    return county


def _review_entries(db: Session, client_id: uuid.UUID) -> list[AccessLogEntry]:
    return list(
        db.scalars(
            select(AccessLogEntry).where(
                AccessLogEntry.client_id == client_id,
                AccessLogEntry.reason == Reason.ALLOWED_LOG_REVIEW.value,
            )
        )
    )


def test_the_data_protection_officer_searches_a_clients_log_and_the_search_is_logged(
    client: FlaskClient, db: Session, world: World
) -> None:
    client_id, case_id = world.client.id, world.case.id
    partner_history(db, world)
    officer = factories.user(db, Role.DATA_PROTECTION, _county(db, world))
    client_username = world.user.username
    db.commit()
    home = login(client, officer.username)
    assert home.headers["Location"].endswith("/log-review/")
    response = client.get(f"/log-review/?client={client_id}&outcome=denied")
    assert response.status_code == 200, response.status_code
    page = text_of(response)
    table = page[page.index("<table") : page.index("</table>")]
    assert f"Asuntotoimisto {case_id}" in table and "Denied" in table
    assert "Allowed</td>" not in table  # only the refusals were asked for
    (noted,) = _review_entries(db, client_id)
    assert noted.actor_role == "data_protection" and noted.actor_user_id == officer.id
    assert noted.scope == "access_log" and noted.allowed
    assert access_log.verify(db, client_id).ok  # the chain takes the entry as any other
    # The client's own log says that their log was looked into, and by whom.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/log-review/")})
    login(client, client_username)
    own = text_of(client.get("/my/log"))
    assert "Data-protection officer" in own
    assert "A check of who has looked at your information" in own


def test_a_reviewer_of_another_county_finds_nothing_of_the_client(
    client: FlaskClient, db: Session, world: World
) -> None:
    client_id = world.client.id
    partner_history(db, world)
    other = factories.user(db, Role.DATA_PROTECTION, factories.organisation(db, OrgKind.COUNTY))
    db.commit()
    login(client, other.username)
    page = text_of(client.get(f"/log-review/?client={client_id}"))
    assert "No log entries match the search." in page
    assert client.get(f"/log-review/clients/{client_id}/as-of").status_code == 404
    assert _review_entries(db, client_id) == []


def test_the_service_wide_officer_sees_every_county(
    client: FlaskClient, db: Session, world: World
) -> None:
    client_id, case_id = world.client.id, world.case.id
    partner_history(db, world)
    officer = factories.user(db, Role.DATA_PROTECTION)  # no organisation: the whole service
    db.commit()
    login(client, officer.username)
    page = text_of(client.get(f"/log-review/?client={client_id}"))
    assert f"Asuntotoimisto {case_id}" in page


def test_only_designated_administrators_and_caseworkers_review(
    client: FlaskClient, db: Session, world: World
) -> None:
    colleague = factories.user(db, Role.CASEWORKER, _county(db, world))
    client_user_id, colleague_id = world.user.id, colleague.id
    db.commit()
    login(client, colleague.username)
    assert client.get("/log-review/").status_code == 403
    account = db.get(User, colleague_id)
    assert account is not None and designate(db, account, True)
    db.commit()
    assert client.get("/log-review/").status_code == 200
    client_account = db.get(User, client_user_id)
    assert client_account is not None
    with pytest.raises(NotAReviewerRole):
        designate(db, client_account, True)


def test_bad_search_input_is_a_clear_error_not_a_failure(
    client: FlaskClient, db: Session, world: World
) -> None:
    officer = factories.user(db, Role.DATA_PROTECTION, _county(db, world))
    db.commit()
    login(client, officer.username)
    page = text_of(client.get("/log-review/?client=not-an-id&since=2026-12-10&until=2026-12-01"))
    assert "Enter a client id." in page
    assert "The last day cannot be before the first." in page
    assert 'aria-invalid="true"' in page


def test_who_could_see_what_at_a_past_moment_and_the_day_checked_against_it(
    client: FlaskClient, db: Session, world: World
) -> None:
    client_id, case_id = world.client.id, world.case.id
    housing_staff, _ = partner_history(db, world)
    officer = factories.user(db, Role.DATA_PROTECTION, _county(db, world))
    db.commit()
    login(client, officer.username)
    yesterday = (utcnow() - timedelta(days=1)).astimezone(HELSINKI)
    before = text_of(
        client.get(
            f"/log-review/clients/{client_id}/as-of?day={yesterday.date().isoformat()}&time=12:00"
        )
    )
    assert "Nobody in the network could read anything then." in before
    headers = api_token(client, officer.username)
    # Between the consent and its withdrawal: the housing office on consent (the API takes
    # exact instants; the page, minutes).
    granted = db.scalars(
        select(AccessLogEntry.at).where(
            AccessLogEntry.client_id == client_id,
            AccessLogEntry.organisation_id == housing_staff.organisation_id,
            AccessLogEntry.allowed.is_(True),
        )
    ).first()
    assert granted is not None
    body = client.get(
        f"/api/v1/log-review/clients/{client_id}/as-of",
        query_string={"at": granted.isoformat()},
        headers=headers,
    ).json
    housing = [
        m for m in body["members"] if m["organisation_id"] == str(housing_staff.organisation_id)
    ]
    assert housing and housing[0]["sections"] == ["housing"]
    assert housing[0]["bases"][0]["kind"] == "consent"
    verdicts = {e["verdict"] for e in body["entries"]}
    assert "inconsistent" not in verdicts and "consistent" in verdicts
    # Now, after the withdrawal: no longer the housing office; the day's log still agrees.
    now = utcnow().astimezone(HELSINKI) + timedelta(minutes=1)
    page = text_of(
        client.get(
            f"/log-review/clients/{client_id}/as-of"
            f"?day={now.date().isoformat()}&time={now.strftime('%H:%M')}"
        )
    )
    members = page[
        page.index("Members who could read something") : page.index(
            "The county's staff who could do case work"
        )
    ]
    assert f"Asuntotoimisto {case_id}" not in members
    assert f"Yhdyskuntaseuraamustoimisto {case_id}" in members  # the statutory disclosure
    assert "Consistent" in page and "Inconsistent" not in page


def test_an_entry_the_facts_did_not_allow_stands_out(
    client: FlaskClient, db: Session, world: World
) -> None:
    """A read entered in the log that no basis allowed (a defect elsewhere) is inconsistent."""
    client_id = world.client.id
    partner_history(db, world)
    ngo = db.get(Organisation, world.ngo.organisation_id)
    assert ngo is not None
    access_log.append(
        db,
        [
            LogRecord(
                client_id=client_id,
                at=utcnow(),
                actor_user_id=None,
                actor_role="partner",
                organisation_id=ngo.id,
                action=AccessAction.READ,
                allowed=True,
                reason=Reason.ALLOWED_CONSENT.value,
                scope="section:health",
                purpose="network_cooperation",
            )
        ],
    )
    officer = factories.user(db, Role.DATA_PROTECTION, _county(db, world))
    db.commit()
    login(client, officer.username)
    body = client.get(
        f"/api/v1/log-review/clients/{client_id}/as-of",
        query_string={"at": utcnow().isoformat()},
        headers=api_token(client, officer.username),
    ).json
    flagged = [e for e in body["entries"] if e["verdict"] == "inconsistent"]
    assert [e["organisation_id"] for e in flagged] == [str(ngo.id)]


def test_the_api_searches_pages_and_refuses_bad_input_as_problems(
    client: FlaskClient, db: Session, world: World
) -> None:
    client_id = world.client.id
    partner_history(db, world)
    officer = factories.user(db, Role.DATA_PROTECTION, _county(db, world))
    db.commit()
    headers = api_token(client, officer.username)
    first = client.get(
        "/api/v1/log-review/entries",
        query_string={"client_id": str(client_id), "per_page": 2},
        headers=headers,
    )
    assert first.status_code == 200 and len(first.json["items"]) == 2 and first.json["has_next"]
    second = client.get(
        "/api/v1/log-review/entries",
        query_string={"client_id": str(client_id), "per_page": 2, "page": 2},
        headers=headers,
    ).json
    assert {e["id"] for e in second["items"]}.isdisjoint(e["id"] for e in first.json["items"])
    denied = client.get(
        "/api/v1/log-review/entries",
        query_string={"client_id": str(client_id), "outcome": "denied"},
        headers=headers,
    ).json
    assert denied["items"] and all(not e["allowed"] for e in denied["items"])
    bad = client.get(
        "/api/v1/log-review/entries",
        query_string={"outcome": "maybe", "since": "2026-12-10", "until": "2026-12-01"},
        headers=headers,
    )
    assert bad.status_code in (400, 422) and bad.content_type == "application/problem+json"
    missing = client.get(
        f"/api/v1/log-review/clients/{uuid.uuid4()}/as-of",
        query_string={"at": utcnow().isoformat()},
        headers=headers,
    )
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"


def test_an_administrator_designates_a_caseworker_who_then_reviews(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    county = _county(db, world)
    admin = factories.user(db, Role.ADMIN, county)
    worker = factories.user(db, Role.CASEWORKER, county)
    worker_id, worker_name = worker.id, worker.username
    db.commit()
    login(client, admin.username)
    page = text_of(client.get(f"/admin/users/{worker_id}"))
    assert "Not designated to review the access log." in page
    token = csrf_token(client, f"/admin/users/{worker_id}")
    answer = client.post(
        f"/admin/users/{worker_id}/log-reviewer", data={"csrf_token": token, "reviewer": "1"}
    )
    assert answer.status_code == 302
    assert "Designated to review the access log" in text_of(client.get(f"/admin/users/{worker_id}"))
    reviewer = app.test_client()
    login(reviewer, worker_name)
    assert reviewer.get("/log-review/").status_code == 200
    client.post(
        f"/admin/users/{worker_id}/log-reviewer",
        data={"csrf_token": csrf_token(client, f"/admin/users/{worker_id}"), "reviewer": ""},
    )
    assert reviewer.get("/log-review/").status_code == 403


def test_the_client_sees_who_could_see_their_information_in_plain_words(
    client: FlaskClient, db: Session, world: World
) -> None:
    case_id, username = world.case.id, world.user.username
    consent = factories.consent(
        db, world.worker_actor, world.case, world.housing, SectionKind.HOUSING
    )
    db.commit()
    assert consent.id is not None
    login(client, username)
    assert "Who could see my information then" in text_of(client.get("/my/log"))
    now = utcnow().astimezone(HELSINKI) + timedelta(minutes=1)
    page = text_of(
        client.get(
            "/my/log/who-could-see",
            query_string={"day": now.date().isoformat(), "time": now.strftime("%H:%M")},
        )
    )
    assert f"Asuntotoimisto {case_id}" in page and "because you gave your consent" in page
    yesterday = now - timedelta(days=1)
    before = text_of(
        client.get(
            "/my/log/who-could-see",
            query_string={"day": yesterday.date().isoformat(), "time": "12:00"},
        )
    )
    assert "Nobody in your support network could read your plan then." in before
    bad = client.get("/my/log/who-could-see", query_string={"day": "yesterday", "time": "noon"})
    assert bad.status_code == 200 and 'aria-invalid="true"' in text_of(bad)


def test_the_responsible_worker_opens_the_moment_of_an_entry_asked_about(
    client: FlaskClient, db: Session, world: World
) -> None:
    client_id, case_id = world.client.id, world.case.id
    partner_history(db, world)
    worker_name = world.worker.username
    db.commit()
    login(client, worker_name)
    moment = utcnow().astimezone(HELSINKI) + timedelta(minutes=1)
    page = text_of(
        client.get(
            f"/caseworker/clients/{client_id}/who-could-see",
            query_string={"day": moment.date().isoformat(), "time": moment.strftime("%H:%M")},
        )
    )
    assert f"Yhdyskuntaseuraamustoimisto {case_id}" in page and "Consistent" in page
    (noted,) = _review_entries(db, client_id)
    assert noted.actor_role == "caseworker"


def test_flags_of_the_month_are_reviewed_with_a_note_and_summed_up(
    client: FlaskClient, db: Session, world: World
) -> None:
    client_id = world.client.id
    partner_history(db, world)  # ends with the housing office refused after the withdrawal
    officer = factories.user(db, Role.DATA_PROTECTION, _county(db, world))
    officer_name = officer.username
    db.commit()
    login(client, officer_name)
    page = text_of(client.get("/log-review/flags"))
    table = page[page.index("<table") : page.index("</table>")]
    assert "Refused attempt" in table and str(client_id) in table
    match = re.search(r'name="(f[0-9a-f]+den)-entry"[^>]*value="([0-9a-f-]+)"', page)
    if match is None:
        match = re.search(r'value="([0-9a-f-]+)"[^>]*name="(f[0-9a-f]+den)-entry"', page)
        assert match is not None
        prefix, entry = match[2], match[1]
    else:
        prefix, entry = match[1], match[2]
    token = csrf_token(client, "/log-review/flags")

    def post(note: str) -> str:
        answer = client.post(
            "/log-review/flags/review",
            data={
                f"{prefix}-csrf_token": token,
                f"{prefix}-kind": "denied",
                f"{prefix}-entry": entry,
                f"{prefix}-note": note,
            },
        )
        assert answer.status_code == 302
        return text_of(client.get(answer.headers["Location"]))

    assert "Write what you found." in post("  ")
    reviewed = post("Asked the housing office: an old bookmark (fictional).")
    assert f"Reviewed by {officer_name}" in reviewed
    assert "an old bookmark (fictional)" in reviewed
    assert "already been marked reviewed" in post("Again.")
    summary = text_of(client.get("/log-review/summary"))
    row = summary[summary.index("Refused attempt") :]
    assert re.match(r"Refused attempt</th><td>(\d+)</td><td>1</td>", row.replace("\n", ""))
    assert "Denied</th><td>" in summary.replace("\n", "")
    # Reading the flags is logged in the client's chain too.
    assert _review_entries(db, client_id)


def test_the_api_lists_the_months_flags_with_their_reviews(
    client: FlaskClient, db: Session, world: World
) -> None:
    client_id = world.client.id
    partner_history(db, world)
    officer = factories.user(db, Role.DATA_PROTECTION, _county(db, world))
    db.commit()
    headers = api_token(client, officer.username)
    body = client.get("/api/v1/log-review/flags", headers=headers).json
    denied = [f for f in body["flags"] if f["kind"] == "denied"]
    assert denied and denied[0]["client_id"] == str(client_id) and denied[0]["note"] is None
    assert body["denied"] >= 1 and body["allowed"] >= 1 and not body["truncated"]
    bad = client.get("/api/v1/log-review/flags?month=2026-13", headers=headers)
    assert bad.status_code in (400, 422) and bad.content_type == "application/problem+json"
