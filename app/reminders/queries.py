"""The reminders' registry: one source per kind and audience, one statement each.

A ``Source`` reads the coded facts of one kind of reminder (no content, nothing decrypted)
for one user — the in-app lists (``reminders_of``) — or for every user at once — the daily
e-mail (``users_with_reminders``) — with the same statement, and ``rules.due`` decides from
those facts. The worker's sources use the dashboard's own conditions (``app.dashboard.queries``)
with the user as a column, so the dashboard's numbers and the reminders agree by
construction. Either use costs one statement per source whatever the number of users or rows.

To add a source (as "appointments tomorrow" and "messages left unread" were added): a
``ReminderKind`` and its ``horizon``/``due`` rule in ``app.reminders.rules``, and a read
function here returning ``Due`` rows (user, case, subject, day) for one user or all, appended
to ``SOURCES``. Nothing else changes: the pages list every source of the user's audience and
the e-mail asks every source.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    Executable,
    Select,
    Subquery,
    and_,
    func,
    null,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session

from app.appointments.queries import participants_on
from app.dashboard import queries as dashboard
from app.log_requests.queries import waiting_conditions
from app.messages import queries as messages
from app.models import (
    Case,
    CaseTeamMember,
    ClientPlan,
    NetworkMember,
    ResponsibleWorker,
    Role,
    User,
)
from app.models.log_query import LogQuery
from app.models.log_request import LogRequest
from app.models.message import MessageThread
from app.models.release import ChecklistItem
from app.models.team_lead import TeamLead
from app.reminders.rules import Audience, Due, ReminderKind, audience_of, due, horizon
from consent.models import Consent
from consent.status import helsinki_day, helsinki_midnight
from sharing.access_log import AccessLogEntry

_Row = TypeVarTuple("_Row")
Read = Callable[[Session, date, uuid.UUID | None], list[Due]]


@dataclass(frozen=True)
class Source:
    """One kind of reminder for one audience, and the one statement that reads it."""

    kind: ReminderKind
    audience: Audience
    read: Read


def _user(role: Role, user_id: uuid.UUID | None) -> list[ColumnElement[bool]]:
    """The recipients: active users of ``role`` (one of them when ``user_id`` is given).

    The role is compared through ``coalesce`` so that no planner starts from the users-by-role
    index: SQLite, without statistics, would otherwise try every caseworker of a county
    against every case of it (``python -m benchmarks.reminders``: 261 ms → 3 ms for the log
    queries of 200 cases and 300 workers); each source starts from its own rows instead."""
    conditions = [func.coalesce(User.role, "") == role, User.active.is_(True)]
    return conditions if user_id is None else [*conditions, User.id == user_id]


def _case_workers(user_id: uuid.UUID | None) -> Subquery:
    """(case, user) pairs a worker's reminder may be for: the case's current responsible
    worker, its case team, and the responsible worker's team lead (a log query about that
    worker is the lead's). Joining through these pairs keeps each statement to the real
    relationships (not every worker of a county against every case); the dashboard's own
    conditions then decide exactly, as they do for the dashboard."""
    responsible = select(
        ResponsibleWorker.case_id.label("case_id"), ResponsibleWorker.worker_id.label("user_id")
    ).where(ResponsibleWorker.ends_on.is_(None))
    team = select(CaseTeamMember.case_id, CaseTeamMember.user_id).where(
        CaseTeamMember.removed_at.is_(None)
    )
    lead = (
        select(ResponsibleWorker.case_id, TeamLead.lead_id)
        .join(TeamLead, TeamLead.worker_id == ResponsibleWorker.worker_id)
        .where(ResponsibleWorker.ends_on.is_(None))
    )
    if user_id is not None:
        responsible = responsible.where(ResponsibleWorker.worker_id == user_id)
        team = team.where(CaseTeamMember.user_id == user_id)
        lead = lead.where(TeamLead.lead_id == user_id)
    return union(responsible, team, lead).subquery("case_workers")


def _worker_join(query: Select[*_Row], user_id: uuid.UUID | None) -> Select[*_Row]:
    """``query`` (with ``Case`` joined) joined to the case's workers of its county."""
    pairs = _case_workers(user_id)
    return query.join(pairs, pairs.c.case_id == Case.id).join(
        User, and_(User.id == pairs.c.user_id, User.organisation_id == Case.county_id)
    )


def _rows(session: Session, kind: ReminderKind, today: date, query: Executable) -> list[Due]:
    """Run a source's statement (user, case, subject, day) and keep what ``due`` says is due."""
    return [
        Due(kind, user_id, case_id, subject_id, on)
        for user_id, case_id, subject_id, on in session.execute(query)
        if due(kind, on, today)
    ]


def _worker_reviews(session: Session, today: date, user_id: uuid.UUID | None) -> list[Due]:
    query = _worker_join(
        select(User.id, Case.id, ClientPlan.id, ClientPlan.review_on)
        .select_from(ClientPlan)
        .join(Case, Case.id == ClientPlan.case_id),
        user_id,
    ).where(
        *_user(Role.CASEWORKER, user_id),
        *dashboard.reviews_due_conditions(User.id, User.organisation_id, today),
    )
    return _rows(session, ReminderKind.REVIEW_DUE, today, query)


def _worker_consents(session: Session, today: date, user_id: uuid.UUID | None) -> list[Due]:
    query = _worker_join(
        select(User.id, Case.id, Consent.id, Consent.valid_until)
        .select_from(Consent)
        .join(Case, Case.id == Consent.case_id)
        .join(NetworkMember, NetworkMember.id == Consent.member_id),
        user_id,
    ).where(
        *_user(Role.CASEWORKER, user_id),
        *dashboard.consents_expiring_conditions(User.id, User.organisation_id, today),
    )
    return _rows(session, ReminderKind.CONSENT_ENDING, today, query)


def _client_consents(session: Session, today: date, user_id: uuid.UUID | None) -> list[Due]:
    """The client's own consents about to end, on a case still worked on: theirs to extend."""
    query = (
        select(User.id, Case.id, Consent.id, Consent.valid_until)
        .select_from(Consent)
        .join(Case, Case.id == Consent.case_id)
        .join(NetworkMember, NetworkMember.id == Consent.member_id)
        .join(User, User.client_id == Consent.client_id)
        .where(
            *_user(Role.CLIENT, user_id),
            *dashboard.open_cases(),
            *dashboard.consents_ending(today),
        )
    )
    return _rows(session, ReminderKind.CONSENT_ENDING, today, query)


def _worker_items(session: Session, today: date, user_id: uuid.UUID | None) -> list[Due]:
    query = _worker_join(
        select(User.id, Case.id, ChecklistItem.id, ChecklistItem.due_on)
        .select_from(ChecklistItem)
        .join(Case, Case.id == ChecklistItem.case_id),
        user_id,
    ).where(
        *_user(Role.CASEWORKER, user_id),
        *dashboard.overdue_conditions(User.id, User.organisation_id, today),
    )
    return _rows(session, ReminderKind.CHECKLIST_OVERDUE, today, query)


def _partner_items(session: Session, today: date, user_id: uuid.UUID | None) -> list[Due]:
    """Overdue checklist items whose responsible member is the partner's organisation, while
    that membership lasts (the task is the organisation's, so each of its staff is told)."""
    query = (
        select(User.id, Case.id, ChecklistItem.id, ChecklistItem.due_on)
        .select_from(ChecklistItem)
        .join(Case, Case.id == ChecklistItem.case_id)
        .join(NetworkMember, NetworkMember.id == ChecklistItem.responsible_member_id)
        .join(User, User.organisation_id == NetworkMember.organisation_id)
        .where(
            *_user(Role.PARTNER, user_id),
            # Found from the open items due (their own index), not from every open case.
            *dashboard.open_cases(searched=False),
            ChecklistItem.is_open(),
            ChecklistItem.due_on <= horizon(ReminderKind.CHECKLIST_OVERDUE, today),
            NetworkMember.ended_at.is_(None),
            NetworkMember.starts_on <= today,
            or_(NetworkMember.ends_on.is_(None), NetworkMember.ends_on >= today),
        )
    )
    return _rows(session, ReminderKind.CHECKLIST_OVERDUE, today, query)


def _worker_log_queries(session: Session, today: date, user_id: uuid.UUID | None) -> list[Due]:
    query = _worker_join(
        select(User.id, Case.id, LogQuery.id, null())
        .select_from(LogQuery)
        .join(Case, Case.id == LogQuery.case_id)
        .join(AccessLogEntry, dashboard.entry_asked_about()),
        user_id,
    ).where(
        *_user(Role.CASEWORKER, user_id),
        *dashboard.log_queries_conditions(User.id, User.organisation_id),
    )
    return _rows(session, ReminderKind.LOG_QUERY, today, query)


def _appointments(role: Role) -> Read:
    """The source of ``role``'s meetings tomorrow (``app.appointments.queries``)."""

    def read(session: Session, today: date, user_id: uuid.UUID | None) -> list[Due]:
        kind = ReminderKind.APPOINTMENT_TOMORROW
        day = horizon(kind, today)
        query = participants_on(role, day).where(*_user(role, user_id))
        return [
            Due(kind, user, case, meeting, day) for user, case, meeting in session.execute(query)
        ]

    return read


def _messages(role: Role) -> Read:
    """The source of ``role``'s messages left unread (``app.messages.queries``): the worker's
    in threads of their open cases (responsible worker or team), the client's own threads,
    a partner's organisation's threads about clients it shares something with now."""

    def read(session: Session, today: date, user_id: uuid.UUID | None) -> list[Due]:
        kind = ReminderKind.MESSAGE_UNREAD
        waited = helsinki_midnight(horizon(kind, today) + timedelta(days=1))
        query = select(
            User.id, MessageThread.case_id, MessageThread.id, MessageThread.last_message_at
        )
        where = [
            *_user(role, user_id),
            messages.unread(User.id),
            MessageThread.last_message_at < waited,
        ]
        if role is Role.CASEWORKER:
            query = _worker_join(query.join(Case, Case.id == MessageThread.case_id), user_id)
            where.append(Case.closed_at.is_(None))
        elif role is Role.CLIENT:
            query = query.join(User, User.client_id == MessageThread.client_id)
            where.extend(messages.clients_own(User.client_id))
        else:
            query = query.join(User, User.organisation_id.is_not(None))
            # Shared as the day ends (as a meeting's source asks as its day begins).
            tonight = helsinki_midnight(today + timedelta(days=1))
            where.extend(messages.organisations(User.organisation_id, tonight))
        return [
            Due(kind, user, case, thread, helsinki_day(last))
            for user, case, thread, last in session.execute(query.where(*where))
        ]

    return read


def _worker_log_requests(session: Session, today: date, user_id: uuid.UUID | None) -> list[Due]:
    kind = ReminderKind.LOG_REQUEST_DEADLINE
    query = _worker_join(
        select(User.id, Case.id, LogRequest.id, LogRequest.due_on)
        .select_from(LogRequest)
        .join(Case, Case.id == LogRequest.case_id),
        user_id,
    ).where(
        *_user(Role.CASEWORKER, user_id),
        *waiting_conditions(User.id, User.organisation_id),
        LogRequest.due_on <= horizon(kind, today),
    )
    return _rows(session, kind, today, query)


SOURCES: tuple[Source, ...] = (
    Source(ReminderKind.REVIEW_DUE, Audience.WORKER, _worker_reviews),
    Source(ReminderKind.CONSENT_ENDING, Audience.WORKER, _worker_consents),
    Source(ReminderKind.CONSENT_ENDING, Audience.CLIENT, _client_consents),
    Source(ReminderKind.CHECKLIST_OVERDUE, Audience.WORKER, _worker_items),
    Source(ReminderKind.CHECKLIST_OVERDUE, Audience.PARTNER, _partner_items),
    Source(ReminderKind.LOG_QUERY, Audience.WORKER, _worker_log_queries),
    Source(ReminderKind.LOG_REQUEST_DEADLINE, Audience.WORKER, _worker_log_requests),
    Source(ReminderKind.APPOINTMENT_TOMORROW, Audience.WORKER, _appointments(Role.CASEWORKER)),
    Source(ReminderKind.APPOINTMENT_TOMORROW, Audience.CLIENT, _appointments(Role.CLIENT)),
    Source(ReminderKind.APPOINTMENT_TOMORROW, Audience.PARTNER, _appointments(Role.PARTNER)),
    Source(ReminderKind.MESSAGE_UNREAD, Audience.WORKER, _messages(Role.CASEWORKER)),
    Source(ReminderKind.MESSAGE_UNREAD, Audience.CLIENT, _messages(Role.CLIENT)),
    Source(ReminderKind.MESSAGE_UNREAD, Audience.PARTNER, _messages(Role.PARTNER)),
)


def sources_for(audience: Audience, sources: Sequence[Source] = SOURCES) -> list[Source]:
    return [s for s in sources if s.audience is audience]


def reminders_of(session: Session, user_id: uuid.UUID, role: Role, today: date) -> list[Due]:
    """What is waiting for the user today, by kind in the registry's order (one statement
    per source of the role's audience; none for a role without reminders)."""
    audience = audience_of(role)
    if audience is None:
        return []
    return [d for source in sources_for(audience) for d in source.read(session, today, user_id)]


def users_with_reminders(session: Session, today: date) -> set[uuid.UUID]:
    """Every user something is waiting for today (one statement per source)."""
    return {due.user_id for source in SOURCES for due in source.read(session, today, None)}
