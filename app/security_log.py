"""The security log: one JSON line per security event, apart from the request and access logs.

``event(Kind.SIGN_IN, user_id=user.id, outcome=Outcome.SUCCESS)`` writes a record to the
``tukiverkko.security`` logger with the kind, the outcome, the user, the client's address
(``request.remote_addr``, which the proxy configuration makes the real client's), the
request id (to find the request in the request log) and any further fields. In a CLI
command there is no address; the operating-system user who ran it is recorded instead.

Where it goes: with ``TUKIVERKKO_SECURITY_LOG`` set (``Settings.security_log_file``), to that
file only, as JSON lines (``app.request_log.JsonFormatter``; reopened when rotated away);
otherwise with every other record (in production: JSON lines on stderr), told apart by its
logger name. Either way it is not the access log (``sharing.access_log``: who read which
client's data) nor the request log (one line per request).

Never a secret: a field named like one (password, code, token, secret, …; a row's
``…_id`` is not one) is refused with ``TypeError`` at the call, so a mistake fails in the
tests rather than in the log.
"""

from __future__ import annotations

import enum
import getpass
import logging
import logging.handlers
import uuid
from pathlib import Path

from flask import Flask, g, has_request_context, request

from app.request_log import FIELDS, JsonFormatter

LOGGER = "tukiverkko.security"
log = logging.getLogger(LOGGER)

Value = str | int | bool | None | uuid.UUID | enum.Enum
_SECRET_WORDS = ("password", "passwd", "code", "token", "secret", "otp", "cookie", "hash")


class Kind(enum.StrEnum):
    """What happened. Other parts of the app add their kinds here."""

    SIGN_IN = "sign_in"
    SESSION_ENDED = "session_ended"  # reason: app.accounts.rules.SessionEnd
    PASSWORD_CHANGED = "password_changed"  # noqa: S105  (an event's name, not a secret)
    PASSWORD_SET = "password_set"  # noqa: S105  (an event's name, not a secret)
    TOKEN_ISSUED = "token_issued"  # noqa: S105  (an event's name, not a secret)
    TOKEN_REVOKED = "token_revoked"  # noqa: S105  (an event's name, not a secret)
    ACCOUNT_DEACTIVATED = "account_deactivated"
    ACCOUNT_REACTIVATED = "account_reactivated"
    ACCOUNT_INVITED = "account_invited"  # an administrator issued an invitation link
    INVITATION_ACCEPTED = "invitation_accepted"
    ACCOUNT_CHANGED = "account_changed"  # name, role or organisation (app.staff)
    SECOND_FACTOR_RESET = "second_factor_reset"  # by an administrator
    SIGN_IN_LOCKED = "sign_in_locked"  # a client's sign-in, by their worker or an administrator
    SIGN_IN_UNLOCKED = "sign_in_unlocked"
    ORGANISATION = "organisation"  # the directory: operation=create|update|deactivate|reactivate
    # An information text: operation=draft|revise|approve|publish, version=its id
    INFORMATION_TEXT = "information_text"
    COUNTY_SETTING = "county_setting"  # a county's administrator changed a county setting
    LOG_REVIEW = "log_review"  # the access log searched or reconstructed (app.log_review)
    LOG_REVIEWER = "log_reviewer"  # an account designated as a log reviewer, or no longer
    RESEARCH_APPROVAL = "research_approval"  # a study's approval: operation=approve|end
    RESEARCH_EXTRACT = "research_extract"  # a study's pseudonymised extract made (app.research)
    KEYS = "keys"  # a master-key operation (`flask keys …`): operation=init|rotate|retire
    THROTTLED = "throttled"  # a rate limit refused a request (app.rate_limits)
    REFUSED_HOST = "refused_host"  # a request for a host other than the public URL's


class Outcome(enum.StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"


class _Installed(logging.handlers.WatchedFileHandler):
    """The file handler ``configure`` installs; marked so a second ``create_app`` adds no other."""


def event(
    kind: Kind, *, outcome: Outcome, user_id: uuid.UUID | None = None, **fields: Value
) -> None:
    """Write one security event (a failure as a warning).

    :raises TypeError: when a field's name says it holds a secret.
    """
    for name in fields:
        if any(word in name.lower() for word in _SECRET_WORDS) and not name.endswith("_id"):
            raise TypeError(f"the security log never holds a secret: field {name!r}")
    entry: dict[str, Value] = {
        "event": kind,
        "outcome": outcome,
        "user_id": user_id,
        **_where(),
        **fields,
    }
    level = logging.INFO if outcome is Outcome.SUCCESS else logging.WARNING
    log.log(level, kind.value, extra={FIELDS: {k: _plain(v) for k, v in entry.items()}})


def _where() -> dict[str, Value]:
    if has_request_context():
        return {"address": request.remote_addr, "request_id": g.get("request_id")}
    try:
        return {"address": None, "os_user": getpass.getuser()}
    except (KeyError, OSError):  # no user name in a bare container
        return {"address": None, "os_user": None}


def _plain(value: Value) -> str | int | bool | None:
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def configure(path: Path | None) -> None:
    """Send the security log to ``path`` alone (idempotent); ``None`` leaves it with the rest."""
    log.setLevel(logging.INFO)
    if path is None or any(isinstance(h, _Installed) for h in log.handlers):
        return
    handler = _Installed(path, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    log.addHandler(handler)
    log.propagate = False


def init_app(app: Flask) -> None:
    configure(app.extensions["tukiverkko.settings"].security_log_file)
