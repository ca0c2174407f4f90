"""Changing the organisation directory: create, edit, deactivate and reactivate.

Creating an organisation creates its grantee key pair (``sharing.seal``) in the same
transaction, so seals can be made to it at once and ``flask keys status`` counts it.
Deactivating one ends each of its network memberships through the command a worker ends one
with (``app.network.commands.end_member``: seals go, notices are written, agreements end) and
deactivates its staff accounts, ending their sessions and tokens. Functions flush and never
commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.commands import Ended, end_sessions
from app.directory.rules import (
    OrganisationCode,
    OrganisationFacts,
    Scope,
    business_id,
    may_manage_organisation,
    organisation_codes,
)
from app.models import NetworkMember, Organisation, OrgKind, User
from app.models.staff import AccountAction
from app.network.commands import end_member
from app.refusals import N_, Conflict, NotFound, Refused
from app.staff.commands import record_event
from consent.status import MembershipStatus, membership_status
from sharing import keys, seal
from sharing.gate import AccessGate


class NameTaken(Refused):
    """Raised when another organisation has the same name."""

    code = "name_taken"
    field = "name"
    message = N_("The directory already has an organisation of this name.")


class BusinessIdTaken(Refused):
    """Raised when another organisation has the same business id."""

    code = "business_id_taken"
    field = "business_id"
    message = N_("The directory already has an organisation with this business id.")


class CountyNotFound(Refused):
    """Raised when the county named for a local organisation is not a county."""

    code = "county_not_found"
    field = "county_id"
    message = N_("Choose a county from the list.")


class CountyStays(Conflict):
    """Raised when deactivating a county: it owns clients' cases."""

    code = "county_stays"
    message = N_("A county owns clients' cases and cannot be deactivated here.")


class AlreadyInactive(Conflict):
    """Raised when deactivating an organisation that is already inactive."""

    code = "organisation_inactive"
    message = N_("The organisation is already inactive.")


def _checked(
    session: Session, facts: OrganisationFacts, scope: Scope, own: uuid.UUID | None
) -> str:
    """The business id as stored, once the facts pass every rule.

    :raises Refused: per field (``OrganisationCode``), or ``NameTaken``, ``BusinessIdTaken``,
        ``CountyNotFound``.
    """
    codes = organisation_codes(facts, scope)
    if codes:
        raise Refused(errors=codes)
    if facts.county_id is not None:
        county = session.get(Organisation, facts.county_id)
        if county is None or county.kind is not OrgKind.COUNTY:
            raise CountyNotFound()
    others = (
        select(Organisation.id).where(Organisation.id != own) if own else select(Organisation.id)
    )
    if session.scalar(others.where(Organisation.name == facts.name.strip())) is not None:
        raise NameTaken()
    stored = business_id(facts.business_id) or ""
    if stored and session.scalar(others.where(Organisation.business_id == stored)) is not None:
        raise BusinessIdTaken()
    return stored


def _apply(organisation: Organisation, facts: OrganisationFacts, stored_business_id: str) -> None:
    organisation.name = facts.name.strip()
    organisation.kind = facts.kind
    organisation.authority = facts.authority
    organisation.county_id = facts.county_id
    organisation.business_id = stored_business_id or None
    organisation.municipality = facts.municipality.strip() or None
    organisation.phone = facts.phone.strip() or None
    organisation.email = facts.email.strip() or None
    organisation.address = facts.address.strip() or None


def create_organisation(
    session: Session, keyring: keys.Keyring, facts: OrganisationFacts, *, scope: Scope
) -> Organisation:
    """Add an organisation to the directory, with its grantee key pair.

    :raises Refused: when the facts break a rule (see ``_checked``).
    """
    stored = _checked(session, facts, scope, None)
    organisation = Organisation(name=facts.name.strip(), kind=facts.kind)
    _apply(organisation, facts, stored)
    session.add(organisation)
    session.flush()
    seal.grantee_keys(session, keyring, [(organisation.id, None)])
    return organisation


def _require_scope(organisation: Organisation, scope: Scope) -> None:
    if not may_manage_organisation(
        scope, organisation_id=organisation.id, county_id=organisation.county_id
    ):
        raise NotFound()


def update_organisation(
    session: Session, organisation: Organisation, facts: OrganisationFacts, *, scope: Scope
) -> None:
    """Change an organisation's details (its kind too).

    A county's administrator editing their own county keeps it a county.

    :raises NotFound: when the organisation is outside the administrator's scope.
    :raises Refused: when the facts break a rule (see ``_checked``).
    """
    _require_scope(organisation, scope)
    own_county = scope is not None and organisation.id == scope
    stored = _checked(session, facts, None if own_county else scope, organisation.id)
    if own_county and facts.kind is not OrgKind.COUNTY:
        raise Refused(errors={"kind": OrganisationCode.OUTSIDE_SCOPE})
    _apply(organisation, facts, stored)
    session.flush()


@dataclass(frozen=True)
class Deactivated:
    """What deactivating an organisation ended: memberships, and each staff account's sign-ins."""

    memberships: int
    accounts: dict[uuid.UUID, Ended]


def deactivate_organisation(
    session: Session,
    gate: AccessGate,
    organisation: Organisation,
    *,
    scope: Scope,
    by_user_id: uuid.UUID | None,
    now: datetime,
) -> Deactivated:
    """Take an organisation out of use: its memberships end (as a worker ending each would),
    its staff accounts are deactivated and their sessions and tokens end.

    :raises NotFound: when the organisation is outside the administrator's scope.
    :raises CountyStays: for a county.
    :raises AlreadyInactive: when it is inactive already.
    """
    _require_scope(organisation, scope)
    if organisation.kind is OrgKind.COUNTY:
        raise CountyStays()
    if not organisation.active:
        raise AlreadyInactive()
    members = session.scalars(
        select(NetworkMember)
        .where(NetworkMember.organisation_id == organisation.id, NetworkMember.ended_at.is_(None))
        .order_by(NetworkMember.id)
    ).all()
    ended = 0
    for member in members:
        if membership_status(member.membership(), now) is not MembershipStatus.ENDED:
            end_member(session, gate, member, by_user_id=by_user_id)
            ended += 1
    staff = session.scalars(
        select(User)
        .where(User.organisation_id == organisation.id, User.active.is_(True))
        .order_by(User.id)
    ).all()
    accounts: dict[uuid.UUID, Ended] = {}
    for account in staff:
        account.active = False
        record_event(
            session,
            account,
            AccountAction.DEACTIVATED,
            by_id=by_user_id,
            at=now,
            detail=f"organisation deactivated: {organisation.name}"[:200],
        )
        accounts[account.id] = end_sessions(session, account.id, now=now)
    organisation.active = False
    organisation.deactivated_at = now
    session.flush()
    return Deactivated(ended, accounts)


def reactivate_organisation(session: Session, organisation: Organisation, *, scope: Scope) -> None:
    """Let an organisation join networks again (ended memberships and accounts stay ended).

    :raises NotFound: when the organisation is outside the administrator's scope.
    """
    _require_scope(organisation, scope)
    organisation.active = True
    organisation.deactivated_at = None
    session.flush()
