"""Who takes part in a message thread, who starts which, and what a message may say."""

from __future__ import annotations

import uuid

import pytest

from app.messages.rules import (
    BODY_MAX,
    SUBJECT_MAX,
    TextCheck,
    ThreadFacts,
    check_body,
    check_subject,
    may_start,
    takes_part,
    unseen_by,
)
from app.models.message import ThreadKind
from consent.facts import Actor, ActorRole
from consent.sections import DataScope, SectionKind, scope_of

CLIENT = uuid.uuid4()
HOUSING_OFFICE = uuid.uuid4()
KELA = uuid.uuid4()

WORKER = Actor(ActorRole.CASEWORKER, user_id=uuid.uuid4(), organisation_id=uuid.uuid4())
THE_CLIENT = Actor(ActorRole.CLIENT, user_id=uuid.uuid4(), client_id=CLIENT)
ANOTHER_CLIENT = Actor(ActorRole.CLIENT, user_id=uuid.uuid4(), client_id=uuid.uuid4())
HOUSING_STAFF = Actor(ActorRole.PARTNER, user_id=uuid.uuid4(), organisation_id=HOUSING_OFFICE)
KELA_STAFF = Actor(ActorRole.PARTNER, user_id=uuid.uuid4(), organisation_id=KELA)
PERSON = Actor(ActorRole.PERSON, member_id=uuid.uuid4())
ADMIN = Actor(ActorRole.ADMIN, user_id=uuid.uuid4())


def thread(kind: ThreadKind, *orgs: uuid.UUID, includes_client: bool = False) -> ThreadFacts:
    return ThreadFacts(kind, CLIENT, includes_client or kind is ThreadKind.CLIENT, frozenset(orgs))


@pytest.mark.parametrize(
    ("facts", "actor", "expected"),
    [
        (thread(ThreadKind.CLIENT), THE_CLIENT, True),
        (thread(ThreadKind.CLIENT), ANOTHER_CLIENT, False),
        (thread(ThreadKind.CLIENT), WORKER, True),  # the gate decides the relationship
        (thread(ThreadKind.CLIENT), HOUSING_STAFF, False),  # never the client's own thread
        (thread(ThreadKind.NETWORK, HOUSING_OFFICE), HOUSING_STAFF, True),
        (thread(ThreadKind.NETWORK, HOUSING_OFFICE), KELA_STAFF, False),
        (thread(ThreadKind.NETWORK, HOUSING_OFFICE), THE_CLIENT, False),
        (thread(ThreadKind.MEETING, HOUSING_OFFICE, KELA), KELA_STAFF, True),
        (thread(ThreadKind.MEETING, HOUSING_OFFICE), THE_CLIENT, False),
        (thread(ThreadKind.MEETING, HOUSING_OFFICE, includes_client=True), THE_CLIENT, True),
        (thread(ThreadKind.MEETING, HOUSING_OFFICE, includes_client=True), ANOTHER_CLIENT, False),
        (thread(ThreadKind.MEETING, HOUSING_OFFICE), PERSON, False),  # deny by default
        (thread(ThreadKind.CLIENT), ADMIN, False),
    ],
)
def test_who_takes_part(facts: ThreadFacts, actor: Actor, expected: bool) -> None:
    assert takes_part(facts, actor) is expected


def test_a_partner_without_an_organisation_takes_part_in_nothing() -> None:
    nobody = Actor(ActorRole.PARTNER, user_id=uuid.uuid4())
    assert not takes_part(thread(ThreadKind.NETWORK, HOUSING_OFFICE), nobody)


@pytest.mark.parametrize(
    ("actor", "kind", "expected"),
    [
        (WORKER, ThreadKind.CLIENT, True),
        (WORKER, ThreadKind.NETWORK, True),
        (WORKER, ThreadKind.MEETING, True),
        (THE_CLIENT, ThreadKind.CLIENT, True),
        (THE_CLIENT, ThreadKind.NETWORK, False),
        (THE_CLIENT, ThreadKind.MEETING, False),
        (HOUSING_STAFF, ThreadKind.NETWORK, True),
        (HOUSING_STAFF, ThreadKind.CLIENT, False),
        (HOUSING_STAFF, ThreadKind.MEETING, False),
        (PERSON, ThreadKind.NETWORK, False),
        (ADMIN, ThreadKind.CLIENT, False),
    ],
)
def test_who_starts_which_thread(actor: Actor, kind: ThreadKind, expected: bool) -> None:
    assert may_start(actor, kind) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", TextCheck.SUBJECT_MISSING),
        ("x", None),
        ("x" * SUBJECT_MAX, None),
        ("x" * (SUBJECT_MAX + 1), TextCheck.SUBJECT_TOO_LONG),
    ],
)
def test_subject(text: str, expected: TextCheck | None) -> None:
    assert check_subject(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", TextCheck.BODY_MISSING),
        ("x" * BODY_MAX, None),
        ("x" * (BODY_MAX + 1), TextCheck.BODY_TOO_LONG),
    ],
)
def test_body(text: str, expected: TextCheck | None) -> None:
    assert check_body(text) is expected


def test_a_reference_is_refused_when_any_recipient_may_not_see_it() -> None:
    assert unseen_by({HOUSING_OFFICE: True, KELA: False}) == [KELA]
    assert unseen_by({HOUSING_OFFICE: True}) == []
    assert unseen_by({}) == []  # the client's own thread: the county and the client see all


def test_a_thread_scope_names_a_section_or_the_county_only_messages() -> None:
    assert scope_of("housing") is SectionKind.HOUSING
    assert scope_of("messages") is DataScope.MESSAGES
    with pytest.raises(ValueError):
        scope_of("section:housing")
