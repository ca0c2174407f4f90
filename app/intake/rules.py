"""What the sender of a notification sees of it: its state, and nothing else of the case."""

from __future__ import annotations

import enum
import uuid

from app.models import Phase, User
from app.models.intake import NotificationStatus


class SentState(enum.StrEnum):
    """The state of a sent notification, as prison or probation staff see it."""

    RECEIVED = "received"  # in the county's intake queue
    ASSIGNED = "assigned"  # a worker has taken it
    ASSESSMENT_STARTED = "assessment_started"  # the service-need assessment has begun
    CLOSED_NO_ACTION = "closed_no_action"  # the county closed it without action


def sent_state(status: NotificationStatus, phase: Phase) -> SentState:
    """The sender's view of a notification from its status and its case's phase."""
    if status is NotificationStatus.UNASSIGNED:
        return SentState.RECEIVED
    if status is NotificationStatus.CLOSED_NO_ACTION:
        return SentState.CLOSED_NO_ACTION
    return SentState.ASSIGNED if phase is Phase.NOTIFIED else SentState.ASSESSMENT_STARTED


def sends_notifications(user: User) -> bool:
    """Whether the user is staff of a prison or probation office, who send notifications
    themselves (the ``when`` of their pages and operations)."""
    return user.organisation is not None and user.organisation.kind.sends_care_notifications


def notification_reference(notification_id: uuid.UUID) -> str:
    """A short reference the sender can note down and quote to the county."""
    return "N-" + notification_id.hex[:8].upper()
