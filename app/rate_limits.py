"""Rate limits on everything that checks a secret: sign-in, API tokens, activation and link codes.

Flask-Limiter counts in a storage every worker and node shares (the database, or Redis when
``TUKIVERKKO_RATELIMIT_STORAGE_URL`` names one; ``app.rate_limit_storage``). Only failures
count towards the failure limits: a view that refuses a password or code calls
``count_failure()``, and the limit is tested before the view runs (nothing is hashed once it is
reached) and counted after it (Flask-Limiter's ``deduct_when``). Each window starts at the
first counted failure (fixed windows). Parallel requests are tested before any of them is
counted, so a burst can pass a limit by the number of workers at most.

Who is counted, and why these numbers (``Settings``; ``config/production.toml``):

- **Failed sign-ins per address** (the sign-in page, a staff-assisted sign-in,
  ``POST /api/v1/tokens``, a wrong current password when changing it and a wrong second-
  factor code, together), 20 per
  15 minutes and 100 per day: a password spray from one address gets 100 guesses a day
  across all accounts, while a prison or county office behind
  one address has room for many people's typing mistakes. It also bounds the argon2 work an
  address can cause (an unknown username costs a full verify too, so timing does not reveal it).
- **Failed sign-ins per username from one address**, 5 per minute, 10 per 15 minutes, 20 per
  day: an attack on one account is slowed step by step from each address, and the account is
  never locked, so its owner signs in from another address at once (lockout on demand is what
  the old per-account lock gave any attacker). The key is the username as typed, whether or
  not it exists, so the answers never tell existing accounts apart. An attack spread over many
  addresses is bounded by each address's own limits, the password rules and staff's second
  factor, and shows in the security log; a limit across all addresses would lock the owner out.
- **Tokens issued per account**, 30 per hour: a token lives 30 minutes, so a partner system
  needs two an hour; thirty leaves room for several systems and restarts.
- **Wrong codes per address** (activation codes and person-link codes together), 10 per
  15 minutes and 50 per day. Each code also locks itself after a few wrong tries
  (``app.activation``, ``app.person_access``), so these bound guessing across codes.

Nothing of this lives in the client's cookie, which a client can drop. Counter keys hold
pseudonyms (an HMAC under the secret key) of the address and the username, never either in
clear; an IPv6 address counts by its /64, which one subscriber usually holds whole.

A limit reached answers 429 with ``Retry-After`` (``app.errors``), logged as a security event.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter

from app import security_log
from app.rate_limit_storage import SCHEME
from app.request_bodies import MalformedBody, json_body
from app.security import is_api_request
from app.settings import Settings

LIMITER = "tukiverkko.limiter"  # app.extensions key
SIGN_IN = ("auth.login", "auth.assist_sign_in", "api.create_token")  # the endpoints
# Where a password is proved again, or the second step of a sign-in is taken: counted per
# address with sign-ins (these forms carry no username to count per account).
PASSWORD_CHECKS = (
    *SIGN_IN,
    "auth.change_password",
    "auth.sign_in_code",
    "auth.sign_in_recovery_code",
    "auth.second_factor_change",
)
TOKENS = ("api.create_token",)
CODES = ("auth.activate", "person.bind", "auth.invitation")
USERNAME_FIELD = "username"
USERNAME_MAX = 200
_FAILED = "tukiverkko_attempt_failed"  # g: this request's password or code was wrong
_security_log = logging.getLogger("tukiverkko.security")


def count_failure() -> None:
    """Count this request's password or code as wrong against its endpoint's limits."""
    setattr(g, _FAILED, True)


def _failed(response: Response) -> bool:
    return bool(g.get(_FAILED))


def _issued(response: Response) -> bool:
    return response.status_code == 201


# -- who is counted --------------------------------------------------------------------------


def _pseudonym(kind: str, value: str) -> str:
    key = str(current_app.config["SECRET_KEY"] or "").encode()
    message = f"{kind}\0{value}".encode("utf-8", "backslashreplace")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def client_network() -> str:
    """The client's address (as the configured proxies report it); an IPv6 address's /64."""
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _address() -> str:
    return _pseudonym("address", client_network())


def submitted_username() -> str:
    """The username a sign-in or token request names, as typed (normalised; "" for none)."""
    if is_api_request():
        try:
            body = json_body() if request.is_json else None
        except MalformedBody:
            body = None  # refused with 400 before any password is checked
        value = body.get(USERNAME_FIELD) if isinstance(body, dict) else None
    else:
        value = request.form.get(USERNAME_FIELD)
    return value.strip().casefold()[:USERNAME_MAX] if isinstance(value, str) else ""


def _account() -> str:
    return _pseudonym("account", submitted_username())


def _account_at_address() -> str:
    return f"{_address()}.{_account()}"


# -- the limits ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limited:
    """One limit: on which endpoints' POSTs, its ``Settings`` field, who is counted, and which
    answers count (a refused secret, or a token issued)."""

    endpoints: tuple[str, ...]
    setting: str
    scope: str
    key: Callable[[], str]
    counts: Callable[[Response], bool]


LIMITS = (
    Limited(PASSWORD_CHECKS, "sign_in_failures_per_address", "sign-in/address", _address, _failed),
    Limited(
        SIGN_IN, "sign_in_failures_per_account", "sign-in/account", _account_at_address, _failed
    ),
    Limited(TOKENS, "tokens_per_account", "tokens/account", _account, _issued),
    Limited(CODES, "code_failures_per_address", "codes/address", _address, _failed),
)


def _limit_views(app: Flask, limiter: Limiter, settings: Settings) -> None:
    """Wrap each limited endpoint's view in its limits (tested before it, counted after)."""
    for limited in LIMITS:
        limit: Callable[[Callable[..., Any]], Callable[..., Any]] = limiter.shared_limit(
            getattr(settings, limited.setting),
            scope=limited.scope,
            key_func=limited.key,
            deduct_when=limited.counts,
            methods=["POST"],
        )
        for endpoint in limited.endpoints:
            app.view_functions[endpoint] = limit(app.view_functions[endpoint])


def retry_after() -> int:
    """Whole seconds until every limit this request reached has a new window."""
    limiter: Limiter = current_app.extensions[LIMITER]
    now = time.time()
    resets = [limit.window.reset_time for limit in limiter.current_limits if limit.breached]
    return max(1, math.ceil(max(resets, default=now + 60) - now))


def log_throttled() -> None:
    """The security event of a refused attempt (address and route; never the username)."""
    limiter: Limiter = current_app.extensions[LIMITER]
    security_event(
        security_log.Kind.THROTTLED,
        limits="; ".join(str(limit.limit) for limit in limiter.current_limits if limit.breached),
    )


def security_event(kind: security_log.Kind, **fields: str) -> None:
    """A refusal in the security log (``app.security_log``), with the route refused."""
    rule = request.url_rule.rule if request.url_rule is not None else None
    security_log.event(
        kind, outcome=security_log.Outcome.FAILURE, route=rule, user_id=None, **fields
    )


def init_app(app: Flask) -> None:
    """Bind a limiter to ``app`` and wrap the limited views: after the blueprints, and after
    ``app.transactions`` (its ``after_request`` counts inside the request's unit of work)."""
    settings: Settings = app.extensions["tukiverkko.settings"]
    app.config.update(
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_url or f"{SCHEME}://",
        RATELIMIT_STRATEGY="fixed-window",
        RATELIMIT_HEADERS_ENABLED=False,  # Retry-After on a 429 only (app.errors)
        RATELIMIT_FAIL_ON_FIRST_BREACH=False,  # every breached window sets Retry-After
        RATELIMIT_SWALLOW_ERRORS=False,  # a storage that fails is a database outage: 503
    )
    limiter = Limiter(key_func=_address, app=app)
    app.extensions[LIMITER] = limiter
    _limit_views(app, limiter, settings)
