"""What a reminder is and when one is due. Pure: no database, no clock.

A reminder is something waiting for a user: a plan review coming up (the worker), a consent
about to end (the client, who can extend it; and the worker), a checklist item past its day
(the worker, and the partner whose task it is), a client's question about their log not yet
answered (the responsible worker or their team lead), a log request nearing its statutory
deadline (the responsible worker), a meeting tomorrow (everyone taking part who may see it),
a message left unread for two days (everyone in the thread who may read it).
The reminders' sources (``app.reminders.queries``) read the
coded facts, one statement each; ``due`` decides from those facts alone, so the in-app lists
and the daily e-mail cannot disagree.
"""

from __future__ import annotations

import enum
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from app.models.user import Role
from app.reviews.rules import REMINDER_DAYS

# A consent is brought up this many days before its last day (the dashboard's list too).
CONSENT_NOTICE_DAYS = 30
# An unanswered log request is brought up this many days before its statutory deadline
# (``app.log_requests.rules.due_on``), and stays up once the deadline has passed.
LOG_REQUEST_NOTICE_DAYS = 7
# A message someone else wrote is brought up when it has waited unread this many days (its
# e-mail notice went when it was sent; this is the nudge after it).
MESSAGE_NOTICE_DAYS = 2
# Extending a consent from its reminder offers the same period again from its last day, at
# least this long and at most a year (the client can change the day before confirming).
SHORTEST_EXTENSION = timedelta(days=90)
LONGEST_EXTENSION = timedelta(days=365)


class ReminderKind(enum.StrEnum):
    REVIEW_DUE = "review_due"
    CONSENT_ENDING = "consent_ending"
    CHECKLIST_OVERDUE = "checklist_overdue"
    LOG_QUERY = "log_query"
    LOG_REQUEST_DEADLINE = "log_request_deadline"
    APPOINTMENT_TOMORROW = "appointment_tomorrow"
    MESSAGE_UNREAD = "message_unread"


class Audience(enum.StrEnum):
    """Whom a source reminds: each user's role names one audience."""

    WORKER = "worker"
    CLIENT = "client"
    PARTNER = "partner"


AUDIENCES = {
    Role.CASEWORKER: Audience.WORKER,
    Role.CLIENT: Audience.CLIENT,
    Role.PARTNER: Audience.PARTNER,
}


def audience_of(role: Role) -> Audience | None:
    """The audience of a user of ``role``; None: no reminders (administrators and others)."""
    return AUDIENCES.get(role)


@dataclass(frozen=True)
class Due:
    """One thing waiting for one user: what, in which case, about which row, and its day.

    ``subject_id`` is the plan, consent, checklist item, log query or log request; ``on`` is
    the day the rule reads (the review day, the consent's last day, the item's or request's
    due day; the day a query was asked)."""

    kind: ReminderKind
    user_id: uuid.UUID
    case_id: uuid.UUID
    subject_id: uuid.UUID
    on: date | None


def horizon(kind: ReminderKind, today: date) -> date:
    """The latest day a source's query must read up to for ``kind`` (its coarse filter)."""
    if kind is ReminderKind.REVIEW_DUE:
        return today + timedelta(days=REMINDER_DAYS)
    if kind is ReminderKind.CONSENT_ENDING:
        return today + timedelta(days=CONSENT_NOTICE_DAYS)
    if kind is ReminderKind.LOG_REQUEST_DEADLINE:
        return today + timedelta(days=LOG_REQUEST_NOTICE_DAYS)
    if kind is ReminderKind.CHECKLIST_OVERDUE:
        return today - timedelta(days=1)
    if kind is ReminderKind.APPOINTMENT_TOMORROW:
        return today + timedelta(days=1)
    if kind is ReminderKind.MESSAGE_UNREAD:
        return today - timedelta(days=MESSAGE_NOTICE_DAYS)
    return date.max


def due(kind: ReminderKind, on: date | None, today: date) -> bool:
    """Whether a fact of ``kind`` whose day is ``on`` is a reminder ``today``.

    Reviews, log requests and checklist items: once inside the notice period and until done
    (past days stay). Consents: from the notice period to the last day (an ended consent is
    no longer there to extend). Log queries: while open, whatever the day. Appointments: the
    day before (Helsinki days). Messages: from the day they have waited unread long enough
    until read.
    """
    if kind is ReminderKind.LOG_QUERY:
        return True
    if on is None:
        return False
    if kind is ReminderKind.APPOINTMENT_TOMORROW:
        return on == horizon(kind, today)
    if kind is ReminderKind.CONSENT_ENDING:
        return today <= on <= horizon(kind, today)
    return on <= horizon(kind, today)


def counted(reminders: Iterable[Due]) -> Counter[ReminderKind]:
    """How many of each kind (a page lists the numbers, never the content)."""
    return Counter(r.kind for r in reminders)


def extension_until(valid_from: date, valid_until: date) -> date:
    """The last day offered when a consent's reminder extends it: the consent's own length
    again after its last day, within ``SHORTEST_EXTENSION`` … ``LONGEST_EXTENSION``."""
    length = min(max(valid_until - valid_from, SHORTEST_EXTENSION), LONGEST_EXTENSION)
    return valid_until + length
