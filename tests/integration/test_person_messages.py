"""Close persons and peer experts in network-meeting threads, through their own link.

The person reads and writes a meeting's thread only while their link, their consent for the
thread's section and their membership are in force, and only the meetings they were chosen
for; their reads are the client's log's.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.commands import end_membership, revoke_consent
from app.maintenance import commands as maintenance
from app.messages import commands as messages
from app.messages.queries import worker_unread
from app.models import NetworkMember
from app.models.message import Message, MessageThread, ThreadKind, ThreadRead
from app.models.outbox import MailKind, OutboxMessage, PersonEmailAddress
from app.models.person_access import PersonAccessGrant
from app.person_access import commands as person_access
from app.security import new_gate
from consent.base import utcnow
from consent.facts import Actor, ActorRole
from consent.models import Consent
from consent.sections import SectionKind
from sharing.access_log import AccessAction, AccessLogEntry
from sharing.errors import AccessDenied
from tests import factories
from tests.conftest import csrf_token, login
from tests.integration.test_person_access import (
    ENDED,
    World,
    enter_code,
    issue,
    link,
    make_world,
    today,
)

SUBJECT = "Asuntoasioiden palaveri (fictional)"
BODY = "Tavataan torstaina kirjastolla (fictional)"
ANSWER = "Pääsen mukaan, tuon paperit (fictional)"


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)


def meeting(
    db: Session,
    w: World,
    *,
    section: SectionKind = SectionKind.HOUSING,
    with_person: bool = True,
    subject: str = SUBJECT,
) -> uuid.UUID:
    """A network meeting about ``section``, with the person member or without them."""
    members = [w.person.id] if with_person else []
    if not members:
        partner = factories.partner(db, w.case)
        until = today() + timedelta(days=9)
        factories.consent(db, w.actor, w.case, partner.member, section, valid_until=until)
        members = [partner.member.id]
    thread = messages.start_thread(
        db,
        new_gate(),
        w.actor,
        client_id=w.client.id,
        kind=ThreadKind.MEETING,
        subject=subject,
        body=BODY,
        section=section,
        member_ids=members,
        now=utcnow(),
    )
    db.commit()
    return thread.id


def bound(client: FlaskClient, db: Session, w: World) -> person_access.IssuedAccess:
    issued = issue(db, w, SectionKind.HOUSING)
    assert enter_code(client, issued).status_code == 303
    return issued


def worker_writes(
    db: Session, w: World, thread_id: uuid.UUID, refers_to: SectionKind | None = None
) -> None:
    """The worker posts to the thread (and commits)."""
    messages.post_message(
        db,
        new_gate(),
        w.actor,
        client_id=w.client.id,
        thread_id=thread_id,
        body=BODY,
        refers_to=refers_to,
        now=utcnow(),
    )
    db.commit()


def thread_page(issued: person_access.IssuedAccess, thread_id: uuid.UUID) -> str:
    return f"{link(issued)}/messages/{thread_id}"


def test_a_person_reads_and_answers_their_meeting_and_the_worker_sees_it(
    client: FlaskClient, db: Session, world: World
) -> None:
    issued = bound(client, db, world)
    thread = meeting(db, world)
    home = client.get(link(issued)).get_data(as_text=True)
    assert "Messages from network meetings" in home and "New messages: 1" in home
    listing = client.get(f"{link(issued)}/messages").get_data(as_text=True)
    assert SUBJECT in listing and "New" in listing
    page = client.get(thread_page(issued, thread))
    assert page.status_code == 200
    assert BODY in page.get_data(as_text=True)
    assert "New messages" not in client.get(link(issued)).get_data(as_text=True)
    path = thread_page(issued, thread)
    sent = client.post(path, data={"csrf_token": csrf_token(client, path), "body": ANSWER})
    assert sent.status_code == 302
    db.expire_all()
    mine = db.scalars(select(Message).where(Message.author_member_id == world.person.id)).one()
    assert mine.author_id is None and mine.author_organisation_id is None
    assert ANSWER.encode() not in mine.body_ct  # sealed like every message
    stored = db.get(MessageThread, thread)
    assert stored is not None and stored.last_author_member_id == world.person.id
    assert stored.last_author_id is None
    # The worker has an unread message from the person, named on the worker's page.
    assert worker_unread(db, world.worker.id) == 1
    worker = world.worker
    login(client, worker.username)
    html = client.get(f"/caseworker/clients/{world.client.id}/messages/{thread}").get_data(
        as_text=True
    )
    assert ANSWER in html and "Liisa Läheinen" in html
    # The person's reads are in the client's log, naming the member and the section.
    reads = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.member_id == world.person.id, AccessLogEntry.allowed.is_(True)
        )
    ).all()
    assert any(SectionKind.HOUSING.value in entry.scope for entry in reads), [
        e.scope for e in reads
    ]
    # The answer, sealed by the system on their behalf, names them too (not a bare "system").
    written = db.scalars(
        select(AccessLogEntry).where(AccessLogEntry.action == AccessAction.WRITE)
    ).all()
    assert world.person.id in {e.member_id for e in written if e.actor_role == "system"}


def test_a_person_never_sees_a_thread_they_are_not_in(
    client: FlaskClient, db: Session, world: World
) -> None:
    issued = bound(client, db, world)
    others = meeting(db, world, with_person=False, subject="Ilman läheistä (fictional)")
    own = meeting(db, world)
    listing = client.get(f"{link(issued)}/messages").get_data(as_text=True)
    assert SUBJECT in listing and "Ilman läheistä" not in listing
    assert client.get(thread_page(issued, others)).status_code == 404
    path = thread_page(issued, others)
    refused = client.post(path, data={"csrf_token": csrf_token(client, link(issued)), "body": "x"})
    assert refused.status_code == 404
    # The client's own thread with the county, and another client's meeting: not found.
    client_thread = messages.start_thread(
        db,
        new_gate(),
        world.actor,
        client_id=world.client.id,
        kind=ThreadKind.CLIENT,
        subject="Oma asia (fictional)",
        body=BODY,
        now=utcnow(),
    ).id
    stranger = make_world(db)
    foreign = meeting(db, stranger)
    db.commit()
    assert client.get(thread_page(issued, client_thread)).status_code == 404
    assert client.get(thread_page(issued, foreign)).status_code == 404
    assert client.get(thread_page(issued, uuid.uuid4())).status_code == 404
    # Without the browser the link was bound to: the code page, not the thread.
    other_browser = client.application.test_client()
    assert BODY not in other_browser.get(thread_page(issued, own)).get_data(as_text=True)
    # No read was made of the threads the person is not in.
    db.expire_all()
    assert (
        db.scalars(
            select(ThreadRead).where(
                ThreadRead.member_id == world.person.id, ThreadRead.thread_id != own
            )
        ).all()
        == []
    )


def test_a_meeting_about_a_section_the_link_does_not_show_is_not_theirs(
    client: FlaskClient, db: Session, world: World
) -> None:
    """The consent names everyday life too, but this link only housing: not shown."""
    issued = bound(client, db, world)
    everyday = meeting(db, world, section=SectionKind.EVERYDAY_LIFE, subject="Arki (fictional)")
    assert "Arki" not in client.get(f"{link(issued)}/messages").get_data(as_text=True)
    assert client.get(thread_page(issued, everyday)).status_code == 404


def test_access_ends_with_the_consent(client: FlaskClient, db: Session, world: World) -> None:
    issued = bound(client, db, world)
    thread = meeting(db, world)
    assert client.get(thread_page(issued, thread)).status_code == 200
    revoke_consent(db, new_gate(), world.actor, db.get(Consent, world.consent.id), receipt=None)
    db.commit()
    for path in (thread_page(issued, thread), f"{link(issued)}/messages"):
        response = client.get(path)
        assert response.status_code == 410
        html = response.get_data(as_text=True)
        assert ENDED in html and BODY not in html and SUBJECT not in html
    refused = client.post(
        thread_page(issued, thread),
        data={"csrf_token": csrf_token(client, link(issued)), "body": ANSWER},
    )
    assert refused.status_code == 410
    # The gate itself refuses the person (whatever the link says), and logs it.
    person = Actor(ActorRole.PERSON, member_id=world.person.id)
    with pytest.raises(AccessDenied):
        messages.read_thread(
            db, new_gate(), person, client_id=world.client.id, thread_id=thread, now=utcnow()
        )
    with pytest.raises(AccessDenied):
        messages.post_message(
            db,
            new_gate(),
            person,
            client_id=world.client.id,
            thread_id=thread,
            body=ANSWER,
            now=utcnow(),
        )
    assert db.scalars(select(Message).where(Message.author_member_id.is_not(None))).all() == []


def test_access_ends_with_the_membership(client: FlaskClient, db: Session, world: World) -> None:
    issued = bound(client, db, world)
    thread = meeting(db, world)
    assert BODY in client.get(thread_page(issued, thread)).get_data(as_text=True)
    member = db.get(NetworkMember, world.person.id)
    assert member is not None
    end_membership(db, new_gate(), member, by_user_id=world.worker.id)
    db.commit()
    assert client.get(thread_page(issued, thread)).status_code == 410
    person = Actor(ActorRole.PERSON, member_id=world.person.id)
    with pytest.raises(AccessDenied):
        messages.read_thread(
            db, new_gate(), person, client_id=world.client.id, thread_id=thread, now=utcnow()
        )
    denied = db.scalars(
        select(AccessLogEntry).where(
            AccessLogEntry.member_id == world.person.id, AccessLogEntry.allowed.is_(False)
        )
    ).all()
    assert denied


def test_only_a_meeting_takes_a_person_and_only_with_the_section_consented(
    db: Session, world: World
) -> None:
    common = {
        "client_id": world.client.id,
        "subject": SUBJECT,
        "body": BODY,
        "member_ids": [world.person.id],
        "now": utcnow(),
    }
    with pytest.raises(messages.MemberNotInNetwork):
        messages.start_thread(
            db,
            new_gate(),
            world.actor,
            kind=ThreadKind.NETWORK,
            section=SectionKind.HOUSING,
            **common,  # type: ignore[arg-type]
        )
    # The person's consent does not name health: the meeting cannot be about it.
    with pytest.raises(messages.SectionNotShared):
        messages.start_thread(
            db,
            new_gate(),
            world.actor,
            kind=ThreadKind.MEETING,
            section=SectionKind.HEALTH,
            **common,  # type: ignore[arg-type]
        )
    thread = meeting(db, world)
    # Nor may a message in it refer to health.
    with pytest.raises(messages.ReferenceNotShared):
        worker_writes(db, world, thread, refers_to=SectionKind.HEALTH)


def test_the_worker_chooses_a_person_for_a_meeting_on_the_form(
    client: FlaskClient, db: Session, world: World
) -> None:
    db.commit()
    login(client, world.worker.username)
    path = f"/caseworker/clients/{world.client.id}/messages/new"
    form = client.get(path).get_data(as_text=True)
    assert "Liisa Läheinen (Close person)" in form
    sent = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "kind": "meeting",
            "members": [str(world.person.id)],
            "section": "housing",
            "subject": SUBJECT,
            "body": BODY,
        },
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)
    found = re.search(r"/messages/([0-9a-f-]{36})$", sent.headers["Location"])
    assert found
    started = db.get(MessageThread, uuid.UUID(found.group(1)))
    assert started is not None and started.kind is ThreadKind.MEETING


def test_a_person_who_gave_an_address_hears_of_a_new_message_and_nothing_more(
    client: FlaskClient, db: Session, world: World
) -> None:
    issued = bound(client, db, world)
    path = f"{link(issued)}/email"
    assert "E-mail address" in client.get(path).get_data(as_text=True)
    wrong = client.post(path, data={"csrf_token": csrf_token(client, path), "email": "ei osoite"})
    assert wrong.status_code == 400
    saved = client.post(
        path, data={"csrf_token": csrf_token(client, path), "email": "liisa@example.fi"}
    )
    assert saved.status_code == 303
    thread = meeting(db, world)  # the worker writes: the person hears of it
    mail = db.scalars(
        select(OutboxMessage).where(OutboxMessage.address == "liisa@example.fi")
    ).one()
    assert mail.kind is MailKind.NEW_MESSAGE and mail.user_id is None and mail.link is None
    assert mail.locale == "en"
    # The person's own answer tells them nothing; once their membership ends, no e-mail.
    page = thread_page(issued, thread)
    client.post(page, data={"csrf_token": csrf_token(client, page), "body": ANSWER})
    member = db.get(NetworkMember, world.person.id)
    assert member is not None
    end_membership(db, new_gate(), member, by_user_id=world.worker.id)
    db.commit()
    worker_writes(db, world, thread)
    assert len(db.scalars(select(OutboxMessage).where(OutboxMessage.user_id.is_(None))).all()) == 1


def _saved_address(client: FlaskClient, issued: person_access.IssuedAccess) -> None:
    path = f"{link(issued)}/email"
    saved = client.post(path, data={"csrf_token": csrf_token(client, path), "email": ADDRESS})
    assert saved.status_code == 303


def _mails(db: Session) -> list[OutboxMessage]:
    return list(db.scalars(select(OutboxMessage).where(OutboxMessage.address == ADDRESS)))


ADDRESS = "liisa@example.fi"


@pytest.mark.parametrize("ended_by", ["link", "consent"])
def test_a_person_who_can_no_longer_open_the_thread_is_not_told_of_it(
    client: FlaskClient, db: Session, world: World, ended_by: str
) -> None:
    issued = bound(client, db, world)
    _saved_address(client, issued)
    thread = meeting(db, world)
    assert len(_mails(db)) == 1
    if ended_by == "link":
        grant = db.get(PersonAccessGrant, issued.grant.id)
        assert grant is not None
        person_access.end_access(db, grant, world.worker.id)
    else:
        consent = db.get(Consent, world.consent.id)
        revoke_consent(db, new_gate(), world.actor, consent, receipt=None)
    db.commit()
    worker_writes(db, world, thread)
    assert len(_mails(db)) == 1  # the membership goes on, but nothing they could open


def test_a_persons_address_goes_when_their_membership_ends(
    client: FlaskClient, db: Session, world: World
) -> None:
    issued = bound(client, db, world)
    _saved_address(client, issued)
    assert db.scalars(select(PersonEmailAddress)).all()
    member = db.get(NetworkMember, world.person.id)
    assert member is not None
    end_membership(db, new_gate(), member, by_user_id=world.worker.id)
    db.commit()
    assert db.scalars(select(PersonEmailAddress)).all() == []


def test_maintenance_removes_the_address_once_the_membership_has_run_out(
    client: FlaskClient, db: Session, world: World
) -> None:
    issued = bound(client, db, world)
    _saved_address(client, issued)
    member = db.get(NetworkMember, world.person.id)
    assert member is not None
    member.ends_on = today() + timedelta(days=2)
    db.commit()
    assert maintenance.run(db, new_gate(), now=utcnow()).person_addresses_removed == 0
    later = utcnow() + timedelta(days=3)
    assert maintenance.run(db, new_gate(), now=later).person_addresses_removed == 1
    assert db.scalars(select(PersonEmailAddress)).all() == []
    assert maintenance.run(db, new_gate(), now=later).person_addresses_removed == 0
