"""Secure messages through the commands: sealed under the client's keys through the gate,
every read logged, references to plan sections checked through the decision, and an
organisation's access ending with its consent or membership."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.commands import end_membership, revoke_consent
from app.i18n import helsinki_today
from app.messages import commands, queries
from app.models import Client, Role, User
from app.models.message import Message, MessageThread, ThreadKind
from app.models.outbox import EmailAddress, MailKind, OutboxMessage
from app.refusals import Refused
from app.reminders.queries import reminders_of, users_with_reminders
from app.reminders.rules import ReminderKind
from app.security import new_gate
from consent.base import utcnow
from consent.facts import Actor
from consent.models import Consent
from consent.sections import SectionKind
from sharing.access_log import AccessLogEntry
from sharing.errors import AccessDenied
from tests import factories

BODY = "Asuntonäyttö on torstaina klo 10 (fictional)"
SUBJECT = "Asunnon haku (fictional)"


@dataclass
class World:
    county: factories.CountyCase
    client_user: User
    client_actor: Actor
    housing: factories.Partner  # housing shared
    kela: factories.Partner  # livelihood shared
    housing_consent: Consent


def world(db: Session) -> World:
    county = factories.county_case(db)
    client_user = factories.user(db, Role.CLIENT, client=county.client)
    housing = factories.partner(db, county.case)
    kela = factories.partner(db, county.case)
    until = helsinki_today() + timedelta(days=90)
    given = factories.consent(
        db, county.actor, county.case, housing.member, SectionKind.HOUSING, valid_until=until
    )
    factories.consent(
        db, county.actor, county.case, kela.member, SectionKind.LIVELIHOOD, valid_until=until
    )
    return World(county, client_user, factories.actor(client_user), housing, kela, given)


def read(db: Session, w: World, actor: Actor, thread: MessageThread) -> commands.ThreadView:
    """``actor`` opens the thread of ``w``'s client."""
    return commands.read_thread(
        db, new_gate(), actor, client_id=w.county.client.id, thread_id=thread.id, now=utcnow()
    )


def post(
    db: Session,
    w: World,
    actor: Actor,
    thread: MessageThread,
    body: str,
    refers_to: SectionKind | None = None,
) -> Message:
    """``actor`` sends ``body`` to the thread of ``w``'s client."""
    return commands.post_message(
        db,
        new_gate(),
        actor,
        client_id=w.county.client.id,
        thread_id=thread.id,
        body=body,
        refers_to=refers_to,
        now=utcnow(),
    )


def start_network(db: Session, w: World, **changes: object) -> MessageThread:
    arguments: dict[str, object] = {
        "client_id": w.county.client.id,
        "kind": ThreadKind.NETWORK,
        "subject": SUBJECT,
        "body": BODY,
        "section": SectionKind.HOUSING,
        "member_ids": [w.housing.member.id],
        "now": utcnow(),
    } | changes
    return commands.start_thread(db, new_gate(), w.county.actor, **arguments)  # type: ignore[arg-type]


def test_a_client_thread_is_sealed_and_read_by_both_sides_with_log_entries(db: Session) -> None:
    w = world(db)
    thread = commands.start_thread(
        db,
        new_gate(),
        w.client_actor,
        client_id=w.county.client.id,
        kind=ThreadKind.CLIENT,
        subject=SUBJECT,
        body=BODY,
        now=utcnow(),
    )
    message = db.scalars(select(Message).where(Message.thread_id == thread.id)).one()
    assert BODY.encode() not in message.body_ct and SUBJECT.encode() not in thread.subject_ct
    assert thread.scope == "messages"

    view = read(db, w, w.county.actor, thread)
    assert view.subject == SUBJECT and [m.body for m in view.messages] == [BODY]
    entries = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == w.county.client.id, AccessLogEntry.scope == "messages"
        )
    ).all()
    assert [(e.actor_role, e.action) for e in entries] == [
        ("client", "write"),
        ("caseworker", "read"),
    ]


def test_partners_never_read_a_client_thread(db: Session) -> None:
    w = world(db)
    thread = commands.start_thread(
        db,
        new_gate(),
        w.county.actor,
        client_id=w.county.client.id,
        kind=ThreadKind.CLIENT,
        subject=SUBJECT,
        body=BODY,
        now=utcnow(),
    )
    with pytest.raises(commands.ThreadNotFound):
        read(db, w, w.housing.actor, thread)


def test_a_network_thread_is_read_by_its_organisation_only(db: Session) -> None:
    w = world(db)
    thread = start_network(db, w)
    view = read(db, w, w.housing.actor, thread)
    assert [m.body for m in view.messages] == [BODY]
    with pytest.raises(commands.ThreadNotFound):  # Kela takes no part
        read(db, w, w.kela.actor, thread)
    with pytest.raises(commands.ThreadNotFound):  # nor the client
        read(db, w, w.client_actor, thread)


def test_the_partner_answers_and_the_worker_reads_it(db: Session) -> None:
    w = world(db)
    thread = start_network(db, w)
    commands.post_message(
        db,
        new_gate(),
        w.housing.actor,
        client_id=w.county.client.id,
        thread_id=thread.id,
        body="Kiitos, tulemme (fictional)",
        now=utcnow(),
    )
    assert queries.worker_unread(db, w.county.worker.id) == 1
    view = read(db, w, w.county.actor, thread)
    assert [m.body for m in view.messages][-1] == "Kiitos, tulemme (fictional)"
    assert view.messages[-1].message.author_organisation_id == w.housing.organisation.id
    assert queries.worker_unread(db, w.county.worker.id) == 0


def test_a_section_an_organisation_may_not_see_is_refused_as_the_threads_topic(db: Session) -> None:
    w = world(db)
    with pytest.raises(commands.SectionNotShared):
        start_network(db, w, section=SectionKind.HEALTH)


def test_a_message_refers_to_a_section_only_if_every_recipient_may_see_it(db: Session) -> None:
    w = world(db)
    thread = start_network(db, w)
    with pytest.raises(commands.ReferenceNotShared) as refused:
        post(db, w, w.county.actor, thread, BODY, refers_to=SectionKind.LIVELIHOOD)
    assert refused.value.field == "refers_to" and refused.value.status == 422
    sent = post(db, w, w.county.actor, thread, BODY, refers_to=SectionKind.HOUSING)
    assert sent.refers_to is SectionKind.HOUSING


def test_a_meeting_needs_a_section_every_participant_sees(db: Session) -> None:
    w = world(db)
    with pytest.raises(commands.SectionNotShared):
        start_network(
            db, w, kind=ThreadKind.MEETING, member_ids=[w.housing.member.id, w.kela.member.id]
        )
    factories.consent(
        db,
        w.county.actor,
        w.county.case,
        w.kela.member,
        SectionKind.HOUSING,
        valid_until=helsinki_today() + timedelta(days=30),
    )
    meeting = start_network(
        db,
        w,
        kind=ThreadKind.MEETING,
        member_ids=[w.housing.member.id, w.kela.member.id],
        includes_client=True,
    )
    for reader in (w.housing.actor, w.kela.actor, w.client_actor):
        view = read(db, w, reader, meeting)
        assert view.subject == SUBJECT


def test_access_to_a_thread_ends_with_the_consent(db: Session) -> None:
    w = world(db)
    thread = start_network(db, w)
    revoke_consent(db, new_gate(), w.county.actor, w.housing_consent, receipt=None)
    db.commit()  # a denial ends the unit of work (the gate rolls back to here)
    with pytest.raises(AccessDenied):
        read(db, w, w.housing.actor, thread)
    with pytest.raises(AccessDenied):
        post(db, w, w.housing.actor, thread, BODY)
    assert (
        queries.organisation_threads(
            db, w.housing.organisation.id, w.housing.staff.id, at=utcnow()
        ).total
        == 0
    )
    denied = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.client_id == w.county.client.id, AccessLogEntry.allowed.is_(False)
        )
    ).all()
    assert {e.scope for e in denied} == {"section:housing"}


def test_access_to_a_thread_ends_with_the_membership(db: Session) -> None:
    w = world(db)
    thread = start_network(db, w)
    end_membership(db, new_gate(), w.housing.member, by_user_id=w.county.worker.id)
    db.commit()  # a denial ends the unit of work (the gate rolls back to here)
    with pytest.raises(AccessDenied):
        read(db, w, w.housing.actor, thread)


def test_a_staff_assisted_session_is_marked_on_the_message(db: Session) -> None:
    w = world(db)
    helper = factories.user(db, Role.CASEWORKER, w.county.county)
    assisted = Actor(
        role=w.client_actor.role,
        user_id=w.client_user.id,
        client_id=w.county.client.id,
        assisted_by=helper.id,
    )
    thread = commands.start_thread(
        db,
        new_gate(),
        assisted,
        client_id=w.county.client.id,
        kind=ThreadKind.CLIENT,
        subject=SUBJECT,
        body=BODY,
        now=utcnow(),
    )
    view = read(db, w, w.county.actor, thread)
    assert view.messages[0].message.assisted_by_id == helper.id
    assert view.users[helper.id].display_name == helper.display_name


def test_empty_and_long_texts_are_refused_on_their_fields(db: Session) -> None:
    w = world(db)
    with pytest.raises(Refused) as refused:
        commands.start_thread(
            db,
            new_gate(),
            w.client_actor,
            client_id=w.county.client.id,
            kind=ThreadKind.CLIENT,
            subject=" ",
            body="x" * 5001,
            now=utcnow(),
        )
    assert set(refused.value.errors) == {"subject", "body"}


def test_a_client_starts_no_network_thread(db: Session) -> None:
    w = world(db)
    with pytest.raises(commands.ThreadNotAllowed):
        commands.start_thread(
            db,
            new_gate(),
            w.client_actor,
            client_id=w.county.client.id,
            kind=ThreadKind.NETWORK,
            subject=SUBJECT,
            body=BODY,
            section=SectionKind.HOUSING,
            member_ids=[w.housing.member.id],
            now=utcnow(),
        )


def test_the_other_side_gets_a_notice_that_says_nothing(db: Session) -> None:
    w = world(db)
    db.add(EmailAddress(user_id=w.client_user.id, address="asiakas@example.fi", notify=True))
    db.add(EmailAddress(user_id=w.county.worker.id, address="worker@example.fi", notify=False))
    db.flush()
    commands.start_thread(
        db,
        new_gate(),
        w.county.actor,
        client_id=w.county.client.id,
        kind=ThreadKind.CLIENT,
        subject=SUBJECT,
        body=BODY,
        now=utcnow(),
    )
    queued = db.scalars(select(OutboxMessage)).all()
    assert [(m.user_id, m.kind, m.link) for m in queued] == [
        (w.client_user.id, MailKind.NEW_MESSAGE, None)
    ]
    assert queries.client_unread(db, w.county.client.id, w.client_user.id) == 1
    assert db.get(Client, w.county.client.id) is not None


def test_a_worker_of_another_county_is_refused_by_the_gate_before_any_rule(db: Session) -> None:
    w = world(db)
    stranger = factories.county_case(db, name="Toinen Asiakas (fictional)")
    db.commit()
    with pytest.raises(AccessDenied):  # not section_not_shared: nothing is told
        commands.start_thread(
            db,
            new_gate(),
            stranger.actor,
            client_id=w.county.client.id,
            kind=ThreadKind.NETWORK,
            subject=SUBJECT,
            body=BODY,
            section=SectionKind.HEALTH,
            member_ids=[w.housing.member.id],
            now=utcnow(),
        )


def test_a_partner_whose_consent_ended_is_refused_before_its_reference_is_judged(
    db: Session,
) -> None:
    w = world(db)
    thread = start_network(db, w)
    revoke_consent(db, new_gate(), w.county.actor, w.housing_consent, receipt=None)
    db.commit()
    with pytest.raises(AccessDenied):
        post(db, w, w.housing.actor, thread, BODY, refers_to=SectionKind.HEALTH)


def test_a_message_left_unread_for_two_days_reminds_whoever_has_not_read_it(db: Session) -> None:
    w = world(db)
    thread = start_network(db, w)  # the worker writes to the housing office
    client_thread = commands.start_thread(
        db,
        new_gate(),
        w.county.actor,
        client_id=w.county.client.id,
        kind=ThreadKind.CLIENT,
        subject=SUBJECT,
        body=BODY,
        now=utcnow(),
    )

    def unread_threads(user: User, days_later: int) -> list[object]:
        day = helsinki_today() + timedelta(days=days_later)
        due = reminders_of(db, user.id, user.role, day)
        return [d.subject_id for d in due if d.kind is ReminderKind.MESSAGE_UNREAD]

    assert unread_threads(w.housing.staff, 1) == []  # a day is not yet a wait
    assert unread_threads(w.housing.staff, 2) == [thread.id]
    assert unread_threads(w.kela.staff, 2) == []  # Kela takes no part in the thread
    assert unread_threads(w.client_user, 2) == [client_thread.id]
    assert unread_threads(w.county.worker, 2) == []  # the worker wrote both
    assert w.housing.staff.id in users_with_reminders(db, helsinki_today() + timedelta(days=2))

    read(db, w, w.housing.actor, thread)
    read(db, w, w.client_actor, client_thread)
    assert unread_threads(w.housing.staff, 2) == unread_threads(w.client_user, 2) == []

    post(db, w, w.client_actor, client_thread, "Kiitos (fictional)")
    assert unread_threads(w.county.worker, 2) == [client_thread.id]
    revoke_consent(db, new_gate(), w.county.actor, w.housing_consent, receipt=None)
    post(db, w, w.county.actor, thread, "Vielä yksi asia (fictional)")
    assert unread_threads(w.housing.staff, 2) == []  # nothing of the client shared any more
