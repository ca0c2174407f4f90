"""Signing in with a password, and issuing and revoking the API's bearer tokens.

``authenticate`` checks a username and password; limits on failures are the edge's
(``app.rate_limits``).

A token is 32 random bytes (base64url) behind the prefix ``tkv_``; only its SHA-256
digest is stored (``app.issued_secrets``), so the table cannot be replayed. It lives as
long as a web session may idle (staff 30 minutes, clients 10 by default) and cannot be
extended: a partner system asks for a new one. It ends early when revoked, when the
account is deactivated, or when the user's session token is rotated (``app.accounts.queries``).
Functions flush and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.rules import TOKEN_PREFIX, SignInRefusal
from app.issued_secrets import new_token, spend_a_check, token_digest
from app.models import User
from app.models.api_token import ApiToken


def verify_password(hasher: PasswordHasher, user: User | None, password: str) -> bool:
    """Check a password in constant work whether or not the user exists; rehash when stale."""
    if user is None or user.password_hash is None:
        spend_a_check(hasher, password)  # timing does not reveal which usernames exist
        return False
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def authenticate(
    session: Session, hasher: PasswordHasher, username: str, password: str, *, now: datetime
) -> User | SignInRefusal:
    """The active user these credentials sign in, or why not.

    An unknown username costs the same work as a known one, so timing does not tell them
    apart, and the refusal is the same. No account is ever locked: the edge limits failed
    attempts per address and per username at an address (``app.rate_limits``), so an
    attacker cannot lock the owner out.
    """
    user = session.scalar(select(User).where(User.username == username))
    if verify_password(hasher, user, password) and user is not None and user.active:
        user.last_login_at = now
        session.flush()
        return user
    return SignInRefusal.WRONG


@dataclass(frozen=True)
class IssuedToken:
    secret: str  # shown to the caller once, never stored
    token: ApiToken


def issue_token(session: Session, user: User, *, now: datetime, lifetime: timedelta) -> IssuedToken:
    secret = TOKEN_PREFIX + new_token()
    token = ApiToken(
        user_id=user.id,
        digest=token_digest(secret),
        session_token=user.session_token,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(token)
    session.flush()
    return IssuedToken(secret, token)


def revoke_token(token: ApiToken, *, now: datetime) -> None:
    token.revoked_at = now


def revoke_all_tokens(session: Session, user: User, *, now: datetime) -> int:
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
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
