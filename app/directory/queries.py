"""Reading the organisation directory: search, one organisation, the counties."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session

from app.directory.rules import NetworkPlace
from app.models import NetworkMember, Organisation, OrgKind, User
from app.pagination import ListPage, paginate
from consent.models import StatutoryDisclosure
from consent.status import helsinki_day
from sharing.models import GranteeKey

PER_PAGE = 50


def contains(text: str) -> str:
    """A LIKE pattern (escape ``\\``) matching ``text`` anywhere, in any case."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(
    session: Session,
    *,
    q: str = "",
    kind: OrgKind | None = None,
    active: bool | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> ListPage[tuple[Organisation, int]]:
    """Organisations by name with their number of staff accounts, a page at a time (two
    statements); ``q`` matches part of the name or the business id."""
    staff = (
        select(func.count(User.id))
        .where(User.organisation_id == Organisation.id)
        .correlate(Organisation)
        .scalar_subquery()
    )
    conditions: list[ColumnElement[bool]] = []
    if q.strip():
        pattern = contains(q.strip())
        conditions.append(
            func.lower(Organisation.name).like(pattern, escape="\\")
            | Organisation.business_id.like(pattern, escape="\\")
        )
    if kind is not None:
        conditions.append(Organisation.kind == kind)
    if active is not None:
        conditions.append(Organisation.active.is_(active))
    query = (
        select(Organisation, staff).where(*conditions).order_by(Organisation.name, Organisation.id)
    )
    return paginate(session, query, page=page, per_page=per_page).map(
        lambda row: (row[0], int(row[1] or 0))
    )


def counties(session: Session) -> list[Organisation]:
    """Every county, by name (what a local organisation may belong to)."""
    return list(
        session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrgKind.COUNTY)
            .order_by(Organisation.name, Organisation.id)
        )
    )


def assignable(session: Session) -> list[Organisation]:
    """Active organisations a staff account can belong to, by kind and name."""
    return list(
        session.scalars(
            select(Organisation)
            .where(Organisation.active.is_(True))
            .order_by(Organisation.kind, Organisation.name, Organisation.id)
        )
    )


def without_grantee_key(session: Session) -> list[str]:
    """Names of the organisations that have no grantee key pair (one made before the
    directory made it with the organisation: it is made at the first seal to it)."""
    return list(
        session.scalars(
            select(Organisation.name)
            .where(
                ~select(GranteeKey.id).where(GranteeKey.organisation_id == Organisation.id).exists()
            )
            .order_by(Organisation.name)
        )
    )


def organisations_keyed(session: Session) -> int:
    """How many organisations have their grantee key pair."""
    return (
        session.scalar(
            select(func.count(GranteeKey.id)).where(GranteeKey.organisation_id.is_not(None))
        )
        or 0
    )


def network_place(session: Session, organisation_id: uuid.UUID, now: datetime) -> NetworkPlace:
    """The organisation's place in clients' networks at ``now`` (two statements, counted in
    SQL): the cases with a membership of it that has not ended (``membership_status``: not
    ended by hand, its last day not past), those whose membership has no confidentiality
    commitment, and the statutory disclosures to it that have not ended or run out."""
    today = helsinki_day(now)
    live = and_(
        NetworkMember.organisation_id == organisation_id,
        NetworkMember.ended_at.is_(None),
        or_(NetworkMember.ends_on.is_(None), NetworkMember.ends_on >= today),
    )
    uncommitted = case(
        (NetworkMember.confidentiality_committed_on.is_(None), NetworkMember.case_id)
    )
    networks, without = session.execute(
        select(
            func.count(distinct(NetworkMember.case_id)), func.count(distinct(uncommitted))
        ).where(live)
    ).one()
    disclosures = session.scalar(
        select(func.count(StatutoryDisclosure.id))
        .join(NetworkMember, NetworkMember.id == StatutoryDisclosure.member_id)
        .where(
            live,
            StatutoryDisclosure.ended_at.is_(None),
            or_(
                StatutoryDisclosure.valid_until.is_(None),
                StatutoryDisclosure.valid_until >= today,
            ),
        )
    )
    return NetworkPlace(networks=networks, uncommitted=without, disclosures=disclosures or 0)
