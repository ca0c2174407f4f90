"""Issuing, finding and revoking the API's bearer tokens.

A token is 32 random bytes (base64url) behind the prefix ``tkv_``; only its SHA-256
digest is stored, so the table cannot be replayed. It lives as long as a web session
may idle (staff 30 minutes, clients 10 by default) and cannot be extended: a partner
system asks for a new one. It ends early when revoked, when the account is
deactivated, or when the user's session token is rotated.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import User
from app.models.api_token import ApiToken

PREFIX = "tkv_"


@dataclass(frozen=True)
class Issued:
    secret: str  # shown to the caller once, never stored
    token: ApiToken


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(session: Session, user: User, *, now: datetime, lifetime: timedelta) -> Issued:
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        digest=_digest(secret),
        session_token=user.session_token,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(token)
    session.flush()
    return Issued(secret, token)


def find(session: Session, secret: str, *, now: datetime) -> tuple[User, ApiToken] | None:
    """The user and token a presented secret stands for, while it is valid."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.digest == _digest(secret))
    ).one_or_none()
    if row is None:
        return None
    token, user = row
    if (
        token.revoked_at is not None
        or token.expires_at <= now
        or not user.active
        or token.session_token != user.session_token
    ):
        return None
    return user, token


def revoke(token: ApiToken, *, now: datetime) -> None:
    token.revoked_at = now


def revoke_all(session: Session, user: User, *, now: datetime) -> int:
    """End every unexpired token of the user; how many there were."""
    result = session.execute(
        update(ApiToken)
        .where(
            ApiToken.user_id == user.id,
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
        )
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
