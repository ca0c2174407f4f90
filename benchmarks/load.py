"""Load runs: the app and the baseline under gunicorn, driven by wrk, side by side.

    .venv/bin/python -m benchmarks.load --clients 1000 [--postgresql URL] [--seconds 10]

Both servers run at once on loopback (127.0.0.1 only), each with gunicorn's 2 sync workers
(the deployment's setting), on the same generated data set. Each endpoint of the app is
measured right after the baseline it is compared with (``wrk -t2 -c16``; the HTML page after
the baseline's HTML read, everything else after its JSON read), so the two see the same
machine at nearly the same moment. Requests rotate over many clients shared with the
partner's organisation, so concurrent reads append to different log chains.

Reported per endpoint: successful requests per second (2xx and 3xx; wrk counts answers of
400 and above as errors), the errors and their share, the median and 99th percentile
latency, the throughput as a share of the baseline's and the p99 as a multiple of it, and
after the runs the resident memory of each gunicorn worker.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks import ROOT
from benchmarks.data import Manifest, ensure
from benchmarks.scale import Scale

HOST = "127.0.0.1"  # loopback only, always
WRK_SCRIPT = Path(__file__).parent / "wrk" / "rotate.lua"
COOKIE = "tukiverkko_session"


@dataclass(frozen=True)
class Endpoint:
    """One page or API operation under load, and the baseline read it is compared with."""

    name: str
    who: str | None  # a role of ``Manifest.logins``; None: not signed in
    api: bool  # bearer token instead of the session cookie
    paths: tuple[str, ...]
    baseline: str  # "json" or "html": which baseline read it is compared with


@dataclass
class Run:
    """One wrk run's figures."""

    label: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    timed_out: bool = False  # not run: one request did not finish within gunicorn's timeout

    @property
    def ok_per_second(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    @property
    def error_share(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


@dataclass
class Comparison:
    endpoint: str
    app: Run
    baseline: Run

    @property
    def share(self) -> float:
        ok = self.baseline.ok_per_second
        return self.app.ok_per_second / ok if ok else 0.0

    @property
    def p99_ratio(self) -> float:
        return self.app.p99_ms / self.baseline.p99_ms if self.baseline.p99_ms else 0.0


@dataclass
class LoadReport:
    backend: str
    clients: int
    seconds: int
    comparisons: list[Comparison] = field(default_factory=list)
    hello: Run | None = None
    memory_kb: dict[str, list[int]] = field(default_factory=dict)  # server → RSS per worker


def endpoints(manifest: Manifest, sample: int = 200) -> list[Endpoint]:
    shared = manifest.shared[:sample]
    return [
        Endpoint(
            "partner's client page (HTML)",
            "partner",
            False,
            tuple(f"/partner/clients/{client}" for client, _ in shared),
            "html",
        ),
        Endpoint(
            "partner's plan-section read (API JSON)",
            "partner",
            True,
            tuple(f"/api/v1/clients/{client}/plan/sections/{kind}" for client, kind in shared),
            "json",
        ),
        Endpoint("partner's home /partner/", "partner", False, ("/partner/",), "json"),
        Endpoint("partner's /api/v1/shared", "partner", True, ("/api/v1/shared",), "json"),
        Endpoint("caseworker's client list", "caseworker", False, ("/caseworker/clients",), "json"),
        Endpoint("client's /my/log", "client", False, ("/my/log",), "json"),
        Endpoint("administrator's home /admin/", "admin", False, ("/admin/",), "json"),
        Endpoint("public page /accessibility", None, False, ("/accessibility",), "json"),
    ]


def baseline_paths(manifest: Manifest, kind: str, sample: int = 200) -> tuple[str, ...]:
    return tuple(
        f"/baseline/clients/{client}/sections/{section}.{kind}"
        for client, section in manifest.shared[:sample]
    )


# -- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """A gunicorn master with 2 sync workers (or ``workers``) on loopback."""

    def __init__(self, name: str, spec: str, env: dict[str, str], workers: int = 2) -> None:
        self.name, self.port = name, free_port()
        descriptor, self.log = tempfile.mkstemp(prefix=f"bench-{name}-", suffix=".log")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--bind",
                f"{HOST}:{self.port}",
                "--chdir",
                str(ROOT),
                spec,
            ],
            env={**os.environ, **env},
            stdout=descriptor,
            stderr=subprocess.STDOUT,
        )
        os.close(descriptor)
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} did not start; see {self.log}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not listen within 60 s; see {self.log}")

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def worker_rss_kb(self) -> list[int]:
        """The resident size of each worker (the master's children), in kilobytes."""
        found = subprocess.run(
            ["ps", "-o", "rss=", "--ppid", str(self.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        )
        return sorted(int(line) for line in found.stdout.split())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def servers(manifest: Manifest) -> Iterator[tuple[Server, Server]]:
    """The app and the baseline, both on the data set of ``manifest``."""
    env = {
        "TUKIVERKKO_ENV": "production",
        "TUKIVERKKO_ALLOW_SQLITE": "1",  # the single-node pilot; ignored on PostgreSQL
        "TUKIVERKKO_REQUIRE_SECOND_FACTOR": "0",  # the benchmark's staff sign in with a password
        "TUKIVERKKO_INSTANCE_PATH": manifest.instance,
        "TUKIVERKKO_DATABASE_URL": manifest.url,
        "TUKIVERKKO_PUBLIC_URL": f"http://{HOST}",  # requests go to gunicorn directly
        "BENCH_DATABASE_URL": manifest.url,
    }
    started: list[Server] = []
    try:
        started.append(Server("app", "app:create_app()", env))
        started.append(Server("baseline", "benchmarks.baseline:create_baseline()", env))
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


# -- signing in ------------------------------------------------------------------------------


def _request(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes | None = None
) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(HOST, port, timeout=600)
    connection.request(method, path, body=body, headers=headers)
    return connection.getresponse()


def _cookie(response: http.client.HTTPResponse) -> str | None:
    for header in response.headers.get_all("Set-Cookie") or []:
        if header.startswith(f"{COOKIE}="):
            return header.split(";", 1)[0]
    return None


def session_cookie(port: int, username: str, password: str, attempts: int = 5) -> str:
    """Sign in through the login form; the ``Cookie`` header value of the new session.

    A sign-in the app answers with 500 (on SQLite now and then "database is locked", right
    after a heavy run) is tried again, 2 s later, and said on stderr.
    """
    for attempt in range(1, attempts + 1):
        try:
            return _sign_in(port, username, password)
        except (RuntimeError, http.client.HTTPException, OSError) as refused:
            lost = not isinstance(refused, RuntimeError)  # the connection dropped
            if attempt == attempts or not (lost or "HTTP 500" in str(refused)):
                raise
            print(f"{refused}; trying again", file=sys.stderr)
            time.sleep(2)
    raise AssertionError("unreachable")


def _sign_in(port: int, username: str, password: str) -> str:
    page = _request(port, "GET", "/login", {})
    html = page.read().decode()
    cookie = _cookie(page) or ""
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    if token is None:
        raise RuntimeError("no CSRF token on /login")
    form = f"csrf_token={token.group(1)}&username={username}&password={password}".encode()
    answer = _request(
        port,
        "POST",
        "/login",
        {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        form,
    )
    answer.read()
    signed_in = _cookie(answer)
    if answer.status != 302 or signed_in is None:
        raise RuntimeError(f"signing in as {username} failed: HTTP {answer.status}")
    # A browser follows the redirect to the home page and keeps the cookie it answers with
    # (the session's CSRF token added): without it every page measured would add the token
    # and sign a new cookie again, work no browser makes the app do twice.
    home = _request(port, "GET", urlsplit(answer.headers["Location"]).path, {"Cookie": signed_in})
    home.read()
    if home.status != 200:
        raise RuntimeError(f"the home page of {username} answered HTTP {home.status}")
    return _cookie(home) or signed_in


def bearer_token(port: int, username: str, password: str, attempts: int = 5) -> str:
    """A bearer token from ``POST /api/v1/tokens`` (a 500 is tried again, as for cookies)."""
    for attempt in range(1, attempts + 1):
        try:
            return _token(port, username, password)
        except (RuntimeError, http.client.HTTPException, OSError) as refused:
            lost = not isinstance(refused, RuntimeError)  # the connection dropped
            if attempt == attempts or not (lost or "HTTP 500" in str(refused)):
                raise
            print(f"{refused}; trying again", file=sys.stderr)
            time.sleep(2)
    raise AssertionError("unreachable")


def _token(port: int, username: str, password: str) -> str:
    body = json.dumps({"username": username, "password": password}).encode()
    answer = _request(port, "POST", "/api/v1/tokens", {"Content-Type": "application/json"}, body)
    data = json.loads(answer.read())
    if answer.status != 201:
        raise RuntimeError(f"no token for {username}: HTTP {answer.status} {data}")
    return f"Bearer {data['token']}"


def _check(port: int, path: str, headers: dict[str, str], attempts: int = 15) -> bool:
    """Whether ``path`` answers 200 before a run. A server still draining the previous run's
    queue may answer 500 (SQLite: "database is locked") or drop the connection (a worker past
    gunicorn's 30-second timeout is restarted) for a while: ask again, 2 s apart."""
    for _ in range(attempts):
        try:
            answer = _request(port, "GET", path, headers)
            answer.read()
        except (http.client.HTTPException, OSError):  # a worker killed by gunicorn's timeout
            time.sleep(2)
            continue
        if answer.status == 200:
            return True
        if answer.status < 500:
            raise RuntimeError(f"GET {path} answered {answer.status} before the load run")
        time.sleep(2)
    return False


def _drain(port: int, attempts: int = 120) -> None:
    """Wait until both workers are idle after a run: two public-page requests sent at once
    both answer within a second only when neither worker is still busy with a queued
    request (one still working would also hold SQLite's lock against the next run)."""
    for _ in range(attempts):
        with ThreadPoolExecutor(2) as pool:
            started = time.perf_counter()
            answers = list(pool.map(lambda _: _check(port, "/accessibility", {}, 1), range(2)))
        if all(answers) and time.perf_counter() - started < 1.0:
            return
        time.sleep(2)
    raise RuntimeError("the app did not drain its queue within four minutes")


# -- wrk -------------------------------------------------------------------------------------


def wrk(
    label: str,
    port: int,
    paths: Sequence[str],
    headers: dict[str, str],
    seconds: int,
    scheme: str = "http",
) -> Run:
    """``wrk -t2 -c16`` for ``seconds`` over ``paths`` in turn (lines as
    ``benchmarks/wrk/rotate.lua`` reads them)."""
    with tempfile.NamedTemporaryFile("w", suffix=".paths", delete=False) as listing:
        listing.write("\n".join(paths) + "\n")
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--timeout", "30s", "-s", str(WRK_SCRIPT)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"{scheme}://{HOST}:{port}")
    done = subprocess.run(
        command,
        env={**os.environ, "BENCH_PATHS": listing.name},
        capture_output=True,
        text=True,
        check=True,
    )
    os.unlink(listing.name)
    totals = json.loads(done.stdout.strip().splitlines()[-1])
    errors = sum(totals[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Run(
        label,
        totals["requests"],
        errors,
        totals["duration_us"] / 1e6,
        totals["p50_us"] / 1000,
        totals["p99_us"] / 1000,
    )


def run_load(manifest: Manifest, seconds: int, warmup: int = 2) -> LoadReport:
    """Every endpoint against its baseline, interleaved, on one data set."""
    report = LoadReport(manifest.backend, manifest.scale["clients"], seconds)
    with servers(manifest) as (app, baseline):
        logins = manifest.logins

        def headers_for(endpoint: Endpoint) -> dict[str, str]:
            # Signed in afresh for each run: a client's session idles out after 10 minutes.
            if endpoint.api:
                return {
                    "Authorization": bearer_token(app.port, manifest.partner, manifest.password)
                }
            if endpoint.who is None:
                return {}
            return {"Cookie": session_cookie(app.port, logins[endpoint.who], manifest.password)}

        def yardstick_headers() -> dict[str, str]:  # the baseline reads the app's cookie
            return {"Cookie": session_cookie(app.port, manifest.partner, manifest.password)}

        yardsticks = {kind: baseline_paths(manifest, kind) for kind in ("json", "html")}
        for kind, paths in yardsticks.items():
            if not _check(baseline.port, paths[0], yardstick_headers()):
                raise RuntimeError(f"the baseline's {kind} read does not answer 200")
            wrk(f"warm-up baseline {kind}", baseline.port, paths, yardstick_headers(), warmup)
        report.hello = wrk("baseline hello", baseline.port, ["/baseline/hello"], {}, seconds)
        for endpoint in endpoints(manifest):
            headers = headers_for(endpoint)
            # One request first warms the endpoint up (a sync worker compiles its templates
            # once). A page slower than gunicorn's 30-second timeout never answers: two tries.
            answers = _check(app.port, endpoint.paths[0], headers, attempts=2)
            _drain(app.port)
            yardstick = wrk(
                f"baseline {endpoint.baseline}",
                baseline.port,
                yardsticks[endpoint.baseline],
                yardstick_headers(),
                seconds,
            )
            if answers:
                measured = wrk(endpoint.name, app.port, endpoint.paths, headers, seconds)
                _drain(app.port)  # before the next sign-in
            else:  # 16 queued requests past the timeout would take minutes to drain
                print(f"{endpoint.name}: no answer within gunicorn's timeout", file=sys.stderr)
                measured = Run(endpoint.name, 0, 0, float(seconds), 0.0, 0.0, timed_out=True)
            report.comparisons.append(Comparison(endpoint.name, measured, yardstick))
            print(format_comparison(report.comparisons[-1]), file=sys.stderr, flush=True)
        report.memory_kb = {"app": app.worker_rss_kb(), "baseline": baseline.worker_rss_kb()}
    return report


def format_comparison(c: Comparison) -> str:
    return (
        f"{c.endpoint:<42} {c.app.ok_per_second:8.1f} req/s  {c.share:6.1%} of baseline "
        f"({c.baseline.ok_per_second:7.1f}, {c.baseline.errors} err)  "
        f"errors {c.app.errors} ({c.app.error_share:.0%})  "
        f"p50 {c.app.p50_ms:7.1f} ms  p99 {c.app.p99_ms:7.1f} ms ({c.p99_ratio:4.1f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1_000)
    parser.add_argument("--postgresql", metavar="URL")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    manifest = ensure(Scale(clients=args.clients), postgresql=args.postgresql)
    report = run_load(manifest, args.seconds)
    print(json.dumps(report.memory_kb))


if __name__ == "__main__":
    main()
