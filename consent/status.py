"""Where a membership, a consent, a statutory disclosure or a person's link stands at an instant.

The one home of these rules: ``decide`` and ``live_grants`` ask them, and so do the consent
matrix, the partner's home page, the person's link and the API, each through the facts
(``Membership``, ``ConsentFacts``, ``StatutoryFacts``, ``LinkFacts``) built from its rows.
Pure: no database, no clock. Calendar dates are Europe/Helsinki days, inclusive at both ends;
an instant that ended something (``ended_at``) ends it exactly then.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from consent.facts import ConsentFacts, Direction, Membership, Purpose, StatutoryFacts

HELSINKI = ZoneInfo("Europe/Helsinki")


@functools.lru_cache(maxsize=64)  # a decision asks it of one instant for every record
def helsinki_day(at: datetime) -> date:
    """The Finnish calendar day of an instant: what 'valid until 31.12.' means."""
    return at.astimezone(HELSINKI).date()


def helsinki_midnight(day: date) -> datetime:
    """The instant ``day`` begins in Finland (UTC): the first instant ``helsinki_day`` gives it."""
    return datetime.combine(day, time(), HELSINKI).astimezone(UTC)


def release_day(conditional_release: date | None, probation_start: date | None) -> date | None:
    """The day the client leaves prison: the start of supervised probationary liberty
    (valvottu koevapaus) if it comes before the expected conditional release, otherwise the
    conditional release (``None`` when unknown).

    The one rule every page (the worker's, the client's, a partner's), the checklist and the
    consent period templates read "the release date" from (``Case.release_day``).
    """
    if probation_start is not None and (
        conditional_release is None or probation_start < conditional_release
    ):
        return probation_start
    return conditional_release


class PeriodStatus(enum.StrEnum):
    UPCOMING = "upcoming"  # starts on a later day
    CURRENT = "current"
    PAST = "past"  # its last day has gone


def period_status(starts_on: date, ends_on: date | None, day: date) -> PeriodStatus:
    """Where ``day`` falls against a period of whole days (``ends_on`` None: open-ended)."""
    if day < starts_on:
        return PeriodStatus.UPCOMING
    if ends_on is not None and day > ends_on:
        return PeriodStatus.PAST
    return PeriodStatus.CURRENT


class MembershipStatus(enum.StrEnum):
    UPCOMING = "upcoming"  # the membership starts later
    ACTIVE = "active"
    ENDED = "ended"  # ended by hand, or past its last day: no access


def membership_active(membership: Membership, at: datetime) -> bool:
    return membership_status(membership, at) is MembershipStatus.ACTIVE


def membership_status(membership: Membership, at: datetime) -> MembershipStatus:
    """A network membership at ``at``: ended by hand at an instant, or by its planned days."""
    if membership.ended_at is not None and membership.ended_at <= at:
        return MembershipStatus.ENDED
    period = period_status(membership.starts_on, membership.ends_on, helsinki_day(at))
    if period is PeriodStatus.PAST:
        return MembershipStatus.ENDED
    if period is PeriodStatus.UPCOMING:
        return MembershipStatus.UPCOMING
    return MembershipStatus.ACTIVE


class ConsentStatus(enum.StrEnum):
    """Where a consent or a statutory disclosure stands."""

    LIVE = "live"
    UPCOMING = "upcoming"  # recorded, valid from a later day
    REVOKED = "revoked"  # withdrawn (a disclosure: ended by the worker)
    EXPIRED = "expired"  # past its last valid day (whether or not maintenance recorded it)
    SUPERSEDED = "superseded"  # replaced by an amended consent

    @property
    def in_force(self) -> bool:
        return self is ConsentStatus.LIVE

    @property
    def current(self) -> bool:
        """In force now or later: what the pages list as 'current'."""
        return self in (ConsentStatus.LIVE, ConsentStatus.UPCOMING)


_BY_PERIOD = {
    PeriodStatus.UPCOMING: ConsentStatus.UPCOMING,
    PeriodStatus.CURRENT: ConsentStatus.LIVE,
    PeriodStatus.PAST: ConsentStatus.EXPIRED,
}


def consent_status(consent: ConsentFacts, at: datetime) -> ConsentStatus:
    """A consent at ``at``: its end (revocation, amendment) first, then its days."""
    if consent.ended_at is not None and consent.ended_at <= at:
        return ConsentStatus.REVOKED if consent.revoked else ConsentStatus.SUPERSEDED
    return _BY_PERIOD[period_status(consent.valid_from, consent.valid_until, helsinki_day(at))]


def disclosure_status(disclosure: StatutoryFacts, at: datetime) -> ConsentStatus:
    """A statutory disclosure at ``at``; ending it early reads as REVOKED."""
    if disclosure.ended_at is not None and disclosure.ended_at <= at:
        return ConsentStatus.REVOKED
    return _BY_PERIOD[
        period_status(disclosure.valid_from, disclosure.valid_until, helsinki_day(at))
    ]


def shares_for_cooperation(consent: ConsentFacts) -> bool:
    """Whether a consent lets the county disclose to its member for the member's part in the
    plan (rather than letting the county obtain data, or covering case work)."""
    return (
        consent.direction is Direction.DISCLOSE and consent.purpose is Purpose.NETWORK_COOPERATION
    )


@dataclass(frozen=True)
class LinkFacts:
    """A close person's or peer expert's link (``/p/…``) as its status sees it."""

    valid_until: date
    ended_at: datetime | None = None  # ended by the worker or the client
    bound: bool = False  # opened with its code in one browser
    locked: bool = False  # too many wrong codes before it was bound


class LinkStatus(enum.StrEnum):
    WAITING = "waiting"  # issued; not yet opened with its code
    ACTIVE = "active"  # bound to one browser
    LOCKED = "locked"  # too many wrong codes before it was bound
    EXPIRED = "expired"  # past its last day
    ENDED = "ended"  # ended by the worker or the client
    CONSENT_ENDED = "consent_ended"  # its consent was revoked, amended or ran out
    MEMBERSHIP_ENDED = "membership_ended"

    @property
    def usable(self) -> bool:
        return self in (LinkStatus.WAITING, LinkStatus.ACTIVE)


def link_status(
    link: LinkFacts, consent: ConsentFacts, membership: Membership, at: datetime
) -> LinkStatus:
    """A person's link at ``at``: what ended it first, by kind; then whether it is in use."""
    if link.ended_at is not None and link.ended_at <= at:
        return LinkStatus.ENDED
    if not (shares_for_cooperation(consent) and consent_status(consent, at).in_force):
        return LinkStatus.CONSENT_ENDED
    if membership_status(membership, at) is MembershipStatus.ENDED:
        return LinkStatus.MEMBERSHIP_ENDED
    if helsinki_day(at) > link.valid_until:
        return LinkStatus.EXPIRED
    if link.bound:
        return LinkStatus.ACTIVE
    if link.locked:
        return LinkStatus.LOCKED
    return LinkStatus.WAITING
