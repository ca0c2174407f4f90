"""Access for close persons and peer experts without an account: one-time links bound to a browser.

A worker issues a link for a person member (a ``NetworkMember`` with no organisation)
under a live consent of the client; the link names plan sections (at most the consent's)
and a last day (at most the consent's, the membership's and a year away). The worker
sees the link and a short code once and passes the code on by phone or letter. The
first browser to open the link with the right code is bound to it with a secret kept
in a signed cookie; no other browser can then use it, and too many wrong codes lock it.

Nothing here decides what the person may read: every read is the access gate's, as
``Actor(ActorRole.PERSON, member_id=...)`` for ``Purpose.NETWORK_COOPERATION``, opened
only through the key seals made to the member's own grantee key, and logged. The link
only adds limits of its own (sections, last day, ending it by hand) on top.

Functions take a Session and primitives, flush, and never commit.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from math import ceil

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case as sql_case
from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session, aliased

from app.models import (
    Case,
    Client,
    ClientPlan,
    NetworkMember,
    PlanSection,
    PlanSectionVersion,
    User,
)
from app.models.person_access import PersonAccessGrant
from app.services.fields import sealed
from consent.base import UTCDateTime, utcnow
from consent.decision import Actor, ActorRole, Direction, Purpose, helsinki_day
from consent.models import Consent
from consent.sections import DataScope, SectionKind
from consent.status import membership_active
from sharing.gate import AccessGate

TOKEN_BYTES = 32  # 256 bits: the link cannot be guessed
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no I, L, O, 0 or 1: read aloud safely
CODE_LENGTH = 8
MAX_ATTEMPTS = 5  # wrong codes before the link locks for good
MAX_DAYS = 365  # browsers keep a cookie about 400 days at most: the binding must outlive the link
PAGE_SIZE = 20
PURPOSE = Purpose.NETWORK_COOPERATION


class PersonAccessError(Exception):
    """Raised when a person's access link cannot be issued, bound or ended as asked."""


class NotAPerson(PersonAccessError):
    """Raised when issuing a link for a member that is an organisation or in another case."""


class MembershipEnded(PersonAccessError):
    """Raised when issuing a link for a member whose membership is not active today."""


class CaseClosed(PersonAccessError):
    """Raised when issuing a link on a closed case."""


class NoLiveConsent(PersonAccessError):
    """Raised when the member has no live consent to share plan sections (or not this one)."""


class NoSections(PersonAccessError):
    """Raised when a link would name no plan section."""


class SectionsNotConsented(PersonAccessError):
    """Raised when a link would name sections its consent does not name."""


class ExpiryInPast(PersonAccessError):
    """Raised when a link's last day has already passed."""


class ExpiryBeyondConsent(PersonAccessError):
    """Raised when a link would outlast its consent."""

    def __init__(self, last_day: date) -> None:
        super().__init__(last_day)
        self.last_day = last_day


class ExpiryBeyondMembership(PersonAccessError):
    """Raised when a link would outlast the membership's planned last day."""

    def __init__(self, last_day: date) -> None:
        super().__init__(last_day)
        self.last_day = last_day


class ExpiryTooFar(PersonAccessError):
    """Raised when a link would last longer than ``MAX_DAYS``."""

    def __init__(self, last_day: date) -> None:
        super().__init__(last_day)
        self.last_day = last_day


class AccessEnded(PersonAccessError):
    """Raised when ending or binding a link that can no longer be used."""


class AlreadyBound(PersonAccessError):
    """Raised when a second browser tries to bind a link already bound to another one."""


class LinkLocked(PersonAccessError):
    """Raised when binding a link locked after too many wrong codes."""


class WrongCode(PersonAccessError):
    """Raised when the code does not match; ``remaining`` attempts are left (0: now locked)."""

    def __init__(self, remaining: int) -> None:
        super().__init__(remaining)
        self.remaining = remaining


class AccessStatus(enum.StrEnum):
    WAITING = "waiting"  # issued; not yet opened with its code
    ACTIVE = "active"  # bound to one browser
    LOCKED = "locked"  # too many wrong codes before it was bound
    EXPIRED = "expired"  # past its last day
    ENDED = "ended"  # ended by the worker or the client
    CONSENT_ENDED = "consent_ended"  # its consent was revoked, amended or ran out
    MEMBERSHIP_ENDED = "membership_ended"

    @property
    def usable(self) -> bool:
        return self in (AccessStatus.WAITING, AccessStatus.ACTIVE)


@dataclass(frozen=True)
class IssuedAccess:
    """A new link: the token and code exist only here; the database keeps their hashes."""

    grant: PersonAccessGrant
    token: str
    code: str  # formatted for reading aloud, e.g. "ABCD-EFGH"


# -- hashing and codes --------------------------------------------------------------------


def hash_secret(secret: str) -> str:
    """SHA-256 (hex) of a high-entropy secret: a link token or a browser binding."""
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_code(text: str) -> str:
    """The code as typed, without spaces or dashes, in capitals."""
    return "".join(ch for ch in text.upper() if not ch.isspace() and ch not in "-–")


def format_code(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _code_matches(hasher: PasswordHasher, code_hash: str, code: str) -> bool:
    try:
        return bool(hasher.verify(code_hash, normalise_code(code)))
    except (VerificationError, InvalidHashError):
        return False


# -- status -------------------------------------------------------------------------------


def sections_of(grant: PersonAccessGrant) -> frozenset[SectionKind]:
    return frozenset(SectionKind(s) for s in grant.sections)


def consent_sections(consent: Consent) -> frozenset[SectionKind]:
    return frozenset(SectionKind(s) for s in consent.sections)


def consent_live(consent: Consent, at: datetime) -> bool:
    """Whether a consent lets the county disclose to its member at ``at`` (its own terms)."""
    day = helsinki_day(at)
    return (
        consent.direction is Direction.DISCLOSE
        and consent.purpose is PURPOSE
        and (consent.ended_at is None or at < consent.ended_at)
        and consent.valid_from <= day
        and (consent.valid_until is None or day <= consent.valid_until)
    )


def member_active(member: NetworkMember, at: datetime) -> bool:
    """Whether the membership is active at ``at``, by the decision's own rule."""
    return membership_active(member.membership(), at)


def grant_status(
    grant: PersonAccessGrant, consent: Consent, member: NetworkMember, at: datetime
) -> AccessStatus:
    """Where a link stands at ``at``: ended ones first, by what ended them."""
    if grant.ended_at is not None and grant.ended_at <= at:
        return AccessStatus.ENDED
    if not consent_live(consent, at):
        return AccessStatus.CONSENT_ENDED
    if member.ended_at is not None or (
        member.ends_on is not None and member.ends_on < helsinki_day(at)
    ):
        return AccessStatus.MEMBERSHIP_ENDED
    if helsinki_day(at) > grant.valid_until:
        return AccessStatus.EXPIRED
    if grant.binding_hash is not None:
        return AccessStatus.ACTIVE
    if grant.locked_at is not None:
        return AccessStatus.LOCKED
    return AccessStatus.WAITING


def shown_sections(grant: PersonAccessGrant, consent: Consent) -> list[SectionKind]:
    """The sections a link shows: those it names that its consent still names, in plan order."""
    allowed = sections_of(grant) & consent_sections(consent)
    return [kind for kind in SectionKind if kind in allowed]


# -- issuing and ending -------------------------------------------------------------------


def live_consents(session: Session, member_id: uuid.UUID, at: datetime) -> list[Consent]:
    """The member's consents under which a link may be issued now (one query)."""
    rows = session.scalars(
        select(Consent)
        .where(Consent.member_id == member_id, Consent.ended_at.is_(None))
        .order_by(Consent.recorded_at, Consent.id)
    ).all()
    return [consent for consent in rows if consent_live(consent, at)]


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
        raise NotAPerson(member.id)
    if case.closed_at is not None:
        raise CaseClosed(case.id)
    if not member_active(member, at):
        raise MembershipEnded(member.id)
    consent = session.get(Consent, consent_id)
    if consent is None or consent.member_id != member.id or not consent_live(consent, at):
        raise NoLiveConsent(member.id)
    wanted = frozenset(sections)
    if not wanted:
        raise NoSections(member.id)
    if not wanted <= consent_sections(consent):
        raise SectionsNotConsented(sorted(wanted - consent_sections(consent)))
    if valid_until < today:
        raise ExpiryInPast(valid_until)
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
    token = secrets.token_urlsafe(TOKEN_BYTES)
    code = _new_code()
    grant = PersonAccessGrant(
        client_id=case.client_id,
        case_id=case.id,
        member_id=member.id,
        consent_id=consent.id,
        sections=sorted(kind.value for kind in wanted),
        valid_until=valid_until,
        token_hash=hash_secret(token),
        code_hash=hasher.hash(code),
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
        raise AccessEnded(grant.id)
    grant.ended_at = at or utcnow()
    grant.ended_by_id = by_user_id
    session.flush()


# -- using a link -------------------------------------------------------------------------


def find_by_token(session: Session, token: str) -> PersonAccessGrant | None:
    """The link a token opens, if any (by the token's hash)."""
    if not token or len(token) > 200:
        return None
    return session.scalar(
        select(PersonAccessGrant).where(PersonAccessGrant.token_hash == hash_secret(token))
    )


def load_terms(session: Session, grant: PersonAccessGrant) -> tuple[Consent, NetworkMember]:
    """The consent and membership a link depends on (one query)."""
    consent, member = session.execute(
        select(Consent, NetworkMember)
        .join(NetworkMember, NetworkMember.id == Consent.member_id)
        .where(Consent.id == grant.consent_id)
    ).one()
    return consent, member


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
    :raises WrongCode: when the code is wrong (the attempt is counted; flush and commit it).
    """
    at = at or utcnow()
    if grant.binding_hash is not None:
        raise AlreadyBound(grant.id)
    if grant.locked_at is not None:
        raise LinkLocked(grant.id)
    unbound = (
        PersonAccessGrant.id == grant.id,
        PersonAccessGrant.binding_hash.is_(None),
        PersonAccessGrant.locked_at.is_(None),
    )
    if not _code_matches(hasher, grant.code_hash, code):
        attempts = PersonAccessGrant.failed_attempts + 1
        session.execute(
            update(PersonAccessGrant)
            .where(*unbound)
            .values(
                failed_attempts=attempts,
                # Still NULL unless this attempt reaches the limit.
                locked_at=sql_case(
                    (attempts >= MAX_ATTEMPTS, literal(at, UTCDateTime())), else_=None
                ),
            )
            .execution_options(synchronize_session=False)
        )
        session.refresh(grant)
        if grant.binding_hash is not None:
            raise AlreadyBound(grant.id)
        raise WrongCode(max(0, MAX_ATTEMPTS - grant.failed_attempts))
    secret = secrets.token_urlsafe(TOKEN_BYTES)
    result = session.execute(
        update(PersonAccessGrant)
        .where(*unbound)
        .values(binding_hash=hash_secret(secret), bound_at=at)
        .execution_options(synchronize_session=False)
    )
    bound = getattr(result, "rowcount", 0) == 1
    session.refresh(grant)
    if not bound:
        raise LinkLocked(grant.id) if grant.locked_at is not None else AlreadyBound(grant.id)
    return secret


def binding_matches(grant: PersonAccessGrant, secret: str | None) -> bool:
    """Whether a browser's secret is the one this link was bound to (constant time)."""
    if grant.binding_hash is None or not secret:
        return False
    return hmac.compare_digest(grant.binding_hash, hash_secret(secret))


def person_actor(grant: PersonAccessGrant) -> Actor:
    """Who reads through a link: the person member, a grantee with its own key."""
    return Actor(ActorRole.PERSON, member_id=grant.member_id)


@dataclass(frozen=True)
class ContentPart:
    key: str  # goals, measures, client_view, worker_view
    paragraphs: list[str]


@dataclass(frozen=True)
class PersonSection:
    kind: SectionKind
    updated_at: datetime | None
    parts: list[ContentPart] = field(default_factory=list)


@dataclass(frozen=True)
class PersonView:
    """What a person sees: the client's first name and the sections the link shows."""

    first_name: str
    valid_until: date
    sections: list[PersonSection]


CONTENT_KEYS = ("goals", "measures", "client_view", "worker_view")


def read_for_person(
    session: Session, gate: AccessGate, grant: PersonAccessGrant, consent: Consent
) -> PersonView:
    """Read the client's name and the link's sections through the gate, as the person.

    One gate call (one decision and one log entry per scope, each naming the member),
    opened only through the member's own key seals; a fixed number of queries.

    :raises AccessDenied: when the gate refuses any of it (the refusal is logged).
    """
    kinds = shown_sections(grant, consent)
    client = session.get(Client, grant.client_id)
    if client is None:
        raise AccessEnded(grant.id)
    versions = (
        session.execute(
            select(PlanSection.kind, PlanSectionVersion)
            .join(ClientPlan, ClientPlan.id == PlanSection.plan_id)
            .join(
                PlanSectionVersion,
                (PlanSectionVersion.section_id == PlanSection.id)
                & (PlanSectionVersion.version == PlanSection.current_version),
            )
            .where(ClientPlan.case_id == grant.case_id, PlanSection.kind.in_(kinds))
        ).all()
        if kinds
        else []
    )
    by_kind = {kind: version for kind, version in versions}
    refs = [sealed(client, "name_ct", DataScope.NAME)]
    refs += [sealed(by_kind[k], "content_ct", k) for k in kinds if k in by_kind]
    texts = gate.read_texts(person_actor(grant), refs, purpose=PURPOSE)
    name, contents = texts[0] or "", iter(texts[1:])
    sections = []
    for kind in kinds:
        version = by_kind.get(kind)
        if version is None:
            sections.append(PersonSection(kind, None))
            continue
        sections.append(PersonSection(kind, version.created_at, content_parts(next(contents))))
    first = name.split()[0] if name.split() else ""
    return PersonView(first, grant.valid_until, sections)


def content_parts(text: str | None) -> list[ContentPart]:
    """The readable parts of a section's content; unknown keys and shapes are left out.

    The content is JSON (``{"goals": ..., "measures": ..., ...}``); a value may be a
    string, a list of strings, or objects with a ``text``. Plain text is one part.
    """
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError:
        return [ContentPart("text", [text])]
    if isinstance(data, str):
        return [ContentPart("text", [data])] if data.strip() else []
    if not isinstance(data, dict):
        return []
    parts = []
    for key in CONTENT_KEYS:
        paragraphs = _paragraphs(data.get(key))
        if paragraphs:
            parts.append(ContentPart(key, paragraphs))
    return parts


def _paragraphs(value: object) -> list[str]:
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        return [p for item in value for p in _paragraphs(item)]
    if isinstance(value, dict):
        return _paragraphs(value.get("text"))
    return []


def mark_used(grant: PersonAccessGrant, at: datetime | None = None) -> None:
    grant.last_used_at = at or utcnow()


# -- lists --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantRow:
    grant: PersonAccessGrant
    status: AccessStatus
    issued_by: User | None
    ended_by: User | None

    @property
    def sections(self) -> list[SectionKind]:
        chosen = sections_of(self.grant)
        return [kind for kind in SectionKind if kind in chosen]


@dataclass(frozen=True)
class GrantPage:
    rows: list[GrantRow]
    page: int
    pages: int
    total: int


def grants_page(
    session: Session,
    member: NetworkMember,
    *,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    at: datetime | None = None,
) -> GrantPage:
    """One page of a member's links, newest first, with their status (two queries)."""
    at = at or utcnow()
    condition = PersonAccessGrant.member_id == member.id
    total = session.scalar(select(func.count(PersonAccessGrant.id)).where(condition)) or 0
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
    issuer, ender = aliased(User), aliased(User)
    result = session.execute(
        select(PersonAccessGrant, Consent, issuer, ender)
        .join(Consent, Consent.id == PersonAccessGrant.consent_id)
        .outerjoin(issuer, issuer.id == PersonAccessGrant.issued_by_id)
        .outerjoin(ender, ender.id == PersonAccessGrant.ended_by_id)
        .where(condition)
        .order_by(PersonAccessGrant.issued_at.desc(), PersonAccessGrant.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    rows = [
        GrantRow(grant, grant_status(grant, consent, member, at), by, end_by)
        for grant, consent, by, end_by in result
    ]
    return GrantPage(rows, page, pages, total)


@dataclass(frozen=True)
class ClientGrantRow:
    grant: PersonAccessGrant
    status: AccessStatus
    member: NetworkMember


def grants_for_client(
    session: Session, client_id: uuid.UUID, *, at: datetime | None = None
) -> list[ClientGrantRow]:
    """Every link issued about a client, newest first, with its member (one query).

    For the client's own pages: which person can see what, until when, and a way to
    end it (``end_access``). The member's name is read through the gate by the caller.
    """
    at = at or utcnow()
    result = session.execute(
        select(PersonAccessGrant, Consent, NetworkMember)
        .join(Consent, Consent.id == PersonAccessGrant.consent_id)
        .join(NetworkMember, NetworkMember.id == PersonAccessGrant.member_id)
        .where(PersonAccessGrant.client_id == client_id)
        .order_by(PersonAccessGrant.issued_at.desc(), PersonAccessGrant.id)
    )
    return [
        ClientGrantRow(grant, grant_status(grant, consent, member, at), member)
        for grant, consent, member in result
    ]
