"""Meetings do not outlive the case or the membership: closing the case or moving it to
another county cancels its booked future appointments (coded reason, history event, a higher
SEQUENCE so the .ics says CANCELLED), and ending a membership takes the member out of the
meetings ahead, so its organisation no longer sees them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
from sqlalchemy import select

from app.appointments import commands, queries
from app.appointments.calendar import CalendarWords, calendar_file
from app.ending import commands as ending
from app.i18n import helsinki_today
from app.models import OrgKind, Role
from app.models.appointment import (
    AppointmentEvent,
    AppointmentEventKind,
    AppointmentParticipant,
    AppointmentState,
    ChangeReason,
)
from app.models.transfer import TransferReason
from app.network import commands as network
from app.security import new_gate
from app.transfer import commands as transfer
from tests import factories
from tests.conftest import csrf_token, login
from tests.integration.test_appointments import _book, _fresh, _world


def _events(db, appointment_id):  # type: ignore[no-untyped-def]
    return db.scalars(
        select(AppointmentEvent)
        .where(AppointmentEvent.appointment_id == appointment_id)
        .order_by(AppointmentEvent.at, AppointmentEvent.id)
    ).all()


def _status(appointment) -> str:  # type: ignore[no-untyped-def]
    text = calendar_file(appointment, CalendarWords("s", "l"), stamp=datetime.now(UTC))
    return str(icalendar.Calendar.from_ical(text).walk("VEVENT")[0]["STATUS"])


def _held_in_the_past(db, base, partner, person):  # type: ignore[no-untyped-def]
    """A meeting that has started (booked, then its time passed): closing leaves it alone."""
    past = _book(db, base, partner, person)
    past.starts_at = datetime.now(UTC) - timedelta(hours=2)
    past.ends_at = datetime.now(UTC) - timedelta(hours=1)
    db.flush()
    return past


def test_closing_the_case_cancels_its_future_meetings_with_the_reason(client, db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, _ = _world(db)
    ahead = _book(db, base, partner, person)
    later = _book(db, base, partner, person, day=helsinki_today() + timedelta(days=20))
    gone = _book(db, base, partner, person, day=helsinki_today() + timedelta(days=5))
    commands.cancel_appointment(
        db,
        new_gate(),
        base.actor,
        gone,
        reason=ChangeReason.OTHER,
        by_id=base.worker.id,
        now=datetime.now(UTC),
    )
    past = _held_in_the_past(db, base, partner, person)
    db.commit()
    login(client, base.worker.username)
    where = f"/caseworker/clients/{base.client.id}/ending/close"
    page = client.get(where).get_data(as_text=True)
    assert "Booked appointments and meetings that will be cancelled: 2." in page
    ending.close_case(
        db,
        new_gate(),
        base.actor,
        case=base.case,
        summary="Asiakkuus päättyy (fictional)",
        end_with_case={partner.member.id, person.id},
        early_reason="Muutti pois (fictional)",
    )
    db.commit()
    for booked in (ahead, later):
        fresh = _fresh(db, booked.id)
        assert fresh.state is AppointmentState.CANCELLED and fresh.sequence == 1
        last = _events(db, booked.id)[-1]
        assert (last.kind, last.reason) == (
            AppointmentEventKind.CANCELLED,
            ChangeReason.CASE_CLOSED,
        )
        assert last.by_user_id == base.worker.id
        assert _status(fresh) == "CANCELLED"
    # one cancelled before keeps its own reason and sequence; one that started stays booked
    assert _fresh(db, gone.id).sequence == 1
    assert _events(db, gone.id)[-1].reason is ChangeReason.OTHER
    assert _fresh(db, past.id).state is AppointmentState.BOOKED
    assert queries.future_booked_count(db, base.case.id, now=datetime.now(UTC)) == 0


def test_accepting_a_transfer_cancels_the_sending_countys_meetings(db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, _ = _world(db)
    ahead = _book(db, base, partner, person)
    receiving = factories.organisation(db, OrgKind.COUNTY, "Vastaanottava alue (fictional)")
    receiver = factories.user(db, Role.CASEWORKER, receiving)
    db.commit()
    made = transfer.propose_transfer(
        db,
        new_gate(),
        base.actor,
        case=base.case,
        to_county_id=receiving.id,
        reason=TransferReason.MOVED,
    )
    db.commit()
    transfer.accept_transfer(
        db, new_gate(), factories.actor(receiver), transfer=made, worker=receiver
    )
    db.commit()
    fresh = _fresh(db, ahead.id)
    assert fresh.state is AppointmentState.CANCELLED and fresh.sequence == 1
    last = _events(db, ahead.id)[-1]
    assert (last.kind, last.reason) == (
        AppointmentEventKind.CANCELLED,
        ChangeReason.CASE_TRANSFERRED,
    )
    assert last.by_user_id == receiver.id
    assert _status(fresh) == "CANCELLED"


def test_ending_a_membership_takes_the_member_out_of_meetings_ahead(app, db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, _ = _world(db)
    ahead = _book(db, base, partner, person)
    past = _held_in_the_past(db, base, partner, person)
    db.commit()
    browser = app.test_client()
    login(browser, partner.staff.username)
    ics = f"/partner/clients/{base.client.id}/appointments/{ahead.id}/calendar.ics"
    assert browser.get(ics).status_code == 200
    network.end_member(db, new_gate(), partner.member, by_user_id=base.worker.id)
    db.commit()
    members = set(
        db.scalars(
            select(AppointmentParticipant.member_id).where(
                AppointmentParticipant.appointment_id == ahead.id
            )
        )
    )
    assert members == {person.id, None}  # the meeting stays: the person, staff (None)
    fresh = _fresh(db, ahead.id)
    assert fresh.state is AppointmentState.BOOKED and fresh.sequence == 0
    last = _events(db, ahead.id)[-1]
    assert (last.kind, last.reason) == (
        AppointmentEventKind.PARTICIPANT_REMOVED,
        ChangeReason.MEMBERSHIP_ENDED,
    )
    # the past meeting keeps its record of who took part
    assert partner.member.id in set(
        db.scalars(
            select(AppointmentParticipant.member_id).where(
                AppointmentParticipant.appointment_id == past.id
            )
        )
    )
    assert browser.get(ics).status_code == 404
    now = datetime.now(UTC)
    assert queries.organisation_appointments(db, partner.organisation.id, now=now).rows == []


def test_the_worker_cannot_give_a_service_reason_to_a_cancellation(client, db) -> None:  # type: ignore[no-untyped-def]
    base, partner, person, _ = _world(db)
    ahead = _book(db, base, partner, person)
    db.commit()
    login(client, base.worker.username)
    where = f"/caseworker/clients/{base.client.id}/appointments/{ahead.id}"
    page = client.get(where).get_data(as_text=True)
    assert 'value="case_closed"' not in page
    sent = client.post(
        where + "/cancel",
        data={"csrf_token": csrf_token(client, where), "reason": "case_closed"},
    )
    assert sent.status_code == 400
    assert _fresh(db, ahead.id).state is AppointmentState.BOOKED


def test_a_start_time_is_the_line(db) -> None:  # type: ignore[no-untyped-def]
    """Only meetings that have not started are cancelled: ``now`` is the line."""
    base, partner, person, _ = _world(db)
    ahead = _book(db, base, partner, person)
    at_start = ahead.starts_at
    assert (
        commands.cancel_case_future(
            db, base.case.id, reason=ChangeReason.CASE_CLOSED, by_id=None, now=at_start
        )
        == 0
    )
    assert (
        commands.cancel_case_future(
            db,
            base.case.id,
            reason=ChangeReason.CASE_CLOSED,
            by_id=None,
            now=at_start - timedelta(seconds=1),
        )
        == 1
    )
