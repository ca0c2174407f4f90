"""Appointments and network meetings: booked by the worker, confirmed by the client, seen by
the participating organisation only while the client shares with it, moved and cancelled with
reasons (history kept), downloaded as .ics, and recorded as a contact once held."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest
from sqlalchemy import select

from app.appointments import commands, queries
from app.i18n import helsinki_today
from app.models import CaseTeamMember, Role
from app.models.appointment import (
    Appointment,
    AppointmentChannel,
    AppointmentEvent,
    AppointmentEventKind,
    AppointmentPurpose,
    AppointmentState,
    ChangeReason,
)
from app.models.contact import Contact, ContactChannel
from app.partner_work.rules import client_reference
from app.refusals import Conflict
from app.reminders.queries import reminders_of, users_with_reminders
from app.reminders.rules import ReminderKind
from app.security import new_gate
from consent.sections import SectionKind
from consent.status import HELSINKI
from sharing.access_log import AccessAction, AccessLogEntry
from sharing.errors import AccessDenied
from tests import factories
from tests.conftest import api_token, csrf_token, login

NAME = "Kuvitteellinen Kaisa"


def _last_sunday(year: int, month: int, last_day: int) -> date:
    day = date(year, month, last_day)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _next_spring_change(today: date) -> date:
    """The next last Sunday of March whose Saturday is still ahead of ``today``."""
    this_year = _last_sunday(today.year, 3, 31)
    return (
        this_year if this_year - timedelta(days=1) > today else _last_sunday(today.year + 1, 3, 31)
    )


# The clocks move forward on SPRING (03:00 → 04:00) and back on AUTUMN (04:00 → 03:00); the
# days are always ahead, so the bookings are in the future whenever the suite runs.
SPRING = _next_spring_change(helsinki_today())
SATURDAY, MONDAY = SPRING - timedelta(days=1), SPRING + timedelta(days=1)
AUTUMN = _last_sunday(SPRING.year, 10, 31)
HEALTH_TEXT = "Korvaushoito A-klinikalla (fictional)"


def _world(db):  # type: ignore[no-untyped-def]
    base = factories.county_case(db, name=NAME)
    partner = factories.partner(db, base.case, name="Asumispalvelu Katto (fictional)")
    factories.consent(
        db,
        base.actor,
        base.case,
        partner.member,
        SectionKind.HOUSING,
        valid_until=helsinki_today() + timedelta(days=400),
    )
    person = factories.member(db, base.case, person_name="Läheinen Liisa (fictional)")
    client_user = factories.user(db, Role.CLIENT, client=base.client)
    return base, partner, person, client_user


def _book(db, base, partner, person, **overrides):  # type: ignore[no-untyped-def]
    values = dict(
        day=helsinki_today() + timedelta(days=10),
        start=time(10, 0),
        end=time(11, 30),
        channel=AppointmentChannel.FACE_TO_FACE,
        purpose=AppointmentPurpose.NETWORK_MEETING,
        place_organisation_id=partner.organisation.id,
        member_ids=[partner.member.id, person.id],
        staff_ids=[],
        by_id=base.worker.id,
        now=datetime.now(UTC),
    )
    values.update(overrides)
    return commands.book_appointment(db, new_gate(), base.actor, base.case, **values)


def _fresh(db, appointment_id):  # type: ignore[no-untyped-def]
    return db.scalars(
        select(Appointment)
        .where(Appointment.id == appointment_id)
        .execution_options(populate_existing=True)
    ).one()


def _path(base, *rest: str) -> str:  # type: ignore[no-untyped-def]
    return "/".join([f"/caseworker/clients/{base.client.id}/appointments", *rest])


def test_the_worker_books_a_network_meeting_on_the_form(client, db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, _ = _world(db)
    db.commit()
    login(client, base.worker.username)
    page = client.get(_path(base)).get_data(as_text=True)
    assert "Läheinen Liisa (fictional) (Close person)" in page  # the worker reads the name
    day = MONDAY
    sent = client.post(
        _path(base),
        data={
            "csrf_token": csrf_token(client, _path(base)),
            "purpose": "network_meeting",
            "day": day.isoformat(),
            "start_time": "10:00",
            "end_time": "11:00",
            "channel": "face_to_face",
            "place": str(partner.organisation.id),
            "members": [str(partner.member.id), str(person.id)],
            "staff": [str(base.worker.id)],
        },
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)
    stored = db.scalars(select(Appointment)).one()
    assert stored.starts_at == datetime.combine(MONDAY, time(7), UTC)  # summer time, UTC+3
    assert stored.place_organisation_id == partner.organisation.id
    listed = client.get(_path(base)).get_data(as_text=True)
    assert "Asumispalvelu Katto (fictional)" in listed and "Network meeting" in listed


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"day": SPRING.isoformat(), "start_time": "03:30", "end_time": "05:00"},
            "start_time",
            "This time does not exist in Finland on that day",
        ),
        (
            {"day": AUTUMN.isoformat(), "start_time": "03:15", "end_time": "05:00"},
            "start_time",
            "This time happens twice in Finland on that day",
        ),
        (
            {"day": MONDAY.isoformat(), "start_time": "11:00", "end_time": "10:00"},
            "end_time",
            "The end must be after the start.",
        ),
        ({"day": "2020-02-01", "start_time": "10:00", "end_time": "11:00"}, "day", "future"),
        ({"day": "2027-02-31", "start_time": "10:00", "end_time": "11:00"}, "day", "Not a valid"),
        (
            {"day": MONDAY.isoformat(), "start_time": "25:00", "end_time": "11:00"},
            "start_time",
            "Not a valid",
        ),
    ],
)
def test_bad_times_are_refused_on_their_field(client, db, fields, field, message) -> None:  # type: ignore[no-untyped-def]
    base, _, _, _ = _world(db)
    db.commit()
    login(client, base.worker.username)
    sent = client.post(
        _path(base),
        data={
            "csrf_token": csrf_token(client, _path(base)),
            "purpose": "appointment",
            "channel": "video",
            **fields,
        },
    )
    assert sent.status_code == 400
    page = sent.get_data(as_text=True)
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert error and message in error.group(1), page
    assert db.scalars(select(Appointment)).first() is None


def test_reschedule_and_cancel_keep_history_and_raise_the_sequence(db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, _ = _world(db)
    appointment = _book(db, base, partner, person)
    uid = appointment.uid
    now = datetime.now(UTC)
    commands.confirm_appointment(db, appointment, by_user_id=base.worker.id, now=now)
    commands.reschedule_appointment(
        db,
        new_gate(),
        base.actor,
        appointment,
        day=helsinki_today() + timedelta(days=12),
        start=time(13),
        end=time(14),
        reason=ChangeReason.CLIENT_ASKED,
        by_id=base.worker.id,
        now=now,
    )
    assert appointment.sequence == 1 and appointment.confirmed_at is None  # asked again
    commands.cancel_appointment(
        db,
        new_gate(),
        base.actor,
        appointment,
        reason=ChangeReason.PARTICIPANT_UNAVAILABLE,
        by_id=base.worker.id,
        now=now,
    )
    assert appointment.uid == uid and appointment.sequence == 2
    assert appointment.state is AppointmentState.CANCELLED
    events = db.scalars(
        select(AppointmentEvent).where(AppointmentEvent.appointment_id == appointment.id)
    ).all()
    assert [(e.kind, e.reason) for e in sorted(events, key=lambda e: e.at)] == [
        (AppointmentEventKind.BOOKED, None),
        (AppointmentEventKind.CONFIRMED, None),
        (AppointmentEventKind.RESCHEDULED, ChangeReason.CLIENT_ASKED),
        (AppointmentEventKind.CANCELLED, ChangeReason.PARTICIPANT_UNAVAILABLE),
    ]
    with pytest.raises(commands.AppointmentClosed):
        commands.reschedule_appointment(
            db,
            new_gate(),
            base.actor,
            appointment,
            day=helsinki_today() + timedelta(days=14),
            start=time(13),
            end=time(14),
            reason=ChangeReason.OTHER,
            by_id=base.worker.id,
            now=now,
        )


def test_participants_must_be_in_the_network_and_a_face_to_face_meeting_needs_a_place(db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, _ = _world(db)
    stranger = factories.county_case(db)
    elsewhere = factories.partner(db, stranger.case)
    with pytest.raises(commands.ParticipantNotInNetwork):
        _book(db, base, partner, person, member_ids=[elsewhere.member.id])
    with pytest.raises(commands.PlaceRequired):
        _book(db, base, partner, person, place_organisation_id=None)
    with pytest.raises(commands.PlaceNotAllowed):
        _book(db, base, partner, person, place_organisation_id=elsewhere.organisation.id)
    with pytest.raises(commands.StaffNotOnCase):
        _book(db, base, partner, person, staff_ids=[stranger.worker.id])
    outsider = factories.user(db, Role.CASEWORKER, base.county)  # same county, not on the case
    with pytest.raises(commands.StaffNotOnCase):
        _book(db, base, partner, person, staff_ids=[outsider.id])
    video = _book(db, base, partner, person, channel=AppointmentChannel.VIDEO)
    assert video.place_organisation_id is None  # a video meeting names no place


def test_a_held_appointment_becomes_a_contact_in_one_step(client, db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, _ = _world(db)
    appointment = _book(db, base, partner, person, channel=AppointmentChannel.PHONE)
    with pytest.raises(Conflict):  # not started yet
        commands.record_as_contact(
            db,
            new_gate(),
            base.actor,
            appointment,
            base.case,
            staff_assisted=False,
            note=None,
            by_id=base.worker.id,
            now=datetime.now(UTC),
        )
    appointment.starts_at = datetime.now(UTC) - timedelta(hours=1)
    appointment.ends_at = datetime.now(UTC) - timedelta(minutes=10)
    db.commit()
    login(client, base.worker.username)
    where = _path(base, str(appointment.id))
    sent = client.post(
        where + "/held",
        data={"csrf_token": csrf_token(client, where), "staff_assisted": "y", "note": "Puhuttiin"},
    )
    assert sent.status_code == 302
    contact = db.scalars(select(Contact)).one()
    appointment = _fresh(db, appointment.id)
    assert appointment.state is AppointmentState.HELD and appointment.contact_id == contact.id
    assert contact.channel is ContactChannel.PHONE and contact.staff_assisted
    assert contact.occurred_at == appointment.starts_at
    again = client.post(where + "/held", data={"csrf_token": csrf_token(client, where)})
    assert again.status_code == 409


def _calendar(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/calendar")
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(
        r'attachment; filename="tukiverkko-\d{4}-\d\d-\d\d-\d{4}\.ics"', disposition
    )
    text = response.get_data(as_text=True)
    return text, icalendar.Calendar.from_ical(text).walk("VEVENT")[0]


def test_every_audience_downloads_an_ics_that_names_nobody(app, client, db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, client_user = _world(db)
    appointment = _book(db, base, partner, person, day=SATURDAY)
    db.commit()
    paths = {
        base.worker.username: _path(base, str(appointment.id), "calendar.ics"),
        client_user.username: f"/my/appointments/{appointment.id}/calendar.ics",
        partner.staff.username: f"/partner/clients/{base.client.id}/appointments/{appointment.id}/calendar.ics",
    }
    for username, where in paths.items():
        browser = app.test_client()
        login(browser, username)
        text, event = _calendar(browser.get(where))
        assert event["DTSTART"].params["TZID"] == "Europe/Helsinki"
        assert event.start == datetime.combine(SATURDAY, time(10), event.start.tzinfo)
        assert event.start.astimezone(UTC) == datetime.combine(SATURDAY, time(8), UTC)
        assert "BEGIN:VTIMEZONE" in text and "TZID:Europe/Helsinki" in text
        assert str(event["UID"]) == appointment.uid and event["SEQUENCE"] == 0
        for secret in (NAME, "Liisa", base.worker.display_name, str(base.client.id)):
            assert secret not in text
        assert "Asumispalvelu Katto (fictional)" in str(event["LOCATION"])


def test_the_partner_sees_a_meeting_only_while_the_client_shares_with_it(app, client, db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, _ = _world(db)
    appointment = _book(db, base, partner, person)
    other = factories.partner(db, base.case, name="Ei jaettu ry (fictional)")  # no consent
    now = datetime.now(UTC)
    assert [
        r.appointment.id
        for r in queries.organisation_appointments(db, partner.organisation.id, now=now).rows
    ] == [appointment.id]
    assert queries.organisation_appointments(db, other.organisation.id, now=now).rows == []
    db.commit()
    login(client, partner.staff.username)
    home = client.get("/partner/").get_data(as_text=True)
    assert "Network meeting" in home
    assert client_reference(base.client.id, partner.organisation.id) in home
    assert "Läheinen Liisa" not in home and "Close person" in home
    record = client.get(f"/partner/clients/{base.client.id}").get_data(as_text=True)
    meetings = record.split('id="meetings-heading"')[1].split("</section>")[0]
    assert (
        "Network meeting" in meetings and f"/appointments/{appointment.id}/calendar.ics" in meetings
    )
    other_browser = app.test_client()
    login(other_browser, other.staff.username)
    ics = f"/partner/clients/{base.client.id}/appointments/{appointment.id}/calendar.ics"
    assert client.get(ics).status_code == 200
    assert other_browser.get(ics).status_code == 404
    assert "Network meeting" not in other_browser.get("/partner/").get_data(as_text=True)


def test_the_client_sees_and_confirms_their_appointment(client, db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, client_user = _world(db)
    appointment = _book(db, base, partner, person)
    db.commit()
    login(client, client_user.username)
    page = client.get("/my/appointments").get_data(as_text=True)
    assert "Network meeting" in page and "Asumispalvelu Katto (fictional)" in page
    assert "Läheinen Liisa" not in page
    sent = client.post(
        f"/my/appointments/{appointment.id}/confirm",
        data={"csrf_token": csrf_token(client, "/my/appointments")},
    )
    assert sent.status_code == 302
    appointment = _fresh(db, appointment.id)
    assert appointment.confirmed_at is not None
    assert "You have confirmed" in client.get("/my/appointments").get_data(as_text=True)


def test_a_meeting_tomorrow_reminds_everyone_taking_part(db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, client_user = _world(db)
    now = datetime.combine(SATURDAY, time(21, 30), UTC)  # 23:30 on Saturday in Helsinki
    # The Sunday of the change (a 23-hour day): 00:30 and 23:30 are in it, Monday 00:30 is not.
    sunday_early = _book(
        db, base, partner, person, day=SPRING, start=time(0, 30), end=time(1), now=now
    )
    sunday_late = _book(
        db,
        base,
        partner,
        person,
        day=SPRING,
        start=time(23, 30),
        end=time(23, 45),
        now=now,
    )
    monday = _book(db, base, partner, person, day=MONDAY, start=time(0, 30), end=time(1), now=now)
    expected = [sunday_early.id, sunday_late.id]
    today = now.astimezone(HELSINKI).date()  # Saturday, the day the reminder is read
    for user in (base.worker, client_user, partner.staff):
        due = reminders_of(db, user.id, user.role, today)
        assert [
            d.subject_id for d in due if d.kind is ReminderKind.APPOINTMENT_TOMORROW
        ] == expected
        assert user.id in users_with_reminders(db, today)
    outsider = factories.county_case(db).worker
    assert reminders_of(db, outsider.id, outsider.role, today) == []
    on_sunday = reminders_of(db, base.worker.id, Role.CASEWORKER, SPRING)
    assert [d.subject_id for d in on_sunday if d.kind is ReminderKind.APPOINTMENT_TOMORROW] == [
        monday.id
    ]


def test_the_dashboard_lists_the_workers_upcoming_appointments(client, db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, _ = _world(db)
    mine = _book(db, base, partner, person, purpose=AppointmentPurpose.PLAN_REVIEW)
    cancelled = _book(db, base, partner, person, purpose=AppointmentPurpose.RELEASE_PLANNING)
    commands.cancel_appointment(
        db,
        new_gate(),
        base.actor,
        cancelled,
        reason=ChangeReason.OTHER,
        by_id=base.worker.id,
        now=datetime.now(UTC),
    )
    colleague = factories.user(db, Role.CASEWORKER, base.county)
    db.add(CaseTeamMember(case_id=base.case.id, user_id=colleague.id))  # the case's team
    _book(
        db, base, partner, person, staff_ids=[colleague.id], purpose=AppointmentPurpose.APPOINTMENT
    )
    db.commit()
    login(client, base.worker.username)
    page = client.get("/caseworker/").get_data(as_text=True)
    section = page.split('id="upcoming-appointments"')[1].split("</section>")[0]
    assert (
        f"/appointments/{mine.id}" in section
        and NAME in section
        and "Going through the plan" in section
    )
    assert "Planning for the release" not in section  # cancelled
    assert "Meeting with the social worker" not in section  # the colleague's


def test_the_api_books_moves_and_cancels_with_the_same_rules(client, db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, client_user = _world(db)
    db.commit()
    worker = api_token(client, base.worker.username)
    where = f"/api/v1/clients/{base.client.id}/appointments"
    gap = client.post(
        where,
        json={
            "day": SPRING.isoformat(),
            "start_time": "03:30",
            "end_time": "05:00",
            "channel": "video",
            "purpose": "appointment",
        },
        headers=worker,
    )
    assert gap.status_code == 422 and gap.content_type == "application/problem+json"
    assert {(e["pointer"], e["code"]) for e in gap.json["errors"]} == {
        ("#/start_time", "time_nonexistent")
    }
    booked = client.post(
        where,
        json={
            "day": MONDAY.isoformat(),
            "start_time": "10:00",
            "end_time": "11:00",
            "channel": "face_to_face",
            "purpose": "network_meeting",
            "place_organisation_id": str(base.county.id),
            "member_ids": [str(partner.member.id), str(person.id)],
        },
        headers=worker,
    )
    assert booked.status_code == 201, booked.json
    body = booked.json
    assert body["starts_at"] == f"{MONDAY}T07:00:00+00:00" and body["sequence"] == 0
    assert {p["kind"] for p in body["participants"]} == {"organisation", "person", "staff"}
    assert all(p["name"] is None for p in body["participants"] if p["kind"] == "person")
    one = booked.headers["Location"]
    moved = client.post(
        one + "/reschedule",
        json={
            "day": SATURDAY.isoformat(),
            "start_time": "10:00",
            "end_time": "11:00",
            "reason": "client_asked",
        },
        headers=worker,
    )
    assert moved.status_code == 200 and moved.json["starts_at"] == f"{SATURDAY}T08:00:00+00:00"
    assert moved.json["sequence"] == 1
    bad = client.post(one + "/cancel", json={"reason": "because"}, headers=worker)
    assert bad.status_code == 422 and bad.json["errors"][0]["pointer"] == "#/reason"

    # The partner reads it; the client confirms it; neither may move it.
    staff = api_token(client, partner.staff.username)
    assert client.get(one, headers=staff).json["uid"] == body["uid"]
    assert [i["id"] for i in client.get("/api/v1/appointments", headers=staff).json["items"]] == [
        body["id"]
    ]
    assert client.post(one + "/cancel", json={"reason": "other"}, headers=staff).status_code == 403
    own = api_token(client, client_user.username)
    confirmed = client.post(f"/api/v1/appointments/{body['id']}/confirm", headers=own)
    assert confirmed.status_code == 200 and confirmed.json["confirmed_at"] is not None

    cancelled = client.post(one + "/cancel", json={"reason": "other"}, headers=worker)
    assert cancelled.json["state"] == "cancelled" and cancelled.json["sequence"] == 2
    again = client.post(one + "/cancel", json={"reason": "other"}, headers=worker)
    assert again.status_code == 409 and again.content_type == "application/problem+json"


def test_only_a_worker_who_may_work_on_the_case_books_and_the_act_is_logged(db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, _ = _world(db)
    stranger = factories.county_case(db)
    db.commit()  # a denial writes its log entry on its own and rolls the rest back
    with pytest.raises(AccessDenied):
        commands.book_appointment(
            db,
            new_gate(),
            stranger.actor,
            base.case,
            day=helsinki_today() + timedelta(days=3),
            start=time(10),
            end=time(11),
            channel=AppointmentChannel.PHONE,
            purpose=AppointmentPurpose.APPOINTMENT,
            place_organisation_id=None,
            member_ids=[],
            staff_ids=[base.worker.id],  # input that passes the rules: the gate refuses
            by_id=stranger.worker.id,
            now=datetime.now(UTC),
        )
    before = len(_writes(db, base))
    _book(db, base, partner, person)
    assert len(_writes(db, base)) == before + 1


def _writes(db, base):  # type: ignore[no-untyped-def]
    return db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == base.client.id,
            AccessLogEntry.action == AccessAction.WRITE,
            AccessLogEntry.allowed.is_(True),
        )
    ).all()


def test_the_worker_moves_and_cancels_on_the_appointments_page(client, db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, _ = _world(db)
    appointment = _book(db, base, partner, person)
    db.commit()
    login(client, base.worker.username)
    where = _path(base, str(appointment.id))
    page = client.get(where).get_data(as_text=True)
    assert "Läheinen Liisa (fictional)" in page and "not confirmed by the client yet" in page
    gap = client.post(
        where + "/reschedule",
        data={
            "csrf_token": csrf_token(client, where),
            "day": SPRING.isoformat(),
            "start_time": "03:00",
            "end_time": "04:30",
            "reason": "client_asked",
        },
    )
    assert gap.status_code == 400
    assert 'id="start_time-error">This time does not exist' in gap.get_data(as_text=True)
    moved = client.post(
        where + "/reschedule",
        data={
            "csrf_token": csrf_token(client, where),
            "day": MONDAY.isoformat(),
            "start_time": "12:00",
            "end_time": "13:00",
            "reason": "client_asked",
        },
    )
    assert moved.status_code == 302
    assert _fresh(db, appointment.id).starts_at == datetime.combine(MONDAY, time(9), UTC)
    cancelled = client.post(
        where + "/cancel", data={"csrf_token": csrf_token(client, where), "reason": "other"}
    )
    assert cancelled.status_code == 302
    stored = _fresh(db, appointment.id)
    assert stored.state is AppointmentState.CANCELLED and stored.sequence == 2
    history = client.get(where).get_data(as_text=True)
    assert "Moved to a new time" in history and "The client asked for it" in history
    assert "Move the appointment" not in history  # no more changes offered
    _, event = _calendar(client.get(where + "/calendar.ics"))
    assert str(event["STATUS"]) == "CANCELLED" and event["SEQUENCE"] == 2
