"""Who a presented API token stands for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.rules import may_be_token
from app.issued_secrets import token_digest
from app.models import User
from app.models.api_token import ApiToken


def find_token(session: Session, secret: str, *, now: datetime) -> tuple[User, ApiToken] | None:
    """The user and token a presented secret stands for, while it is valid."""
    if not may_be_token(secret):
        return None
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.digest == token_digest(secret))
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
