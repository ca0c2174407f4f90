"""The client asks to move or cancel a meeting (choices only), the worker sees it on the
appointment and the dashboard and answers by moving or cancelling; the API does the same for
the client, and gives partner systems the .ics with the web download's rules."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import icalendar
from sqlalchemy import select

from app.appointments import commands
from app.i18n import helsinki_today
from app.models.appointment import (
    AppointmentEvent,
    AppointmentEventKind,
    AppointmentState,
    ChangeReason,
    ClientAsk,
    ClientAskReason,
    ClientPreference,
)
from app.security import new_gate
from sharing.access_log import AccessAction, AccessLogEntry
from tests import factories
from tests.conftest import api_token, csrf_token, login
from tests.integration.test_appointments import NAME, _book, _fresh, _world


def _ask_path(appointment) -> str:  # type: ignore[no-untyped-def]
    return f"/my/appointments/{appointment.id}/ask"


def test_the_client_asks_and_the_worker_answers_by_moving(app, client, db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, client_user = _world(db)
    appointment = _book(db, base, partner, person)
    db.commit()
    login(client, client_user.username)
    assert "Ask to move or cancel" in client.get("/my/appointments").get_data(as_text=True)
    where = _ask_path(appointment)
    form = client.get(where).get_data(as_text=True)
    assert "<textarea" not in form and 'type="text"' not in form  # no free text
    refused = client.post(
        where, data={"csrf_token": csrf_token(client, where), "ask": "move", "reason": "bored"}
    )
    assert refused.status_code == 400 and "Please check these" in refused.get_data(as_text=True)
    sent = client.post(
        where,
        data={
            "csrf_token": csrf_token(client, where),
            "ask": "move",
            "reason": "clash",
            "preference": "afternoon",
        },
    )
    assert sent.status_code == 302
    fresh = _fresh(db, appointment.id)
    assert (fresh.ask, fresh.ask_reason, fresh.ask_preference) == (
        ClientAsk.MOVE,
        ClientAskReason.CLASH,
        ClientPreference.AFTERNOON,
    )
    assert fresh.sequence == 0 and fresh.state is AppointmentState.BOOKED  # nothing moved yet
    mine = client.get("/my/appointments").get_data(as_text=True)
    assert "You asked: Move to another time (I have something else at that time)" in mine
    # the worker sees it on the dashboard and on the appointment
    worker = app.test_client()
    worker.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(worker, base.worker.username)
    home = worker.get("/caseworker/").get_data(as_text=True)
    asks = home.split('id="appointment-asks"')[1].split("</section>")[0]
    assert NAME in asks and "Move to another time" in asks
    detail_path = f"/caseworker/clients/{base.client.id}/appointments/{appointment.id}"
    detail = worker.get(detail_path).get_data(as_text=True)
    assert "The client asks: Move to another time." in detail
    assert "An afternoon suits me better" in detail and "The client asked to move it" in detail
    commands.reschedule_appointment(
        db,
        new_gate(),
        base.actor,
        _fresh(db, appointment.id),
        day=helsinki_today() + timedelta(days=12),
        start=time(13),
        end=time(14),
        reason=ChangeReason.CLIENT_ASKED,
        by_id=base.worker.id,
        now=datetime.now(UTC),
    )
    db.commit()
    answered = _fresh(db, appointment.id)
    assert answered.ask is None and answered.asked_at is None and answered.sequence == 1
    assert 'id="appointment-asks"' not in worker.get("/caseworker/").get_data(as_text=True)


def test_a_request_to_cancel_keeps_no_time_wish_and_a_closed_one_cannot_be_asked(
    client, db
) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, client_user = _world(db)
    appointment = _book(db, base, partner, person)
    other = factories.county_case(db, name="Toinen Asiakas (fictional)")
    foreign = commands.book_appointment(
        db,
        new_gate(),
        other.actor,
        other.case,
        day=helsinki_today() + timedelta(days=3),
        start=time(9),
        end=time(10),
        channel=commands.AppointmentChannel.PHONE,
        purpose=commands.AppointmentPurpose.APPOINTMENT,
        place_organisation_id=None,
        member_ids=[],
        staff_ids=[],
        by_id=other.worker.id,
        now=datetime.now(UTC),
    )
    db.commit()
    login(client, client_user.username)
    where = _ask_path(appointment)
    client.post(
        where,
        data={
            "csrf_token": csrf_token(client, where),
            "ask": "cancel",
            "reason": "unwell",
            "preference": "morning",
        },
    )
    fresh = _fresh(db, appointment.id)
    assert (fresh.ask, fresh.ask_preference) == (ClientAsk.CANCEL, None)
    kinds = [
        e.kind
        for e in db.scalars(
            select(AppointmentEvent).where(AppointmentEvent.appointment_id == appointment.id)
        )
    ]
    assert AppointmentEventKind.ASKED_CANCEL in kinds
    assert client.get(_ask_path(foreign)).status_code in (403, 404)  # not theirs
    commands.cancel_appointment(
        db,
        new_gate(),
        base.actor,
        _fresh(db, appointment.id),
        reason=ChangeReason.CLIENT_ASKED,
        by_id=base.worker.id,
        now=datetime.now(UTC),
    )
    db.commit()
    assert _fresh(db, appointment.id).ask is None
    assert client.get(where).status_code == 409


def test_the_client_asks_through_the_api_and_the_worker_reads_it(app, client, db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, client_user = _world(db)
    appointment = _book(db, base, partner, person)
    db.commit()
    headers = api_token(client, client_user.username)
    bad = client.post(
        f"/api/v1/appointments/{appointment.id}/ask",
        json={"ask": "move", "reason": "because I said so"},
        headers=headers,
    )
    assert bad.status_code == 422
    done = client.post(
        f"/api/v1/appointments/{appointment.id}/ask",
        json={"ask": "move", "reason": "travel", "preference": "next_week"},
        headers=headers,
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.json["client_ask"]["ask"] == "move"
    assert done.json["client_ask"]["preference"] == "next_week"
    worker = app.test_client()
    read = worker.get(
        f"/api/v1/clients/{base.client.id}/appointments/{appointment.id}",
        headers=api_token(worker, base.worker.username),
    )
    assert read.json["client_ask"]["reason"] == "travel"
    partner_browser = app.test_client()
    seen = partner_browser.get(
        f"/api/v1/clients/{base.client.id}/appointments/{appointment.id}",
        headers=api_token(partner_browser, partner.staff.username),
    )
    assert seen.status_code == 200 and seen.json["client_ask"] is None  # the worker's to answer


def test_partner_systems_get_the_ics_with_the_web_rules_and_a_log_entry(app, client, db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, _ = _world(db)
    appointment = _book(db, base, partner, person)
    other = factories.partner(db, base.case, name="Ei jaettu ry (fictional)")  # no consent
    db.commit()
    path = f"/api/v1/clients/{base.client.id}/appointments/{appointment.id}.ics"

    def entries() -> int:
        return len(
            db.scalars(
                select(AccessLogEntry).where(
                    AccessLogEntry.client_id == base.client.id,
                    AccessLogEntry.actor_user_id == partner.staff.id,
                    AccessLogEntry.action == AccessAction.READ,
                )
            ).all()
        )

    before = entries()
    got = client.get(path, headers=api_token(client, partner.staff.username))
    assert got.status_code == 200, got.get_data(as_text=True)
    assert got.headers["Content-Type"].startswith("text/calendar")
    text = got.get_data(as_text=True)
    event = icalendar.Calendar.from_ical(text).walk("VEVENT")[0]
    assert str(event["UID"]) == appointment.uid and str(event["STATUS"]) == "CONFIRMED"
    assert event["DTSTART"].params["TZID"] == "Europe/Helsinki"
    for secret in (NAME, "Liisa", base.worker.display_name, str(base.client.id)):
        assert secret not in text
    assert entries() > before
    stranger = app.test_client()
    assert stranger.get(path, headers=api_token(stranger, other.staff.username)).status_code in (
        403,
        404,
    )
    commands.cancel_appointment(
        db,
        new_gate(),
        base.actor,
        _fresh(db, appointment.id),
        reason=ChangeReason.OTHER,
        by_id=base.worker.id,
        now=datetime.now(UTC),
    )
    db.commit()
    worker = app.test_client()
    cancelled = worker.get(path, headers=api_token(worker, base.worker.username))
    event = icalendar.Calendar.from_ical(cancelled.get_data(as_text=True)).walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED" and event["SEQUENCE"] == 1
    spec = client.get("/api/v1/openapi.json").json
    ics = spec["paths"]["/api/v1/clients/{client_id}/appointments/{appointment_id}.ics"]["get"]
    assert "text/calendar" in ics["responses"]["200"]["content"]
