"""Administering staff accounts; each action is recorded in the account's history.

One command per administrative action, each checking the administrator's scope
(``app.staff.rules.may_manage``) and recording an ``AccountEvent``; the edge writes the
same action to the security log. The invitation link's token is shown once and only its
SHA-256 digest kept (``app.issued_secrets``). Passwords, deactivation and sessions reuse
``app.accounts.commands``; a second-factor reset is ``flask second-factor reset``'s command.
Functions flush and never commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.accounts import commands as accounts
from app.accounts.rules import check_password, personal_words
from app.activation.rules import check_username
from app.directory.rules import Scope
from app.issued_secrets import new_token, token_digest
from app.models import Organisation, Role, User
from app.models.staff import AccountAction, AccountEvent, StaffInvitation
from app.refusals import N_, Conflict, NotFound, Refused
from app.second_factor import commands as second_factor
from app.second_factor.events import Origin
from app.staff.rules import (
    INVITATION_LIFETIME,
    AccountFacts,
    AssignmentCode,
    OrganisationFacts,
    assignment_code,
    may_manage,
)


class UsernameTaken(Refused):
    """Raised when the username belongs to another account (in any case)."""

    code = "username_taken"
    field = "username"
    message = N_("This username is taken. Choose another.")


class NameMissing(Refused):
    """Raised when an invitation has no name for the staff member."""

    code = "name_missing"
    field = "display_name"
    message = N_("Type the staff member's name.")


class InvitationNotValid(Refused):
    """Raised when an invitation link is unknown, used, replaced or expired (never told apart)."""

    status = 410
    code = "invitation_not_valid"
    message = N_(
        "This invitation link cannot be used: it has been used, replaced or has expired. "
        "Ask your administrator for a new one."
    )


class AlreadySetUp(Conflict):
    """Raised when re-inviting an account whose owner has already chosen a password."""

    code = "already_set_up"
    message = N_("The account is already in use: reset its password instead.")


RESET_LINK_DETAIL = "password reset link"


@dataclass(frozen=True)
class IssuedInvitation:
    token: str  # for the link shown to the administrator once, never stored
    invitation: StaffInvitation


def record_event(
    session: Session,
    account: User,
    action: AccountAction,
    *,
    by_id: uuid.UUID | None,
    at: datetime,
    detail: str = "",
) -> None:
    """Add an action to the account's history (shown on its administration page)."""
    session.add(AccountEvent(user_id=account.id, action=action, by_id=by_id, at=at, detail=detail))


def scope_of(admin: User) -> Scope:
    """An administrator's reach: their own organisation (a county), or the whole service."""
    return admin.organisation_id


def require_manageable(scope: Scope, account: User) -> None:
    """:raises NotFound: unless an administrator of ``scope`` manages ``account``."""
    facts = AccountFacts(account.role, account.organisation_id, account.invited_by_county_id)
    if not may_manage(scope, facts):
        raise NotFound()


def _assignment(
    session: Session, scope: Scope, role: Role, organisation_id: uuid.UUID | None
) -> None:
    """:raises Refused: when ``role`` in that organisation is not for ``scope`` to assign."""
    organisation = session.get(Organisation, organisation_id) if organisation_id else None
    if organisation_id is not None and organisation is None:
        raise Refused(errors={"organisation_id": AssignmentCode.NEEDS_ORGANISATION})
    facts = (
        OrganisationFacts(organisation.id, organisation.kind, organisation.active)
        if organisation
        else None
    )
    code = assignment_code(scope, role, facts)
    if code is not None:
        field = "role" if code is AssignmentCode.NOT_STAFF else "organisation_id"
        raise Refused(errors={field: code})


def _new_invitation(
    session: Session, account: User, *, by_id: uuid.UUID | None, now: datetime, detail: str = ""
) -> IssuedInvitation:
    session.execute(
        update(StaffInvitation)
        .where(
            StaffInvitation.user_id == account.id,
            StaffInvitation.used_at.is_(None),
            StaffInvitation.cancelled_at.is_(None),
        )
        .values(cancelled_at=now)
    )
    token = new_token()
    invitation = StaffInvitation(
        user_id=account.id,
        digest=token_digest(token),
        created_by_id=by_id,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    session.add(invitation)
    record_event(session, account, AccountAction.INVITED, by_id=by_id, at=now, detail=detail)
    session.flush()
    return IssuedInvitation(token, invitation)


def invite_staff(
    session: Session,
    *,
    scope: Scope,
    by_id: uuid.UUID | None,
    username: str,
    display_name: str,
    role: Role,
    organisation_id: uuid.UUID | None,
    now: datetime,
) -> IssuedInvitation:
    """Create a staff account without a password, and the one-time link that sets one.

    Partner staff invited by a county's administrator are managed by that county too.

    :raises InvalidUsername: when the username breaks the rule.
    :raises UsernameTaken: when it belongs to another account.
    :raises NameMissing: without a name.
    :raises Refused: when the role and organisation are not the administrator's to assign.
    """
    username = check_username(username)
    if not display_name.strip():
        raise NameMissing()
    _assignment(session, scope, role, organisation_id)
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise UsernameTaken()
    account = User(
        username=username,
        display_name=display_name.strip(),
        role=role,
        organisation_id=organisation_id,
        password_hash=None,
        invited_by_county_id=scope if role is Role.PARTNER else None,
    )
    session.add(account)
    session.flush()
    return _new_invitation(session, account, by_id=by_id, now=now)


def reinvite(
    session: Session, account: User, *, scope: Scope, by_id: uuid.UUID | None, now: datetime
) -> IssuedInvitation:
    """A new link for an invited account not yet set up; the earlier link stops working.

    :raises NotFound: when the account is outside the scope.
    :raises AlreadySetUp: when its owner has already chosen a password.
    """
    require_manageable(scope, account)
    if account.password_hash is not None:
        raise AlreadySetUp()
    return _new_invitation(session, account, by_id=by_id, now=now)


def password_reset_link(
    session: Session, account: User, *, scope: Scope, by_id: uuid.UUID | None, now: datetime
) -> IssuedInvitation:
    """A one-time link with which an account's owner chooses a new password (sent by e-mail,
    ``app.outbox``); the earlier links stop working, the current password works until then.
    Recorded in the history as an invitation ("password reset link").

    :raises NotFound: when the account is outside the scope.
    """
    require_manageable(scope, account)
    return _new_invitation(session, account, by_id=by_id, now=now, detail=RESET_LINK_DETAIL)


def invitation_of(session: Session, token: str, *, now: datetime) -> StaffInvitation | None:
    """The invitation a link's token names, while it can be used."""
    if not token or len(token) > 100:
        return None
    invitation = session.scalar(
        select(StaffInvitation).where(StaffInvitation.digest == token_digest(token))
    )
    if (
        invitation is None
        or invitation.used_at is not None
        or invitation.cancelled_at is not None
        or invitation.expires_at <= now
    ):
        return None
    return invitation


def accept_invitation(
    session: Session, hasher: PasswordHasher, token: str, *, password: str, now: datetime
) -> User:
    """The invited staff member chooses their password; the link is used up. A reset link
    (the account had a password) also ends every session and API token of the account.

    :raises InvitationNotValid: when the link cannot be used.
    :raises WeakPassword: when the password breaks the rule.
    """
    invitation = invitation_of(session, token, now=now)
    account = session.get(User, invitation.user_id) if invitation else None
    if invitation is None or account is None or not account.active:
        raise InvitationNotValid()
    check_password(password, personal=personal_words(account.username, account.display_name))
    claimed = session.execute(
        update(StaffInvitation)
        .where(StaffInvitation.id == invitation.id, StaffInvitation.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        raise InvitationNotValid()
    if account.password_hash is not None:
        # A reset link: whoever knew the old password is signed out everywhere.
        accounts.end_sessions(session, account.id, now=now)
    account.password_hash = hasher.hash(password)
    account.password_must_change = False
    record_event(session, account, AccountAction.INVITATION_ACCEPTED, by_id=account.id, at=now)
    session.flush()
    return account


def _placement(session: Session, role: Role, organisation_id: uuid.UUID | None) -> str:
    """``caseworker, Testikunta``: a role and organisation as the account's history says it."""
    organisation = session.get(Organisation, organisation_id) if organisation_id else None
    return f"{role.value}, {organisation.name if organisation else '-'}"[:98]


def change_account(
    session: Session,
    account: User,
    *,
    scope: Scope,
    by_id: uuid.UUID | None,
    display_name: str,
    role: Role,
    organisation_id: uuid.UUID | None,
    now: datetime,
) -> accounts.Ended | None:
    """Change a staff account's name, role or organisation. A new role or organisation ends
    every session and token of the account (its rights changed); what ended, if any.

    :raises NotFound: when the account is outside the scope (before or after the change).
    :raises NameMissing: without a name.
    :raises Refused: when the new role and organisation are not the scope's to assign.
    """
    require_manageable(scope, account)
    if not display_name.strip():
        raise NameMissing()
    moved = role is not account.role or organisation_id != account.organisation_id
    if moved:
        _assignment(session, scope, role, organisation_id)
    before = _placement(session, account.role, account.organisation_id)
    account.display_name = display_name.strip()
    account.role = role
    account.organisation_id = organisation_id
    if moved and role is Role.PARTNER and scope is not None:
        account.invited_by_county_id = scope
    detail = f"{before} → {_placement(session, role, organisation_id)}" if moved else ""
    record_event(session, account, AccountAction.CHANGED, by_id=by_id, at=now, detail=detail)
    session.flush()
    return accounts.end_sessions(session, account.id, now=now) if moved else None


def set_one_time_password(
    session: Session,
    hasher: PasswordHasher,
    account: User,
    *,
    scope: Scope,
    by_id: uuid.UUID | None,
    password: str,
    now: datetime,
) -> accounts.Ended:
    """``app.accounts.commands.set_password`` for an account of the scope, recorded."""
    require_manageable(scope, account)
    ended = accounts.set_password(session, hasher, account, password=password, now=now)
    record_event(session, account, AccountAction.PASSWORD_SET, by_id=by_id, at=now)
    return ended


def reset_second_factor(
    session: Session,
    account: User,
    *,
    scope: Scope,
    by_id: uuid.UUID | None,
    origin: Origin,
    now: datetime,
) -> None:
    """Turn off the account's second factor (``flask second-factor reset``'s command): every
    session and token ends; where one is required, the owner sets it up at the next sign-in.

    :raises NotFound: when the account is outside the scope.
    """
    require_manageable(scope, account)
    second_factor.remove_second_factor(session, account, now=now, origin=origin)
    record_event(session, account, AccountAction.SECOND_FACTOR_RESET, by_id=by_id, at=now)
    session.flush()


def deactivate_account(
    session: Session, account: User, *, scope: Scope, by: User, now: datetime
) -> accounts.Ended:
    """``app.accounts.commands.deactivate`` for an account of the scope, recorded.

    :raises NotFound: when the account is outside the scope.
    :raises CannotDeactivateSelf: for one's own account.
    """
    require_manageable(scope, account)
    ended = accounts.deactivate(session, account, by=by, now=now)
    record_event(session, account, AccountAction.DEACTIVATED, by_id=by.id, at=now)
    return ended


def reactivate_account(
    session: Session, account: User, *, scope: Scope, by_id: uuid.UUID | None, now: datetime
) -> None:
    """``app.accounts.commands.reactivate`` for an account of the scope, recorded.

    :raises NotFound: when the account is outside the scope.
    """
    require_manageable(scope, account)
    accounts.reactivate(session, account)
    record_event(session, account, AccountAction.REACTIVATED, by_id=by_id, at=now)
    session.flush()
