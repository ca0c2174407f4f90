"""HTTP hygiene for every response: security headers, no caching of personal data, and no
server software version in the ``Server`` header."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

from flask import Flask, Response, current_app, request
from werkzeug.serving import WSGIRequestHandler

SERVER_NAME = "Tukiverkko"
"""What the development server calls itself (gunicorn says ``gunicorn``, nginx ``nginx``)."""

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # Same-origin: no address (they hold ids) leaves for another site, while a form posted
    # over HTTPS still carries the Referer that Flask-WTF's strict CSRF check requires there.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if request.endpoint != "static":
        # Pages show personal data and prison terminals are shared: never keep a copy.
        headers["Cache-Control"] = "no-store"
    return response


def _unversioned_server_name(handler: BaseHTTPRequestHandler) -> str:
    return SERVER_NAME


def hide_development_server_version() -> None:
    """``flask run`` (``make run``): no Werkzeug and Python versions in the ``Server`` header.

    Werkzeug's request handler writes ``Werkzeug/x Python/y`` into every answer, errors to
    malformed requests included, and ``flask run`` takes no handler class of ours, so the
    handler's ``version_string`` is replaced where it is defined (idempotent; only the
    development server uses that class).
    """
    WSGIRequestHandler.version_string = _unversioned_server_name  # type: ignore[method-assign,assignment]  # no setting exists


def init_app(app: Flask) -> None:
    hide_development_server_version()
    app.after_request(add_security_headers)
