"""Issuing, binding and ending a close person's or peer expert's link.

A worker issues a link for a person member (a ``NetworkMember`` with no organisation)
under a live consent of the client; the link names plan sections (at most the consent's)
and a last day (at most the consent's, the membership's and a year away). The worker
sees the link and a short code once and passes the code on by phone or letter. The
first browser to open the link with the right code is bound to it with a secret kept
in a signed cookie; no other browser can then use it, and too many wrong codes lock it.
The token, the code and the binding secret are made and hashed by ``app.issued_secrets``.

Nothing here decides what the person may read: every read is the access gate's
(``app.person_access.queries.read_for_person``). The link only adds limits of its own
(sections, last day, ending it by hand) on top.

Commands take a Session and primitives, flush, never commit, and say no with the
refusals below.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import case as sql_case
from sqlalchemy import literal, select, update
from sqlalchemy.orm import Session

from app.issued_secrets import (
    code_matches,
    format_code,
    hash_code,
    new_code,
    new_token,
    read_code,
    token_digest,
)
from app.models import Case, NetworkMember
from app.models.person_access import PersonAccessGrant
from app.person_access.rules import (
    CODE_ATTEMPTS,
    CODE_LENGTH,
    MAX_DAYS,
    consent_live,
    consent_sections,
)
from app.refusals import N_, Conflict, Refused
from app.transactions import execute_kept
from consent.base import UTCDateTime, utcnow
from consent.models import Consent
from consent.sections import SectionKind
from consent.status import helsinki_day, membership_active

# -- refusals -----------------------------------------------------------------------------


class CannotIssue(Conflict):
    """Raised when no link can be issued for this member on this case at all."""

    code = "cannot_issue"
    message = N_("A link can be issued only to a current member of an open case.")


class NotAPerson(CannotIssue):
    """Raised when issuing a link for a member that is an organisation or in another case."""

    code = "not_a_person"


class MembershipEnded(CannotIssue):
    """Raised when issuing a link for a member whose membership is not active today."""

    code = "membership_ended"


class CaseClosed(CannotIssue):
    """Raised when issuing a link on a closed case."""

    code = "case_closed"


class NoLiveConsent(Refused):
    """Raised when the member has no live consent to share plan sections (or not this one)."""

    code = "no_live_consent"
    field = "consent"
    message = N_("That consent is no longer in force.")


class NoSections(Refused):
    """Raised when a link would name no plan section."""

    code = "no_sections"
    field = "sections"
    message = N_("Choose only sections that the chosen consent covers.")


class SectionsNotConsented(Refused):
    """Raised when a link would name sections its consent does not name."""

    code = "sections_not_consented"
    field = "sections"
    message = N_("Choose only sections that the chosen consent covers.")


class ExpiryInPast(Refused):
    """Raised when a link's last day has already passed."""

    code = "expiry_in_past"
    field = "valid_until"
    message = N_("The last day has already passed.")


class _ExpiryLimit(Refused):
    """A link's last day is past a limit: ``last_day`` is the latest it may be."""

    field = "valid_until"

    def __init__(self, last_day: date) -> None:
        super().__init__(params={"date": last_day})
        self.last_day = last_day


class ExpiryBeyondConsent(_ExpiryLimit):
    """Raised when a link would outlast its consent."""

    code = "expiry_beyond_consent"
    message = N_("The link cannot last longer than the consent: choose %(date)s or earlier.")


class ExpiryBeyondMembership(_ExpiryLimit):
    """Raised when a link would outlast the membership's planned last day."""

    code = "expiry_beyond_membership"
    message = N_("The membership ends on %(date)s: choose that day or earlier.")


class ExpiryTooFar(_ExpiryLimit):
    """Raised when a link would last longer than ``MAX_DAYS``."""

    code = "expiry_too_far"
    message = N_("A link lasts at most a year: choose %(date)s or earlier.")


class AccessEnded(Conflict):
    """Raised when ending or binding a link that can no longer be used."""

    code = "access_ended"
    message = N_("This link had already ended.")


class AlreadyBound(Conflict):
    """Raised when a second browser tries to bind a link already bound to another one."""

    code = "already_bound"
    message = N_("This link is already in use on another device")


class LinkLocked(Conflict):
    """Raised when binding a link locked after too many wrong codes."""

    code = "link_locked"
    message = N_("This link is locked")


class WrongCode(Refused):
    """Raised when the code does not match; ``remaining`` attempts are left (0: now locked)."""

    code = "wrong_code"
    field = "code"
    # The page says how many tries are left, in the plural its language needs (ngettext).
    message = N_("The code is not right.")

    def __init__(self, remaining: int) -> None:
        super().__init__(params={"num": remaining})
        self.remaining = remaining


# -- issuing and ending -------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedAccess:
    """A new link: the token and code exist only here; the database keeps their hashes."""

    grant: PersonAccessGrant
    token: str
    code: str  # formatted for reading aloud, e.g. "ABCD-EFGH"


def issue_access(
    session: Session,
    *,
    case: Case,
    member: NetworkMember,
    consent_id: uuid.UUID,
    sections: Iterable[SectionKind],
    valid_until: date,
    issued_by_id: uuid.UUID,
    hasher: PasswordHasher,
    at: datetime | None = None,
) -> IssuedAccess:
    """Issue a link for a person member under one of their live consents.

    Any earlier link of the member that could still be used ends now: one person,
    one link at a time (a lost browser is replaced by issuing anew).

    :raises NotAPerson: when the member is an organisation or not in this case.
    :raises CaseClosed: when the case is closed.
    :raises MembershipEnded: when the membership is not active today.
    :raises NoLiveConsent: when ``consent_id`` is not a live consent to this member.
    :raises NoSections: when no section is named.
    :raises SectionsNotConsented: when a section is not named by the consent.
    :raises ExpiryInPast: when the last day has passed.
    :raises ExpiryBeyondConsent: when the link would outlast the consent.
    :raises ExpiryBeyondMembership: when it would outlast the membership's planned end.
    :raises ExpiryTooFar: when it would last more than ``MAX_DAYS``.
    """
    at = at or utcnow()
    today = helsinki_day(at)
    if member.organisation_id is not None or member.case_id != case.id:
        raise NotAPerson()
    if case.closed_at is not None:
        raise CaseClosed()
    if not membership_active(member.membership(), at):
        raise MembershipEnded()
    consent = session.get(Consent, consent_id)
    if consent is None or consent.member_id != member.id or not consent_live(consent, at):
        raise NoLiveConsent()
    wanted = frozenset(sections)
    if not wanted:
        raise NoSections()
    if not wanted <= consent_sections(consent):
        raise SectionsNotConsented()
    if valid_until < today:
        raise ExpiryInPast()
    if consent.valid_until is not None and valid_until > consent.valid_until:
        raise ExpiryBeyondConsent(consent.valid_until)
    if member.ends_on is not None and valid_until > member.ends_on:
        raise ExpiryBeyondMembership(member.ends_on)
    if valid_until > today + timedelta(days=MAX_DAYS):
        raise ExpiryTooFar(today + timedelta(days=MAX_DAYS))
    for earlier in session.scalars(
        select(PersonAccessGrant).where(
            PersonAccessGrant.member_id == member.id,
            PersonAccessGrant.ended_at.is_(None),
            PersonAccessGrant.valid_until >= today,
        )
    ):
        earlier.ended_at = at
        earlier.ended_by_id = issued_by_id
    token = new_token()
    code = new_code(CODE_LENGTH)
    grant = PersonAccessGrant(
        client_id=case.client_id,
        case_id=case.id,
        member_id=member.id,
        consent_id=consent.id,
        sections=sorted(kind.value for kind in wanted),
        valid_until=valid_until,
        token_hash=token_digest(token),
        code_hash=hash_code(hasher, code),
        failed_attempts=0,
        issued_by_id=issued_by_id,
        issued_at=at,
    )
    session.add(grant)
    session.flush()
    return IssuedAccess(grant, token, format_code(code))


def end_access(
    session: Session,
    grant: PersonAccessGrant,
    by_user_id: uuid.UUID | None,
    *,
    at: datetime | None = None,
) -> None:
    """End a link now (the worker's or the client's action): the very next use is refused.

    The caller has checked that the actor may: a worker on the client's case, or the
    client whose link it is (``grant.client_id``).

    :raises AccessEnded: when it had already been ended.
    """
    if grant.ended_at is not None:
        raise AccessEnded()
    grant.ended_at = at or utcnow()
    grant.ended_by_id = by_user_id
    session.flush()


# -- using a link -------------------------------------------------------------------------


def bind(
    session: Session,
    grant: PersonAccessGrant,
    code: str,
    *,
    hasher: PasswordHasher,
    at: datetime | None = None,
) -> str:
    """Bind an unbound link to the browser that gave the right code; return its secret.

    Counting and binding are single conditional UPDATEs, so parallel guesses cannot
    outrun the lock and two browsers cannot both bind.

    :raises AlreadyBound: when the link is bound already (to whichever browser).
    :raises LinkLocked: when too many wrong codes have locked it.
    :raises WrongCode: when the code is wrong (the attempt counts, although refused).
    """
    at = at or utcnow()
    if grant.binding_hash is not None:
        raise AlreadyBound()
    if grant.locked_at is not None:
        raise LinkLocked()
    unbound = (
        PersonAccessGrant.id == grant.id,
        PersonAccessGrant.binding_hash.is_(None),
        PersonAccessGrant.locked_at.is_(None),
    )
    if not code_matches(hasher, grant.code_hash, read_code(code, CODE_LENGTH)):
        counted = CODE_ATTEMPTS.after_failure(PersonAccessGrant.failed_attempts)
        execute_kept(
            session,
            update(PersonAccessGrant)
            .where(*unbound)
            .values(
                failed_attempts=counted.failures,
                # Still NULL unless this attempt reaches the limit.
                locked_at=sql_case((counted.locks, literal(at, UTCDateTime())), else_=None),
            )
            .execution_options(synchronize_session=False),
        )
        session.refresh(grant)
        if grant.binding_hash is not None:
            raise AlreadyBound()
        raise WrongCode(CODE_ATTEMPTS.remaining(grant.failed_attempts))
    secret = new_token()
    result = session.execute(
        update(PersonAccessGrant)
        .where(*unbound)
        .values(binding_hash=token_digest(secret), bound_at=at)
        .execution_options(synchronize_session=False)
    )
    bound = getattr(result, "rowcount", 0) == 1
    session.refresh(grant)
    if not bound:
        raise LinkLocked() if grant.locked_at is not None else AlreadyBound()
    return secret


def mark_used(grant: PersonAccessGrant, at: datetime | None = None) -> None:
    grant.last_used_at = at or utcnow()
