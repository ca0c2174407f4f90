"""Tokens and the caller: ``POST /tokens`` signs in, ``DELETE /tokens/…`` signs out, ``/me``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Response, current_app, g, request
from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy import select

from app import security_log
from app.accounts import commands as accounts
from app.accounts.rules import SessionEnd
from app.api import bp
from app.api.problems import VALIDATION, problem
from app.api.schemas import Strict, enum_field
from app.api.spec import MarshalResult, operation
from app.extensions import db_session
from app.models import Role, User
from app.models.organisation import OrgKind
from app.rate_limits import count_failure
from app.second_factor import commands
from app.second_factor import queries as second_factor
from app.second_factor.events import Origin
from app.second_factor.rules import CodeCheck
from app.security import current_keyring, password_hasher
from consent.base import utcnow

ALL_ROLES = tuple(Role)
CHOOSE_YOUR_OWN_FIRST = (
    "This password was set by an administrator and works for one sign-in only: sign in on "
    "the sign-in page and choose your own password first."
)


class TokenRequest(Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=120))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    totp = fields.String(
        validate=validate.Length(min=1, max=40),
        load_only=True,
        metadata={
            "description": (
                "Staff with two-step sign-in: the current six-digit code of the authenticator "
                "app (or one of the recovery codes). Each code works once."
            )
        },
    )


class Token(Strict):
    token = fields.String(required=True, metadata={"description": "Shown once; keep it secret."})
    token_type = fields.String(required=True, metadata={"enum": ["Bearer"]})
    expires_at = fields.AwareDateTime(required=True)
    expires_in = fields.Integer(required=True, metadata={"description": "Seconds."})


class OrganisationRef(Strict):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    kind = enum_field(OrgKind, required=True)


class Me(Strict):
    id = fields.UUID(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    role = enum_field(Role, required=True)
    organisation = fields.Nested(OrganisationRef, required=True, allow_none=True)
    client_id = fields.UUID(
        required=True,
        allow_none=True,
        metadata={"description": "A client's own record: use it in /clients/{client_id}/…"},
    )
    token_expires_at = fields.AwareDateTime(required=True)


@operation(
    bp,
    "/tokens",
    "POST",
    summary="Get a bearer token with a username and password",
    tag="Tokens",
    roles=None,
    body=TokenRequest,
    response=Token,
    status=201,
    statuses=(401, 403, 429),
)
def create_token(body: dict[str, Any]) -> Any:
    """Wrong passwords and codes count against the sign-in page's limits: repeated failures
    from one address, or for one username from one address, get 429 with Retry-After (the
    account itself is never locked). Staff with two-step sign-in send the current code as
    `totp` (422 without it, 401 when it is wrong or already used); where the service
    requires two-step sign-in, staff who have not set it up on the web get 403. The token
    lives 30 minutes for staff and 10 for clients and cannot be extended. A one-time
    password (set by an administrator) is refused with 403: change it on the sign-in page
    first."""
    now = utcnow()
    result = accounts.verify_credentials(
        db_session(), password_hasher(), body["username"], body["password"]
    )
    if not isinstance(result, User):
        known = db_session().scalar(select(User.id).where(User.username == body["username"]))
        security_log.event(
            security_log.Kind.SIGN_IN,
            user_id=known,
            outcome=security_log.Outcome.FAILURE,
            reason=result.value,
            via="api",
        )
        count_failure()
        return problem(401, result.message)
    if result.password_must_change:
        security_log.event(
            security_log.Kind.SIGN_IN,
            user_id=result.id,
            outcome=security_log.Outcome.FAILURE,
            reason="password_must_change",
            via="api",
        )
        return problem(403, CHOOSE_YOUR_OWN_FIRST)
    settings = current_app.extensions["tukiverkko.settings"]
    if (refused := _second_factor_refused(result, body.get("totp"), now=now)) is not None:
        return refused
    accounts.record_sign_in(db_session(), result, now=now)
    minutes = (
        settings.client_idle_minutes if result.role is Role.CLIENT else settings.staff_idle_minutes
    )
    issued = accounts.issue_token(
        db_session(), result, now=now, lifetime=timedelta(minutes=minutes)
    )
    security_log.event(
        security_log.Kind.TOKEN_ISSUED,
        user_id=result.id,
        outcome=security_log.Outcome.SUCCESS,
        token_id=issued.token.id,
    )
    return MarshalResult(
        {
            "token": issued.secret,
            "token_type": "Bearer",
            "expires_at": issued.token.expires_at,
            "expires_in": minutes * 60,
        }
    )


def _second_factor_refused(user: User, code: str | None, *, now: datetime) -> Response | None:
    """The problem when a staff member's second factor does not let the token be issued."""
    if not second_factor.is_staff(user):
        return None
    if not second_factor.has_second_factor(db_session(), user):
        if current_app.extensions["tukiverkko.settings"].require_second_factor:
            return problem(
                403, "Set up two-step sign-in on the web first: staff need it to get a token."
            )
        return None
    if not code:
        return _code_problem(422, CodeCheck.MISSING, kind=VALIDATION)
    checked = commands.check_second_factor(
        db_session(),
        current_keyring(),
        password_hasher(),
        user,
        code,
        now=now,
        origin=Origin(request.remote_addr, "api"),
    )
    if checked.accepted:
        return None
    count_failure()
    return _code_problem(401, checked.outcome)


def _code_problem(status: int, outcome: CodeCheck, *, kind: str | None = None) -> Response:
    error = {"pointer": "#/totp", "code": outcome.value, "detail": outcome.message}
    return problem(status, outcome.message, kind=kind, errors=[error])


@operation(
    bp,
    "/tokens/current",
    "DELETE",
    summary="Revoke the token of this request",
    tag="Tokens",
    roles=ALL_ROLES,
    status=204,
)
def revoke_token() -> None:
    accounts.revoke_token(g.api_token, now=utcnow())
    security_log.event(
        security_log.Kind.TOKEN_REVOKED,
        user_id=current_user.id,
        outcome=security_log.Outcome.SUCCESS,
        token_id=g.api_token.id,
        reason=SessionEnd.SIGNED_OUT,
    )


@operation(
    bp,
    "/tokens",
    "DELETE",
    summary="Revoke every token of yours (all your partner systems sign out)",
    tag="Tokens",
    roles=ALL_ROLES,
    status=204,
)
def revoke_tokens() -> None:
    count = accounts.revoke_all_tokens(db_session(), current_user, now=utcnow())
    security_log.event(
        security_log.Kind.TOKEN_REVOKED,
        user_id=current_user.id,
        outcome=security_log.Outcome.SUCCESS,
        count=count,
        reason=SessionEnd.EVERYWHERE,
    )


@operation(
    bp, "/me", "GET", summary="Who the token belongs to", tag="Tokens", roles=ALL_ROLES, response=Me
)
def me() -> dict[str, Any]:
    user: User = current_user
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "organisation": user.organisation,
        "client_id": user.client_id,
        "token_expires_at": g.api_token.expires_at,
    }
