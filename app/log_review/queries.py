"""Read models of the log review: a page of the access log, and who could see what when.

``review_page`` reads one page of matching entries through ``sharing.access_log.search``
(newest first; a county's reviewer sees only entries about clients whose case is in their
county) and the users and organisations they name: three statements whatever the page
holds. ``as_of`` reconstructs, for one client and one past instant, which network members
could read which sections on which basis (``app.log_review.rules.who_could_read``) and
which of the county's staff could do case work (``staff_who_could_read``, from the history
of appointments, the team, work tasks and transfers), checks the key seals against it
(``check_seals``: the seals' records, the data keys, the seals now, and whether each
opens), and sets the client's log entries around the instant beside it (the Helsinki day,
or a window the reader chose), each with its verdict: a fixed number of statements.

Neither opens client content: no names of clients or persons, only ids, kinds, organisations
and the log's own fields. The reading itself is entered in the log by
``app.log_review.commands.note_review``.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from app.cases.facts import load_case_contexts
from app.log_review.rules import (
    LOG_SCOPE,
    Appointment,
    Flag,
    FlagRules,
    KeyPeriod,
    LoggedAccess,
    MemberAccess,
    RecordedTask,
    ScannedEntry,
    SealCheck,
    SealNow,
    SealPeriod,
    StaffAccess,
    StaffHistory,
    TeamPeriod,
    TransferPeriod,
    Verdict,
    check_seals,
    flags,
    staff_who_could_read,
    verdict,
    who_could_read,
)
from app.models import (
    Case,
    CaseTeamMember,
    NetworkMember,
    Organisation,
    ResponsibleWorker,
    User,
    WorkTaskReason,
)
from app.models.log_review import FlagKind, FlagReview
from app.models.network import MemberKind
from app.models.transfer import CountyTransfer, TransferState
from consent.decision import Grant
from consent.facts import WorkTask
from consent.models import ConsentEvent
from consent.service import grants_as_of
from consent.status import helsinki_day, helsinki_midnight
from sharing import access_log
from sharing.access_log import AccessLogEntry, Search
from sharing.keys import Keyring
from sharing.models import DataKey, KeySeal, SealRecord
from sharing.seal import unopenable_seals

DAY_ENTRIES = 200
"""The most entries of the window asked about that ``as_of`` sets beside the
reconstruction (newest first)."""


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
class StaffRow:
    """A county worker who could do case work then (their whole record), and why."""

    access: StaffAccess
    user: User | None


@dataclass(frozen=True)
class CheckedEntry:
    entry: AccessLogEntry
    verdict: Verdict


class Window(enum.StrEnum):
    """Which log entries ``as_of`` sets beside the moment."""

    DAY = "day"  # the moment's Helsinki day
    HOUR = "hour"  # an hour either side
    WEEK = "week"  # three days either side


def window_bounds(at: datetime, window: Window) -> tuple[datetime, datetime]:
    """``[since, until)`` of the entries looked at around ``at``."""
    if window is Window.HOUR:
        return at - timedelta(hours=1), at + timedelta(hours=1)
    day = helsinki_day(at)
    if window is Window.WEEK:
        return helsinki_midnight(day - timedelta(days=3)), helsinki_midnight(
            day + timedelta(days=4)
        )
    return helsinki_midnight(day), helsinki_midnight(day + timedelta(days=1))


@dataclass(frozen=True)
class AsOf:
    """Who could read what of one client at one instant, the key seals checked against it,
    and the log around it."""

    client_id: uuid.UUID
    at: datetime
    case_found: bool
    members: list[MemberRow]
    staff: list[StaffRow]
    seals: list[SealCheck]
    entries: list[CheckedEntry]
    users: dict[uuid.UUID, User]
    organisations: dict[uuid.UUID, Organisation]
    window: Window = Window.DAY
    since: datetime | None = None
    until: datetime | None = None
    truncated: bool = False  # more entries in the window than ``DAY_ENTRIES``: the newest shown

    @property
    def inconsistent(self) -> int:
        return sum(1 for e in self.entries if e.verdict is Verdict.INCONSISTENT)

    @property
    def seal_discrepancies(self) -> list[SealCheck]:
        return [c for c in self.seals if c.finding.discrepancy]

    @property
    def discrepancies(self) -> int:
        """Every entry that does not match and every seal finding that does not."""
        return self.inconsistent + len(self.seal_discrepancies)

    def member_name(self, member_id: uuid.UUID) -> str | None:
        """The organisation a member stands for, as the page names it (None: a person)."""
        return next((m.organisation for m in self.members if m.access.member_id == member_id), None)


def as_of(
    session: Session,
    client_id: uuid.UUID,
    at: datetime,
    keyring: Keyring,
    window: Window = Window.DAY,
) -> AsOf:
    """The reconstruction at ``at``, the key seals checked against it, and the client's
    entries of the window around it, each checked at its own instant. The case's facts
    (seven statements), the consents' events (one), the county staff's history (four), the
    data keys, the seals' records and the seals now (three) and whether they open (two),
    the members (one), the window's entries (one), users and organisations (two)."""
    case = load_case_contexts(session, [client_id]).get(client_id)
    events = list(session.scalars(select(ConsentEvent).where(ConsentEvent.client_id == client_id)))
    members = who_could_read(case, events, at) if case is not None else []
    history = _staff_history(session, client_id)
    seals = _seal_checks(
        session, keyring, client_id, grants_as_of(case, events, at) if case else set(), at
    )
    kinds: dict[uuid.UUID, MemberKind] = {}
    organisation_of: dict[uuid.UUID, uuid.UUID | None] = {}
    for member_id, kind, organisation_id in session.execute(
        select(NetworkMember.id, NetworkMember.kind, NetworkMember.organisation_id).where(
            NetworkMember.client_id == client_id
        )
    ):
        kinds[member_id], organisation_of[member_id] = kind, organisation_id
    since, until = window_bounds(at, window)
    window_entries = access_log.search(
        session, Search(client_id=client_id, since=since, until=until), limit=DAY_ENTRIES
    )
    staff_ids = _staff_ids(history)
    users = _users(session, {e.actor_user_id for e in window_entries} | staff_ids)
    history = replace(history, organisations={u.id: u.organisation_id for u in users.values()})
    staff = staff_who_could_read(case, history, at) if case is not None else []
    organisations = _organisations(
        session,
        {m.organisation_id for m in members}
        | {e.organisation_id for e in window_entries}
        | {organisation_of.get(c.member_id) for c in seals},
    )
    checked = [CheckedEntry(e, verdict(case, events, logged(e), history)) for e in window_entries]
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
        [StaffRow(s, users.get(s.user_id)) for s in staff],
        seals,
        checked,
        users,
        organisations,
        window,
        since,
        until,
        len(window_entries) == DAY_ENTRIES,
    )


def _staff_history(session: Session, client_id: uuid.UUID) -> StaffHistory:
    """The history of the county staff's facts of the client's newest case (four
    statements: transfers, appointments, team, work tasks)."""
    newest = (
        select(Case.id)
        .where(Case.client_id == client_id)
        .order_by(Case.opened_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    transfers = tuple(
        TransferPeriod(
            row.from_county_id,
            row.to_county_id,
            row.proposed_at,
            row.answered_at,
            row.state == TransferState.ACCEPTED,
        )
        for row in session.execute(
            select(
                CountyTransfer.from_county_id,
                CountyTransfer.to_county_id,
                CountyTransfer.proposed_at,
                CountyTransfer.answered_at,
                CountyTransfer.state,
            ).where(CountyTransfer.case_id == newest)
        )
    )
    appointments = tuple(
        Appointment(worker_id, assigned_at)
        for worker_id, assigned_at in session.execute(
            select(ResponsibleWorker.worker_id, ResponsibleWorker.assigned_at).where(
                ResponsibleWorker.case_id == newest
            )
        )
    )
    team = tuple(
        TeamPeriod(user_id, added_at, removed_at)
        for user_id, added_at, removed_at in session.execute(
            select(
                CaseTeamMember.user_id, CaseTeamMember.added_at, CaseTeamMember.removed_at
            ).where(CaseTeamMember.case_id == newest)
        )
    )
    tasks = tuple(
        RecordedTask(WorkTask(row.id, row.user_id, row.valid_until), row.recorded_at)
        for row in session.execute(
            select(
                WorkTaskReason.id,
                WorkTaskReason.user_id,
                WorkTaskReason.valid_until,
                WorkTaskReason.recorded_at,
            ).where(WorkTaskReason.case_id == newest)
        )
    )
    return StaffHistory(transfers, appointments, team, tasks)


def _staff_ids(history: StaffHistory) -> set[uuid.UUID]:
    return (
        {a.worker_id for a in history.appointments}
        | {t.user_id for t in history.team}
        | {t.task.user_id for t in history.tasks}
    )


def _seal_checks(
    session: Session,
    keyring: Keyring,
    client_id: uuid.UUID,
    grants: set[Grant],
    at: datetime,
) -> list[SealCheck]:
    """``check_seals`` over the client's data keys, seals' records and seals now (three
    statements) and the seals that do not open (two)."""
    keys = [
        KeyPeriod(row.id, row.scope, row.created_at, row.destroyed_at)
        for row in session.execute(
            select(DataKey.id, DataKey.scope, DataKey.created_at, DataKey.destroyed_at).where(
                DataKey.client_id == client_id
            )
        )
    ]
    records = [
        SealPeriod(
            row.seal_id,
            row.data_key_id,
            row.member_id,
            row.scope,
            row.basis_id,
            row.created_at,
            row.removed_at,
        )
        for row in session.execute(
            select(
                SealRecord.seal_id,
                SealRecord.data_key_id,
                SealRecord.member_id,
                SealRecord.scope,
                SealRecord.basis_id,
                SealRecord.created_at,
                SealRecord.removed_at,
            ).where(SealRecord.client_id == client_id)
        )
    ]
    now = [
        SealNow(row.id, row.data_key_id, row.member_id, row.basis_id, row.scope)
        for row in session.execute(
            select(
                KeySeal.id, KeySeal.data_key_id, KeySeal.member_id, KeySeal.basis_id, DataKey.scope
            )
            .join(DataKey, DataKey.id == KeySeal.data_key_id)
            .where(KeySeal.client_id == client_id)
        )
    ]
    return check_seals(
        grants, keys, records, now, unopenable_seals(session, keyring, client_id), at
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
        actor_user_id=entry.actor_user_id,
        purpose=entry.purpose,
        reason=entry.reason,
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
