"""What locking and unlocking a client's sign-in writes to the security log.

The client's worker (``app.web.caseworker.portal_access``) and an administrator
(``app.web.admin.clients``) lock and unlock alike, with ``app.activation.commands``.
"""

from __future__ import annotations

from flask_login import current_user

from app import security_log
from app.accounts.commands import Ended
from app.accounts.rules import SessionEnd
from app.models import User
from app.security import log_ended_sessions


def log_locked(account: User, ended: Ended) -> None:
    """A client's sign-in locked, in the security log (with the sessions it ended)."""
    security_log.event(
        security_log.Kind.SIGN_IN_LOCKED,
        user_id=account.id,
        outcome=security_log.Outcome.SUCCESS,
        by=current_user.id,
    )
    log_ended_sessions(account.id, ended, SessionEnd.SIGN_IN_LOCKED)


def log_unlocked(account: User) -> None:
    """A client's sign-in unlocked, in the security log."""
    security_log.event(
        security_log.Kind.SIGN_IN_UNLOCKED,
        user_id=account.id,
        outcome=security_log.Outcome.SUCCESS,
        by=current_user.id,
    )
