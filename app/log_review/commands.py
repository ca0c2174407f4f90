"""What a review of the access log writes: its own entries, and the reviewer designation.

Reading the log is itself logged: ``note_review`` enters one entry in the chain of each
client whose entries a review page showed (or whose "who could see what" it reconstructed),
so the client's own log tells them that their log was looked into, and by whom. The web
and API edges write the security-log event beside it. ``designate`` gives or takes an
administrator's or caseworker's log-reviewer designation; ``review_flag`` marks a flag
reviewed, with the reviewer's note (who and when). All flush and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.log_review.rules import LOG_SCOPE, REVIEWERS
from app.models import User
from app.models.log_review import FlagKind, FlagReview
from app.refusals import N_, Conflict, Refused
from consent.decision import Reason
from consent.facts import Actor, Purpose
from sharing import access_log
from sharing.access_log import AccessAction, AccessLogEntry, LogRecord


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


class FlagAlreadyReviewed(Conflict):
    """Raised when a flag has been marked reviewed already (the first review stands)."""

    code = "flag_already_reviewed"
    message = N_("This flag has already been marked reviewed.")


class NoteRequired(Refused):
    code = "note_required"
    field = "note"
    message = N_("Write what you found.")


def review_flag(
    session: Session,
    reviewer_id: uuid.UUID,
    kind: FlagKind,
    entry: AccessLogEntry,
    note: str,
    at: datetime,
) -> FlagReview:
    """Mark the flag of ``kind`` that ``entry`` shows reviewed, with the reviewer's note.

    :raises NoteRequired: when the note is empty.
    :raises FlagAlreadyReviewed: when it was marked reviewed before.
    """
    note = note.strip()
    if not note:
        raise NoteRequired()
    if session.scalar(
        select(FlagReview.id).where(FlagReview.kind == kind, FlagReview.entry_id == entry.id)
    ):
        raise FlagAlreadyReviewed()
    review = FlagReview(
        kind=kind,
        entry_id=entry.id,
        client_id=entry.client_id,
        note=note[:1000],
        reviewed_by_id=reviewer_id,
        reviewed_at=at,
    )
    session.add(review)
    session.flush()
    return review
