"""The caseworker's dashboard ("my clients"): the numbers, and the list behind each one.

"My clients" are the cases of the worker's county on which the worker is the current
responsible worker (omatyöntekijä) or in the case team: the same relationship that gives
the access gate's case-work access. Every number is computed by the same conditions as
its list, so they agree; each costs a fixed number of queries whatever the number of
clients. Nothing here decrypts.

The clients' "I don't recognise this" queries about their access log wait for the
responsible worker alone (not the case team): they are addressed to the omatyöntekijä,
or to the omatyöntekijä's team lead when a query is about the worker's own access.
"""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, case, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.sql.functions import FunctionElement

from app.client_log.queries import waiting_for
from app.log_requests.queries import Waiting, waiting_counts
from app.models import (
    Case,
    CaseTeamMember,
    Client,
    ClientPlan,
    NetworkMember,
    Phase,
    ResponsibleWorker,
)
from app.models.log_query import LogQuery, LogQueryStatus
from app.models.partner import RevocationNotice
from app.models.release import ChecklistItem, ItemState
from app.models.transfer import TransferAnswerNotice
from app.pagination import ListPage, paginate
from app.reminders.rules import CONSENT_NOTICE_DAYS as CONSENT_NOTICE_DAYS  # the pages read it here
from app.reviews.rules import REMINDER_DAYS
from app.sql_dialects import wrapped_on
from app.transfer.queries import answers_waiting
from consent.models import Consent, ConsentState, StatutoryDisclosure
from sharing.access_log import AccessLogEntry

RELEASE_WINDOWS = (7, 30, 90)  # days ahead
PAGE_SIZE = 25
# A user: an id, or a column (the reminders' queries ask for every user at once).
Who = uuid.UUID | SQLColumnExpression[uuid.UUID]
County = uuid.UUID | SQLColumnExpression[uuid.UUID | None]  # a worker's organisation


def my_cases(user_id: Who, county_id: County) -> list[ColumnElement[bool]]:
    """Conditions on ``Case`` for the worker's own cases (not past retention)."""
    responsible = select(ResponsibleWorker.case_id).where(
        ResponsibleWorker.worker_id == user_id, ResponsibleWorker.ends_on.is_(None)
    )
    team = select(CaseTeamMember.case_id).where(
        CaseTeamMember.user_id == user_id, CaseTeamMember.removed_at.is_(None)
    )
    return [
        Case.county_id == county_id,
        Case.disposed_at.is_(None),
        or_(Case.id.in_(responsible), Case.id.in_(team)),
    ]


def my_open_cases(user_id: Who, county_id: County) -> list[ColumnElement[bool]]:
    return [*my_cases(user_id, county_id), *open_cases()]


@wrapped_on("sqlite", "+{}")
class _NotSearched(FunctionElement[Any]):
    """A column SQLite must not find rows by (``+column``; PostgreSQL plans by statistics)."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)
        self.type = column.type


def open_cases(*, searched: bool = True) -> list[ColumnElement[bool]]:
    """Conditions on ``Case`` for a case still worked on (not closed, not past retention).

    ``searched=False`` for a query whose rows are found from its other side: every open case
    in the country meets these, and SQLite, which keeps no statistics here, would otherwise
    start there (an equality on ``ix_cases_closed_at`` looks narrow to it).
    """
    column: Any = (lambda c: c) if searched else _NotSearched
    return [
        column(Case.disposed_at).is_(None),
        column(Case.closed_at).is_(None),
        Case.phase != Phase.CLOSED,
    ]


def release_day() -> ColumnElement[Any]:
    """The day the client leaves prison, in SQL (``Case.release_day``)."""
    return cast("ColumnElement[Any]", Case.release_day)  # the hybrid's SQL side


def _releasing(user_id: uuid.UUID, county_id: uuid.UUID, today: date, within: int) -> list[Any]:
    day = release_day()
    return [
        *my_open_cases(user_id, county_id),
        day >= today,
        day <= today + timedelta(days=within),
    ]


def overdue_conditions(user_id: Who, county_id: County, today: date) -> list[Any]:
    return [
        *my_open_cases(user_id, county_id),
        ChecklistItem.state == ItemState.OPEN,
        ChecklistItem.removed_at.is_(None),
        ChecklistItem.due_on < today,
    ]


def reviews_due_conditions(user_id: Who, county_id: County, today: date) -> list[Any]:
    return [
        *my_open_cases(user_id, county_id),
        ClientPlan.review_on <= today + timedelta(days=REMINDER_DAYS),
    ]


def consents_expiring_conditions(user_id: Who, county_id: County, today: date) -> list[Any]:
    """Consents in force that end within the notice period, of members still in the network."""
    return [*my_open_cases(user_id, county_id), *consents_ending(today)]


def consents_ending(today: date) -> list[ColumnElement[bool]]:
    """Conditions on ``Consent`` (with its ``NetworkMember`` joined): in force, ending within
    the notice period, the member still in the network (the client's reminder too)."""
    return [
        Consent.state == ConsentState.ACTIVE,
        Consent.ended_at.is_(None),
        Consent.valid_until >= today,
        Consent.valid_until <= today + timedelta(days=CONSENT_NOTICE_DAYS),
        NetworkMember.ended_at.is_(None),
        or_(NetworkMember.ends_on.is_(None), NetworkMember.ends_on >= today),
    ]


def log_queries_conditions(user_id: Who, county_id: County) -> list[Any]:
    """Open log queries waiting for this worker (``client_log.queries.waiting_for``: as the
    current responsible worker, or as the team lead when a query is about that worker's own
    access); a closed case's too, since the client's right to an answer lasts until
    disposal. ``Case`` and the ``AccessLogEntry`` asked about must be joined."""
    return [
        Case.county_id == county_id,
        Case.disposed_at.is_(None),
        waiting_for(user_id),
        LogQuery.status == LogQueryStatus.OPEN,
    ]


def _responsible(user_id: uuid.UUID, county_id: uuid.UUID) -> list[ColumnElement[bool]]:
    """Conditions on ``Case`` for the cases the worker is the current responsible worker of
    (not past retention): what concerns the omatyöntekijä alone."""
    responsible = select(ResponsibleWorker.case_id).where(
        ResponsibleWorker.worker_id == user_id, ResponsibleWorker.ends_on.is_(None)
    )
    return [Case.county_id == county_id, Case.disposed_at.is_(None), Case.id.in_(responsible)]


def _withdrawals(user_id: uuid.UUID, county_id: uuid.UUID) -> list[Any]:
    """Consents the client withdrew themselves that no worker has marked as seen: a worker's
    own revocation is seen as it is made (``revoke_consent``; the migration marked the older
    ones), so an unseen revocation is the client's."""
    return [
        *_responsible(user_id, county_id),
        Consent.state == ConsentState.REVOKED,
        Consent.end_seen_at.is_(None),
        Consent.ended_by_id.is_not(None),
    ]


def _to_reconfirm(user_id: uuid.UUID, county_id: uuid.UUID, today: date) -> list[Any]:
    """Current consents whose period the moved release dates left out of step with its
    template (``app.consents.commands.mark_out_of_step``)."""
    return [
        *_responsible(user_id, county_id),
        Consent.state == ConsentState.ACTIVE,
        Consent.reconfirm_since.is_not(None),
        or_(Consent.valid_until.is_(None), Consent.valid_until >= today),
    ]


def _open_notices(user_id: uuid.UUID, county_id: uuid.UUID) -> list[Any]:
    """Notices of ended sharing the organisation has not yet confirmed (it keeps no copy)."""
    return [*_responsible(user_id, county_id), RevocationNotice.confirmed_at.is_(None)]


# -- the numbers --------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    by_phase: dict[Phase, int]
    releases: dict[int, int]  # window in days → clients leaving prison within it
    overdue_items: int
    reviews_due: int
    consents_expiring: int
    log_queries: int
    log_requests: Waiting  # the clients' log requests waiting for the worker, and overdue
    withdrawals: int = 0  # withdrawn by the client, not yet seen
    to_reconfirm: int = 0  # consents to confirm again after the release dates moved
    open_notices: int = 0  # ended sharing the organisation has not confirmed
    transfer_answers: int = 0  # answers to the worker's transfers, not yet acknowledged

    @property
    def clients(self) -> int:
        return sum(self.by_phase.values())


def counts(session: Session, user_id: uuid.UUID, county_id: uuid.UUID, today: date) -> Counts:
    """Every number of the dashboard but the county's new notifications, which the
    navigation counts already (seven queries)."""
    by_phase = dict.fromkeys(Phase, 0)
    for phase, n in session.execute(
        select(Case.phase, func.count(Case.id))
        .where(*my_cases(user_id, county_id))
        .group_by(Case.phase)
    ):
        by_phase[phase] = n
    day = release_day()
    windows = session.execute(
        select(
            *(
                func.coalesce(func.sum(case((day <= today + timedelta(days=days), 1), else_=0)), 0)
                for days in RELEASE_WINDOWS
            )
        ).where(*_releasing(user_id, county_id, today, max(RELEASE_WINDOWS)))
    ).one()
    overdue = session.scalar(
        select(func.count(ChecklistItem.id))
        .join(Case, Case.id == ChecklistItem.case_id)
        .where(*overdue_conditions(user_id, county_id, today))
    )
    reviews = session.scalar(
        select(func.count(ClientPlan.id))
        .join(Case, Case.id == ClientPlan.case_id)
        .where(*reviews_due_conditions(user_id, county_id, today))
    )
    consents = session.scalar(
        select(func.count(Consent.id))
        .join(Case, Case.id == Consent.case_id)
        .join(NetworkMember, NetworkMember.id == Consent.member_id)
        .where(*consents_expiring_conditions(user_id, county_id, today))
    )
    queries = session.scalar(
        select(func.count(LogQuery.id))
        .join(Case, Case.id == LogQuery.case_id)
        .join(AccessLogEntry, entry_asked_about())
        .where(*log_queries_conditions(user_id, county_id))
    )
    consent_changes = session.execute(
        select(
            select(func.count(Consent.id))
            .join(Case, Case.id == Consent.case_id)
            .where(*_withdrawals(user_id, county_id))
            .scalar_subquery(),
            select(func.count(Consent.id))
            .join(Case, Case.id == Consent.case_id)
            .where(*_to_reconfirm(user_id, county_id, today))
            .scalar_subquery(),
            _notices_from()
            .with_only_columns(func.count(RevocationNotice.id))
            .where(*_open_notices(user_id, county_id))
            .scalar_subquery(),
            select(func.count(TransferAnswerNotice.id))
            .where(answers_waiting(user_id))
            .scalar_subquery(),
        )
    ).one()
    return Counts(
        by_phase=by_phase,
        releases={days: int(n) for days, n in zip(RELEASE_WINDOWS, windows, strict=True)},
        overdue_items=overdue or 0,
        reviews_due=reviews or 0,
        consents_expiring=consents or 0,
        log_queries=queries or 0,
        log_requests=waiting_counts(session, user_id, county_id, today),
        withdrawals=consent_changes[0] or 0,
        to_reconfirm=consent_changes[1] or 0,
        open_notices=consent_changes[2] or 0,
        transfer_answers=consent_changes[3] or 0,
    )


# -- the lists ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientRow:
    client: Client
    case: Case
    release_day: date | None


def clients(
    session: Session,
    user_id: uuid.UUID,
    county_id: uuid.UUID,
    *,
    phase: Phase | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> ListPage[ClientRow]:
    """The worker's clients (in one phase or all), soonest release first (two queries)."""
    conditions = my_cases(user_id, county_id)
    if phase is not None:
        conditions.append(Case.phase == phase)
    day = release_day()
    found = paginate(
        session,
        select(Client, Case, day)
        .join(Case, Case.client_id == Client.id)
        .where(*conditions)
        .order_by(day.is_(None), day, Case.id),
        page=page,
        per_page=per_page,
        count=select(func.count(Case.id)).where(*conditions),
    )
    return found.map(lambda row: ClientRow(*row))


@dataclass(frozen=True)
class ReleaseRow:
    client: Client
    case: Case
    release_day: date
    open_items: list[ChecklistItem]  # what is still missing for release day, by due date
    has_checklist: bool


def releases(
    session: Session,
    user_id: uuid.UUID,
    county_id: uuid.UUID,
    today: date,
    *,
    within: int,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> ListPage[ReleaseRow]:
    """The worker's clients leaving prison within ``within`` days, soonest first, with
    their open checklist items (three queries)."""
    conditions = _releasing(user_id, county_id, today, within)
    day = release_day()
    found = paginate(
        session,
        select(Client, Case, day)
        .join(Case, Case.client_id == Client.id)
        .where(*conditions)
        .order_by(day, Case.id),
        page=page,
        per_page=per_page,
        count=select(func.count(Case.id)).where(*conditions),
    )
    open_items: dict[uuid.UUID, list[ChecklistItem]] = defaultdict(list)
    with_items: set[uuid.UUID] = set()
    if found.rows:
        for item in session.scalars(
            select(ChecklistItem)
            .where(
                ChecklistItem.case_id.in_([k.id for _, k, _ in found.rows]),
                ChecklistItem.removed_at.is_(None),
            )
            .order_by(ChecklistItem.due_on.is_(None), ChecklistItem.due_on, ChecklistItem.id)
        ):
            with_items.add(item.case_id)
            if item.state is ItemState.OPEN:
                open_items[item.case_id].append(item)
    rows = [ReleaseRow(c, k, d, open_items[k.id], k.id in with_items) for c, k, d in found.rows]
    return ListPage(rows, found.page, found.pages, found.total)


@dataclass(frozen=True)
class ItemRow:
    item: ChecklistItem
    client: Client
    case: Case


def overdue_items(
    session: Session,
    user_id: uuid.UUID,
    county_id: uuid.UUID,
    today: date,
    *,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> ListPage[ItemRow]:
    """Open checklist items past their due date, oldest first (four queries)."""
    conditions = overdue_conditions(user_id, county_id, today)
    found = paginate(
        session,
        select(ChecklistItem, Client, Case)
        .join(Case, Case.id == ChecklistItem.case_id)
        .join(Client, Client.id == Case.client_id)
        .where(*conditions)
        .options(
            selectinload(ChecklistItem.responsible_member).joinedload(NetworkMember.organisation),
            selectinload(ChecklistItem.responsible_user),
        )
        .order_by(ChecklistItem.due_on, ChecklistItem.id),
        page=page,
        per_page=per_page,
        count=select(func.count(ChecklistItem.id))
        .join(Case, Case.id == ChecklistItem.case_id)
        .where(*conditions),
    )
    return found.map(lambda row: ItemRow(*row))


@dataclass(frozen=True)
class ReviewRow:
    plan: ClientPlan
    client: Client
    case: Case


def reviews_due(
    session: Session,
    user_id: uuid.UUID,
    county_id: uuid.UUID,
    today: date,
    *,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> ListPage[ReviewRow]:
    """Plans whose review date is past or within the reminder period, earliest first."""
    conditions = reviews_due_conditions(user_id, county_id, today)
    found = paginate(
        session,
        select(ClientPlan, Client, Case)
        .join(Case, Case.id == ClientPlan.case_id)
        .join(Client, Client.id == Case.client_id)
        .where(*conditions)
        .order_by(ClientPlan.review_on, ClientPlan.id),
        page=page,
        per_page=per_page,
        count=select(func.count(ClientPlan.id))
        .join(Case, Case.id == ClientPlan.case_id)
        .where(*conditions),
    )
    return found.map(lambda row: ReviewRow(*row))


@dataclass(frozen=True)
class ConsentRow:
    consent: Consent
    member: NetworkMember
    client: Client
    case: Case


def consents_expiring(
    session: Session,
    user_id: uuid.UUID,
    county_id: uuid.UUID,
    today: date,
    *,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> ListPage[ConsentRow]:
    """Consents in force ending within the notice period, soonest first (two queries)."""
    conditions = consents_expiring_conditions(user_id, county_id, today)
    found = paginate(
        session,
        select(Consent, NetworkMember, Client, Case)
        .join(Case, Case.id == Consent.case_id)
        .join(NetworkMember, NetworkMember.id == Consent.member_id)
        .join(Client, Client.id == Case.client_id)
        .where(*conditions)
        .options(joinedload(NetworkMember.organisation))
        .order_by(Consent.valid_until, Consent.id),
        page=page,
        per_page=per_page,
        count=select(func.count(Consent.id))
        .join(Case, Case.id == Consent.case_id)
        .join(NetworkMember, NetworkMember.id == Consent.member_id)
        .where(*conditions),
    )
    return found.map(lambda row: ConsentRow(*row))


def entry_asked_about() -> ColumnElement[bool]:
    return and_(
        AccessLogEntry.id == LogQuery.entry_id, AccessLogEntry.client_id == LogQuery.client_id
    )


@dataclass(frozen=True)
class LogQueryRow:
    query: LogQuery
    entry: AccessLogEntry
    client: Client
    case: Case


def log_queries(
    session: Session,
    user_id: uuid.UUID,
    county_id: uuid.UUID,
    *,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> ListPage[LogQueryRow]:
    """Clients' open queries about their access log waiting for this worker, oldest first,
    with the entry each is about (two queries)."""
    conditions = log_queries_conditions(user_id, county_id)
    found = paginate(
        session,
        select(LogQuery, AccessLogEntry, Client, Case)
        .join(Case, Case.id == LogQuery.case_id)
        .join(Client, Client.id == Case.client_id)
        .join(AccessLogEntry, entry_asked_about())
        .where(*conditions)
        .order_by(LogQuery.created_at, LogQuery.id),
        page=page,
        per_page=per_page,
        count=select(func.count(LogQuery.id))
        .join(Case, Case.id == LogQuery.case_id)
        .join(AccessLogEntry, entry_asked_about())
        .where(*conditions),
    )
    return found.map(lambda row: LogQueryRow(*row))


class ConsentChange(enum.StrEnum):
    """The lists of consent changes waiting for the responsible worker."""

    WITHDRAWALS = "withdrawals"
    RECONFIRM = "reconfirm"
    NOTICES = "notices"


@dataclass(frozen=True)
class ConsentChangeRow:
    consent: Consent | None  # None: a notice about a statutory disclosure
    member: NetworkMember
    client: Client
    case: Case
    notice: RevocationNotice | None = None  # the NOTICES list's row
    disclosure: StatutoryDisclosure | None = None

    @property
    def sections(self) -> list[str]:
        basis = self.consent or self.disclosure
        return basis.sections if basis is not None else []


def _notices_from() -> Select[RevocationNotice]:
    """Notices joined to the case through what sharing was based on (a consent or a
    statutory disclosure)."""
    return (
        select(RevocationNotice)
        .outerjoin(Consent, Consent.id == RevocationNotice.consent_id)
        .outerjoin(StatutoryDisclosure, StatutoryDisclosure.id == RevocationNotice.disclosure_id)
        .join(
            Case,
            and_(
                Case.id == func.coalesce(Consent.case_id, StatutoryDisclosure.case_id),
                # The same client's: lets the plan start from the cases, by index.
                Case.client_id == RevocationNotice.client_id,
            ),
        )
    )


def consent_changes(
    session: Session,
    user_id: uuid.UUID,
    county_id: uuid.UUID,
    today: date,
    kind: ConsentChange,
    *,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> ListPage[ConsentChangeRow]:
    """One list of consent changes waiting for the responsible worker, oldest first: the
    client's withdrawals not yet seen, consents to re-confirm after the release dates
    moved, or notices of ended sharing not yet confirmed by the organisation (two queries)."""
    if kind is ConsentChange.NOTICES:
        conditions = _open_notices(user_id, county_id)
        found = paginate(
            session,
            _notices_from()
            .add_columns(Consent, StatutoryDisclosure, NetworkMember, Client, Case)
            .join(
                NetworkMember,
                NetworkMember.id == func.coalesce(Consent.member_id, StatutoryDisclosure.member_id),
            )
            .join(Client, Client.id == Case.client_id)
            .where(*conditions)
            .options(joinedload(NetworkMember.organisation))
            .order_by(RevocationNotice.created_at, RevocationNotice.id),
            page=page,
            per_page=per_page,
            count=_notices_from()
            .with_only_columns(func.count(RevocationNotice.id))
            .where(*conditions),
        )
        return found.map(
            lambda row: ConsentChangeRow(row[1], row[3], row[4], row[5], row[0], row[2])
        )
    if kind is ConsentChange.WITHDRAWALS:
        conditions, order = _withdrawals(user_id, county_id), Consent.ended_at
    else:
        conditions, order = _to_reconfirm(user_id, county_id, today), Consent.reconfirm_since
    listed = paginate(
        session,
        select(Consent, NetworkMember, Client, Case)
        .join(Case, Case.id == Consent.case_id)
        .join(NetworkMember, NetworkMember.id == Consent.member_id)
        .join(Client, Client.id == Case.client_id)
        .where(*conditions)
        .options(joinedload(NetworkMember.organisation))
        .order_by(order, Consent.id),
        page=page,
        per_page=per_page,
        count=select(func.count(Consent.id))
        .join(Case, Case.id == Consent.case_id)
        .where(*conditions),
    )
    return listed.map(lambda row: ConsentChangeRow(*row))
