"""Who takes part in a message thread, and what a message may say: pure rules.

Taking part is necessary, never sufficient: the access gate still decides every read and
write of a thread's subject and messages (the thread's scope), so an organisation whose
consent, statutory disclosure or membership has ended reads nothing of a thread it was in.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from app.models.message import ThreadKind
from app.refusals import N_, Code
from consent.facts import Actor, ActorRole

SUBJECT_MAX = 200
BODY_MAX = 5000


class TextCheck(Code):
    SUBJECT_MISSING = "subject_missing", N_("Write a subject.")
    SUBJECT_TOO_LONG = "subject_too_long", N_("The subject can be at most 200 characters long.")
    BODY_MISSING = "body_missing", N_("Write a message.")
    BODY_TOO_LONG = "body_too_long", N_("The message can be at most 5,000 characters long.")


def check_subject(subject: str) -> TextCheck | None:
    """Why a (trimmed) subject cannot be used, if it cannot."""
    if not subject:
        return TextCheck.SUBJECT_MISSING
    if len(subject) > SUBJECT_MAX:
        return TextCheck.SUBJECT_TOO_LONG
    return None


def check_body(body: str) -> TextCheck | None:
    """Why a (trimmed) message body cannot be sent, if it cannot."""
    if not body:
        return TextCheck.BODY_MISSING
    if len(body) > BODY_MAX:
        return TextCheck.BODY_TOO_LONG
    return None


@dataclass(frozen=True)
class ThreadFacts:
    """What taking part in a thread depends on (kept in clear on the thread)."""

    kind: ThreadKind
    client_id: uuid.UUID
    includes_client: bool
    organisations: frozenset[uuid.UUID]  # of the network members taking part
    persons: frozenset[uuid.UUID] = frozenset()  # person members (no organisation) of a meeting


def takes_part(thread: ThreadFacts, actor: Actor) -> bool:
    """Whether ``actor`` is one of the thread's parties (deny by default).

    The county's staff are a party to every thread of its clients: whether this worker
    may read it (responsible worker, case team, a recorded work task) is the gate's
    decision. The client takes part in their own thread and in a meeting they were asked
    to; an organisation's staff in the threads its membership was chosen for; a close
    person or peer expert (a person member, signed in through their link) only in a
    meeting they were chosen for.
    """
    if actor.role is ActorRole.CASEWORKER:
        return True
    if actor.role is ActorRole.CLIENT:
        return actor.client_id == thread.client_id and (
            thread.kind is ThreadKind.CLIENT or thread.includes_client
        )
    if actor.role is ActorRole.PARTNER:
        return (
            thread.kind is not ThreadKind.CLIENT
            and actor.organisation_id is not None
            and actor.organisation_id in thread.organisations
        )
    if actor.role is ActorRole.PERSON:
        return (
            thread.kind is ThreadKind.MEETING
            and actor.member_id is not None
            and actor.member_id in thread.persons
        )
    return False


def may_start(actor: Actor, kind: ThreadKind) -> bool:
    """Who starts which kind of thread: the client only their own with the county; partner
    staff only a thread of their organisation with the county; county staff any."""
    if actor.role is ActorRole.CASEWORKER:
        return True
    if actor.role is ActorRole.CLIENT:
        return kind is ThreadKind.CLIENT
    if actor.role is ActorRole.PARTNER:
        return kind is ThreadKind.NETWORK
    return False


def unseen_by(readers: Mapping[uuid.UUID, bool]) -> list[uuid.UUID]:
    """The parties (of ``readers``: an organisation or a person member → whether the decision
    lets it read the section now) that may not see it: a message may refer to a section only
    if none."""
    return sorted(org for org, allowed in readers.items() if not allowed)
