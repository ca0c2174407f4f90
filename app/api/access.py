"""Reaching a client through the API: the same rules, and the same silence, as the pages.

Every operation under ``/clients/{client_id}`` starts with ``reach(client_id)``. A
client outside the caller's reach is a 404 exactly like one that does not exist; the
gate logs the refused attempt. Two refusals say more, because the caller already
knows the client: a colleague of the same county without a relationship to the case
(403: record a work-task reason first, as on the web page), and a partner whose
organisation's access has ended (403).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import abort
from flask_login import current_user

from app.api.problems import CONFLICT, problem
from app.cases.queries import latest_cases
from app.extensions import db_session
from app.models import Case, Client, Role
from app.partner_work.queries import client_access
from app.partner_work.rules import AccessState, ClientAccess
from app.security import current_actor, gate
from consent.base import utcnow
from consent.decision import Reason
from consent.facts import Action, Actor, Purpose
from consent.sections import DataScope
from sharing.errors import AccessDenied

PURPOSES = {
    Role.CASEWORKER: Purpose.CASE_WORK,
    Role.CLIENT: Purpose.OWN_DATA,
    Role.PARTNER: Purpose.NETWORK_COOPERATION,
}


@dataclass(frozen=True)
class Reach:
    """A client the caller may work with, the purpose every gate call of theirs names, and
    for partner staff what their organisation may read now."""

    client: Client
    case: Case
    actor: Actor
    role: Role
    purpose: Purpose
    shared: ClientAccess | None = None


def reach(client_id: uuid.UUID) -> Reach:
    """The client as the signed-in caller may reach them.

    :raises HTTPException: 404 (or 403, see the module docstring) otherwise.
    """
    actor, role = current_actor(), current_user.role
    purpose = PURPOSES.get(role)
    if purpose is None:
        abort(404)
    if role is Role.PARTNER:
        return _partner_reach(client_id, actor)
    client = db_session().get(Client, client_id)
    case = latest_cases(db_session(), [client_id]).get(client_id) if client else None
    if client is None or case is None or case.disposed_at is not None:
        abort(404)
    try:
        gate().check(actor, client.id, Action.READ, purpose, DataScope.BASIC)
    except AccessDenied as denied:
        if role is Role.CASEWORKER and denied.reason == Reason.DENIED_NO_RELATIONSHIP:
            db_session().rollback()
            abort(
                problem(
                    403,
                    "You have no relationship with this client's case. Record a work-task "
                    "reason for today on the client's page in Tukiverkko first.",
                )
            )
        raise
    return Reach(client, case, actor, role, purpose)


def _partner_reach(client_id: uuid.UUID, actor: Actor) -> Reach:
    if actor.organisation_id is None:
        abort(404)
    client, case, access = client_access(
        db_session(), actor.organisation_id, client_id, at=utcnow()
    )
    if client is None or case is None or access.state is not AccessState.SHARED:
        try:  # log the refused attempt, as the partner's page does
            gate().check(actor, client_id, Action.READ, Purpose.NETWORK_COOPERATION, DataScope.NAME)
        except AccessDenied:  # the gate has committed the refusal's log entry
            if access.state is not AccessState.ENDED:
                raise
        abort(problem(403, "Sharing with your organisation has ended for this client."))
    return Reach(client, case, actor, Role.PARTNER, Purpose.NETWORK_COOPERATION, access)


def require_open(reach: Reach) -> None:
    """A closed case is a record now: it can be read, not changed (409)."""
    if reach.case.closed_at is not None:
        abort(
            problem(
                409, "This client's case is closed and can no longer be changed.", kind=CONFLICT
            )
        )
