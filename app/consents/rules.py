"""The pure rules of consents: who may be given one, how a change may go, period templates.

No database, no clock, no Flask: the commands (``app/consents/commands.py``) gather the
facts and raise the refusals built here, and the pages call the same rules to decide what
they offer, so a page, the portal and the API cannot drift apart. Rules speak in codes
(``Code`` members whose English message the edge translates).

Who may be given a consent: a member of this client's network whose membership has not
ended (the client, giving one themselves, only an active member) and who is an authority
or has a recorded confidentiality commitment. A worker records a consent the client gave
in writing or orally under a published information text; the client gives one
electronically, from today, to let the member see their information, after reading the
current text.

Period templates bind a consent to the client's release timeline: inside → release day →
the first 90 days → the end of supervised probationary liberty (valvottu koevapaus); each
turns the client's own CURRENT dates into a ``valid_from``/``valid_until`` pair. "Release"
is the day the client leaves prison (``consent.status.release_day``: probationary liberty's
start when it comes first), the date every page shows. A consent whose period a template
gave remembers the template (``derived_template``); when the dates change, such a consent
that no longer matches its template's period (``follows_timeline``) is listed for the
worker and the client to re-confirm — its own period never changes by itself. All dates are
Europe/Helsinki calendar days, inclusive at both ends. A consent cannot reach into the
past, so a period starts no earlier than today; a template whose date is unknown, or whose
period is already over, is offered disabled with the reason.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.refusals import N_, Code, Refused
from consent.facts import Actor, Direction, Purpose
from consent.models import GivenHow
from consent.sections import SectionKind
from consent.status import MembershipStatus, helsinki_day


def consent_purpose(actor: Actor) -> Purpose:
    """Why an actor handles consent data: the client acts on their own, a worker does case work."""
    return Purpose.OWN_DATA if actor.client_id is not None else Purpose.CASE_WORK


def by_client(actor: Actor) -> bool:
    """Whether the client acts on their own consent (in the portal or with their API token)."""
    return actor.client_id is not None


# -- who may be given a consent ------------------------------------------------------------------


class GrantCode(Code):
    """Why a consent cannot be given or recorded as asked (the field it concerns is the key)."""

    NOT_IN_NETWORK = "member_not_in_network", N_("Choose a member of this client's network.")
    NOT_OFFERED = "member_not_offered", N_("Choose someone from the list.")  # the client's words
    NO_COMMITMENT = (
        "no_confidentiality_commitment",
        N_(
            "%(name)s is not an authority and has no recorded confidentiality "
            "commitment. Record the commitment in the network first; until then "
            "nothing can be shared with them."
        ),
    )
    WRITTEN_OR_ORAL = (
        "recorded_written_or_oral",
        N_("Say how the client gave consent: written or oral."),
    )
    ELECTRONIC = "own_consent_electronic", N_("A consent you give yourself is electronic.")
    UNKNOWN_TEXT = (
        "unknown_information_text",
        N_("Unknown version of the information text; reload the page."),
    )
    TEXT_UPDATED = (
        "information_text_updated",
        N_("The information text has been updated. Please read it again."),
    )
    DISCLOSES = (
        "own_consent_discloses",
        N_("A consent you give lets the member see your information."),
    )
    STARTS_TODAY = "own_consent_starts_today", N_("A consent you give starts today.")


@dataclass(frozen=True)
class Grantee:
    """A member of this client's network as the grant rules see it."""

    status: MembershipStatus
    commitment_missing: bool  # not an authority, and no recorded confidentiality commitment


def grantee_refusal(grantee: Grantee | None, *, client: bool) -> GrantCode | None:
    """Why this member (None: not in this client's network) cannot be given a consent now.

    NGOs, peer experts and close persons are not bound by official secrecy: nothing is
    shared with them before they commit to confidentiality. The client chooses among the
    members who may receive information now; a worker may record a consent for a member
    who starts later.
    """
    if client:
        if grantee is None or grantee.status is not MembershipStatus.ACTIVE:
            return GrantCode.NOT_OFFERED
        return GrantCode.NOT_OFFERED if grantee.commitment_missing else None
    if grantee is None or grantee.status is MembershipStatus.ENDED:
        return GrantCode.NOT_IN_NETWORK
    return GrantCode.NO_COMMITMENT if grantee.commitment_missing else None


def offered(grantee: Grantee, *, client: bool) -> bool:
    """Whether a consent page lists this member as a choice: the client sees only those who
    may receive information now; a worker also sees those who lack a commitment (marked),
    to be told why on choosing one."""
    refusal = grantee_refusal(grantee, client=client)
    return refusal is None or (not client and refusal is GrantCode.NO_COMMITMENT)


def grant_codes(
    grantee: Grantee | None,
    *,
    client: bool,
    given_how: GivenHow,
    information_text_version: str,
    current_version: str,
    version_published: bool,
    direction: Direction | None = None,
    valid_from: date | None = None,
    today: date | None = None,
) -> dict[str, GrantCode]:
    """Every reason, by field, why this consent cannot be given (or recorded) now.

    ``current_version`` is the information text in force for the case's county and
    ``version_published`` whether ``information_text_version`` is published for it
    (``app.information_texts.queries``): the client gives one under the text in force, a
    worker records one under the published text the client was shown.

    ``direction`` and ``valid_from`` are checked for a new consent (an amendment keeps
    the old consent's).
    """
    codes: dict[str, GrantCode] = {}
    if refusal := grantee_refusal(grantee, client=client):
        codes["member_id"] = refusal
    if client:
        if given_how is not GivenHow.ELECTRONIC:
            codes["given_how"] = GrantCode.ELECTRONIC
        if direction is not None and direction is not Direction.DISCLOSE:
            codes["direction"] = GrantCode.DISCLOSES
        if valid_from is not None and valid_from != today:
            codes["valid_from"] = GrantCode.STARTS_TODAY
        if information_text_version != current_version:
            codes["information_text_version"] = GrantCode.TEXT_UPDATED
    else:
        if given_how not in (GivenHow.WRITTEN, GivenHow.ORAL):
            codes["given_how"] = GrantCode.WRITTEN_OR_ORAL
        if not version_published:
            codes["information_text_version"] = GrantCode.UNKNOWN_TEXT
    return codes


# -- narrowing and extending ---------------------------------------------------------------------


class Change(enum.StrEnum):
    """The client's two ways to change a consent; amending replaces it with a new one."""

    NARROW = "narrow"  # fewer sections or an earlier last day
    EXTEND = "extend"  # more sections or a later last day


class ChangeCode(Code):
    """Why a change does not go the way the client chose ("" is the change as a whole)."""

    BEFORE_FIRST_DAY = (
        "ends_before_first_day",
        N_("The last day cannot be before the first day, %(day)s."),
    )
    NARROW_ADDS = "narrowing_adds", N_("To add parts, choose “Share more or for longer” instead.")
    NARROW_LONGER = (
        "narrowing_lengthens",
        N_(
            "To share for longer, choose “Share more or for longer” instead. "
            "The last day now is %(day)s."
        ),
    )
    NARROW_SAME = (
        "narrowing_changes_nothing",
        N_("Nothing would change. Remove a part or choose an earlier last day."),
    )
    EXTEND_REMOVES = "extending_removes", N_("To remove parts, choose “Share less” instead.")
    EXTEND_SETS_END = (
        "extending_sets_an_end",
        N_("This consent has no last day now. To set one, choose “Share less” instead."),
    )
    EXTEND_SHORTER = (
        "extending_shortens",
        N_("To end sooner, choose “Share less” instead. The last day now is %(day)s."),
    )
    EXTEND_SAME = (
        "extending_changes_nothing",
        N_("Nothing would change. Add a part or choose a later last day."),
    )


def change_refusal(
    change: Change,
    *,
    sections: Collection[SectionKind],
    valid_from: date,
    valid_until: date | None,
    new_sections: Collection[SectionKind],
    new_until: date | None,
) -> Refused | None:
    """Why the new terms are not the change chosen: narrowing only removes, extending only
    adds, and something must change. ``%(day)s`` in a message is a calendar day."""
    new, old = set(new_sections), set(sections)
    codes: dict[str, ChangeCode] = {}
    day: date | None = None
    if new_until is not None and new_until < valid_from:
        codes["valid_until"], day = ChangeCode.BEFORE_FIRST_DAY, valid_from
    if change is Change.NARROW:
        if not new <= old:
            codes["sections"] = ChangeCode.NARROW_ADDS
        if valid_until is not None and (new_until is None or new_until > valid_until):
            codes["valid_until"], day = ChangeCode.NARROW_LONGER, valid_until
        if not codes and new == old and new_until == valid_until:
            codes[""] = ChangeCode.NARROW_SAME
    else:
        if not new >= old:
            codes["sections"] = ChangeCode.EXTEND_REMOVES
        if valid_until is None and new_until is not None:
            codes["valid_until"] = ChangeCode.EXTEND_SETS_END
        elif valid_until is not None and new_until is not None and new_until < valid_until:
            codes["valid_until"], day = ChangeCode.EXTEND_SHORTER, valid_until
        if not codes and new == old and new_until == valid_until:
            codes[""] = ChangeCode.EXTEND_SAME
    if not codes:
        return None
    return Refused(errors=dict(codes), params={"day": day} if day else None)


# -- statutory disclosures -----------------------------------------------------------------------


class DisclosureCode(Code):
    """Why a statutory disclosure cannot be recorded as asked."""

    NOT_AN_AUTHORITY_IN_NETWORK = (
        "recipient_not_an_authority_in_network",
        N_("Choose a member of this client's network."),
    )
    NO_SECTIONS = "no_sections", N_("Choose at least one section of the plan.")
    NO_PROVISION = "no_provision", N_("Name the provision.")
    NO_JUSTIFICATION = "no_justification", N_("Write the justification.")
    ENDS_BEFORE_START = "ends_before_start", N_("The last day cannot be before the first day.")


def discloses_to(status: MembershipStatus, *, is_authority: bool) -> bool:
    """Whether a member may receive a disclosure without consent: an authority (bound by
    official secrecy) whose membership has not ended."""
    return is_authority and status is not MembershipStatus.ENDED


def disclosure_codes(
    recipient: MembershipStatus | None,
    *,
    is_authority: bool,
    sections: Collection[SectionKind],
    provision: str,
    justification: str,
    valid_from: date,
    valid_until: date | None,
) -> dict[str, DisclosureCode]:
    """Every reason, by field, why this disclosure cannot be recorded: only to an authority
    whose membership has not ended, naming sections, a provision and a justification."""
    codes: dict[str, DisclosureCode] = {}
    if recipient is None or not discloses_to(recipient, is_authority=is_authority):
        codes["member_id"] = DisclosureCode.NOT_AN_AUTHORITY_IN_NETWORK
    if not sections:
        codes["sections"] = DisclosureCode.NO_SECTIONS
    if not provision.strip():
        codes["provision"] = DisclosureCode.NO_PROVISION
    if not justification.strip():
        codes["justification"] = DisclosureCode.NO_JUSTIFICATION
    if valid_until is not None and valid_until < valid_from:
        codes["valid_until"] = DisclosureCode.ENDS_BEFORE_START
    return codes


# -- period templates ----------------------------------------------------------------------------


RELEASE_DAY_MARGIN = 7  # days either side of the release day
FIRST_DAYS_AFTER_RELEASE = 90


class PeriodTemplate(enum.StrEnum):
    """The release-timeline templates, in timeline order."""

    IN_PRISON = "in_prison"  # from today to the day before the release day
    RELEASE_DAY = "release_day"  # release day ± RELEASE_DAY_MARGIN days
    FIRST_90_DAYS = "first_90_days"  # release day to release + 89 days
    PROBATIONARY_LIBERTY = "probationary_liberty"  # until supervised probationary liberty ends


class Unavailable(enum.StrEnum):
    """Why a template cannot be used for this client now."""

    NO_RELEASE_DATE = "no_release_date"
    NO_PROBATION_END = "no_probation_end"
    PERIOD_OVER = "period_over"  # the whole period lies before today


@dataclass(frozen=True)
class Timeline:
    """The client's dates a template reads; ``today`` is the Helsinki calendar day and
    ``release_day`` the day the client leaves prison (``Case.release_day``)."""

    today: date
    release_day: date | None = None
    probation_end: date | None = None

    @classmethod
    def at(cls, now: datetime, release_day: date | None, probation_end: date | None) -> Timeline:
        """The timeline as seen at the instant ``now`` (aware), on the Finnish calendar."""
        return cls(helsinki_day(now), release_day, probation_end)


@dataclass(frozen=True)
class TemplatePeriod:
    """A template's period for one client, or why it is not available."""

    template: PeriodTemplate
    valid_from: date | None
    valid_until: date | None
    unavailable: Unavailable | None = None

    @property
    def available(self) -> bool:
        return self.unavailable is None


def period(template: PeriodTemplate, timeline: Timeline) -> TemplatePeriod:
    """The period ``template`` gives for this timeline (from today at the earliest)."""
    release = timeline.release_day
    if template is PeriodTemplate.PROBATIONARY_LIBERTY:
        if timeline.probation_end is None:
            return TemplatePeriod(template, None, None, Unavailable.NO_PROBATION_END)
        return _from_today(template, timeline.today, timeline.today, timeline.probation_end)
    if release is None:
        return TemplatePeriod(template, None, None, Unavailable.NO_RELEASE_DATE)
    if template is PeriodTemplate.IN_PRISON:
        start, end = timeline.today, release - timedelta(days=1)
    elif template is PeriodTemplate.RELEASE_DAY:
        margin = timedelta(days=RELEASE_DAY_MARGIN)
        start, end = release - margin, release + margin
    else:
        start, end = release, release + timedelta(days=FIRST_DAYS_AFTER_RELEASE - 1)
    return _from_today(template, timeline.today, start, end)


def periods(timeline: Timeline) -> list[TemplatePeriod]:
    """Every template's period for this timeline, in timeline order."""
    return [period(template, timeline) for template in PeriodTemplate]


def _from_today(template: PeriodTemplate, today: date, start: date, end: date) -> TemplatePeriod:
    if end < today:
        return TemplatePeriod(template, None, None, Unavailable.PERIOD_OVER)
    return TemplatePeriod(template, max(start, today), end)


def derived_template(
    valid_from: date, valid_until: date | None, timeline: Timeline
) -> PeriodTemplate | None:
    """The template whose period for this timeline is exactly this one, if any: a consent
    given with it follows the release timeline (the first in timeline order wins)."""
    for found in periods(timeline):
        if found.available and (found.valid_from, found.valid_until) == (valid_from, valid_until):
            return found.template
    return None


def follows_timeline(
    template: PeriodTemplate, valid_from: date, valid_until: date | None, timeline: Timeline
) -> bool:
    """Whether a consent's period is still what ``template`` gives for the current dates.

    A period that has begun is compared from today (the template starts no earlier), so a
    consent does not fall out of step merely because days pass; a moved release day or
    probationary liberty's end makes it differ.
    """
    current = period(template, timeline)
    if not current.available or current.valid_until != valid_until:
        return False
    return current.valid_from == max(valid_from, timeline.today)
