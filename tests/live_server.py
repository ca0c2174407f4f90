"""A live server started as an operator starts it, for tests that talk HTTP to a real process.

``seeded_instance`` runs ``flask keys init``, ``flask db upgrade`` and ``flask demo seed`` on
its own SQLite file and instance folder in a temporary directory (what ``make run`` does);
``serving`` starts a server process on 127.0.0.1 (``flask_run`` as ``make run`` serves, or
``gunicorn`` with sync workers), waits until it answers and always stops it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVER_START_TIMEOUT = 20.0  # seconds
RUN_FLAGS = ("--no-reload", "--no-debugger")  # one process we can terminate; never the debugger


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(tmp: Path, database: str = "live.db") -> dict[str, str]:
    """The environment of ``make run`` (development), on a database file and instance in ``tmp``
    (``database``: a file name there, or the URL of another database such as PostgreSQL)."""
    env = dict(os.environ)
    # Secrets come from the temporary instance folder only, never from the caller's shell.
    for var in ("TUKIVERKKO_SECRET_KEY", "TUKIVERKKO_MASTER_KEYS", "FLASK_DEBUG", "FLASK_APP"):
        env.pop(var, None)
    env.update(
        TUKIVERKKO_ENV="development",
        TUKIVERKKO_INSTANCE_PATH=str(tmp / "instance"),
        TUKIVERKKO_DATABASE_URL=database if "://" in database else f"sqlite:///{tmp / database}",
        PYTHONUNBUFFERED="1",
    )
    return env


def flask_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "app", *args]


def flask_run(port: int) -> list[str]:
    """The server ``make run`` starts (Werkzeug's, one thread per request)."""
    return flask_command("run", "--host", "127.0.0.1", "--port", str(port), *RUN_FLAGS)


def gunicorn(port: int, *, workers: int = 2) -> list[str]:
    """gunicorn with sync workers: one request at a time in each worker process."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "60",
        "app:create_app()",
    ]


def run_flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run a ``flask`` CLI command to completion; the test fails with its output if it fails."""
    try:
        return subprocess.run(  # noqa: S603
            flask_command(*args), check=True, cwd=ROOT, env=env, capture_output=True, text=True
        )
    except subprocess.CalledProcessError as failed:
        pytest.fail(
            f"`flask {' '.join(args)}` failed ({failed.returncode}):\n"
            f"{failed.stdout}\n{failed.stderr}",
            pytrace=False,
        )


def flask_here(env: dict[str, str], *args: str) -> str:
    """Run a ``flask`` CLI command in this process (a new interpreter would add seconds) with
    the settings of ``env``; its output. The test fails with that output if it fails."""
    from app import create_app
    from app.extensions import db
    from app.settings import Settings

    app = create_app(Settings.from_env(env))
    result = app.test_cli_runner().invoke(args=list(args))
    with app.app_context():
        db.engine.dispose()
    if result.exit_code != 0:
        pytest.fail(f"`flask {' '.join(args)}` failed:\n{result.output}", pytrace=False)
    return result.output


def seeded_instance(tmp: Path, database: str = "live.db", *, here: bool = False) -> dict[str, str]:
    """Keys, schema and the demo world, as ``make run`` makes them; returns the environment
    (``database`` as for ``server_env``). ``here``: the commands run in this process, seconds
    sooner than three new interpreters."""
    env = server_env(tmp, database)
    for command in (("keys", "init"), ("db", "upgrade"), ("demo", "seed")):
        if here:
            flask_here(env, *command)
        else:
            run_flask(env, *command)
    return env


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (our own 127.0.0.1 server)
            return bool(response.status)
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except OSError:
        return False


@contextmanager
def serving(
    command: list[str], env: dict[str, str], *, base_url: str, log_path: Path, cwd: Path = ROOT
) -> Iterator[None]:
    """Run ``command`` (a server listening at ``base_url``) in ``cwd`` until the block ends, its
    output going to ``log_path``; the test fails with that log if the server never answers."""
    with serving_all([Server(command, env, base_url, log_path, cwd)]):
        yield


@dataclass(frozen=True)
class Server:
    """A server process to start: its command and environment, where it answers, its log."""

    command: list[str]
    env: dict[str, str]
    base_url: str
    log_path: Path
    cwd: Path = ROOT  # the checkout: the servers import the app from it


@contextmanager
def serving_all(servers: list[Server]) -> Iterator[None]:
    """Start every server at once (they start in parallel), wait until each answers, and stop
    them all when the block ends; the test fails with a server's log if it never answers."""
    with ExitStack() as stack:
        started = []
        for server in servers:
            log = stack.enter_context(server.log_path.open("wb"))
            process = subprocess.Popen(  # noqa: S603
                server.command, cwd=server.cwd, env=server.env, stdout=log, stderr=subprocess.STDOUT
            )
            stack.callback(stop, process)
            started.append((server, process))
        # They share the machine's cores while they start: each gets the usual time.
        deadline = time.monotonic() + SERVER_START_TIMEOUT * len(servers)
        for server, process in started:
            while not _answers(f"{server.base_url}/login"):
                if process.poll() is not None or time.monotonic() > deadline:
                    reason = (
                        f"exited with {process.returncode}"
                        if process.poll() is not None
                        else f"did not answer within {SERVER_START_TIMEOUT * len(servers):.0f} s"
                    )
                    log_text = server.log_path.read_text(errors="replace")
                    pytest.fail(f"live server {reason}; its log:\n{log_text}", pytrace=False)
                time.sleep(0.1)
        yield


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a process started here: SIGTERM, then SIGKILL after 5 seconds."""
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
