"""Reading staff accounts for their administrators: the list, one account's history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.directory.queries import contains
from app.directory.rules import Scope
from app.models import Case, Role, User
from app.models.staff import AccountAction, AccountEvent, StaffInvitation
from app.pagination import ListPage, paginate

STAFF_PER_PAGE = 50
EVENTS_SHOWN = 50


def account_in_scope(scope: uuid.UUID) -> ColumnElement[bool]:
    """Whether a county's administrator reaches the ``User``: a staff account they manage
    (``app.staff.rules.may_manage``) or the sign-in of a client with a case in the county
    (``may_manage_client``)."""
    return or_(
        (User.role != Role.CLIENT) & (User.organisation_id == scope),
        (User.role == Role.PARTNER) & (User.invited_by_county_id == scope),
        (User.role == Role.CLIENT)
        & select(Case.id).where(Case.client_id == User.client_id, Case.county_id == scope).exists(),
    )


def staff_page(session: Session, *, scope: Scope, q: str, page: int) -> ListPage[User]:
    """The staff accounts an administrator of ``scope`` manages (as ``app.staff.rules.
    may_manage`` says), by username, a page at a time; ``q`` searches usernames and names."""
    query = select(User).where(User.role != Role.CLIENT)
    if scope is not None:
        query = query.where(
            or_(
                User.organisation_id == scope,
                (User.role == Role.PARTNER) & (User.invited_by_county_id == scope),
            )
        )
    if q.strip():
        pattern = contains(q.strip())
        query = query.where(
            or_(
                func.lower(User.username).like(pattern, escape="\\"),
                func.lower(User.display_name).like(pattern, escape="\\"),
            )
        )
    query = query.order_by(User.username, User.id)
    return paginate(session, query, page=page, per_page=STAFF_PER_PAGE).map(lambda row: row[0])


@dataclass(frozen=True)
class EventView:
    action: AccountAction
    at: datetime
    by: str  # the administrator's name, "" for a command line
    detail: str


def history(session: Session, user_id: uuid.UUID) -> list[EventView]:
    """The account's administrative history, the newest first (one statement)."""
    by = aliased(User)
    rows = session.execute(
        select(AccountEvent, by.display_name, by.username)
        .outerjoin(by, by.id == AccountEvent.by_id)
        .where(AccountEvent.user_id == user_id)
        .order_by(AccountEvent.at.desc(), AccountEvent.id)
        .limit(EVENTS_SHOWN)
    ).all()
    return [
        EventView(event.action, event.at, name or username or "", event.detail)
        for event, name, username in rows
    ]


def pending_invitation(session: Session, user_id: uuid.UUID) -> StaffInvitation | None:
    """The account's newest invitation not used or replaced (it may have expired)."""
    return session.scalar(
        select(StaffInvitation)
        .where(
            StaffInvitation.user_id == user_id,
            StaffInvitation.used_at.is_(None),
            StaffInvitation.cancelled_at.is_(None),
        )
        .order_by(StaffInvitation.created_at.desc(), StaffInvitation.id)
        .limit(1)
    )


def client_accounts(session: Session, *, scope: Scope, q: str, page: int) -> ListPage[User]:
    """Clients' sign-ins an administrator of ``scope`` manages (the clients with a case in
    their county), by username; ``q`` searches usernames. No client data: the username,
    state and last sign-in only."""
    query = select(User).where(User.role == Role.CLIENT)
    if scope is not None:
        query = query.where(
            select(Case.id)
            .where(Case.client_id == User.client_id, Case.county_id == scope)
            .exists()
        )
    if q.strip():
        query = query.where(func.lower(User.username).like(contains(q.strip()), escape="\\"))
    query = query.order_by(User.username, User.id)
    return paginate(session, query, page=page, per_page=STAFF_PER_PAGE).map(lambda row: row[0])


def case_counties(session: Session, client_id: uuid.UUID) -> set[uuid.UUID]:
    """The counties the client has cases in."""
    return set(session.scalars(select(Case.county_id).where(Case.client_id == client_id)))
