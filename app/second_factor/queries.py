"""What the pages and the sign-in ask about a user's second factor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from app import issued_secrets
from app.models.second_factor import RecoveryCode, SecondFactor, SignInChallenge
from app.models.user import Role, User
from app.second_factor.rules import grouped, provisioning_uri, secret_text
from sharing.keys import AccountSecretRef, Keyring, open_account_secret

STAFF = frozenset(
    {Role.CASEWORKER, Role.PARTNER, Role.ADMIN, Role.MANAGER, Role.ANALYST, Role.DATA_PROTECTION}
)
PURPOSE = "totp"  # what the secret is bound to, besides its user and row


def is_staff(user: User) -> bool:
    """Staff may (and where required must) have a second factor; clients sign in without."""
    return user.role in STAFF


def has_second_factor(session: Session, user: User) -> bool:
    """Whether a second factor is in force for the user (one query)."""
    return bool(
        session.scalar(
            select(exists().where(SecondFactor.user_id == user.id, SecondFactor.active.is_(True)))
        )
    )


def secret_ref(factor: SecondFactor) -> AccountSecretRef:
    """What the factor's secret is wrapped for: its purpose, user and row."""
    return AccountSecretRef(PURPOSE, factor.user_id, factor.id)


def secret_of(keyring: Keyring, factor: SecondFactor) -> bytes:
    """The factor's secret, opened with the master keyring."""
    return open_account_secret(
        keyring, secret_ref(factor), factor.master_key_id, factor.secret_wrapped
    )


def factor_of(session: Session, user: User, *, active: bool) -> SecondFactor | None:
    """The user's second factor in force (``active``) or being set up."""
    return session.scalar(
        select(SecondFactor).where(SecondFactor.user_id == user.id, SecondFactor.active == active)
    )


@dataclass(frozen=True)
class Enrolment:
    """A secret being set up, as the enrolment page shows it."""

    secret_text: str  # base32, grouped by four for typing
    uri: str  # what the QR code carries


def enrolment_of(session: Session, keyring: Keyring, user: User) -> Enrolment | None:
    """The secret the user is setting up, or ``None`` when no enrolment was started."""
    pending = factor_of(session, user, active=False)
    if pending is None:
        return None
    secret = secret_of(keyring, pending)
    return Enrolment(grouped(secret_text(secret)), provisioning_uri(secret, user.username))


@dataclass(frozen=True)
class Status:
    """The account page's summary: in force since when, and recovery codes left."""

    confirmed_at: datetime | None
    recovery_codes_left: int

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None


def status_of(session: Session, user: User) -> Status:
    """The user's second factor at a glance (two queries)."""
    factor = factor_of(session, user, active=True)
    left = session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )
    return Status(factor.confirmed_at if factor else None, int(left or 0))


def challenged_user(session: Session, token: str, *, now: datetime) -> User | None:
    """The active user a live sign-in challenge token stands for."""
    return session.scalar(
        select(User)
        .join(SignInChallenge, SignInChallenge.user_id == User.id)
        .where(
            SignInChallenge.digest == issued_secrets.token_digest(token),
            SignInChallenge.expires_at > now,
            User.active.is_(True),
        )
    )


def wrapped_secret_counts(session: Session) -> dict[str, int]:
    """How many second-factor secrets each master key wraps."""
    rows = session.execute(
        select(SecondFactor.master_key_id, func.count(SecondFactor.id)).group_by(
            SecondFactor.master_key_id
        )
    ).all()
    return {key_id: count for key_id, count in rows}
