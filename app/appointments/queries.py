"""Read models of appointments: a case's, the client's own, an organisation's, the worker's.

Each list is a fixed number of statements whatever its length (the rows, their count, the
participants of the page's rows in one query). Nothing here decrypts: a person member's name
and the client's name are read by the caller through the gate, for the audience that may.

What an organisation's staff see (``organisation_appointments``): the meetings one of its
memberships takes part in, and only while something of the client is shared with it now
(a current ``share_periods`` row, kept from the very facts the access decision reads).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    bindparam,
    exists,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from app.appointments.rules import helsinki_day_bounds
from app.dashboard.queries import my_open_cases
from app.models import (
    Case,
    CaseTeamMember,
    Client,
    MemberKind,
    NetworkMember,
    Organisation,
    ResponsibleWorker,
    Role,
    User,
)
from app.models.appointment import (
    Appointment,
    AppointmentEvent,
    AppointmentParticipant,
    AppointmentState,
)
from app.models.partner import SharePeriod
from app.pagination import ListPage, SmallList, paginate

PER_PAGE = 20
DASHBOARD_LIMIT = 10


@dataclass(frozen=True)
class Participant:
    """One participant as lists show it: an organisation, a person (by kind; the worker reads
    the name through the gate) or a member of the county's staff."""

    member: NetworkMember | None
    member_kind: MemberKind | None
    organisation_id: uuid.UUID | None
    organisation_name: str | None
    staff_name: str | None


@dataclass(frozen=True)
class AppointmentRow:
    appointment: Appointment
    place_name: str | None
    participants: list[Participant]


def participants_of(
    session: Session, appointment_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Participant]]:
    """Each appointment's participants (one query, or none): organisations first by name,
    then persons, then staff."""
    found: dict[uuid.UUID, list[Participant]] = {i: [] for i in appointment_ids}
    if not appointment_ids:
        return found
    rows = session.execute(
        select(AppointmentParticipant.appointment_id, NetworkMember, Organisation.name, User)
        .outerjoin(NetworkMember, NetworkMember.id == AppointmentParticipant.member_id)
        .outerjoin(Organisation, Organisation.id == NetworkMember.organisation_id)
        .outerjoin(User, User.id == AppointmentParticipant.user_id)
        .where(AppointmentParticipant.appointment_id.in_(list(appointment_ids)))
        .order_by(
            AppointmentParticipant.appointment_id,
            AppointmentParticipant.user_id.is_not(None),
            Organisation.name.is_(None),
            Organisation.name,
            User.display_name,
            AppointmentParticipant.id,
        )
    ).all()
    for appointment_id, member, organisation_name, user in rows:
        found[appointment_id].append(
            Participant(
                member,
                member.kind if member is not None else None,
                member.organisation_id if member is not None else None,
                organisation_name,
                user.display_name if user is not None else None,
            )
        )
    return found


def _rows(session: Session, listed: ListPage[tuple[Any, ...]]) -> ListPage[AppointmentRow]:
    """The listed appointments (each with its place's name) with their participants."""
    people = participants_of(session, [a.id for a, _ in listed.rows])
    return listed.map(lambda row: AppointmentRow(row[0], row[1], people[row[0].id]))


def _listed(*where: ColumnElement[bool]) -> Select[Appointment, str]:
    return (
        select(Appointment, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Appointment.place_organisation_id)
        .where(*where)
        .order_by(Appointment.starts_at, Appointment.id)
    )


def _organisation_takes_part(
    organisation_id: uuid.UUID | SQLColumnExpression[uuid.UUID | None],
    now: datetime | SQLColumnExpression[datetime],
) -> list[ColumnElement[bool]]:
    takes_part = Appointment.id.in_(
        select(AppointmentParticipant.appointment_id).where(
            AppointmentParticipant.organisation_id == organisation_id
        )
    )
    shared_now = exists().where(
        SharePeriod.organisation_id == organisation_id,
        SharePeriod.client_id == Appointment.client_id,
        SharePeriod.starts_at <= now,
        SharePeriod.ends_at > now,
    )
    return [takes_part, shared_now]


# Built once (bound parameters): the partner's and the client's pages run them on every visit.
_NOT_ENDED = Appointment.ends_at > bindparam("now")
_OF_CASE = SmallList(_listed(Appointment.case_id == bindparam("case")))
_OF_CLIENT = SmallList(_listed(Appointment.client_id == bindparam("client"), _NOT_ENDED))
_TAKES_PART = _organisation_takes_part(bindparam("organisation"), bindparam("now"))
_ORGANISATIONS = [_NOT_ENDED, *_TAKES_PART]
_OF_ORGANISATION = _listed(*_ORGANISATIONS)
_OF_ORGANISATION_COUNT = select(func.count(Appointment.id)).where(*_ORGANISATIONS)
_OF_ORGANISATION_FOR_CLIENT = SmallList(
    _listed(*_ORGANISATIONS, Appointment.client_id == bindparam("client"))
)
_ONE_OF_ORGANISATION = SmallList(_listed(Appointment.id == bindparam("appointment"), *_TAKES_PART))
_ONE = SmallList(_listed(Appointment.id == bindparam("appointment")))


def _first(session: Session, listed: ListPage[tuple[Any, ...]]) -> AppointmentRow | None:
    found = _rows(session, listed)
    return found.rows[0] if found.rows else None


def case_appointments(
    session: Session, case_id: uuid.UUID, *, page: int = 1, per_page: int = PER_PAGE
) -> ListPage[AppointmentRow]:
    """The case's appointments, earliest first (two statements)."""
    listed = _OF_CASE.page(session, {"case": case_id}, page=page, per_page=per_page)
    return _rows(session, listed)


def client_appointments(
    session: Session,
    client_id: uuid.UUID,
    *,
    now: datetime,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> ListPage[AppointmentRow]:
    """The client's appointments that have not ended, cancelled ones too (so the client
    sees the cancellation), earliest first (two statements)."""
    params = {"client": client_id, "now": now}
    return _rows(session, _OF_CLIENT.page(session, params, page=page, per_page=per_page))


def organisation_appointments(
    session: Session,
    organisation_id: uuid.UUID,
    *,
    now: datetime,
    page: int = 1,
    per_page: int = PER_PAGE,
    client_id: uuid.UUID | None = None,
) -> ListPage[AppointmentRow]:
    """The meetings the organisation takes part in that have not ended, while something of
    the client is shared with it now (of one client, if given); earliest first (three
    statements, two for one client)."""
    params: dict[str, Any] = {"organisation": organisation_id, "now": now}
    if client_id is not None:
        params["client"] = client_id
        listed = _OF_ORGANISATION_FOR_CLIENT.page(session, params, page=page, per_page=per_page)
        return _rows(session, listed)
    found = paginate(
        session,
        _OF_ORGANISATION,
        page=page,
        per_page=per_page,
        count=_OF_ORGANISATION_COUNT,
        params=params,
    )
    return _rows(session, found.map(tuple))


def organisation_appointment(
    session: Session, organisation_id: uuid.UUID, appointment_id: uuid.UUID, *, now: datetime
) -> AppointmentRow | None:
    """One meeting as the organisation may see it now, or None (ended ones too)."""
    params = {"appointment": appointment_id, "organisation": organisation_id, "now": now}
    return _first(session, _ONE_OF_ORGANISATION.page(session, params, page=1, per_page=1))


def appointment_row(session: Session, appointment_id: uuid.UUID) -> AppointmentRow | None:
    """One appointment with its place and participants (two statements), or None."""
    return _first(session, _ONE.page(session, {"appointment": appointment_id}, page=1, per_page=1))


def history(
    session: Session, appointment_id: uuid.UUID
) -> list[tuple[AppointmentEvent, str | None]]:
    """The appointment's events, oldest first, with who acted (one query)."""
    return [
        (event, name)
        for event, name in session.execute(
            select(AppointmentEvent, User.display_name)
            .outerjoin(User, User.id == AppointmentEvent.by_user_id)
            .where(AppointmentEvent.appointment_id == appointment_id)
            .order_by(AppointmentEvent.at, AppointmentEvent.id)
        ).all()
    ]


def upcoming_for_worker(
    session: Session,
    user_id: uuid.UUID,
    county_id: uuid.UUID,
    *,
    now: datetime,
    limit: int = DASHBOARD_LIMIT,
) -> list[tuple[Appointment, Client]]:
    """The booked appointments the worker takes part in that have not ended, on the open
    cases they are responsible for or work on in the team (the dashboard's "my clients",
    whose names the worker may read), earliest first, with their clients (one query; the
    caller reads the names through the gate)."""
    mine = exists().where(
        AppointmentParticipant.appointment_id == Appointment.id,
        AppointmentParticipant.user_id == user_id,
    )
    rows = session.execute(
        select(Appointment, Client)
        .join(Client, Client.id == Appointment.client_id)
        .join(Case, Case.id == Appointment.case_id)
        .where(
            mine,
            Appointment.state == AppointmentState.BOOKED,
            Appointment.ends_at > now,
            *my_open_cases(user_id, county_id),
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(limit)
    ).all()
    return [(appointment, client) for appointment, client in rows]


def asks_for_worker(
    session: Session,
    user_id: uuid.UUID,
    county_id: uuid.UUID,
    *,
    now: datetime,
    limit: int = DASHBOARD_LIMIT,
) -> list[tuple[Appointment, Client]]:
    """The clients' open requests to move or cancel a booked appointment that has not
    ended, on the worker's own open cases (as ``upcoming_for_worker``), the oldest request
    first, with their clients (one query; the caller reads the names through the gate)."""
    rows = session.execute(
        select(Appointment, Client)
        .join(Client, Client.id == Appointment.client_id)
        .join(Case, Case.id == Appointment.case_id)
        .where(
            Appointment.ask.is_not(None),
            Appointment.state == AppointmentState.BOOKED,
            Appointment.ends_at > now,
            *my_open_cases(user_id, county_id),
        )
        .order_by(Appointment.asked_at, Appointment.id)
        .limit(limit)
    ).all()
    return [(appointment, client) for appointment, client in rows]


def participants_on(role: Role, day: date) -> Select[uuid.UUID, uuid.UUID, uuid.UUID]:
    """(user, case, appointment) for the booked appointments starting on the Helsinki ``day``
    and the users of ``role`` who take part in them and may see them, earliest first: the
    reminders' source (``app.reminders.queries``) adds which users.

    Caseworkers: those named as staff. Clients: their own. Partner staff: those a membership
    of their organisation takes part in while something of the client is shared with it as
    the day begins (as ``organisation_appointments``). Any other role: a query of no rows.
    """
    first, after = helsinki_day_bounds(day)
    query = select(User.id, Appointment.case_id, Appointment.id).where(
        Appointment.state == AppointmentState.BOOKED,
        Appointment.starts_at >= first,
        Appointment.starts_at < after,
    )
    if role is Role.CASEWORKER:
        query = query.join(
            AppointmentParticipant, AppointmentParticipant.appointment_id == Appointment.id
        ).join(User, User.id == AppointmentParticipant.user_id)
    elif role is Role.CLIENT:
        query = query.join(User, User.client_id == Appointment.client_id)
    elif role is Role.PARTNER:
        query = query.join(User, User.organisation_id.is_not(None)).where(
            *_organisation_takes_part(User.organisation_id, first)
        )
    else:
        query = query.join(User, false())
    return query.order_by(Appointment.starts_at, Appointment.id, User.id)


def place_choices(
    session: Session, county_id: uuid.UUID, case_id: uuid.UUID
) -> list[tuple[uuid.UUID, str]]:
    """The county and the organisations in the case's network (one query), by name."""
    member = aliased(NetworkMember)
    rows = session.execute(
        select(Organisation.id, Organisation.name)
        .where(
            or_(
                Organisation.id == county_id,
                exists().where(
                    member.case_id == case_id, member.organisation_id == Organisation.id
                ),
            )
        )
        .order_by(Organisation.id != county_id, Organisation.name, Organisation.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


def case_staff(session: Session, case_id: uuid.UUID, also: uuid.UUID | None) -> list[User]:
    """The case's current responsible worker and team, and ``also`` (the worker booking),
    by name (one query): whom a meeting's staff are chosen from."""
    worker = select(ResponsibleWorker.worker_id).where(
        ResponsibleWorker.case_id == case_id, ResponsibleWorker.ends_on.is_(None)
    )
    team = select(CaseTeamMember.user_id).where(
        CaseTeamMember.case_id == case_id, CaseTeamMember.removed_at.is_(None)
    )
    return list(
        session.scalars(
            select(User)
            .where(or_(User.id == also, User.id.in_(worker), User.id.in_(team)))
            .where(User.role == Role.CASEWORKER)
            .order_by(User.display_name, User.id)
        )
    )


def future_booked_count(session: Session, case_id: uuid.UUID, *, now: datetime) -> int:
    """How many booked appointments of the case have not started (one query): what closing
    or transferring the case cancels."""
    return (
        session.scalar(
            select(func.count(Appointment.id)).where(
                Appointment.case_id == case_id,
                Appointment.state == AppointmentState.BOOKED,
                Appointment.starts_at > now,
            )
        )
        or 0
    )


def next_for_client(
    session: Session, client_id: uuid.UUID, *, now: datetime, limit: int = 3
) -> list[tuple[Appointment, str | None]]:
    """The client's next booked appointments with their places, for "My page" (one query)."""
    rows = session.execute(
        select(Appointment, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Appointment.place_organisation_id)
        .where(
            Appointment.client_id == client_id,
            Appointment.state == AppointmentState.BOOKED,
            Appointment.ends_at > now,
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(limit)
    ).all()
    return [(appointment, place) for appointment, place in rows]
