"""The indicators, each defined once: its key, its name and the definition the page shows.

Pure: no database. ``app.statistics.queries`` gathers the coded facts (dates, phases,
kinds, outcomes: never anything encrypted) and the functions here turn them into
quarterly counts and durations, which ``app.statistics.disclosure`` then protects.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from app.models.release import ReleaseTask
from app.refusals import N_
from consent.status import HELSINKI


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str  # N_ marked: translated where shown
    definition: str


def _i(key: str, name: str, definition: str) -> Indicator:
    return Indicator(key, name, definition)


FUNNEL = (
    _i(
        "notified",
        N_("Notified"),
        N_("Clients whose first notification or contact was received in the quarter."),
    ),
    _i(
        "assessed",
        N_("Assessment started"),
        N_("Clients whose service-need assessment started in the quarter."),
    ),
    _i(
        "network",
        N_("Network assembled"),
        N_("Clients whose case moved on from assembling the support network in the quarter."),
    ),
    _i(
        "released",
        N_("Released with services"),
        N_(
            "Clients released in the quarter (probationary liberty or conditional release) with "
            "at least one release-day task done."
        ),
    ),
    _i(
        "reviewed",
        N_("Plan reviewed"),
        N_("Clients whose plan was reviewed at least once in the quarter."),
    ),
    _i("closed", N_("Case closed"), N_("Clients whose case was closed in the quarter.")),
)

DURATIONS = (
    _i(
        "days_to_assessment",
        N_("Days from notification to assessment start"),
        N_(
            "Calendar days from the first notification to the start of the service-need "
            "assessment, for assessments started in the quarter."
        ),
    ),
    _i(
        "days_to_worker",
        N_("Days from notification to a responsible worker"),
        N_(
            "Calendar days from the first notification to the first day of the first appointed "
            "responsible worker, for appointments in the quarter."
        ),
    ),
)

BEFORE_RELEASE = (
    _i(
        "assessed_before_release",
        N_("Assessment started before release"),
        N_(
            "Of the clients released in the quarter, the share whose assessment started before "
            "the release day."
        ),
    ),
    _i(
        "network_before_release",
        N_("Network assembled before release"),
        N_(
            "Of the clients released in the quarter, the share whose case had moved on from "
            "assembling the network before the release day."
        ),
    ),
)

RELEASE_OUTCOMES = (
    _i(
        "housing",
        N_("Housing secured"),
        N_("Clients released in the quarter whose housing task was done by the release day."),
    ),
    _i(
        "livelihood",
        N_("Livelihood or Kela arranged"),
        N_(
            "Clients released in the quarter whose Kela or social assistance task was done by "
            "the release day."
        ),
    ),
    _i(
        "health",
        N_("Health or substance treatment contact"),
        N_(
            "Clients released in the quarter whose health care or substance services task was "
            "done by the release day."
        ),
    ),
    _i(
        "identity_bank",
        N_("ID and bank account"),
        N_(
            "Clients released in the quarter whose identity card and bank account tasks were "
            "both done by the release day."
        ),
    ),
)

OUTCOME_TASKS: dict[str, frozenset[ReleaseTask]] = {
    "housing": frozenset({ReleaseTask.HOUSING_APPLICATION}),
    "livelihood": frozenset({ReleaseTask.KELA_SOCIAL_ASSISTANCE}),
    "health": frozenset({ReleaseTask.HEALTH_CARE, ReleaseTask.SUBSTANCE_SERVICES}),
    "identity_bank": frozenset({ReleaseTask.IDENTITY_CARD, ReleaseTask.BANK_ACCOUNT}),
}
ALL_OF = frozenset({"identity_bank"})  # every task needed; otherwise any one of them

AFTER_RELEASE_DAYS = 21
HEALTH_AFTER_RELEASE = _i(
    "health_21_days",
    N_("Health or substance treatment contact within 21 days"),
    N_(
        "Clients released in the quarter whose health care or substance services task was "
        "done by the 21st day after the release day (a contact arranged by then). Counted "
        "once the 21 days have passed. Recorded contacts say only how the worker met the "
        "client, so the checklist's coded outcome is the fact counted."
    ),
)

REVIEWS = (
    _i(
        "reviews_on_time",
        N_("Plan reviews held on time"),
        N_("Reviews held in the quarter on or before the day agreed at the previous review."),
    ),
    _i(
        "reviews_late",
        N_("Plan reviews held late"),
        N_("Reviews held in the quarter after the day agreed at the previous review."),
    ),
    _i(
        "goals_achieved",
        N_("Goals achieved"),
        N_("Plan goals assessed as achieved at a review held in the quarter."),
    ),
    _i(
        "goals_in_progress",
        N_("Goals in progress"),
        N_("Plan goals assessed as in progress at a review held in the quarter."),
    ),
)

ENDINGS = (
    _i(
        "ended_agreed",
        N_("Services ended, the client agreed"),
        N_(
            "Services of the network ended in the quarter with an ending assessed with the "
            "client, who agreed with it."
        ),
    ),
    _i(
        "ended_not_agreed",
        N_("Services ended, the client did not agree"),
        N_(
            "Services of the network ended in the quarter with an ending assessed with the "
            "client, who did not agree with it."
        ),
    ),
    _i(
        "ended_with_case",
        N_("Services ended with the case"),
        N_("Services the worker ended with the closing of the case in the quarter."),
    ),
    _i("closed_cases", N_("Cases closed"), N_("Cases closed in the quarter.")),
)

CONSENTS = (
    _i(
        "consents_granted",
        N_("Consents granted"),
        N_("Consents the client gave in the quarter (amendments not counted)."),
    ),
    _i(
        "consents_amended",
        N_("Consents amended"),
        N_("Consents the client changed in the quarter (narrowed or widened)."),
    ),
    _i(
        "consents_withdrawn",
        N_("Consents withdrawn"),
        N_("Consents the client withdrew in the quarter."),
    ),
    _i(
        "statutory_disclosures",
        N_("Statutory disclosures"),
        N_("Disclosures decided in the quarter under a statutory duty, without consent."),
    ),
    _i(
        "flows_agreed",
        N_("Information flows agreed"),
        N_("Agreements in the quarter on what information passes between network members."),
    ),
    _i(
        "partner_updates",
        N_("Partner updates"),
        N_("Updates partner organisations recorded on their work with clients in the quarter."),
    ),
)

NETWORK_NOTE = N_("Network members who joined a network in the quarter, by kind.")

# -- by phase -----------------------------------------------------------------------------
# Named on the page by ``app.labels.PHASES``; CLOSED is no phase a client is "in".
ACTIVE_PHASES = ("notified", "assessment", "network", "release", "follow_up", "ending")
PHASE_NOTE = N_(
    "Clients whose case was in the phase at the end of the quarter (closed cases not "
    "counted). Each quarter hides at least one more count, so no quarter's total, and so "
    "no count of clients entering or leaving, can be worked out from the columns."
)
PHASE_DAYS_NOTE = N_(
    "Calendar days the case spent in the phase, for cases that moved on from it in the "
    "quarter: from the day it entered the phase (the case's opening for the first) to the "
    "day it left."
)

# -- desistance factors -------------------------------------------------------------------
# Named on the page by the assessment's factor labels; codes in ``app.assessment.rules``.
FACTORS_AT_ASSESSMENT_NOTE = N_(
    "Clients whose service-need assessment, started in the quarter, records the desistance "
    "factor (a note or the factor marked as addressed in the plan)."
)
FACTORS_AT_CLOSING_NOTE = N_(
    "Clients whose case closed in the quarter with the desistance factor recorded as in place "
    "at closing (the worker's coded choice on the closing form)."
)


def local_day(moment: datetime) -> date:
    """The Finnish calendar day of a stored (UTC) moment: what a quarter counts.

    Helsinki's offset changes only on the hour, so it is looked up once per UTC hour
    (a county's facts share few hours): ``astimezone`` per fact dominated the report.
    """
    utc = moment.astimezone(UTC) if moment.utcoffset() else moment
    return (utc + _helsinki_offset(utc.date(), utc.hour)).date()


@functools.lru_cache(maxsize=4096)
def _helsinki_offset(day: date, hour: int) -> timedelta:
    offset = datetime(day.year, day.month, day.day, hour, tzinfo=UTC).astimezone(HELSINKI)
    return offset.utcoffset() or timedelta(0)


def quarter_of(day: date) -> int:
    """1..4."""
    return (day.month - 1) // 3 + 1


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"


def quarters(year: int) -> tuple[str, ...]:
    return tuple(quarter_label(year, q) for q in range(1, 5))


def tally(
    days: Iterable[date | None], year: int, counts: dict[tuple[str, str], int], row: str
) -> None:
    """Count each day of ``year`` under its quarter in ``row``."""
    for day in days:
        if day is not None and day.year == year:
            key = (row, quarter_label(year, quarter_of(day)))
            counts[key] = counts.get(key, 0) + 1


def durations_by_quarter(
    pairs: Iterable[tuple[date | None, date | None]], year: int
) -> dict[str, list[int]]:
    """Days from start to end, by the end's quarter (and the whole year under "year")."""
    result: dict[str, list[int]] = {}
    for start, end in pairs:
        if start is None or end is None or end.year != year or end < start:
            continue
        days = (end - start).days
        result.setdefault(quarter_label(year, quarter_of(end)), []).append(days)
        result.setdefault("year", []).append(days)
    return result


def phase_at(
    opened: date, first: str, changes: Iterable[tuple[date, str]], day: date
) -> str | None:
    """The phase a case was in at the end of ``day``: None before it opened.

    ``first`` is the phase it opened in, ``changes`` its later moves (day, new phase) in order.
    """
    if opened > day:
        return None
    phase = first
    for changed_on, to in changes:
        if changed_on > day:
            break
        phase = to
    return phase


def quarter_ends(year: int, today: date) -> tuple[tuple[str, date], ...]:
    """Each quarter of ``year`` with its last day (today for the quarter running now);
    quarters not begun yet are left out."""
    ends = []
    for q in range(1, 5):
        month = 3 * q
        last = (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(
            days=1
        )
        start = date(year, month - 2, 1)
        if start > today:
            break
        ends.append((quarter_label(year, q), min(last, today)))
    return tuple(ends)


def phase_stays(
    opened: date, first: str, changes: Iterable[tuple[date, str]]
) -> Iterable[tuple[str, date, date]]:
    """Each phase a case left: (phase, entered on, left on)."""
    phase, since = first, opened
    for changed_on, to in changes:
        yield phase, since, changed_on
        phase, since = to, changed_on


def outcome_met(key: str, done: frozenset[ReleaseTask]) -> bool:
    tasks = OUTCOME_TASKS[key]
    return tasks <= done if key in ALL_OF else bool(tasks & done)


def reviews_on_time(
    reviews: Iterable[tuple[date, date | None]],
) -> Iterable[tuple[date, bool | None]]:
    """One case's reviews (held on, next agreed) in order: each with whether it was on time
    (None for the first, which had no agreed day)."""
    agreed: date | None = None
    for held_on, next_on in sorted(reviews, key=lambda r: r[0]):
        yield held_on, (None if agreed is None else held_on <= agreed)
        agreed = next_on


Keyed = Callable[[str], Indicator]
