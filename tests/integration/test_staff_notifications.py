"""Prison and probation staff send an SHL § 35 notification and follow its state.

The notification lands in the county's intake queue as one a worker records; the sender
sees its state (received, assigned, assessment started) and nothing of the case; staff
of any other organisation cannot send one; the page and the API are the same command.
"""

from __future__ import annotations

import html

from sqlalchemy import func, select

from app.i18n import helsinki_today
from app.intake.commands import (
    StaffNotification,
    appoint_responsible_worker,
    send_staff_notification,
    start_assessment,
    take,
)
from app.intake.rules import SentState, notification_reference
from app.models import Case, Client, OrgKind, Phase, Role
from app.models.intake import (
    Channel,
    ConsentManner,
    Notification,
    NotificationPath,
    NotificationStatus,
    NotifierKind,
)
from app.security import new_gate
from consent.facts import SYSTEM_ACTOR, Purpose
from sharing import blind_index
from sharing.access_log import AccessAction, AccessLogEntry
from sharing.fields import sealed
from tests import factories
from tests.conftest import api_token, csrf_token, login

NEW = "/partner/notifications/new"
PROBLEM = "application/problem+json"
NEED = "Asunto ja toimeentulo puuttuvat vapautuessa (fictional)"


def world(db):  # type: ignore[no-untyped-def]
    county = factories.organisation(db, OrgKind.COUNTY)
    worker = factories.user(db, Role.CASEWORKER, county)
    prison = factories.organisation(db, OrgKind.PRISON)
    guard = factories.user(db, Role.PARTNER, prison)
    db.commit()
    return county, worker, prison, guard


def form(client, county, **overrides: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    data = {
        "csrf_token": csrf_token(client, NEW),
        "county_id": str(county.id),
        "name": "Kuvitteellinen Kalle",
        "identity_code": "010190-900P",
        "contacted_on": helsinki_today().isoformat(),
        "need": NEED,
        "path": "consent",
        "consent_manner": "in_writing",
    }
    return data | overrides


def opened(db, row, column) -> str | None:  # type: ignore[no-untyped-def]
    return new_gate().read_texts(
        SYSTEM_ACTOR, [sealed(row, column)], purpose=Purpose.ADMINISTRATION
    )[0]


def test_a_prison_worker_sends_a_notification_that_lands_in_the_queue(client, db) -> None:  # type: ignore[no-untyped-def]
    county, worker, prison, guard = world(db)
    login(client, guard.username)
    home = client.get("/partner/").get_data(as_text=True)
    assert "Notify a county of a need for social care" in home

    sent = client.post(NEW, data=form(client, county))
    assert sent.status_code == 302, sent.get_data(as_text=True)

    notification = db.scalars(select(Notification)).one()
    case = db.get(Case, notification.case_id)
    created = db.get(Client, notification.client_id)
    assert (notification.county_id, case.county_id, created.county_id) == (county.id,) * 3
    assert notification.status is NotificationStatus.UNASSIGNED
    assert notification.notifier_kind is NotifierKind.PRISON_STAFF
    assert notification.notifier_organisation_id == prison.id
    assert notification.channel is Channel.E_FORM
    assert notification.consent_manner is ConsentManner.IN_WRITING
    assert notification.recorded_by_id == guard.id
    assert case.phase is Phase.NOTIFIED and case.prison_id == prison.id
    assert opened(db, notification, Notification.need_ct) == NEED
    assert opened(db, notification, Notification.notifier_name_ct) == guard.display_name
    assert opened(db, created, Client.name_ct) == "Kuvitteellinen Kalle"
    assert NEED.encode() not in notification.need_ct
    # The writes are logged as the system acting for the prison worker.
    writes = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == created.id, AccessLogEntry.action == AccessAction.WRITE
        )
    ).all()
    assert writes and {(e.actor_user_id, e.organisation_id) for e in writes} == {
        (guard.id, prison.id)
    }

    listed = client.get("/partner/notifications").get_data(as_text=True)
    assert notification_reference(notification.id) in listed
    assert "Received: waiting in the county" in listed
    assert "Kuvitteellinen" not in listed and "Asunto" not in listed

    client.post("/logout", data={"csrf_token": csrf_token(client, "/partner/")})
    login(client, worker.username)
    queue = client.get("/caseworker/intake").get_data(as_text=True)
    assert "Kuvitteellinen Kalle" in queue and prison.name in html.unescape(queue)


def test_the_sender_sees_the_state_and_nothing_more(client, db) -> None:  # type: ignore[no-untyped-def]
    county, worker, _, guard = world(db)
    gate = new_gate()
    notification = send_staff_notification(
        db,
        gate,
        factories.keyring_of(),
        factories.actor(guard),
        StaffNotification(
            county_id=county.id,
            name="Kuvitteellinen Kalle",
            identity_code=None,
            need=NEED,
            path=NotificationPath.NO_CONSENT,
            no_consent_reason="Ei kykene huolehtimaan itsestään (fictional)",
        ),
        notifier_name=guard.display_name,
    )
    db.commit()
    login(client, guard.username)

    def state() -> str:
        return html.unescape(client.get("/partner/notifications").get_data(as_text=True))

    assert "Received: waiting in the county's intake queue" in state()
    by, notification_id = factories.actor(worker), notification.id

    def fresh() -> Notification:
        return db.get_one(Notification, notification_id)

    take(db, new_gate(), by, fresh(), work_task_reason="Intake (fictional)")
    db.commit()
    assert "Assigned to a social worker" in state()
    appoint_responsible_worker(db, by, fresh(), db.merge(worker))
    db.commit()
    assert "Assigned to a social worker" in state()
    start_assessment(db, by, fresh())
    db.commit()
    page = state()
    assert "Service-need assessment started" in page
    assert worker.display_name not in page and "Kuvitteellinen" not in page
    # The partner's client pages know nothing of the person: not in its network.
    assert client.get(f"/partner/clients/{fresh().client_id}").status_code == 404


def test_a_known_client_gets_the_notification_on_their_case(client, db) -> None:  # type: ignore[no-untyped-def]
    county, _, _, guard = world(db)
    known, case = factories.client(db, county, name="Kuvitteellinen Kerttu", phase=Phase.NETWORK)
    blind_index.index_client(
        db, factories.keyring_of(), known.id, "Kuvitteellinen Kerttu", "010190-900P"
    )
    db.commit()
    login(client, guard.username)
    assert client.post(NEW, data=form(client, county)).status_code == 302
    notification = db.scalars(select(Notification)).one()
    assert (notification.client_id, notification.case_id) == (known.id, case.id)
    assert db.scalar(select(func.count(Client.id))) == 1


def test_each_path_asks_for_its_own_fact(client, db) -> None:  # type: ignore[no-untyped-def]
    county, _, _, guard = world(db)
    login(client, guard.username)
    no_manner = client.post(NEW, data=form(client, county, consent_manner=""))
    assert no_manner.status_code == 400
    assert "Choose how the person gave their consent." in no_manner.get_data(as_text=True)
    no_reason = client.post(NEW, data=form(client, county, path="no_consent", consent_manner=""))
    assert no_reason.status_code == 400
    assert "Give the reason." in no_reason.get_data(as_text=True)
    bad_code = client.post(NEW, data=form(client, county, identity_code="010190-900X"))
    assert bad_code.status_code == 400
    assert "not a valid identity code" in bad_code.get_data(as_text=True)
    other = factories.organisation(db, OrgKind.PRISON)
    db.commit()
    not_a_county = client.post(NEW, data=form(client, county, county_id=str(other.id)))
    assert not_a_county.status_code == 400
    assert db.scalar(select(func.count(Notification.id))) == 0
    assert db.scalar(select(func.count(Client.id))) == 0


def test_staff_of_other_organisations_cannot_send(client, db) -> None:  # type: ignore[no-untyped-def]
    county = factories.organisation(db, OrgKind.COUNTY)
    kela = factories.organisation(db, OrgKind.PUBLIC_SERVICE)
    clerk = factories.user(db, Role.PARTNER, kela)
    db.commit()
    login(client, clerk.username)
    assert "Notify a county" not in client.get("/partner/").get_data(as_text=True)
    assert client.get(NEW).status_code == 403
    assert client.get("/partner/notifications").status_code == 403
    token = csrf_token(client, "/partner/")
    posted = client.post(
        NEW, data={"csrf_token": token, "county_id": str(county.id), "name": "X", "need": "Y"}
    )
    assert posted.status_code == 403
    headers = api_token(client, clerk.username)
    assert client.get("/api/v1/notifications", headers=headers).status_code == 403
    assert db.scalar(select(func.count(Notification.id))) == 0


def test_the_api_sends_and_reads_the_state(client, db) -> None:  # type: ignore[no-untyped-def]
    county = factories.organisation(db, OrgKind.COUNTY)
    office = factories.organisation(db, OrgKind.PROBATION)
    supervisor = factories.user(db, Role.PARTNER, office)
    db.commit()
    headers = api_token(client, supervisor.username)
    body = {
        "county_id": str(county.id),
        "name": "Kuvitteellinen Kalle",
        "need": NEED,
        "path": "consent",
        "consent_manner": "orally",
    }
    created = client.post("/api/v1/notifications", json=body, headers=headers)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.json["state"] == SentState.RECEIVED.value
    notification = db.scalars(select(Notification)).one()
    assert created.json["id"] == str(notification.id)
    assert created.json["reference"] == notification_reference(notification.id)
    assert notification.notifier_kind is NotifierKind.PROBATION_STAFF
    assert db.get(Case, notification.case_id).probation_office_id == office.id

    listed = client.get("/api/v1/notifications", headers=headers)
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json["items"]] == [str(notification.id)]
    assert set(listed.json["items"][0]) == {"id", "reference", "sent_at", "county", "path", "state"}

    refused = client.post(
        "/api/v1/notifications", json=body | {"consent_manner": None}, headers=headers
    )
    assert refused.status_code == 422 and refused.mimetype == PROBLEM
    assert [e["code"] for e in refused.json["errors"]] == ["consent_manner_missing"]
    unknown = client.post("/api/v1/notifications", json=body | {"extra": 1}, headers=headers)
    assert unknown.status_code == 422
    assert db.scalar(select(func.count(Notification.id))) == 1


def test_the_sent_list_runs_the_same_statements_at_any_size(client, db, sql_count) -> None:  # type: ignore[no-untyped-def]
    county, _, _, guard = world(db)

    def send(n: int) -> None:
        for i in range(n):
            send_staff_notification(
                db,
                new_gate(),
                factories.keyring_of(),
                factories.actor(guard),
                StaffNotification(
                    county_id=county.id,
                    name=f"Kuvitteellinen Asiakas {i}",
                    identity_code=None,
                    need=NEED,
                    path=NotificationPath.CONSENT,
                    consent_manner=ConsentManner.ORALLY,
                ),
                notifier_name=guard.display_name,
            )
        db.commit()

    send(1)
    login(client, guard.username)
    counted = []
    for more in (0, 30):
        send(more)
        client.get("/partner/notifications")  # warm
        sql_count.clear()
        assert client.get("/partner/notifications").status_code == 200
        counted.append(len(sql_count))
    assert counted[0] == counted[1] <= 8, counted
