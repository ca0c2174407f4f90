"""Pure rules of a person's link: its status, the sections it shows, who reads through it.

The link's status is ``consent.status.link_status``, read from the link's, its consent's
and its membership's facts; this module only builds those facts from the rows.
"""

from __future__ import annotations

from datetime import datetime

from app.attempts import AttemptLimit
from app.models import NetworkMember
from app.models.person_access import PersonAccessGrant
from consent.facts import Actor, ActorRole, Purpose
from consent.models import Consent
from consent.sections import SectionKind
from consent.service import facts_of
from consent.status import (
    LinkFacts,
    LinkStatus,
    consent_status,
    link_status,
    shares_for_cooperation,
)

CODE_LENGTH = 8  # 31**8 ≈ 2**39.6, and only MAX_ATTEMPTS guesses per link
MAX_ATTEMPTS = 5  # wrong codes before the link locks for good
CODE_ATTEMPTS = AttemptLimit(MAX_ATTEMPTS)
MAX_DAYS = 365  # browsers keep a cookie about 400 days at most: the binding must outlive the link
PURPOSE = Purpose.NETWORK_COOPERATION


def link_facts(grant: PersonAccessGrant) -> LinkFacts:
    """The facts ``consent.status.link_status`` reads about a link."""
    return LinkFacts(
        valid_until=grant.valid_until,
        ended_at=grant.ended_at,
        bound=grant.binding_hash is not None,
        locked=grant.locked_at is not None,
    )


def grant_status(
    grant: PersonAccessGrant, consent: Consent, member: NetworkMember, at: datetime
) -> LinkStatus:
    """Where a link stands at ``at``: ended ones first, by what ended them."""
    return link_status(link_facts(grant), facts_of(consent), member.membership(), at)


def consent_live(consent: Consent, at: datetime) -> bool:
    """Whether a link may be issued under ``consent`` at ``at``: it discloses to its member
    for their part in the plan, and is in force."""
    facts = facts_of(consent)
    return shares_for_cooperation(facts) and consent_status(facts, at).in_force


def sections_of(grant: PersonAccessGrant) -> frozenset[SectionKind]:
    return frozenset(SectionKind(s) for s in grant.sections)


def consent_sections(consent: Consent) -> frozenset[SectionKind]:
    return frozenset(SectionKind(s) for s in consent.sections)


def shown_sections(grant: PersonAccessGrant, consent: Consent) -> list[SectionKind]:
    """The sections a link shows: those it names that its consent still names, in plan order."""
    allowed = sections_of(grant) & consent_sections(consent)
    return [kind for kind in SectionKind if kind in allowed]


def link_shows(grant: PersonAccessGrant, consent: Consent, scope: str) -> bool:
    """Whether a thread sealed under ``scope`` is about a section the link shows now: a
    person member sees a meeting's thread only through a link (and a consent) naming it."""
    return scope in {kind.value for kind in shown_sections(grant, consent)}


def person_actor(grant: PersonAccessGrant) -> Actor:
    """Who reads through a link: the person member, a grantee with its own key."""
    return Actor(ActorRole.PERSON, member_id=grant.member_id)
