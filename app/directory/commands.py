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
from app.directory.queries import network_place
from app.directory.rules import (
    KindChangeBlock,
    OrganisationCode,
    OrganisationFacts,
    Scope,
    business_id,
    kind_change_block,
    may_manage_organisation,
    organisation_codes,
)
from app.models import NetworkMember, Organisation, OrgKind, User
from app.models.staff import AccountAction
from app.network.commands import end_member
from app.refusals import N_, Conflict, NotFound, Refused
from app.staff.commands import record_event
from consent.base import utcnow
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


class KindChangeRefused(Conflict):
    """Raised when a change of kind or authority flag would break the rules the
    organisation's memberships or statutory disclosures were made under
    (``app.directory.rules.kind_change_block``); ``count`` says how many."""

    def __init__(self, count: int) -> None:
        super().__init__(params={"count": count})


class KindHasMembers(KindChangeRefused):
    """Raised when changing the kind of an organisation with memberships that have not ended."""

    code = KindChangeBlock.KIND_HAS_MEMBERS.value
    field = "kind"
    message = N_(
        "The kind cannot change now: the organisation is a member of client networks "
        "(%(count)d), and a member's kind is fixed when it joins. End those memberships first, "
        "or deactivate the organisation, then change its kind."
    )


class AuthorityHasDisclosures(KindChangeRefused):
    """Raised when an organisation would stop being an authority while it receives
    statutory disclosures."""

    code = KindChangeBlock.AUTHORITY_HAS_DISCLOSURES.value
    field = "authority"
    message = N_(
        "The organisation must stay an authority for now: it receives statutory disclosures "
        "(%(count)d), which only an authority may receive. The clients' responsible workers "
        "end those disclosures first; then it can stop being an authority."
    )


class AuthorityMembersUncommitted(KindChangeRefused):
    """Raised when an organisation would stop being an authority while memberships of it
    have no confidentiality commitment."""

    code = KindChangeBlock.AUTHORITY_MEMBERS_UNCOMMITTED.value
    field = "authority"
    message = N_(
        "The organisation must stay an authority for now: it is a member of client networks "
        "(%(count)d) without a written confidentiality commitment, which a member that is not "
        "an authority needs. The responsible workers record the commitments or end those "
        "memberships first."
    )


KIND_CHANGE_REFUSALS: dict[KindChangeBlock, type[KindChangeRefused]] = {
    KindChangeBlock.KIND_HAS_MEMBERS: KindHasMembers,
    KindChangeBlock.AUTHORITY_HAS_DISCLOSURES: AuthorityHasDisclosures,
    KindChangeBlock.AUTHORITY_MEMBERS_UNCOMMITTED: AuthorityMembersUncommitted,
}


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
    session: Session,
    organisation: Organisation,
    facts: OrganisationFacts,
    *,
    scope: Scope,
    now: datetime | None = None,
) -> None:
    """Change an organisation's details (its kind too).

    A county's administrator editing their own county keeps it a county. An organisation
    in clients' networks keeps its kind, and stays an authority while it receives statutory
    disclosures or has members without a confidentiality commitment
    (``app.directory.rules.kind_change_block``): those end first.

    :raises NotFound: when the organisation is outside the administrator's scope.
    :raises Refused: when the facts break a rule (see ``_checked``).
    :raises KindChangeRefused: when the change would break its memberships' or statutory
        disclosures' rules (409, with how many are affected).
    """
    _require_scope(organisation, scope)
    own_county = scope is not None and organisation.id == scope
    stored = _checked(session, facts, None if own_county else scope, organisation.id)
    if own_county and facts.kind is not OrgKind.COUNTY:
        raise Refused(errors={"kind": OrganisationCode.OUTSIDE_SCOPE})
    is_authority = organisation.is_authority
    if facts.kind is not organisation.kind or (
        is_authority and not (facts.authority and facts.kind.may_be_authority)
    ):
        block = kind_change_block(
            kind=organisation.kind,
            is_authority=is_authority,
            facts=facts,
            place=network_place(session, organisation.id, now or utcnow()),
        )
        if block is not None:
            raise KIND_CHANGE_REFUSALS[block[0]](block[1])
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
