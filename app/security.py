"""Route-level access (deny by default), password hashing, the current principal and gate.

Every view declares who may use it with ``@allow(...)`` or ``@public``; the
``before_request`` hook refuses any endpoint that declares nothing. Object-level
decisions (may this user read this client's data?) belong to the access gate.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from argon2 import PasswordHasher
from flask import (
    Flask,
    Request,
    abort,
    current_app,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user

from app.accounts.queries import find_token
from app.cases.facts import load_case_contexts
from app.extensions import db_session, login_manager
from app.models import Role, User
from app.second_factor.queries import has_second_factor, is_staff
from consent.base import utcnow
from consent.facts import Actor
from sharing.errors import KeyringError
from sharing.gate import AccessGate
from sharing.keys import KeyFile, Keyring

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
PERSON_GRANTEE = "person_grantee"
PERSON_LOADER = "tukiverkko.person_loader"  # app.extensions key; the person blueprint sets it
API_PREFIX = "/api/"
PUBLIC_ENDPOINTS = frozenset({"static"})  # Flask's own view: stylesheet and images only
_ACCESS_ATTR = "_tukiverkko_access"
_SETUP_ATTR = "_tukiverkko_second_factor_setup"
_LAST_SEEN = "last_seen"


def allow(*roles: Role) -> Callable[[F], F]:
    """Declare the roles that may use a view; every other role is refused."""
    if not roles:
        raise ValueError("allow() needs at least one role; use @public for open views")

    def mark(view: F) -> F:
        setattr(view, _ACCESS_ATTR, frozenset(roles))
        return view

    return mark


def public(view: F) -> F:
    """Declare a view open to anyone, signed in or not (login page, static files)."""
    setattr(view, _ACCESS_ATTR, PUBLIC)
    return view


def person_grantee(view: F) -> F:
    """Declare a view for a close person or peer expert who has no account, only a link.

    Nobody signs in: ``enforce_route_access`` asks the loader the ``person`` blueprint
    registers under ``PERSON_LOADER`` for the access link the request names, keeps it as
    ``g.person_grant``, and answers 404 when there is none (or no loader). The view then
    checks the link's state and browser binding before the gate reads anything.
    """
    setattr(view, _ACCESS_ATTR, PERSON_GRANTEE)
    return view


def second_factor_setup(view: F) -> F:
    """Declare a staff view reachable before a required second factor is set up (its setup)."""
    setattr(view, _SETUP_ATTR, True)
    return view


def declared_access(endpoint: str) -> frozenset[Role] | str | None:
    """What an endpoint's view declared: roles, ``PUBLIC``, ``PERSON_GRANTEE`` or ``None``."""
    if endpoint in PUBLIC_ENDPOINTS:
        return PUBLIC
    return getattr(current_app.view_functions[endpoint], _ACCESS_ATTR, None)


def enforce_route_access() -> Any:
    """``before_request``: deny unless the endpoint's view declared this user's role."""
    if request.endpoint is None:
        return None  # routing failed; the 404/405 handlers answer
    rule = declared_access(request.endpoint)
    if rule == PUBLIC:
        return None
    if is_api_request():
        return _enforce_api_access(rule)
    if rule == PERSON_GRANTEE:
        return _enforce_person_grantee()
    if rule is None:
        abort(403)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if _idle_too_long():
        logout_user()
        session.clear()
        return redirect(url_for("auth.login", expired=1))
    if current_user.role not in rule:
        abort(403)
    if _second_factor_missing(request.endpoint):
        return redirect(url_for("auth.second_factor"))
    session[_LAST_SEEN] = utcnow().timestamp()
    return None


def is_api_request() -> bool:
    """The JSON API authenticates by bearer token only: a session cookie means nothing there."""
    return request.path.startswith(API_PREFIX)


def _enforce_api_access(rule: frozenset[Role] | str | None) -> None:
    """The API's deny by default: 401 without a valid token, 403 for a role not declared."""
    if not isinstance(rule, frozenset):
        abort(403)
    if not current_user.is_authenticated:
        abort(401)
    if current_user.role not in rule:
        abort(403)


def _enforce_person_grantee() -> None:
    loader = current_app.extensions.get(PERSON_LOADER)
    grant = loader() if loader is not None else None
    if grant is None:
        abort(404)  # like any page that does not exist: a guessed link learns nothing
    g.person_grant = grant
    return None


def _second_factor_missing(endpoint: str) -> bool:
    """Where staff must have a second factor: whether this one still has to set it up first."""
    settings = current_app.extensions["tukiverkko.settings"]
    if not settings.require_second_factor or not is_staff(current_user):
        return False
    if getattr(current_app.view_functions[endpoint], _SETUP_ATTR, False):
        return False
    return not has_second_factor(db_session(), current_user)


def _idle_too_long() -> bool:
    last_seen = session.get(_LAST_SEEN)
    if last_seen is None:
        return False
    settings = current_app.extensions["tukiverkko.settings"]
    minutes = (
        settings.client_idle_minutes
        if current_user.role is Role.CLIENT
        else settings.staff_idle_minutes
    )
    return bool(utcnow().timestamp() - last_seen > timedelta(minutes=minutes).total_seconds())


def mark_session_fresh() -> None:
    session[_LAST_SEEN] = utcnow().timestamp()


def password_hasher() -> PasswordHasher:
    """The argon2id hasher with this app's cost parameters."""
    hasher: PasswordHasher = current_app.extensions["tukiverkko.password_hasher"]
    return hasher


def make_password_hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def _load_user(user_id: str) -> User | None:
    if is_api_request():
        return None  # a cookie sent to the API is ignored: no ambient authority, no CSRF
    raw_id, _, token = user_id.partition(".")
    try:
        user = db_session().get(User, uuid.UUID(raw_id))
    except ValueError:
        return None
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def _load_api_user(req: Request) -> User | None:
    """The user of a valid ``Authorization: Bearer`` token, for API requests only."""
    if not is_api_request():
        return None
    scheme, _, secret = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    found = find_token(db_session(), secret.strip(), now=utcnow())
    if found is None:
        g.api_token_refused = True
        return None
    user, g.api_token = found
    return user


ASSISTED_BY = "assisted_by"  # session key: staff beside the client (app/auth/activation.py)


def assisted_by() -> uuid.UUID | None:
    """The staff member beside a signed-in client in a staff-assisted session, if any."""
    if not current_user.is_authenticated or current_user.role is not Role.CLIENT:
        return None
    try:
        return uuid.UUID(session[ASSISTED_BY]) if session.get(ASSISTED_BY) else None
    except (TypeError, ValueError):
        return None


def current_actor() -> Actor:
    """The signed-in user as the consent domain's ``Actor`` (with any assisting staff)."""
    user: User = current_user
    return Actor(
        role=user.role.actor_role,
        user_id=user.id,
        organisation_id=user.organisation_id,
        client_id=user.client_id,
        assisted_by=assisted_by(),
    )


def new_gate() -> AccessGate:
    """A new access gate over the current database session."""
    return AccessGate(db_session(), current_keyring(), load_case_contexts)


def current_keyring() -> Keyring:
    """The master keys as the key file holds them now (re-read when the file changed).

    :raises KeyringError: when the instance has no master keys.
    """
    key_file: KeyFile | None = current_app.extensions["tukiverkko.key_file"]
    if key_file is None:
        raise KeyringError("no master keys: run `flask keys init` first")
    return key_file.current()


def gate() -> AccessGate:
    """The access gate for this request (one per request, over the request's session)."""
    if "gate" not in g:
        g.gate = new_gate()
    request_gate: AccessGate = g.gate
    return request_gate


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    # Registered here rather than by decorator: Flask-Login is unannotated, and its decorators
    # would erase the loaders' types.
    login_manager.user_loader(_load_user)
    login_manager.request_loader(_load_api_user)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    app.before_request(enforce_route_access)


def role_home(role: Role) -> str:
    """The endpoint of each role's home page."""
    return {
        Role.CASEWORKER: "caseworker.home",
        Role.PARTNER: "partner.home",
        Role.CLIENT: "portal.home",
        Role.ADMIN: "admin.home",
    }[role]
