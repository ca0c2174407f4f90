"""Structured logs: one JSON line per record, and one record per request.

Production (``configure``, called once by ``create_app``) sends every ``logging`` record to
stderr as one JSON object per line. Each request logs ``time, level, logger, message,
request_id, method, route, status, duration_ms``: the route *rule* (``/cases/<uuid:case_id>``),
never the raw path (it holds ids), never the query string, form data, names or other client
data. The request id comes from a well-formed ``X-Request-ID`` header (a proxy's) or is made
here, and is echoed in the response's ``X-Request-ID``. Development keeps the server's
readable lines (no handler is installed; the request records are at INFO).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

log = logging.getLogger("tukiverkko.request")

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
UNLOGGED_ENDPOINTS = frozenset({"healthz", "readyz", "static"})
"""Probes and stylesheets: polled every few seconds, they would drown the log."""
FIELDS = "fields"
"""``log.info(msg, extra={FIELDS: {...}})``: the structured part of a record."""


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ms), level, logger, message, structured fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class _Installed(logging.StreamHandler):  # type: ignore[type-arg]  # (TextIO; py3.11 stubs)
    """The handler ``configure`` installs; marked so a second ``create_app`` adds no other."""


def configure(level: int = logging.INFO) -> None:
    """Production: JSON lines on stderr for the root logger (idempotent)."""
    root = logging.getLogger()
    if any(isinstance(handler, _Installed) for handler in root.handlers):
        return
    handler = _Installed(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic's "Context impl …" notes on every schema check (startup, /readyz) say nothing;
    # `flask db upgrade` configures its own loggers from alembic.ini and still reports.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)


def request_id() -> str:
    """This request's id (``X-Request-ID``)."""
    rid: str = g.request_id
    return rid


def _begin() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    rid = g.get("request_id")
    if rid is None:  # a hook before ours answered; nothing measured
        return response
    response.headers[REQUEST_ID_HEADER] = rid
    if request.endpoint in UNLOGGED_ENDPOINTS:
        return response
    rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    duration_ms = round((time.perf_counter() - g.request_started) * 1000, 1)
    log.info(
        "request",
        extra={
            FIELDS: {
                "request_id": rid,
                "method": request.method,
                "route": rule,
                "status": response.status_code,
                "duration_ms": duration_ms,
            }
        },
    )
    return response


def init_app(app: Flask) -> None:
    # First before_request hook: every later hook (and error) sees the id.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_finish)
