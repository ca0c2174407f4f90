"""What a review of the access log writes: its own entries, and the reviewer designation.

Reading the log is itself logged: ``note_review`` enters one entry in the chain of each
client whose entries a review page showed (or whose "who could see what" it reconstructed),
so the client's own log tells them that their log was looked into, and by whom. The web
and API edges write the security-log event beside it. ``designate`` gives or takes an
administrator's or caseworker's log-reviewer designation. Both flush and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from app.log_review.rules import LOG_SCOPE, REVIEWERS
from app.models import User
from app.refusals import N_, Refused
from consent.decision import Reason
from consent.facts import Actor, Purpose
from sharing import access_log
from sharing.access_log import AccessAction, LogRecord


def note_review(
    session: Session, actor: Actor, client_ids: Iterable[uuid.UUID], at: datetime
) -> None:
    """Enter in each client's chain that ``actor`` read their log at ``at`` (one append)."""
    access_log.append(
        session,
        [
            LogRecord(
                client_id=client_id,
                at=at,
                actor_user_id=actor.user_id,
                actor_role=actor.role.value,
                organisation_id=actor.organisation_id,
                action=AccessAction.READ,
                allowed=True,
                reason=Reason.ALLOWED_LOG_REVIEW.value,
                scope=LOG_SCOPE,
                purpose=Purpose.ADMINISTRATION.value,
            )
            for client_id in sorted(set(client_ids), key=str)
        ],
    )


class NotAReviewerRole(Refused):
    """Raised when designating an account whose role cannot review the log."""

    code = "not_a_reviewer_role"
    message = N_("Only an administrator or a caseworker can be designated to review the log.")


def designate(session: Session, account: User, reviewer: bool) -> bool:
    """Give (``reviewer``) or take away the account's log-reviewer designation; whether
    anything changed.

    :raises NotAReviewerRole: when giving it to an account of another role.
    """
    if reviewer and account.role not in REVIEWERS:
        raise NotAReviewerRole()
    changed = account.log_reviewer != reviewer
    account.log_reviewer = reviewer
    session.flush()
    return changed
