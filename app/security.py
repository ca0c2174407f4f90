"""Route-level access (deny by default), sign-in sessions, password hashing, the current
principal and gate.

Every view declares who may use it with ``@allow(...)``, ``@public`` or
``@person_grantee``; the ``before_request`` hook refuses any endpoint that declares
nothing. Object-level
decisions (may this user read this client's data?) belong to the access gate.

Sessions are server-side (``app.models.user_session``): ``begin_session`` stores a random
secret in Flask-Login's cookie entry in place of a user id, and ``_load_user`` finds the
session and its user with one statement (``app.accounts.queries.find_session``), refuses it
once idle or past its lifetime (and deletes it), and writes its ``last_seen_at`` at most once
a minute. Flask-Login's remember-me cookie is never set; were one presented, it would carry
the same secret and be resolved the same way, so nothing outlives the session's row.

Every argument a URL can carry is declared once in ``URL_ARGUMENTS``: an id
of a row says whose that row must be, and the same hook refuses (404) an id that names
another client's or another organisation's row, and (403) an argument no one declared.
Whether the caller may work on the client itself (``client_id``) is decided by the
access gate in the view, which logs the refusal; so is everything about content.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass
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
from flask_login import current_user, login_user, logout_user
from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute

from app import security_log
from app.accounts import commands as accounts
from app.accounts.queries import find_session, find_token
from app.accounts.rules import SessionEnd, SessionLimits, needs_touch, session_ended
from app.accounts.rules import user_agent_summary as summarise_user_agent
from app.cases.facts import load_case_contexts
from app.extensions import db_session, login_manager
from app.i18n import SESSION_KEY
from app.models import Case, CaseTeamMember, NetworkMember, Role, User
from app.models.activation import ActivationCode
from app.models.api_token import ApiToken
from app.models.appointment import Appointment
from app.models.flows import FlowAgreement
from app.models.intake import Notification
from app.models.log_query import LogQuery
from app.models.log_request import LogRequest
from app.models.message import MessageThread
from app.models.parallel_plan import ParallelPlan
from app.models.partner import PartnerUpdate, RevocationNotice
from app.models.person_access import PersonAccessGrant
from app.models.receipt import ConsentReceipt
from app.models.release import ChecklistItem
from app.models.transfer import CountyTransfer
from app.models.user_session import UserSession
from app.second_factor.queries import has_second_factor, is_staff
from app.settings import Settings
from consent.base import utcnow
from consent.facts import Actor
from consent.models import Consent, StatutoryDisclosure
from sharing import write_lock
from sharing.access_log import AccessLogEntry
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
_USER_ID = "_user_id"  # Flask-Login's entry in the cookie: here, the session's secret
PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.change_password", "auth.logout", "auth.language"})
"""What a user whose password must change may still use (``User.password_must_change``)."""
_CONDITION_ATTR = "_tukiverkko_access_condition"
Condition = Callable[[User], bool]
_SETUP_ATTR = "_tukiverkko_second_factor_setup"


def allow(*roles: Role, when: Condition | None = None) -> Callable[[F], F]:
    """Declare the roles that may use a view; every other role is refused (403).

    ``when`` narrows the roles by a fact of the user's own account (their organisation's
    kind, say): a user of an allowed role for whom it is false is refused (403) as well.
    """
    if not roles:
        raise ValueError("allow() needs at least one role; use @public for open views")

    def mark(view: F) -> F:
        setattr(view, _ACCESS_ATTR, frozenset(roles))
        if when is not None:
            setattr(view, _CONDITION_ATTR, when)
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


class Whose(enum.Enum):
    """Whose row an id in a URL must name for the caller (see ``URL_ARGUMENTS``).

    ``GATE``: the client, decided by the access gate in the view, which logs a refusal
    (county staff with a relationship to the case or a recorded work task; an organisation
    while a consent or statutory disclosure covers it; the client themself).
    ``CLIENT``: a row of the client the URL names, or without one of the signed-in client.
    ``ORGANISATION``: a row addressed to the caller's own county or organisation.
    ``USER``: a row of the signed-in user's own account (a session, a token).
    ``VALUE``: not an object (a section kind, a version number, a link its view checks).
    """

    GATE = "decided by the access gate"
    CLIENT = "the client's"
    ORGANISATION = "the caller's organisation's"
    USER = "the caller's own"
    VALUE = "not an object"


@dataclass(frozen=True)
class UrlArgument:
    """What one URL argument names and whose it must be; ``owner`` selects the owner's id."""

    whose: Whose
    owner: Callable[[uuid.UUID], Select[uuid.UUID]] | None = None


def _row(column: InstrumentedAttribute[uuid.UUID], whose: Whose = Whose.CLIENT) -> UrlArgument:
    """An id of a row of ``column``'s table, owned by the id that ``column`` holds."""
    return UrlArgument(whose, lambda value: select(column).where(column.class_.id == value))


def _team_member(value: uuid.UUID) -> Select[uuid.UUID]:
    return select(Case.client_id).where(
        CaseTeamMember.id == value, Case.id == CaseTeamMember.case_id
    )


# Every argument any URL takes, by name: one line per kind of id (a new route's new id
# adds one). An argument not listed here is refused (403) before any view runs.
URL_ARGUMENTS: dict[str, UrlArgument] = {
    "client_id": UrlArgument(Whose.GATE),
    "appointment_id": _row(Appointment.client_id),
    "code_id": _row(ActivationCode.client_id),
    "consent_id": _row(Consent.client_id),
    "disclosure_id": _row(StatutoryDisclosure.client_id),
    "entry_id": _row(AccessLogEntry.client_id),
    "flow_id": _row(FlowAgreement.client_id),
    "grant_id": _row(PersonAccessGrant.client_id),
    "item_id": _row(ChecklistItem.client_id),
    "member_id": _row(NetworkMember.client_id),
    "plan_id": _row(ParallelPlan.client_id),
    "query_id": _row(LogQuery.client_id),
    "log_request_id": _row(LogRequest.client_id),
    "receipt_id": _row(ConsentReceipt.client_id),
    "team_member_id": UrlArgument(Whose.CLIENT, _team_member),
    "update_id": _row(PartnerUpdate.client_id),
    # A message thread: the client's row; whether the caller takes part in it is
    # ``app.messages.rules.takes_part``, and the gate decides its content.
    "thread_id": _row(MessageThread.client_id),
    "session_id": _row(UserSession.user_id, Whose.USER),
    "token_id": _row(ApiToken.user_id, Whose.USER),
    # An account, for administrators alone (``@allow(Role.ADMIN)``); the view refuses (404)
    # one the administrator does not manage (``app.staff.rules.may_manage``).
    "user_id": UrlArgument(Whose.VALUE),
    # An organisation of the directory, for administrators alone: the directory is not
    # secret, and the view lets a county's administrator change only its own county's.
    "organisation_id": UrlArgument(Whose.VALUE),
    # An information text's version, for administrators alone: the view refuses (404) one of
    # another scope (``app.information_texts.rules.in_scope``); published ones are public.
    "text_id": UrlArgument(Whose.VALUE),
    # An outbox message, for administrators alone: the view refuses (404) one to an account
    # the administrator does not reach (``app.staff.queries.account_in_scope``).
    "message_id": UrlArgument(Whose.VALUE),
    # A study's approval, for administrators, the data-protection officer and analysts: the
    # view refuses (404) one the caller may not see (``app.research.rules``).
    "approval_id": UrlArgument(Whose.VALUE),
    "notice_id": _row(RevocationNotice.organisation_id, Whose.ORGANISATION),
    "notification_id": _row(Notification.county_id, Whose.ORGANISATION),
    # A county transfer, for the receiving county's caseworkers (the sending county acts on
    # it through the client's record, which the gate guards).
    "transfer_id": _row(CountyTransfer.to_county_id, Whose.ORGANISATION),
    "kind": UrlArgument(Whose.VALUE),  # a plan section's kind
    "number": UrlArgument(Whose.VALUE),  # a version number of what the other ids name
    "version": UrlArgument(Whose.VALUE),  # a published information text's version
    "token": UrlArgument(Whose.VALUE),  # a close person's link, a staff invitation's
    "filename": UrlArgument(Whose.VALUE),  # a static file
}


def declared_access(endpoint: str) -> frozenset[Role] | str | None:
    """What an endpoint's view declared: roles, ``PUBLIC``, ``PERSON_GRANTEE`` or ``None``."""
    if endpoint in PUBLIC_ENDPOINTS:
        return PUBLIC
    return getattr(current_app.view_functions[endpoint], _ACCESS_ATTR, None)


def declared_condition(endpoint: str) -> Condition | None:
    """The ``when`` an endpoint's ``@allow`` narrows its roles by, if any."""
    return getattr(current_app.view_functions[endpoint], _CONDITION_ATTR, None)


def _refuse_unless_allowed(roles: frozenset[Role], user: User) -> None:
    if user.role not in roles:
        abort(403)
    condition = declared_condition(request.endpoint or "")
    if condition is not None and not condition(user):
        abort(403)
    _enforce_url_arguments(user)


def enforce_route_access() -> Any:
    """``before_request``: deny unless the endpoint's view declared this user's role."""
    if request.endpoint is None:
        return None  # routing failed; the 404/405 handlers answer
    rule = declared_access(request.endpoint)
    if rule == PUBLIC:
        _enforce_url_arguments(None)  # no caller: an id of anyone's row is refused
        return None
    if is_api_request():
        return _enforce_api_access(rule)
    if rule == PERSON_GRANTEE:
        return _enforce_person_grantee()
    if not isinstance(rule, frozenset):
        abort(403)
    if not current_user.is_authenticated:
        if g.get("session_expired"):
            _forget_session()
            return redirect(url_for("auth.login", expired=1))
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if current_user.password_must_change and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        return redirect(url_for("auth.change_password"))
    _refuse_unless_allowed(rule, current_user)
    if _second_factor_missing(request.endpoint):
        return redirect(url_for("auth.second_factor"))
    return None


def _enforce_url_arguments(caller: User | None, *, client_id: uuid.UUID | None = None) -> None:
    """Refuse an undeclared URL argument (403) and an id of someone else's row (404).

    A row of another client than the one the URL names (or, without one, than the
    signed-in client ``caller``, or ``client_id``: the client a person's link is about),
    or addressed to another organisation than the caller's, is a 404 exactly like a row
    that does not exist.
    """
    arguments = request.view_args or {}
    for name, value in arguments.items():
        declared = URL_ARGUMENTS.get(name)
        if declared is None:
            abort(403)
        if declared.owner is None:
            continue
        expected = (
            client_id
            if client_id is not None and declared.whose is Whose.CLIENT
            else _owner_expected(declared.whose, arguments, caller)
        )
        if expected is None or not isinstance(value, uuid.UUID):
            abort(404)
        if db_session().scalar(declared.owner(value)) != expected:
            abort(404)


def _owner_expected(
    whose: Whose, arguments: dict[str, Any], caller: User | None
) -> uuid.UUID | None:
    if caller is None:
        return None
    if whose is Whose.ORGANISATION:
        return caller.organisation_id
    if whose is Whose.USER:
        return caller.id
    client_id = arguments.get("client_id")
    if isinstance(client_id, uuid.UUID):
        return client_id
    return caller.client_id if caller.role is Role.CLIENT else None


def is_api_request() -> bool:
    """The JSON API authenticates by bearer token only: a session cookie means nothing there."""
    return request.path.startswith(API_PREFIX)


def _enforce_api_access(rule: frozenset[Role] | str | None) -> None:
    """The API's deny by default: 401 without a valid token, 403 for a role not declared."""
    if not isinstance(rule, frozenset):
        abort(403)
    if not current_user.is_authenticated:
        abort(401)
    _refuse_unless_allowed(rule, current_user)


def _enforce_person_grantee() -> None:
    loader = current_app.extensions.get(PERSON_LOADER)
    grant = loader() if loader is not None else None
    if grant is None:
        abort(404)  # like any page that does not exist: a guessed link learns nothing
    # A row id in the URL (a thread) must be of the client the link is about.
    _enforce_url_arguments(None, client_id=grant.client_id)
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


def password_hasher() -> PasswordHasher:
    """The argon2id hasher with this app's cost parameters."""
    hasher: PasswordHasher = current_app.extensions["tukiverkko.password_hasher"]
    return hasher


def make_password_hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


# -- sessions ------------------------------------------------------------------------------


def settings() -> Settings:
    found: Settings = current_app.extensions["tukiverkko.settings"]
    return found


def session_limits(role: Role) -> SessionLimits:
    """How long a sign-in of ``role`` may idle and last (``Settings``)."""
    config = settings()
    if role is Role.CLIENT:
        return SessionLimits(
            timedelta(minutes=config.client_idle_minutes),
            timedelta(hours=config.client_session_hours),
        )
    return SessionLimits(
        timedelta(minutes=config.staff_idle_minutes), timedelta(hours=config.staff_session_hours)
    )


def begin_session(user: User, *, assisted_by: User | None = None) -> UserSession:
    """Sign ``user`` in: a new session record, and a fresh cookie naming only that record.

    Whatever the cookie held before is dropped (no session fixation) but the language.
    """
    now = utcnow()
    opened = accounts.open_session(
        db_session(),
        user,
        now=now,
        lifetime=session_limits(user.role).lifetime,
        user_agent=summarise_user_agent(request.headers.get("User-Agent")),
        assisted_by_id=assisted_by.id if assisted_by is not None else None,
    )
    _forget_session()
    login_user(user)
    session[_USER_ID] = opened.secret
    g.user_session = opened.record
    security_log.event(
        security_log.Kind.SIGN_IN,
        user_id=user.id,
        outcome=security_log.Outcome.SUCCESS,
        session_id=opened.record.id,
        assisted_by=opened.record.assisted_by_id,
    )
    return opened.record


def current_session() -> UserSession | None:
    """The signed-in browser's session record (None for the API and anonymous requests)."""
    if not current_user.is_authenticated:
        return None
    record: UserSession | None = g.get("user_session")
    return record


def end_current_session(reason: SessionEnd = SessionEnd.SIGNED_OUT) -> None:
    """Sign this browser out: its session record goes, and the cookie keeps only the language."""
    record = current_session()
    if record is not None:
        accounts.end_session(db_session(), record.id, user_id=record.user_id)
        log_session_ended(record.user_id, record.id, reason)
    _forget_session()


def log_session_ended(user_id: uuid.UUID, session_id: uuid.UUID, reason: SessionEnd) -> None:
    security_log.event(
        security_log.Kind.SESSION_ENDED,
        user_id=user_id,
        outcome=security_log.Outcome.SUCCESS,
        session_id=session_id,
        reason=reason,
    )


def log_ended_sessions(user_id: uuid.UUID, ended: accounts.Ended, reason: SessionEnd) -> None:
    """Each session that ``end_sessions`` ended, and its tokens, in the security log."""
    for session_id in ended.sessions:
        log_session_ended(user_id, session_id, reason)
    if ended.tokens:
        security_log.event(
            security_log.Kind.TOKEN_REVOKED,
            user_id=user_id,
            outcome=security_log.Outcome.SUCCESS,
            count=ended.tokens,
            reason=reason,
        )


def _forget_session() -> None:
    """Clear the cookie's session (and Flask-Login's user) but keep the chosen language."""
    logout_user()
    locale = session.get(SESSION_KEY)
    session.clear()
    if locale:
        session[SESSION_KEY] = locale
    g.pop("user_session", None)
    # Flask-WTF keeps this request's CSRF token in ``g``: a page drawn after the clear (the
    # recovery codes after enrolment) must carry a token of the new session, not the old one.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def _load_user(secret: str) -> User | None:
    """Flask-Login's user loader: the user of the session the cookie names, while it lasts."""
    if is_api_request():
        return None  # a cookie sent to the API is ignored: no ambient authority, no CSRF
    found = find_session(db_session(), secret)
    if found is None:
        return None
    record, user = found
    now = utcnow()
    if not user.active:
        return None
    ended = session_ended(
        created_at=record.created_at,
        last_seen_at=record.last_seen_at,
        limits=session_limits(user.role),
        now=now,
    )
    if ended is not None:
        _note_first_write(lambda: accounts.end_session(db_session(), record.id, user_id=user.id))
        log_session_ended(user.id, record.id, ended)
        g.session_expired = True
        return None
    if needs_touch(record.last_seen_at, now):
        _note_first_write(lambda: accounts.touch_session(db_session(), record.id, now=now))
    g.user_session = record
    return user


def _note_first_write(write: Callable[[], object]) -> None:
    """Run a session's own bookkeeping write from a page that may only read (a GET).

    On SQLite the write takes the write lock first, as any first write of a read does
    (``sharing.write_lock.take``), and when the request had only read so far, commits it at
    once and reads on (``give_back``): the lock is held for this one statement, not for the
    whole page. The write depends on nothing read before it (``touch_session`` and
    ``end_session`` are single statements with their own conditions). In a request that
    writes anyway (a POST holds the lock already), and on PostgreSQL, it simply joins the
    request's transaction.
    """
    connection = db_session().connection()
    took = write_lock.take(connection)
    write()
    if took:
        write_lock.give_back(connection)


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


def assisted_by() -> uuid.UUID | None:
    """The staff member beside a signed-in client in a staff-assisted session, if any."""
    record = current_session()
    if record is None or current_user.role is not Role.CLIENT:
        return None
    return record.assisted_by_id


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
        Role.MANAGER: "statistics.home",
        Role.ANALYST: "statistics.home",
        Role.DATA_PROTECTION: "log_review.search",
    }[role]
