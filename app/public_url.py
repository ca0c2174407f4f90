"""The site's public address: absolute URLs, the host it answers to, and what proxies report.

The ``Host`` header is the client's to choose, so nothing is built from it: every absolute URL
(the activation page on a client's paper, a close person's link, a receipt's policy link, the
FHIR export's ``system`` URLs) is ``Settings.public_url`` (``TUKIVERKKO_PUBLIC_URL``) plus the
path ``url_for`` gives. In production a request naming another host is refused (400), except
the health probes, which a load balancer may send to a node's own address.

Behind ``Settings.proxy_count`` reverse proxies (``TUKIVERKKO_PROXY_COUNT``; nginx in
``deploy/``: 1), Werkzeug's ``ProxyFix`` takes the client's address and scheme from the last
that many ``X-Forwarded-For`` / ``X-Forwarded-Proto`` entries, which those proxies wrote;
entries before them came from the client and are ignored. With no proxy (the default) the
address is the peer's. The forwarded host is never used.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.sansio.utils import host_is_trusted

from app import security_log
from app.rate_limits import security_event
from app.settings import Settings

ANY_HOST_ENDPOINTS = frozenset({"healthz", "readyz"})


def public_base() -> str:
    """The site's origin, ``https://host[:port]`` without a trailing slash."""
    settings: Settings = current_app.extensions["tukiverkko.settings"]
    return settings.public_url.rstrip("/")


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` at the public address (``url_for`` gives the path)."""
    return public_base() + url_for(endpoint, **values)


def refuse_unknown_host() -> None:
    """``before_request`` in production: a request for another host gets 400."""
    if request.endpoint in ANY_HOST_ENDPOINTS:
        return
    public_host = urlsplit(public_base()).hostname or ""
    if not host_is_trusted(request.host, [public_host]):
        security_event(security_log.Kind.REFUSED_HOST, host=request.host[:200])
        abort(400)


def init_app(app: Flask) -> None:
    settings: Settings = app.extensions["tukiverkko.settings"]
    app.jinja_env.globals["external_url"] = external_url
    if settings.proxy_count:
        count = settings.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]  # Flask's documented way to wrap its WSGI app
    if settings.environment == "production":
        # Right after the request log's hook, before anything reads the request.
        app.before_request_funcs.setdefault(None, []).insert(1, refuse_unknown_host)
