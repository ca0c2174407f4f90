"""Intake: recording notifications, the queue and its count, taking a case, finding clients."""

from __future__ import annotations

import contextlib
import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.i18n import helsinki_today
from app.intake import commands as intake_service
from app.intake.search import search_clients
from app.models import (
    Case,
    CaseTeamMember,
    Client,
    OrgKind,
    Phase,
    ResponsibleWorker,
    Role,
    WorkTaskReason,
)
from app.models.intake import (
    Channel,
    Notification,
    NotificationPath,
    NotificationStatus,
    NotifierKind,
)
from app.security import new_gate
from consent.facts import SYSTEM_ACTOR, Purpose
from sharing import blind_index
from sharing.blind_index import ClientSearchEntry, IndexKey
from sharing.fields import sealed
from tests import factories
from tests.conftest import csrf_token, login

NEW = "/caseworker/intake/new"


def indexed_client(db, county, name: str, code: str | None = None, **kw):  # type: ignore[no-untyped-def]
    record, case = factories.client(db, county, name=name, identity_code=code, **kw)
    blind_index.index_client(db, factories.keyring_of(), record.id, name, code)
    return record, case


def county_worker(db):  # type: ignore[no-untyped-def]
    county = factories.organisation(db, OrgKind.COUNTY)
    return county, factories.user(db, Role.CASEWORKER, county)


def form_data(client, **overrides: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    today = helsinki_today().isoformat()
    data = {
        "csrf_token": csrf_token(client, NEW),
        "action": "save",
        "name": "Kuvitteellinen Kalle",
        "identity_code": "010190-900P",
        "notifier_kind": "prison_staff",
        "notifier_name": "Vartija Veikko (fictional)",
        "channel": "phone",
        "contacted_on": today,
        "received_on": today,
        "received_time": "00:00",
        "need": "Asunto puuttuu vapautumisen jälkeen (fictional)",
        "path": "consent",
    }
    data.update(overrides)
    return data


def record(client, **overrides: str):  # type: ignore[no-untyped-def]
    return client.post(NEW, data=form_data(client, **overrides))


def decrypt(db, row, column) -> str | None:  # type: ignore[no-untyped-def]
    return new_gate().read_texts(
        SYSTEM_ACTOR, [sealed(row, column)], purpose=Purpose.ADMINISTRATION
    )[0]


# -- recording -----------------------------------------------------------------------------


def test_a_new_client_and_notification_land_in_the_queue_and_the_nav_count(client, db) -> None:  # type: ignore[no-untyped-def]
    county, worker = county_worker(db)
    db.commit()
    login(client, worker.username)
    assert "Intake (" not in client.get("/caseworker/").get_data(as_text=True)

    response = record(client)
    assert response.status_code == 302, response.get_data(as_text=True)

    created = db.scalars(select(Client).where(Client.county_id == county.id)).one()
    case = db.scalars(select(Case).where(Case.client_id == created.id)).one()
    notification = db.scalars(select(Notification)).one()
    assert case.phase is Phase.NOTIFIED and case.county_id == county.id
    assert notification.status is NotificationStatus.UNASSIGNED
    assert notification.recorded_by_id == worker.id and notification.recorded_at is not None
    assert (notification.client_id, notification.case_id) == (created.id, case.id)
    assert decrypt(db, created, Client.name_ct) == "Kuvitteellinen Kalle"
    assert decrypt(db, created, Client.identity_code_ct) == "010190-900P"
    assert (
        decrypt(db, notification, Notification.need_ct)
        == "Asunto puuttuu vapautumisen jälkeen (fictional)"
    )
    assert decrypt(db, notification, Notification.notifier_name_ct) == "Vartija Veikko (fictional)"
    assert b"Asunto" not in notification.need_ct and b"Kalle" not in created.name_ct
    # The receiving worker wrote under a recorded intake work task, not a relationship.
    task = db.scalars(select(WorkTaskReason).where(WorkTaskReason.case_id == case.id)).one()
    assert task.user_id == worker.id
    assert db.scalars(select(ResponsibleWorker)).all() == []

    home = client.get("/caseworker/").get_data(as_text=True)
    assert "Intake (1)" in home
    queue = client.get("/caseworker/intake").get_data(as_text=True)
    assert "Kuvitteellinen Kalle" in queue and "Prison staff" in queue
    assert "Asunto puuttuu" not in queue  # the need is not shown in the queue


def test_the_no_consent_path_requires_a_reason(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker = county_worker(db)
    db.commit()
    login(client, worker.username)
    response = record(client, path="no_consent", no_consent_reason="  ")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Give the reason." in page
    assert "Kuvitteellinen Kalle" in page and "Asunto puuttuu" in page  # inputs kept
    assert db.scalar(select(func.count(Notification.id))) == 0
    assert db.scalar(select(func.count(Client.id))) == 0

    reason = "Vakava päihdeongelma, ei kykene huolehtimaan itsestään (fictional)"
    assert record(client, path="no_consent", no_consent_reason=reason).status_code == 302
    notification = db.scalars(select(Notification)).one()
    assert notification.path is NotificationPath.NO_CONSENT
    assert decrypt(db, notification, Notification.no_consent_reason_ct) == reason


def test_the_service_refuses_a_no_consent_notification_without_a_reason(db) -> None:  # type: ignore[no-untyped-def]
    county, worker = county_worker(db)
    _, case = factories.client(db, county, worker=worker)
    facts = intake_service.NotificationFacts(
        received_at=factories.now(),
        contacted_on=helsinki_today(),
        notifier_kind=NotifierKind.CLIENT,
        channel=Channel.PHONE,
        need="Tarve (fictional)",
        path=NotificationPath.NO_CONSENT,
    )
    with pytest.raises(intake_service.NoConsentReasonMissing):
        intake_service.record_notification(
            db, new_gate(), factories.actor(worker), case, facts, work_task_reason="x"
        )


@pytest.mark.parametrize(
    ("overrides", "field_error"),
    [
        ({"identity_code": "010190-900X"}, "This is not a valid identity code."),
        ({"identity_code": "311390-900P"}, "This is not a valid identity code."),
        ({"name": ""}, "Enter the client's name, or search and choose an existing client."),
        ({"notifier_kind": ""}, "Choose who made the contact."),
        ({"notifier_kind": "warden"}, "Not a valid choice"),
        ({"notifier_name": ""}, "Enter the notifier's name."),
        ({"channel": ""}, "Choose the channel."),
        ({"contacted_on": "31.2.2024"}, "Not a valid date value"),
        ({"contacted_on": "2999-01-01"}, "The date cannot be in the future."),
        ({"need": ""}, "Describe the need."),
        ({"path": ""}, "Choose the path of the notification."),
        ({"prison_id": "not-an-id"}, "Not a valid choice"),
        ({"client_id": "00000000-0000-4000-8000-000000000000", "name": ""}, "Choose the client"),
    ],
)
def test_invalid_input_is_refused_per_field_and_kept(client, db, overrides, field_error) -> None:  # type: ignore[no-untyped-def]
    _, worker = county_worker(db)
    db.commit()
    login(client, worker.username)
    response = record(client, **overrides)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert field_error in page
    assert 'aria-invalid="true"' in page or "has-error" in page
    for key, value in overrides.items():
        if value and key not in {"notifier_kind", "prison_id", "client_id"}:
            assert value in page  # what the user typed is still there
    assert db.scalar(select(func.count(Notification.id))) == 0


def test_a_client_without_an_identity_code_can_be_recorded(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker = county_worker(db)
    db.commit()
    login(client, worker.username)
    both = record(client, no_identity_code="y")
    assert both.status_code == 400 and "not both" in both.get_data(as_text=True)
    assert record(client, identity_code="", no_identity_code="y").status_code == 302
    created = db.scalars(select(Client)).one()
    assert created.identity_code_ct is None


def test_a_duplicate_identity_code_offers_the_existing_client(client, db) -> None:  # type: ignore[no-untyped-def]
    county, worker = county_worker(db)
    existing, _ = indexed_client(db, county, "Kuvitteellinen Kalle", "010190-900P")
    other_county = factories.organisation(db, OrgKind.COUNTY)
    indexed_client(db, other_county, "Kaukainen Kalle", "020202A901F")
    db.commit()
    login(client, worker.username)
    response = record(client, name="Kalle Toinen", identity_code="010190-900p")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "already recorded with this identity code" in page
    assert f'name="pick" value="{existing.id}"' in page
    assert db.scalar(select(func.count(Client.id))) == 2  # no twin

    token = csrf_token(client, NEW)
    picked = client.post(
        NEW, data={**form_data(client), "csrf_token": token, "pick": str(existing.id)}
    )
    assert picked.status_code == 200
    assert f'name="client_id" type="hidden" value="{existing.id}"' in picked.get_data(as_text=True)
    saved = record(client, client_id=str(existing.id), name="", identity_code="")
    assert saved.status_code == 302
    assert db.scalars(select(Notification)).one().client_id == existing.id
    assert db.scalar(select(func.count(Client.id))) == 2


def test_the_same_identity_code_in_another_county_is_not_a_duplicate(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker = county_worker(db)
    other_county = factories.organisation(db, OrgKind.COUNTY)
    indexed_client(db, other_county, "Kaukainen Kalle", "010190-900P")
    db.commit()
    login(client, worker.username)
    response = record(client)
    assert response.status_code == 302
    assert "Kaukainen" not in client.get("/caseworker/intake").get_data(as_text=True)


def test_search_inside_the_form_keeps_what_was_typed(client, db) -> None:  # type: ignore[no-untyped-def]
    county, worker = county_worker(db)
    indexed_client(db, county, "Kuvitteellinen Kalle", "010190-900P")
    db.commit()
    login(client, worker.username)
    data = form_data(client, action="search", q="kuvit", need="Oma teksti (fictional)")
    page = client.post(NEW, data=data).get_data(as_text=True)
    assert "Kuvitteellinen Kalle" in page and 'name="pick"' in page
    assert "Oma teksti (fictional)" in page


# -- the queue, one notification and taking it ---------------------------------------------


def test_reading_taking_appointing_and_starting_are_separate_steps(client, db) -> None:  # type: ignore[no-untyped-def]
    county, recorder = county_worker(db)
    colleague = factories.user(db, Role.CASEWORKER, county)
    db.commit()
    login(client, recorder.username)
    assert record(client).status_code == 302
    notification = db.scalars(select(Notification)).one()
    url = f"/caseworker/intake/{notification.id}"

    client.post("/logout", data={"csrf_token": csrf_token(client, "/caseworker/")})
    login(client, colleague.username)
    before = client.get(url).get_data(as_text=True)
    assert "Kuvitteellinen Kalle" in before and "Read the notification" in before
    assert "Asunto puuttuu" not in before and "Vartija Veikko" not in before
    token = csrf_token(client, url)

    # Reading comes before taking: an intake work task of today, nothing else changes.
    assert client.post(f"{url}/read", data={"csrf_token": token}).status_code == 302
    read = client.get(url).get_data(as_text=True)
    assert "Asunto puuttuu" in read and "Vartija Veikko" in read and "Assign to me" in read
    db.expire_all()
    task = db.scalars(select(WorkTaskReason).where(WorkTaskReason.user_id == colleague.id)).one()
    assert task.case_id == notification.case_id
    assert db.get(Notification, notification.id).status is NotificationStatus.UNASSIGNED

    # Taking it changes the notification only.
    assert client.post(f"{url}/assign", data={"csrf_token": token}).status_code == 302
    db.expire_all()
    notification = db.get(Notification, notification.id)
    case = db.get(Case, notification.case_id)
    assert notification.status is NotificationStatus.ASSIGNED
    assert notification.assigned_to_id == colleague.id and notification.assigned_at is not None
    assert case.phase is Phase.NOTIFIED
    assert db.scalar(select(func.count(ResponsibleWorker.id))) == 0
    assert db.scalar(select(func.count(CaseTeamMember.id))) == 0

    # Appointing the responsible worker is its own step (here: the recorder).
    taken = client.get(url).get_data(as_text=True)
    assert "Appoint from today" in taken and "Start the assessment" in taken
    appointed = client.post(
        f"{url}/responsible-worker", data={"csrf_token": token, "worker": str(recorder.id)}
    )
    assert appointed.status_code == 302
    worker = db.scalars(select(ResponsibleWorker).where(ResponsibleWorker.case_id == case.id)).one()
    assert (worker.worker_id, worker.starts_on, worker.ends_on, worker.assigned_by_id) == (
        recorder.id,
        helsinki_today(),
        None,
        colleague.id,
    )
    db.expire_all()
    assert db.get(Case, case.id).phase is Phase.NOTIFIED

    # And so is starting the assessment.
    assert client.post(f"{url}/assessment", data={"csrf_token": token}).status_code == 302
    db.expire_all()
    assert db.get(Case, case.id).phase is Phase.ASSESSMENT

    again = client.post(f"{url}/assign", data={"csrf_token": token})
    assert again.status_code == 302
    assert "already been taken" in client.get(url).get_data(as_text=True)


def test_only_the_worker_who_took_it_appoints_or_starts(client, db) -> None:  # type: ignore[no-untyped-def]
    county, recorder = county_worker(db)
    colleague = factories.user(db, Role.CASEWORKER, county)
    db.commit()
    login(client, recorder.username)
    assert record(client).status_code == 302
    notification = db.scalars(select(Notification)).one()
    url = f"/caseworker/intake/{notification.id}"
    token = csrf_token(client, url)
    for step, data in (("responsible-worker", {"worker": str(colleague.id)}), ("assessment", {})):
        refused = client.post(f"{url}/{step}", data={"csrf_token": token, **data})
        assert refused.status_code == 302
        assert "Take the notification first" in client.get(url).get_data(as_text=True)
    db.expire_all()
    assert db.scalar(select(func.count(ResponsibleWorker.id))) == 0
    assert db.get(Case, notification.case_id).phase is Phase.NOTIFIED


def test_taking_a_notification_of_a_client_with_a_worker_changes_no_relationship(
    client, db
) -> None:  # type: ignore[no-untyped-def]
    county, owner = county_worker(db)
    intake_worker = factories.user(db, Role.CASEWORKER, county)
    record_, case = indexed_client(
        db, county, "Kuvitteellinen Kerttu", "010190-900P", worker=owner, phase=Phase.NETWORK
    )
    db.commit()
    login(client, intake_worker.username)
    assert record(client, client_id=str(record_.id), name="", identity_code="").status_code == 302
    notification = db.scalars(select(Notification)).one()
    assert notification.case_id == case.id
    url = f"/caseworker/intake/{notification.id}"
    token = csrf_token(client, url)
    client.post(f"{url}/assign", data={"csrf_token": token})
    db.expire_all()
    assert db.get(Case, case.id).phase is Phase.NETWORK
    current = db.scalars(select(ResponsibleWorker).where(ResponsibleWorker.case_id == case.id))
    assert [w.worker_id for w in current] == [owner.id]
    assert db.scalar(select(func.count(CaseTeamMember.id))) == 0
    page = client.get(url).get_data(as_text=True)
    assert f"{owner.display_name} is the client's responsible worker." in html.unescape(page)
    assert "Appoint from today" not in page and "Start the assessment" not in page


def test_another_countys_worker_sees_nothing(client, db) -> None:  # type: ignore[no-untyped-def]
    _, worker = county_worker(db)
    _, stranger = county_worker(db)
    db.commit()
    login(client, worker.username)
    assert record(client).status_code == 302
    notification = db.scalars(select(Notification)).one()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/caseworker/")})

    login(client, stranger.username)
    queue = client.get("/caseworker/intake").get_data(as_text=True)
    assert "Kuvitteellinen" not in queue and "No unassigned notifications." in queue
    assert "Intake (" not in queue
    for query in ("Kuvitteellinen Kalle", "kuv", "010190-900P"):
        page = client.get("/caseworker/search", query_string={"q": query}).get_data(as_text=True)
        assert '<th scope="row">' not in page and "0 clients found." in page
    url = f"/caseworker/intake/{notification.id}"
    assert client.get(url).status_code == 404
    token = csrf_token(client, "/caseworker/")
    assert client.post(f"{url}/assign", data={"csrf_token": token}).status_code == 404
    db.expire_all()
    assert db.get(Notification, notification.id).status is NotificationStatus.UNASSIGNED
    picked = client.post(NEW, data=form_data(client, client_id=str(notification.client_id)))
    assert picked.status_code == 400
    assert db.scalar(select(func.count(Notification.id))) == 1


def make_notification(db, county, worker, n: int) -> None:  # type: ignore[no-untyped-def]
    _, case = indexed_client(db, county, f"Kuvitteellinen Jonottaja{n}", phase=Phase.NOTIFIED)
    facts = intake_service.NotificationFacts(
        received_at=factories.now() - timedelta(hours=n),
        contacted_on=helsinki_today(),
        notifier_kind=NotifierKind.CLIENT,
        channel=Channel.LETTER,
        need=f"Tarve {n} (fictional)",
        path=NotificationPath.CONSENT,
    )
    intake_service.record_notification(
        db, new_gate(), factories.actor(worker), case, facts, work_task_reason="Vastaanotto"
    )


def test_the_queue_is_oldest_first_paginated_and_runs_a_fixed_number_of_queries(
    client, db, sql_count
) -> None:  # type: ignore[no-untyped-def]
    county, worker = county_worker(db)
    make_notification(db, county, worker, 0)
    db.commit()
    login(client, worker.username)

    def queries() -> int:
        sql_count.clear()
        assert client.get("/caseworker/intake").status_code == 200
        return len(sql_count)

    with_one = queries()
    for n in range(1, 30):
        make_notification(db, county, worker, n)
    db.commit()
    assert queries() == with_one
    first = client.get("/caseworker/intake").get_data(as_text=True)
    assert "Intake (30)" in first
    names = re.findall(r"Kuvitteellinen Jonottaja(\d+)", first)
    assert names[:3] == ["29", "28", "27"] and len(names) == 25  # oldest first
    second = client.get("/caseworker/intake?page=2").get_data(as_text=True)
    assert len(re.findall("Kuvitteellinen Jonottaja", second)) == 5


def test_the_nav_count_is_one_query_and_only_for_caseworkers(app, client, db, sql_count) -> None:  # type: ignore[no-untyped-def]
    county, worker = county_worker(db)
    make_notification(db, county, worker, 1)
    partner = factories.user(db, Role.PARTNER, factories.organisation(db, OrgKind.NGO))
    db.commit()
    login(client, partner.username)
    sql_count.clear()
    client.get("/partner/")
    assert not [s for s in sql_count if "notifications" in s]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/partner/")})
    login(client, worker.username)
    sql_count.clear()
    assert "Intake (1)" in client.get("/caseworker/").get_data(as_text=True)
    assert len([s for s in sql_count if "FROM notifications" in s]) == 1


# -- finding clients -----------------------------------------------------------------------


def test_the_index_holds_no_plaintext(db) -> None:  # type: ignore[no-untyped-def]
    county, _ = county_worker(db)
    record_, _ = indexed_client(db, county, "Kuvitteellinen Äijälä-Kalle", "010190-900P")
    entries = db.scalars(
        select(ClientSearchEntry).where(ClientSearchEntry.client_id == record_.id)
    ).all()
    assert {e.kind for e in entries} == {"name", "identity_code"}
    assert all(len(e.digest) == 16 for e in entries)
    secrets = [
        "kuvitteellinen",
        "Kuvitteellinen",
        "kuv",
        "äijälä",
        "Äijälä",
        "kalle",
        "Kalle",
        "010190-900P",
        "010190",
        "900P",
    ]
    stored = b"".join(e.digest + e.kind.encode() for e in entries)
    key_row = db.scalars(select(IndexKey)).one()
    stored += key_row.wrapped
    for secret in secrets:
        for encoding in ("utf-8", "utf-16-le", "latin-1"):
            with contextlib.suppress(UnicodeEncodeError):
                assert secret.encode(encoding) not in stored, secret
    assert len(key_row.wrapped) > 32  # wrapped: nonce + key + tag, never the bare key


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("Kalle Kuvitelma", True),
        ("kuvitelma kalle", True),  # any order, any case
        ("KAL kuv", True),  # prefixes of three letters or more
        ("Kal", True),
        ("Ka", False),  # two letters are not a prefix
        ("Kalle Testinen", False),  # every token must match
        ("Kallex", False),
        ("Jose", True),  # the accent is not needed…
        ("JOSÉ", True),  # …nor harmful
        ("Äijälä", True),
        ("Aijala", False),  # ä is a letter of its own
        ("010190-900P", True),
        ("010190-900p ", True),
        ("010190-900", False),  # identity codes match exactly
        ("010594Y9032", False),
        ("", False),
    ],
)
def test_search_by_name_prefix_and_identity_code(db, query: str, found: bool) -> None:  # type: ignore[no-untyped-def]
    county, _ = county_worker(db)
    wanted, _ = indexed_client(db, county, "Kalle José Kuvitelma Äijälä", "010190-900P")
    indexed_client(db, county, "Kalle Testinen", "040385-9021")
    result = search_clients(db, factories.keyring_of(), county.id, query)
    assert (wanted.id in [hit.client.id for hit in result.hits]) is found


def test_search_never_returns_another_countys_clients(db) -> None:  # type: ignore[no-untyped-def]
    county, _ = county_worker(db)
    other, _ = county_worker(db)
    mine, _ = indexed_client(db, county, "Kuvitteellinen Kalle", "010190-900P")
    indexed_client(db, other, "Kuvitteellinen Kalle", "010190-900P")
    for query in ("Kuvitteellinen Kalle", "kuv", "010190-900P"):
        hits = search_clients(db, factories.keyring_of(), county.id, query).hits
        assert [hit.client.id for hit in hits] == [mine.id]


def test_reindexing_replaces_the_entries(db) -> None:  # type: ignore[no-untyped-def]
    county, _ = county_worker(db)
    record_, _ = indexed_client(db, county, "Kuvitteellinen Kalle", "010190-900P")
    blind_index.index_client(db, factories.keyring_of(), record_.id, "Uusi Nimi", None)
    keyring = factories.keyring_of()
    assert search_clients(db, keyring, county.id, "Kalle").total == 0
    assert search_clients(db, keyring, county.id, "010190-900P").total == 0
    assert search_clients(db, keyring, county.id, "uusi nimi").total == 1
    blind_index.remove_client(db, record_.id)
    assert search_clients(db, keyring, county.id, "uusi").total == 0


def test_search_page_is_paginated_and_runs_a_fixed_number_of_queries(client, db, sql_count) -> None:  # type: ignore[no-untyped-def]
    county, worker = county_worker(db)
    indexed_client(db, county, "Kuvitteellinen Haettava0")
    db.commit()
    login(client, worker.username)

    def queries() -> int:
        sql_count.clear()
        page = client.get("/caseworker/search?q=kuvitteellinen").get_data(as_text=True)
        assert "Kuvitteellinen Haettava" in page
        return len(sql_count)

    with_one = queries()
    for n in range(1, 25):
        indexed_client(db, county, f"Kuvitteellinen Haettava{n}", worker=worker)
    db.commit()
    assert queries() == with_one
    first = client.get("/caseworker/search?q=kuvitteellinen").get_data(as_text=True)
    assert "25 clients found." in first
    assert len(re.findall(r'<th scope="row"><a[^>]*>Kuvitteellinen Haettava', first)) == 20
    second = client.get("/caseworker/search?q=kuvitteellinen&page=2").get_data(as_text=True)
    assert len(re.findall(r'<th scope="row"><a[^>]*>Kuvitteellinen Haettava', second)) == 5
    assert client.get("/caseworker/search?q=%00%ff&page=x").status_code == 200


def test_rotation_rewraps_the_index_key_and_search_still_works(db) -> None:  # type: ignore[no-untyped-def]
    county, _ = county_worker(db)
    old = factories.keyring_of()
    indexed_client(db, county, "Kuvitteellinen Kalle", "010190-900P")
    new = old.with_new_active_key()
    assert blind_index.wrapped_index_counts(db) == {old.active_id: 1}
    assert blind_index.rewrap_index_keys(db, new, 10) == 1
    assert blind_index.rewrap_index_keys(db, new, 10) == 0
    assert blind_index.wrapped_index_counts(db) == {new.active_id: 1}
    assert search_clients(db, new, county.id, "kalle").total == 1
    assert search_clients(db, new, county.id, "010190-900P").total == 1


def test_keys_status_counts_the_index_key(app, db) -> None:  # type: ignore[no-untyped-def]
    county, _ = county_worker(db)
    indexed_client(db, county, "Kuvitteellinen Kalle")
    output = app.test_cli_runner().invoke(args=["keys", "status"]).output
    active = factories.keyring_of().active_id
    assert re.search(rf"{active}: \d+ data keys, \d+ grantee keys, 1 index keys", output), output
