"""Who a presented session cookie or API token stands for; one's own sign-ins and tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, lazyload

from app.accounts.rules import may_be_session_secret, may_be_token
from app.issued_secrets import token_digest
from app.models import User
from app.models.api_token import ApiToken
from app.models.user_session import UserSession


def find_session(session: Session, secret: str) -> tuple[UserSession, User] | None:
    """The session a cookie's secret names and its user, in one statement (every page asks).

    Whether the session is still good (idle, lifetime, an active account) is the caller's
    question: ``app.accounts.rules.session_ended``.
    """
    if not may_be_session_secret(secret):
        return None
    row = session.execute(_SESSION, {"digest": token_digest(secret)}).one_or_none()
    return None if row is None else (row[0], row[1])


_SESSION = (
    select(UserSession, User)
    .join(User, User.id == UserSession.user_id)
    .where(UserSession.digest == bindparam("digest"))
)
"""Built once: every signed-in page runs it."""


def sessions_of(session: Session, user_id: uuid.UUID) -> list[UserSession]:
    """The user's open sessions, the most recently used first."""
    return list(
        session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user_id)
            .order_by(UserSession.last_seen_at.desc(), UserSession.id)
        )
    )


def tokens_of(session: Session, user_id: uuid.UUID, *, now: datetime) -> list[ApiToken]:
    """The user's API tokens still valid at ``now``, the newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(
                ApiToken.user_id == user_id,
                ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > now,
            )
            .order_by(ApiToken.created_at.desc(), ApiToken.id)
        )
    )


_TOKEN = (
    select(ApiToken, User)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.digest == bindparam("digest"))
    # An API caller's organisation is read when asked for, not joined into every request.
    .options(lazyload(User.organisation))
)
"""Built once: every API request runs it."""


def find_token(session: Session, secret: str, *, now: datetime) -> tuple[User, ApiToken] | None:
    """The user and token a presented secret stands for, while it is valid."""
    if not may_be_token(secret):
        return None
    row = session.execute(_TOKEN, {"digest": token_digest(secret)}).one_or_none()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or token.expires_at <= now or not user.active:
        return None
    return user, token


def open_sessions(session: Session, user_id: uuid.UUID) -> int:
    """How many sessions of the user are open (whether idle or not: the purge decides that)."""
    return session.scalar(select(func.count()).where(UserSession.user_id == user_id)) or 0
