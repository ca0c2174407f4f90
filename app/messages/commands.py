"""Starting a thread, sending a message, reading a thread: one command each, for every audience.

Every subject and message is sealed and opened through the gate under the thread's scope:
the county-only ``messages`` scope for the client's thread with the county, or the plan
section a network thread is about. Grantees only ever read (``decide`` refuses their
writes), so a partner's message is sealed by the system on its behalf after the gate has
decided that the partner reads the thread's section now, as ``partner_work`` does with an
update; the partner's user and organisation stay on the log entry and on the message.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases.facts import load_case_contexts
from app.cases.queries import latest_cases
from app.messages.queries import membership_of
from app.messages.rules import (
    ThreadFacts,
    check_body,
    check_subject,
    may_start,
    takes_part,
    unseen_by,
)
from app.models import Case, CaseTeamMember, NetworkMember, ResponsibleWorker, Role, User
from app.models.message import Message, MessageThread, ThreadKind, ThreadMember, ThreadRead
from app.models.outbox import MailKind
from app.outbox.commands import notify, notify_persons
from app.partner_work.commands import on_behalf_of
from app.person_access import queries as person_queries
from app.refusals import N_, Conflict, NotFound, Refused
from consent.decision import decide
from consent.facts import (
    EVERYTHING,
    AccessRequest,
    Action,
    Actor,
    ActorRole,
    Purpose,
)
from consent.sections import DataScope, Scope, SectionKind, scope_of
from consent.status import membership_active
from sharing.fields import field_ref, sealed
from sharing.gate import AccessGate


class ThreadNotFound(NotFound):
    """Raised when the thread does not exist, is another client's, or the actor takes no part."""

    code = "thread_not_found"
    message = N_("The conversation was not found.")


class ThreadNotAllowed(Refused):
    """Raised when the actor may not start this kind of thread."""

    code = "thread_not_allowed"
    field = "kind"
    message = N_("You cannot start this kind of conversation.")


class MembersMissing(Refused):
    """Raised when a network thread names no member of the client's network."""

    code = "members_missing"
    field = "members"
    message = N_("Choose who the conversation is with.")


class MemberNotInNetwork(Refused):
    """Raised when a chosen member is not active in the client's network now (or is a person
    member, who takes part only in a network meeting)."""

    code = "member_not_in_network"
    field = "members"
    message = N_("Choose organisations that are in the client's network now.")


class SectionMissing(Refused):
    """Raised when a network thread names no plan section."""

    code = "section_missing"
    field = "section"
    message = N_("Choose the part of the plan the conversation is about.")


class SectionNotShared(Refused):
    """Raised when a participant may not see the thread's section now."""

    code = "section_not_shared"
    field = "section"
    message = N_(
        "Not everyone in the conversation may see this part of the plan now: choose another "
        "part or other participants."
    )


class ReferenceNotShared(Refused):
    """Raised when a message refers to a section a recipient may not see now."""

    code = "reference_not_shared"
    field = "refers_to"
    message = N_(
        "Someone in the conversation may not see this part of the plan now, so the message "
        "cannot refer to it."
    )


class ThreadClosed(Conflict):
    """Raised when a message is sent to a thread of a closed case."""

    code = "thread_closed"
    message = N_("The client's case is closed: the conversation can be read but not continued.")


def _purpose(actor: Actor) -> Purpose:
    if actor.role is ActorRole.CLIENT:
        return Purpose.OWN_DATA
    if actor.role in GRANTEES:
        return Purpose.NETWORK_COOPERATION
    return Purpose.CASE_WORK


GRANTEES = (ActorRole.PARTNER, ActorRole.PERSON)  # read only: their texts are sealed for them


@dataclass(frozen=True)
class Parties:
    """Who takes part in a thread besides the county and the client."""

    organisations: list[uuid.UUID]
    persons: list[uuid.UUID]  # person members (close persons, peer experts) of a meeting

    def readers(self) -> list[Actor]:
        """Each party as the decision sees it."""
        return [Actor(ActorRole.PARTNER, organisation_id=org) for org in self.organisations] + [
            Actor(ActorRole.PERSON, member_id=member) for member in self.persons
        ]


def facts_of(thread: MessageThread, parties: Parties) -> ThreadFacts:
    return ThreadFacts(
        thread.kind,
        thread.client_id,
        thread.includes_client,
        frozenset(parties.organisations),
        frozenset(parties.persons),
    )


def thread_parties(session: Session, thread_id: uuid.UUID) -> Parties:
    """The organisations and person members taking part in a thread (one query)."""
    rows = session.execute(
        select(ThreadMember.organisation_id, ThreadMember.member_id).where(
            ThreadMember.thread_id == thread_id
        )
    ).all()
    return Parties(
        [org for org, _ in rows if org is not None],
        [member for org, member in rows if org is None],
    )


def find_thread(
    session: Session, actor: Actor, client_id: uuid.UUID, thread_id: uuid.UUID
) -> tuple[MessageThread, Parties]:
    """The client's thread the actor takes part in, with its parties.

    :raises ThreadNotFound: when there is none such (another client's, or not the actor's).
    """
    thread = session.get(MessageThread, thread_id)
    if thread is None or thread.client_id != client_id:
        raise ThreadNotFound()
    parties = thread_parties(session, thread.id)
    if not takes_part(facts_of(thread, parties), actor):
        raise ThreadNotFound()
    return thread, parties


def _readers_of(
    session: Session,
    client_id: uuid.UUID,
    parties: Parties,
    section: SectionKind,
    at: datetime,
) -> dict[uuid.UUID, bool]:
    """Whether the decision lets each organisation and person member read ``section`` of the
    client now (by organisation or member id)."""
    case = load_case_contexts(session, [client_id], EVERYTHING).get(client_id)
    found = {}
    for reader in parties.readers():
        key = reader.organisation_id or reader.member_id
        assert key is not None
        found[key] = decide(
            AccessRequest(reader, client_id, Action.READ, Purpose.NETWORK_COOPERATION, at, section),
            case,
        ).allowed
    return found


def _check_reference(
    session: Session,
    client_id: uuid.UUID,
    parties: Parties,
    refers_to: SectionKind | None,
    at: datetime,
) -> None:
    if refers_to is not None and unseen_by(_readers_of(session, client_id, parties, refers_to, at)):
        raise ReferenceNotShared()


def _may_write(gate: AccessGate, actor: Actor, client_id: uuid.UUID, scope: Scope) -> None:
    """Decide first that the actor may write into the thread's scope (a partner or a person
    member: read it), so no other answer tells a refused caller anything.

    :raises AccessDenied: when not (logged, rolled back).
    """
    if actor.role in GRANTEES:
        gate.check(actor, client_id, Action.READ, Purpose.NETWORK_COOPERATION, scope)
    else:
        gate.check(actor, client_id, Action.WRITE, _purpose(actor), scope)


def _seal(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    scope: Scope,
    writes: list[tuple[MessageThread | Message, str]],
) -> None:
    """Seal each text into its row (subject or body) as the actor, or for a partner as the
    system on its behalf once the gate has decided the partner reads the scope now."""
    client_id = writes[0][0].client_id
    writer = actor
    if actor.role in GRANTEES:
        _may_write(gate, actor, client_id, scope)
        writer = on_behalf_of(actor)
    refs = [
        (
            field_ref(
                row, MessageThread.subject_ct if isinstance(row, MessageThread) else Message.body_ct
            ),
            text,
        )
        for row, text in writes
    ]
    ciphertexts = gate.write_texts(writer, refs, purpose=_purpose(actor))
    for (row, _), ciphertext in zip(writes, ciphertexts, strict=True):
        assert ciphertext is not None
        if isinstance(row, MessageThread):
            row.subject_ct = ciphertext
        else:
            row.body_ct = ciphertext


def start_thread(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    client_id: uuid.UUID,
    kind: ThreadKind,
    subject: str,
    body: str,
    section: SectionKind | None = None,
    member_ids: Sequence[uuid.UUID] = (),
    includes_client: bool = False,
    refers_to: SectionKind | None = None,
    now: datetime,
) -> MessageThread:
    """Start a thread about the client with its first message, and tell the others.

    :raises ThreadNotAllowed: when the actor may not start this kind of thread.
    :raises Refused: (subject, body) when a text is missing or too long.
    :raises MembersMissing: when a network thread or meeting names no member.
    :raises MemberNotInNetwork: when a member is not an organisation active in the network
        (or, for partner staff, not their own organisation's membership).
    :raises SectionMissing: when a network thread or meeting names no section.
    :raises SectionNotShared: when a chosen organisation may not see the section now.
    :raises ReferenceNotShared: when the message refers to a section a participant may not see.
    :raises ThreadClosed: when the client's case is closed.
    :raises AccessDenied: when the gate refuses the actor (logged, rolled back).
    """
    if actor.user_id is None or not may_start(actor, kind):
        raise ThreadNotAllowed()
    if actor.role is ActorRole.CLIENT and actor.client_id != client_id:
        raise ThreadNotFound()
    subject, body = subject.strip(), body.strip()
    errors = {
        name: code
        for name, code in (("subject", check_subject(subject)), ("body", check_body(body)))
        if code is not None
    }
    if errors:
        raise Refused(errors=errors)
    case = latest_cases(session, [client_id]).get(client_id)
    if case is None:
        raise ThreadNotFound()
    if case.closed_at is not None:
        raise ThreadClosed()
    members: list[NetworkMember] = []
    scope: Scope = DataScope.MESSAGES
    if kind is ThreadKind.CLIENT:
        includes_client = True
        _may_write(gate, actor, client_id, scope)
    else:
        if section is None:
            raise SectionMissing()
        scope = section
        if actor.role is not ActorRole.PARTNER:  # a partner's own section: section_not_shared
            _may_write(gate, actor, client_id, scope)
        members = _chosen_members(session, actor, case, member_ids, kind, now)
        if unseen_by(_readers_of(session, client_id, _parties(members), section, now)):
            raise SectionNotShared()
        includes_client = includes_client and kind is ThreadKind.MEETING
    parties = _parties(members)
    if kind is not ThreadKind.CLIENT:
        _check_reference(session, client_id, parties, refers_to, now)
    thread = MessageThread(
        client_id=client_id,
        case_id=case.id,
        kind=kind,
        scope=scope.value,
        includes_client=includes_client,
        started_by_id=actor.user_id,
        started_at=now,
        last_message_at=now,
        last_author_id=actor.user_id,
    )
    message = _message(thread, actor, refers_to, now)
    _seal(session, gate, actor, scope, [(thread, subject), (message, body)])
    session.add(thread)
    session.flush()
    session.add_all(
        ThreadMember(thread_id=thread.id, member_id=m.id, organisation_id=m.organisation_id)
        for m in members
    )
    session.add(message)
    _mark_read(session, thread.id, actor, now)
    session.flush()
    _notify_others(session, thread, case, parties, actor, now)
    return thread


def _parties(members: Sequence[NetworkMember]) -> Parties:
    return Parties(
        [m.organisation_id for m in members if m.organisation_id is not None],
        [m.id for m in members if m.organisation_id is None],
    )


def _chosen_members(
    session: Session,
    actor: Actor,
    case: Case,
    member_ids: Sequence[uuid.UUID],
    kind: ThreadKind,
    at: datetime,
) -> list[NetworkMember]:
    chosen = list(dict.fromkeys(member_ids))
    if not chosen or (kind is ThreadKind.NETWORK and len(chosen) != 1):
        raise MembersMissing()
    members = list(
        session.scalars(
            select(NetworkMember).where(
                NetworkMember.id.in_(chosen), NetworkMember.case_id == case.id
            )
        ).all()
    )
    if len(members) != len(chosen) or any(
        (
            m.organisation_id is None
            and (kind is not ThreadKind.MEETING or actor.role is not ActorRole.CASEWORKER)
        )
        or not membership_active(membership_of(m), at)
        or (actor.role is ActorRole.PARTNER and m.organisation_id != actor.organisation_id)
        for m in members
    ):
        raise MemberNotInNetwork()
    return members


def _message(
    thread: MessageThread, actor: Actor, refers_to: SectionKind | None, now: datetime
) -> Message:
    person = actor.member_id if actor.role is ActorRole.PERSON else None
    assert (actor.user_id is None) != (person is None)
    return Message(
        thread_id=thread.id,
        client_id=thread.client_id,
        scope=thread.scope,
        author_id=actor.user_id,
        author_member_id=person,
        author_organisation_id=actor.organisation_id,
        assisted_by_id=actor.assisted_by,
        sent_at=now,
        refers_to=refers_to,
    )


def post_message(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    client_id: uuid.UUID,
    thread_id: uuid.UUID,
    body: str,
    refers_to: SectionKind | None = None,
    now: datetime,
) -> Message:
    """Send a message to a thread the actor takes part in, and tell the others.

    :raises ThreadNotFound: when the actor takes no part in such a thread.
    :raises Refused: (body) when the text is missing or too long.
    :raises ReferenceNotShared: when the message refers to a section a participant may not see.
    :raises ThreadClosed: when the client's case is closed.
    :raises AccessDenied: when the gate refuses the actor (logged, rolled back): an
        organisation whose consent or membership has ended.
    """
    thread, parties = find_thread(session, actor, client_id, thread_id)
    _may_write(gate, actor, client_id, scope_of(thread.scope))
    body = body.strip()
    if (problem := check_body(body)) is not None:
        raise Refused(errors={"body": problem})
    case = session.get(Case, thread.case_id)
    assert case is not None
    if case.closed_at is not None:
        raise ThreadClosed()
    _check_reference(session, client_id, parties, refers_to, now)
    message = _message(thread, actor, refers_to, now)
    _seal(session, gate, actor, scope_of(thread.scope), [(message, body)])
    session.add(message)
    thread.last_message_at = now
    thread.last_author_id, thread.last_author_member_id = (
        message.author_id,
        message.author_member_id,
    )
    _mark_read(session, thread.id, actor, now)
    session.flush()
    _notify_others(session, thread, case, parties, actor, now)
    return message


@dataclass(frozen=True)
class ShownMessage:
    message: Message
    body: str


@dataclass(frozen=True)
class ThreadView:
    """A thread as one reader sees it: its subject, its messages oldest first, the names."""

    thread: MessageThread
    subject: str
    messages: list[ShownMessage]
    organisations: list[uuid.UUID]
    users: dict[uuid.UUID, User]
    persons: list[uuid.UUID]  # person members taking part (a meeting)


def read_thread(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    client_id: uuid.UUID,
    thread_id: uuid.UUID,
    now: datetime,
) -> ThreadView:
    """Open a thread's subject and messages through the gate (one logged read) and mark it
    read for the actor.

    :raises ThreadNotFound: when the actor takes no part in such a thread.
    :raises AccessDenied: when the gate refuses the actor (logged): an organisation whose
        consent or membership has ended, a worker without a relationship to the case.
    """
    thread, parties = find_thread(session, actor, client_id, thread_id)
    messages = list(
        session.scalars(
            select(Message)
            .where(Message.thread_id == thread.id)
            .order_by(Message.sent_at, Message.id)
        ).all()
    )
    texts = gate.read_texts(
        actor,
        [sealed(thread, MessageThread.subject_ct), *(sealed(m, Message.body_ct) for m in messages)],
        purpose=_purpose(actor),
    )
    ids = {m.author_id for m in messages if m.author_id} | {
        m.assisted_by_id for m in messages if m.assisted_by_id
    }
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids))).all()}
    _mark_read(session, thread.id, actor, now)
    return ThreadView(
        thread,
        texts[0] or "",
        [ShownMessage(m, t or "") for m, t in zip(messages, texts[1:], strict=True)],
        parties.organisations,
        users,
        parties.persons,
    )


def _mark_read(session: Session, thread_id: uuid.UUID, actor: Actor, now: datetime) -> None:
    """Remember how far the user, or the person member, has read the thread."""
    if actor.user_id is not None:
        reader = ThreadRead.user_id == actor.user_id
        new = ThreadRead(thread_id=thread_id, user_id=actor.user_id, read_at=now)
    elif actor.role is ActorRole.PERSON and actor.member_id is not None:
        reader = ThreadRead.member_id == actor.member_id
        new = ThreadRead(thread_id=thread_id, member_id=actor.member_id, read_at=now)
    else:
        return
    read = session.scalar(select(ThreadRead).where(ThreadRead.thread_id == thread_id, reader))
    if read is None:
        session.add(new)
    elif read.read_at < now:
        read.read_at = now


def _notify_others(
    session: Session,
    thread: MessageThread,
    case: Case,
    parties: Parties,
    actor: Actor,
    now: datetime,
) -> None:
    """Queue "You have a new message in Tukiverkko" for every other party who chose e-mail
    (``notify`` says nothing else: no name, no subject, no text), person members of a
    meeting too while a link of theirs can open the thread (``notify_persons``): not after
    their link, its consent or their membership has ended."""
    organisations = parties.organisations
    recipients: set[uuid.UUID] = set()
    if actor.role is not ActorRole.CASEWORKER:
        recipients.update(county_staff(session, case.id))
    if thread.includes_client and actor.role is not ActorRole.CLIENT:
        recipients.update(
            session.scalars(select(User.id).where(User.client_id == thread.client_id)).all()
        )
    others = [org for org in organisations if org != actor.organisation_id]
    if others:
        recipients.update(
            session.scalars(
                select(User.id).where(
                    User.organisation_id.in_(others),
                    User.role == Role.PARTNER,
                    User.active.is_(True),
                )
            ).all()
        )
    if actor.user_id is not None:
        recipients.discard(actor.user_id)
    for user_id in sorted(recipients):
        notify(session, user_id, MailKind.NEW_MESSAGE, now=now)
    persons = [m for m in parties.persons if m != actor.member_id]
    readers = person_queries.readers_of(session, persons, thread.scope, now)
    notify_persons(session, readers, MailKind.NEW_MESSAGE, now=now)


def county_staff(session: Session, case_id: uuid.UUID) -> list[uuid.UUID]:
    """The case's current responsible worker and team (one query)."""
    worker = select(ResponsibleWorker.worker_id).where(
        ResponsibleWorker.case_id == case_id, ResponsibleWorker.ends_on.is_(None)
    )
    team = select(CaseTeamMember.user_id).where(
        CaseTeamMember.case_id == case_id, CaseTeamMember.removed_at.is_(None)
    )
    return list(session.scalars(worker.union(team)).all())
