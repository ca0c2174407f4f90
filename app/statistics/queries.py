"""The statistics read model: coded facts in clear, a fixed number of statements for any size.

Nothing encrypted is read or decrypted: only dates, phases, kinds and outcomes. Each
statement reads one kind of fact for the cases in scope (a county, or one worker's
caseload): the plain per-quarter counts grouped in SQL over the year's rows (``_Year``),
the facts that need a case's other facts as narrow rows, only those the year's
definitions need; the indicators are counted in Python (``app.statistics.rules``) and every
table is protected before it leaves here (``app.statistics.disclosure``). No client id or
name leaves this module.
"""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    DateTime,
    Row,
    Select,
    String,
    and_,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy import case as sql_case
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from app.assessment.rules import FACTORS
from app.models import Case, CaseTeamMember, NetworkMember
from app.models.assessment import Assessment, AssessmentFactor
from app.models.case import PhaseChange, ResponsibleWorker
from app.models.ending import CaseClosure, ClosureFactor, ServiceEnding
from app.models.flows import FlowAgreement
from app.models.intake import Notification
from app.models.network import MemberKind
from app.models.partner import PartnerUpdate
from app.models.release import ChecklistItem, ItemState, ReleaseTask
from app.models.review import GoalProgress, PlanReview, ReviewGoal
from app.sql_dialects import wrapped_on
from app.statistics import rules
from app.statistics.disclosure import (
    CountTable,
    Published,
    protect,
    protect_snapshot,
    quartiles,
    share,
)
from app.statistics.rules import Indicator
from consent.base import UTCDateTime
from consent.models import Consent, ConsentState, StatutoryDisclosure
from consent.status import HELSINKI

CaseRow = Row[uuid.UUID, date | None, date | None, datetime | None, datetime, str]
PAST_NETWORK = ("release", "follow_up", "ending", "closed")


@dataclass(frozen=True)
class Section:
    key: str
    indicators: tuple[Indicator, ...]
    table: Published


@dataclass(frozen=True)
class Spread:
    indicator: Indicator
    by_column: dict[str, tuple[float, float, float] | None]  # quartiles, or None: too few


@dataclass(frozen=True)
class Shares:
    indicator: Indicator
    by_column: dict[str, int | None]  # percent, or None: not shown


@dataclass(frozen=True)
class Report:
    year: int
    columns: tuple[str, ...]
    threshold: int
    sections: tuple[Section, ...]
    spreads: tuple[Spread, ...]
    shares: tuple[Shares, ...]
    phase_days: tuple[Spread, ...]  # days spent in each phase, by the quarter it was left


def _scope(county_id: uuid.UUID, worker_id: uuid.UUID | None) -> Select[uuid.UUID]:
    """The cases counted: the county's, or those of one worker's caseload."""
    cases = select(Case.id).where(Case.county_id == county_id)
    if worker_id is None:
        return cases
    return cases.where(
        or_(
            Case.id.in_(
                select(ResponsibleWorker.case_id).where(
                    ResponsibleWorker.worker_id == worker_id, ResponsibleWorker.ends_on.is_(None)
                )
            ),
            Case.id.in_(
                select(CaseTeamMember.case_id).where(
                    CaseTeamMember.user_id == worker_id, CaseTeamMember.removed_at.is_(None)
                )
            ),
        )
    )


class _Year:
    """Counts of one year's facts by quarter, grouped in SQL.

    A quarter is a Finnish calendar quarter: a moment's bounds are the instants Helsinki's
    quarters begin (computed here, so SQLite and PostgreSQL agree without a time zone
    function), a day's bounds the quarters' first days. The same counts as
    ``rules.tally`` over ``rules.local_day`` of every fact, without reading the facts."""

    def __init__(self, year: int) -> None:
        self.year = year
        firsts = [date(year, month, 1) for month in (1, 4, 7, 10)] + [date(year + 1, 1, 1)]
        self.days = firsts
        self.moments = [
            datetime(d.year, d.month, d.day, tzinfo=HELSINKI).astimezone(UTC) for d in firsts
        ]

    def _bounds(self, column: Any) -> Sequence[date] | Sequence[datetime]:
        return self.moments if isinstance(column.type, UTCDateTime) else self.days

    def within(self, column: Any) -> ColumnElement[bool]:
        bounds = self._bounds(column)
        return and_(column >= bounds[0], column < bounds[4])

    def quarter(self, column: Any) -> ColumnElement[int]:
        bounds = self._bounds(column)
        return sql_case(
            (column < bounds[1], literal_column("1")),
            (column < bounds[2], literal_column("2")),
            (column < bounds[3], literal_column("3")),
            else_=literal_column("4"),
        )

    def counts(
        self, session: Session, rows: Select[Any, Any] | CompoundSelect[Any]
    ) -> dict[tuple[str, str], int]:
        """``rows`` (labelled ``row`` and ``q``, already limited to the year) counted per
        (row, quarter label): one statement."""
        facts = rows.subquery()
        counted: dict[tuple[str, str], int] = {}
        for row, quarter, n in session.execute(
            select(facts.c.row, facts.c.q, func.count()).group_by(facts.c.row, facts.c.q)
        ):
            key = row.value if isinstance(row, enum.Enum) else str(row)
            counted[(key, rules.quarter_label(self.year, int(quarter)))] = n
        return counted


def _stored(column: Any) -> Any:
    """A case id or a coded value as text: compared, never shown, so no ``uuid.UUID`` built
    or hashed and no enum looked up per row (``str_enum`` stores the value)."""
    return sql_cast(column, String())


@wrapped_on("postgresql", "timezone('UTC', {})")
class _NaiveUTC(FunctionElement[datetime]):
    """A stored moment as a naive UTC timestamp: SQLite stores it so; PostgreSQL's
    ``timestamptz`` is converted in SQL, so the driver builds no zone-aware value whose
    offset ``rules.local_day`` would then look up per row."""

    type = DateTime()
    inherit_cache = True


def _moment(column: Any) -> Any:
    """A stored moment as a naive UTC datetime, without a converter call per row:
    ``rules.local_day`` reads it as UTC."""
    return _NaiveUTC(column)


def _release_day(case_probation: date | None, conditional: date | None, today: date) -> date | None:
    day = case_probation or conditional
    return day if day is not None and day <= today else None


def report(
    session: Session,
    county_id: uuid.UUID,
    year: int,
    today: date,
    threshold: int,
    worker_id: uuid.UUID | None = None,
    raw: dict[str, CountTable] | None = None,
) -> Report:
    """Every indicator of ``year`` for the scope, protected: sixteen statements, for any size.

    ``raw``, when given, receives each count section's table before protection, by section
    key: for pooling counties (``app.statistics.national``), never for a page."""
    scope = _scope(county_id, worker_id)
    counted = _Year(year)
    # The cases released in the year: the only ones whose release-day tasks count.
    released = select(Case.id).where(
        Case.id.in_(scope),
        func.coalesce(Case.probation_start, Case.conditional_release) >= counted.days[0],
        func.coalesce(Case.probation_start, Case.conditional_release) < counted.days[4],
    )
    cases = session.execute(
        select(
            _stored(Case.id).label("id"),
            Case.probation_start,
            Case.conditional_release,
            _moment(Case.closed_at).label("closed_at"),
            _moment(Case.opened_at).label("opened_at"),
            _stored(Case.phase).label("phase"),
        ).where(Case.id.in_(scope))
    ).all()
    # A first notification counts in its year, and as the start of a duration that ends in
    # the year (an assessment started, a first worker appointed): those cases only.
    assessed_in_year = select(Assessment.case_id).where(
        Assessment.case_id.in_(scope), counted.within(Assessment.started_on)
    )
    worker_in_year = select(ResponsibleWorker.case_id).where(
        ResponsibleWorker.case_id.in_(scope), counted.within(ResponsibleWorker.starts_on)
    )
    first_notified = func.min(Notification.received_at)
    notified: dict[uuid.UUID, datetime] = dict(
        session.execute(
            select(_stored(Notification.case_id), _moment(first_notified))
            .where(Notification.case_id.in_(scope))
            .group_by(Notification.case_id)
            .having(
                or_(
                    counted.within(first_notified),
                    Notification.case_id.in_(assessed_in_year),
                    Notification.case_id.in_(worker_in_year),
                )
            )
        ).all()
    )
    # An assessment counts in its year, and before the release of a case released in it.
    assessed: dict[uuid.UUID, date] = dict(
        session.execute(
            select(_stored(Assessment.case_id), Assessment.started_on).where(
                Assessment.case_id.in_(scope),
                or_(counted.within(Assessment.started_on), Assessment.case_id.in_(released)),
            )
        ).all()
    )
    first_worker = func.min(ResponsibleWorker.starts_on)
    workers: dict[uuid.UUID, date] = dict(
        session.execute(
            select(_stored(ResponsibleWorker.case_id), first_worker)
            .where(ResponsibleWorker.case_id.in_(scope))
            .group_by(ResponsibleWorker.case_id)
            .having(counted.within(first_worker))
        ).all()
    )
    moves: dict[uuid.UUID, list[tuple[date, str, str]]] = defaultdict(list)
    networked: dict[uuid.UUID, date] = {}
    for case_id, from_phase, to_phase, moved_at in session.execute(
        select(
            _stored(PhaseChange.case_id),
            _stored(PhaseChange.from_phase),
            _stored(PhaseChange.phase),
            _moment(PhaseChange.changed_at),
        )
        .where(PhaseChange.case_id.in_(scope))
        .order_by(PhaseChange.case_id, PhaseChange.changed_at)
    ):
        moved_on = rules.local_day(moved_at)
        moves[case_id].append((moved_on, from_phase, to_phase))
        if to_phase in PAST_NETWORK and case_id not in networked:
            networked[case_id] = moved_on
    done: dict[uuid.UUID, list[tuple[ReleaseTask, date]]] = defaultdict(list)
    for case_id, task, changed_at in session.execute(
        select(
            _stored(ChecklistItem.case_id),
            _stored(ChecklistItem.task),
            _moment(ChecklistItem.state_changed_at),
        ).where(
            ChecklistItem.case_id.in_(released),
            ChecklistItem.state == ItemState.DONE,
            ChecklistItem.task.is_not(None),
            ChecklistItem.removed_at.is_(None),
        )
    ):
        if changed_at is not None and task is not None:
            # The stored value equals its StrEnum member (same hash): no lookup per row.
            done[case_id].append((cast(ReleaseTask, task), rules.local_day(changed_at)))
    # A review counts in its year; whether it was on time needs the review before it.
    reviews: dict[uuid.UUID, list[tuple[date, date | None]]] = defaultdict(list)
    for case_id, held_on, next_on in session.execute(
        select(_stored(PlanReview.case_id), PlanReview.held_on, PlanReview.next_review_on).where(
            PlanReview.case_id.in_(
                select(PlanReview.case_id).where(
                    PlanReview.case_id.in_(scope), counted.within(PlanReview.held_on)
                )
            ),
            PlanReview.held_on < counted.days[4],
        )
    ):
        reviews[case_id].append((held_on, next_on))
    goals = counted.counts(
        session,
        select(ReviewGoal.progress.label("row"), counted.quarter(PlanReview.held_on).label("q"))
        .join(PlanReview, PlanReview.id == ReviewGoal.review_id)
        .where(
            PlanReview.case_id.in_(scope),
            ReviewGoal.progress.in_((GoalProgress.ACHIEVED, GoalProgress.IN_PROGRESS)),
            counted.within(PlanReview.held_on),
        ),
    )
    members = counted.counts(
        session,
        select(
            NetworkMember.kind.label("row"), counted.quarter(NetworkMember.starts_on).label("q")
        ).where(NetworkMember.case_id.in_(scope), counted.within(NetworkMember.starts_on)),
    )
    endings = counted.counts(
        session,
        select(
            sql_case(
                (ServiceEnding.ended_with_case, literal_column("'ended_with_case'")),
                (ServiceEnding.client_agreed.is_(True), literal_column("'ended_agreed'")),
                else_=literal_column("'ended_not_agreed'"),
            ).label("row"),
            counted.quarter(ServiceEnding.ended_on).label("q"),
        ).where(ServiceEnding.case_id.in_(scope), counted.within(ServiceEnding.ended_on)),
    )
    factors_assessed = counted.counts(
        session,
        select(
            AssessmentFactor.code.label("row"), counted.quarter(Assessment.started_on).label("q")
        )
        .join(Assessment, Assessment.id == AssessmentFactor.assessment_id)
        .where(Assessment.case_id.in_(scope), counted.within(Assessment.started_on)),
    )
    factors_closed = counted.counts(
        session,
        select(ClosureFactor.code.label("row"), counted.quarter(CaseClosure.closed_at).label("q"))
        .join(CaseClosure, CaseClosure.id == ClosureFactor.closure_id)
        .where(CaseClosure.case_id.in_(scope), counted.within(CaseClosure.closed_at)),
    )
    consent_counts = counted.counts(
        session,
        union_all(
            select(
                sql_case(
                    (Consent.supersedes_id.is_(None), literal_column("'consents_granted'")),
                    else_=literal_column("'consents_amended'"),
                ).label("row"),
                counted.quarter(Consent.recorded_at).label("q"),
            ).where(Consent.case_id.in_(scope), counted.within(Consent.recorded_at)),
            select(
                literal_column("'consents_withdrawn'").label("row"),
                counted.quarter(Consent.ended_at).label("q"),
            ).where(
                Consent.case_id.in_(scope),
                Consent.state == ConsentState.REVOKED,
                counted.within(Consent.ended_at),
            ),
        ),
    )
    timestamped: tuple[tuple[str, Any, Any], ...] = (
        ("statutory_disclosures", StatutoryDisclosure.decided_at, StatutoryDisclosure.case_id),
        ("flows_agreed", FlowAgreement.recorded_at, FlowAgreement.case_id),
        ("partner_updates", PartnerUpdate.created_at, PartnerUpdate.case_id),
    )
    for key, moment, owner in timestamped:  # one statement each, as for every kind of fact
        consent_counts.update(
            counted.counts(
                session,
                select(
                    literal_column(f"'{key}'").label("row"), counted.quarter(moment).label("q")
                ).where(owner.in_(scope), counted.within(moment)),
            )
        )

    columns = rules.quarters(year)
    funnel: dict[tuple[str, str], int] = {}
    outcomes: dict[tuple[str, str], int] = {}
    review_counts: dict[tuple[str, str], int] = {}
    released_by: dict[str, list[uuid.UUID]] = defaultdict(list)
    release_days: dict[uuid.UUID, date] = {}
    for case_id, probation_start, conditional, *_ in cases:
        day = _release_day(probation_start, conditional, today)
        if day is not None:
            release_days[case_id] = day
    rules.tally((rules.local_day(d) for d in notified.values()), year, funnel, "notified")
    rules.tally(assessed.values(), year, funnel, "assessed")
    rules.tally(networked.values(), year, funnel, "network")
    with_services = [
        day
        for case_id, day in release_days.items()
        if any(on <= day for _, on in done.get(case_id, []))
    ]
    rules.tally(with_services, year, funnel, "released")
    rules.tally(
        (min((h for h, _ in rs if h.year == year), default=None) for rs in reviews.values()),
        year,
        funnel,
        "reviewed",
    )
    closed_days = [rules.local_day(case.closed_at) if case.closed_at else None for case in cases]
    rules.tally(closed_days, year, funnel, "closed")
    for case_id, day in release_days.items():
        if day.year != year:
            continue
        released_by[rules.quarter_label(year, rules.quarter_of(day))].append(case_id)
        released_by["year"].append(case_id)
        by_day = frozenset(task for task, on in done.get(case_id, []) if on <= day)
        for outcome in rules.RELEASE_OUTCOMES:
            if rules.outcome_met(outcome.key, by_day):
                rules.tally([day], year, outcomes, outcome.key)
        after = day + timedelta(days=rules.AFTER_RELEASE_DAYS)
        if after <= today and rules.outcome_met(
            "health", frozenset(task for task, on in done.get(case_id, []) if on <= after)
        ):
            rules.tally([day], year, outcomes, rules.HEALTH_AFTER_RELEASE.key)
    for case_reviews in reviews.values():
        for held_on, on_time in rules.reviews_on_time(case_reviews):
            if on_time is not None:
                rules.tally(
                    [held_on], year, review_counts, "reviews_on_time" if on_time else "reviews_late"
                )
    goal_rows = {"achieved": "goals_achieved", "in_progress": "goals_in_progress"}
    for (progress, column), n in goals.items():
        review_counts[(goal_rows[progress], column)] = n
    composition = members
    ending_counts = endings
    rules.tally(closed_days, year, ending_counts, "closed_cases")

    def section(
        key: str, indicators: tuple[Indicator, ...], counts: dict[tuple[str, str], int]
    ) -> Section:
        table = CountTable(tuple(i.key for i in indicators), columns, counts)
        if raw is not None:
            raw[key] = table
        return Section(key, indicators, protect(table, threshold))

    factor_counts, closing_counts = factors_assessed, factors_closed
    factors_at_assessment = tuple(
        rules.Indicator(f.code, f.code, rules.FACTORS_AT_ASSESSMENT_NOTE) for f in FACTORS
    )
    factors_at_closing = tuple(
        rules.Indicator(f.code, f.code, rules.FACTORS_AT_CLOSING_NOTE) for f in FACTORS
    )
    phases, phase_days = _by_phase(cases, moves, year, today, threshold)

    # Named on the page by ``app.labels.MEMBER_KINDS``.
    kinds = tuple(rules.Indicator(k.value, k.value, rules.NETWORK_NOTE) for k in MemberKind)
    all_columns = (*columns, "year")
    spreads = (
        Spread(
            rules.DURATIONS[0],
            _spread(
                rules.durations_by_quarter(
                    ((rules.local_day(notified[c]), assessed.get(c)) for c in notified), year
                ),
                all_columns,
                threshold,
            ),
        ),
        Spread(
            rules.DURATIONS[1],
            _spread(
                rules.durations_by_quarter(
                    ((rules.local_day(notified[c]), workers.get(c)) for c in notified), year
                ),
                all_columns,
                threshold,
            ),
        ),
    )

    def assessed_before(c: uuid.UUID) -> bool:
        started = assessed.get(c)
        return started is not None and started < release_days[c]

    def network_before(c: uuid.UUID) -> bool:
        return c in networked and networked[c] < release_days[c]

    before = {"assessed_before_release": assessed_before, "network_before_release": network_before}
    shares = tuple(
        Shares(
            indicator,
            {
                column: share(
                    sum(1 for c in released_by.get(column, []) if before[indicator.key](c)),
                    len(released_by.get(column, [])),
                    threshold,
                )
                for column in all_columns
            },
        )
        for indicator in rules.BEFORE_RELEASE
    )
    return Report(
        year,
        all_columns,
        threshold,
        (
            section("funnel", rules.FUNNEL, funnel),
            phases,
            section("release", (*rules.RELEASE_OUTCOMES, rules.HEALTH_AFTER_RELEASE), outcomes),
            section("reviews", rules.REVIEWS, review_counts),
            section("network", kinds, composition),
            section("consents", rules.CONSENTS, consent_counts),
            section("endings", rules.ENDINGS, ending_counts),
            section("factors_assessment", factors_at_assessment, factor_counts),
            section("factors_closing", factors_at_closing, closing_counts),
        ),
        spreads,
        shares,
        phase_days,
    )


def _by_phase(
    cases: Sequence[CaseRow],
    moves: dict[uuid.UUID, list[tuple[date, str, str]]],
    year: int,
    today: date,
    threshold: int,
) -> tuple[Section, tuple[Spread, ...]]:
    """Clients in each phase at each quarter's end, and the days spent in each phase."""
    ends = rules.quarter_ends(year, today)
    counts: dict[tuple[str, str], int] = {}
    stays: dict[str, list[tuple[date | None, date | None]]] = defaultdict(list)
    for case in cases:
        opened = rules.local_day(case.opened_at)
        history = moves.get(case.id, [])
        first = history[0][1] if history else case.phase
        changes = [(day, to) for day, _, to in history]
        for column, end in ends:
            phase = rules.phase_at(opened, first, changes, end)
            if phase in rules.ACTIVE_PHASES:
                counts[(phase, column)] = counts.get((phase, column), 0) + 1
        for phase, entered, left in rules.phase_stays(opened, first, changes):
            stays[phase].append((entered, left))
    indicators = tuple(
        rules.Indicator(phase, phase, rules.PHASE_NOTE) for phase in rules.ACTIVE_PHASES
    )
    table = CountTable(rules.ACTIVE_PHASES, tuple(column for column, _ in ends), counts)
    all_columns = (*rules.quarters(year), "year")
    spreads = tuple(
        Spread(
            rules.Indicator(phase, phase, rules.PHASE_DAYS_NOTE),
            _spread(rules.durations_by_quarter(stays[phase], year), all_columns, threshold),
        )
        for phase in rules.ACTIVE_PHASES
    )
    return Section("phases", indicators, protect_snapshot(table, threshold)), spreads


def _spread(
    days: dict[str, list[int]], columns: tuple[str, ...], threshold: int
) -> dict[str, tuple[float, float, float] | None]:
    return {column: quartiles(days.get(column, []), threshold) for column in columns}
