"""gunicorn settings for Tukiverkko: ``gunicorn -c deploy/gunicorn.conf.py``.

The app (``app:create_app()``) reads its own settings from ``TUKIVERKKO_*`` (see README,
"Running in production"); this file holds only the server's. Every value that differs between
machines comes from the environment, with the default in brackets:

- ``TUKIVERKKO_BIND`` [127.0.0.1:8000]: where gunicorn listens. Keep it on loopback (or a
  private address) behind the reverse proxy (deploy/nginx.conf); never expose it directly.
- ``TUKIVERKKO_WORKERS`` [2 × CPUs + 1, at most 8]: sync worker processes.
- ``TUKIVERKKO_TIMEOUT`` [30]: seconds a request may take before its worker is killed.
- ``FORWARDED_ALLOW_IPS`` [127.0.0.1]: the proxies whose ``X-Forwarded-Proto`` gunicorn
  trusts (so the app knows the request came over HTTPS). List the proxy's address only; never
  ``*`` unless nothing but the proxy can reach the bind address.
"""

from __future__ import annotations

import os

wsgi_app = "app:create_app()"
bind = [os.environ.get("TUKIVERKKO_BIND", "127.0.0.1:8000")]

# Sync workers: one request at a time per process. The app is CPU- and database-bound (argon2,
# encryption, SQL); the proxy buffers slow clients, so no async workers are needed.
worker_class = "sync"
workers = int(os.environ.get("TUKIVERKKO_WORKERS", min(2 * (os.cpu_count() or 1) + 1, 8)))

# A request taking longer than this is a bug or a stuck database: the worker is replaced.
timeout = int(os.environ.get("TUKIVERKKO_TIMEOUT", "30"))
# On SIGTERM / restart, a worker finishes the request it serves for up to this long.
graceful_timeout = 30
# Keep-alive towards the proxy only (nginx reuses upstream connections).
keepalive = 5

# Recycle each worker after about 1000 requests (jitter: not all at once) to bound any leak.
max_requests = 1000
max_requests_jitter = 100

# Heartbeat files in memory, not on a disk that may stall (and /tmp may be private).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# Each worker builds its own app (and database pool): nothing is shared across fork.
preload_app = False

# No access log: the app writes one JSON line per request itself (app/request_log.py: request
# id, method, route rule, status, duration; never the path's ids or the query string).
accesslog = None
errorlog = "-"
loglevel = "info"

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn takes only the scheme from the proxy. The client's address (for rate limits) is the
# app's to read: with TUKIVERKKO_PROXY_COUNT=1 it takes the entry nginx appends to
# X-Forwarded-For (app/public_url.py). The Server header says "gunicorn", with no version.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# Request limits: a request line or header block larger than these is refused before the app.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

proc_name = "tukiverkko"
# No control socket (gunicorn >= 25.1 makes one in $XDG_RUNTIME_DIR or ~/.gunicorn): nothing
# uses it, the service's home is read-only, and two servers on one machine would share its path.
# Reload with SIGHUP (systemctl reload), stop with SIGTERM.
control_socket_disable = True
