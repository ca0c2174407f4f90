"""Read models of the log review: a page of the access log, and who could see what when.

``review_page`` reads one page of matching entries through ``sharing.access_log.search``
(newest first; a county's reviewer sees only entries about clients whose case is in their
county) and the users and organisations they name: three statements whatever the page
holds. ``as_of`` reconstructs, for one client and one past instant, which network members
could read which sections on which basis (``app.log_review.rules.who_could_read``) and sets
the client's log entries of that Helsinki day beside it, each with its verdict: the case's
facts (``app.cases.facts.load_case_contexts``) and the consents' events (the consents are
rebuilt from them as they stood), the members' kinds and organisations, and the day's
entries, in a fixed number of statements.

Neither opens client content: no names of clients or persons, only ids, kinds, organisations
and the log's own fields. The reading itself is entered in the log by
``app.log_review.commands.note_review``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from app.cases.facts import load_case_contexts
from app.log_review.rules import (
    LOG_SCOPE,
    Flag,
    FlagRules,
    LoggedAccess,
    MemberAccess,
    ScannedEntry,
    Verdict,
    flags,
    verdict,
    who_could_read,
)
from app.models import Case, NetworkMember, Organisation, User
from app.models.log_review import FlagKind, FlagReview
from app.models.network import MemberKind
from consent.models import ConsentEvent
from consent.status import helsinki_day, helsinki_midnight
from sharing import access_log
from sharing.access_log import AccessLogEntry, Search

DAY_ENTRIES = 200
"""The most entries of the day asked about that ``as_of`` sets beside the reconstruction."""


def county_clients(county_id: uuid.UUID) -> Select[uuid.UUID]:
    """The clients with a case in the county (what a county's reviewer may look into)."""
    return select(Case.client_id).where(Case.county_id == county_id)


def client_in_scope(session: Session, client_id: uuid.UUID, county_id: uuid.UUID | None) -> bool:
    """Whether a reviewer of ``county_id`` (None: the whole service) may look into the client:
    a case of theirs there (anywhere, for the service's reviewer). One statement."""
    query = select(Case.id).where(Case.client_id == client_id)
    if county_id is not None:
        query = query.where(Case.county_id == county_id)
    return bool(session.scalar(select(exists(query))))


@dataclass(frozen=True)
class ReviewPage:
    """One page of the log as the reviewer searched it, and whom its entries name."""

    entries: list[AccessLogEntry]
    users: dict[uuid.UUID, User]
    organisations: dict[uuid.UUID, Organisation]
    page: int
    has_next: bool


def review_page(
    session: Session,
    criteria: Search,
    *,
    county_id: uuid.UUID | None,
    page: int = 1,
    per_page: int = 50,
) -> ReviewPage:
    """One page of entries matching ``criteria`` within the reviewer's county (three
    statements: the entries, their users, their organisations).

    :raises ValueError: when ``page`` or ``per_page`` is below 1.
    """
    if page < 1 or per_page < 1:
        raise ValueError("page and per_page must be at least 1")
    if county_id is not None:
        criteria = replace(criteria, clients=county_clients(county_id))
    if criteria.scope is None:
        # The review's own entries only when asked for: paging on would otherwise meet the
        # entries the earlier pages themselves added.
        criteria = replace(criteria, other_than=LOG_SCOPE)
    found = access_log.search(session, criteria, limit=per_page + 1, offset=(page - 1) * per_page)
    entries = found[:per_page]
    return ReviewPage(
        entries,
        _users(session, {u for e in entries for u in (e.actor_user_id, e.assisted_by_user_id)}),
        _organisations(session, {e.organisation_id for e in entries}),
        page,
        len(found) > per_page,
    )


def _users(session: Session, ids: set[uuid.UUID | None]) -> dict[uuid.UUID, User]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))}


def _organisations(session: Session, ids: set[uuid.UUID | None]) -> dict[uuid.UUID, Organisation]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {
        o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(wanted)))
    }


@dataclass(frozen=True)
class MemberRow:
    """A member who could read something then, as the page names them."""

    access: MemberAccess
    kind: MemberKind | None
    organisation: str | None  # None: a person member (never named here)


@dataclass(frozen=True)
class CheckedEntry:
    entry: AccessLogEntry
    verdict: Verdict


@dataclass(frozen=True)
class AsOf:
    """Who could read what of one client at one instant, and that day's log beside it."""

    client_id: uuid.UUID
    at: datetime
    case_found: bool
    members: list[MemberRow]
    entries: list[CheckedEntry]
    users: dict[uuid.UUID, User]
    organisations: dict[uuid.UUID, Organisation]

    @property
    def inconsistent(self) -> int:
        return sum(1 for e in self.entries if e.verdict is Verdict.INCONSISTENT)


def as_of(session: Session, client_id: uuid.UUID, at: datetime) -> AsOf:
    """The reconstruction at ``at`` and the client's entries of that Helsinki day, each
    checked at its own instant. The case's facts (seven statements), the consents' events
    (one), its members (one), the day's entries (one), their users and organisations (two)."""
    case = load_case_contexts(session, [client_id]).get(client_id)
    events = list(session.scalars(select(ConsentEvent).where(ConsentEvent.client_id == client_id)))
    members = who_could_read(case, events, at) if case is not None else []
    kinds: dict[uuid.UUID, MemberKind] = {
        member_id: kind
        for member_id, kind in session.execute(
            select(NetworkMember.id, NetworkMember.kind).where(NetworkMember.client_id == client_id)
        )
    }
    day = helsinki_day(at)
    start = helsinki_midnight(day)
    end = helsinki_midnight(day + timedelta(days=1))
    day_entries = access_log.search(
        session, Search(client_id=client_id, since=start, until=end), limit=DAY_ENTRIES
    )
    organisations = _organisations(
        session,
        {m.organisation_id for m in members} | {e.organisation_id for e in day_entries},
    )
    checked = [CheckedEntry(e, verdict(case, events, logged(e))) for e in day_entries]
    return AsOf(
        client_id,
        at,
        case is not None,
        [
            MemberRow(
                m,
                kinds.get(m.member_id),
                organisations[m.organisation_id].name
                if m.organisation_id in organisations
                else None,
            )
            for m in members
        ],
        checked,
        _users(session, {e.actor_user_id for e in day_entries}),
        organisations,
    )


def logged(entry: AccessLogEntry) -> LoggedAccess:
    return LoggedAccess(
        at=entry.at,
        actor_role=entry.actor_role,
        action=entry.action.value,
        organisation_id=entry.organisation_id,
        member_id=entry.member_id,
        scope=entry.scope,
        allowed=entry.allowed,
    )


def entries_named(entries: Sequence[AccessLogEntry]) -> set[uuid.UUID]:
    """The clients a page of entries concerns (their chains get the review's own entry)."""
    return {e.client_id for e in entries}


# -- flags and the monthly summary ---------------------------------------------------------------

SCAN_LIMIT = 50_000
"""The most entries of one month the flags are looked for in (a page says when it stopped)."""


@dataclass(frozen=True)
class FlagRow:
    flag: Flag
    user: User | None
    review: FlagReview | None
    reviewer: User | None


@dataclass(frozen=True)
class MonthFlags:
    """A month of one county's log (or the whole service's): its flags, each with its review,
    and the summary — counts per flag kind, reviewed or not, and per outcome."""

    since: datetime
    until: datetime
    rows: list[FlagRow]
    outcomes: dict[bool, int]
    truncated: bool  # more entries than ``SCAN_LIMIT``: the earliest were not looked at

    def count(self, kind: FlagKind, *, reviewed: bool | None = None) -> int:
        return sum(
            1
            for r in self.rows
            if r.flag.kind is kind and (reviewed is None or (r.review is not None) == reviewed)
        )


def month_flags(
    session: Session,
    county_id: uuid.UUID | None,
    since: datetime,
    until: datetime,
    rules: FlagRules,
) -> MonthFlags:
    """The flags of ``[since, until)`` in the county's clients' log: the entries (one
    statement), the clients' case closings (one), the outcome counts (one), the reviews and
    the users they name (two). Reads of the log itself are left out."""
    criteria = Search(
        since=since,
        until=until,
        clients=county_clients(county_id) if county_id is not None else None,
        other_than=LOG_SCOPE,
    )
    entries = access_log.search(session, criteria, limit=SCAN_LIMIT)
    scanned = [scanned_entry(e) for e in reversed(entries)]
    closed: dict[uuid.UUID, datetime | None] = {}
    client_ids = list({e.client_id for e in scanned})
    for client_id, closed_at in session.execute(
        select(Case.client_id, Case.closed_at)
        .where(Case.client_id.in_(client_ids))
        .order_by(Case.opened_at)
    ):
        closed[client_id] = closed_at  # the newest case's
    found = flags(scanned, closed, rules)
    # Both statements run whatever was found, so that the page's count stays the same.
    reviews = {
        (r.kind, r.entry_id): r
        for r in session.scalars(
            select(FlagReview).where(FlagReview.entry_id.in_([f.entry_id for f in found]))
        )
    }
    named = {f.user_id for f in found if f.user_id} | {r.reviewed_by_id for r in reviews.values()}
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(list(named))))}
    rows = [
        FlagRow(
            f,
            users.get(f.user_id) if f.user_id else None,
            review := reviews.get((f.kind, f.entry_id)),
            users.get(review.reviewed_by_id) if review is not None else None,
        )
        for f in found
    ]
    return MonthFlags(
        since,
        until,
        rows,
        access_log.outcome_counts(session, criteria),
        len(entries) == SCAN_LIMIT,
    )


def scanned_entry(entry: AccessLogEntry) -> ScannedEntry:
    return ScannedEntry(
        id=entry.id,
        client_id=entry.client_id,
        at=entry.at,
        actor_user_id=entry.actor_user_id,
        actor_role=entry.actor_role,
        action=entry.action.value,
        allowed=entry.allowed,
        basis_kind=entry.basis_kind,
    )


def flagged_entry(
    session: Session, entry_id: uuid.UUID, county_id: uuid.UUID | None
) -> AccessLogEntry | None:
    """The log entry a flag names, if it is in the reviewer's county (one statement)."""
    found = access_log.search(session, Search(entry_id=entry_id), limit=1)
    if not found or not client_in_scope(session, found[0].client_id, county_id):
        return None
    return found[0]
