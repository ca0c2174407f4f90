"""Key lifecycle without downtime: rotate and retire master keys under a running server.

The server runs as ``make run`` starts it and under gunicorn (two sync workers, each its own
process reading the key file). Readers stream encrypted pages (the partner's view of the demo
client, the client's own plan) while ``flask keys rotate`` runs against the same instance in
another process: every answer must be a success. Then ``flask keys retire`` is refused while
keys are still wrapped under the old key (a rotation stopped after its first step), allowed
once the rotation has finished, and a read after the retirement still works.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from app.demo import FIRST_NAMES
from sharing.keys import Keyring, write_key_file
from tests.functional.test_concurrent_load import CLIENT, PARTNER, demo_client_id, sign_in
from tests.live_server import (
    ROOT,
    flask_command,
    flask_run,
    free_port,
    gunicorn,
    run_flask,
    seeded_instance,
    serving,
)

READERS = 4
PER_RESPONSE = re.compile(r'(nonce="|name="csrf_token" type="hidden" value=")[^"]*')


def page(answer: requests.Response) -> str:
    """The page without what differs from response to response (CSP nonce, CSRF token)."""
    return PER_RESPONSE.sub(r"\1", answer.text)


REQUEST_TIMEOUT = 30.0


def key_file(env: dict[str, str]) -> Path:
    return Path(env["TUKIVERKKO_INSTANCE_PATH"]) / "master-keys.json"


def flask_refused(env: dict[str, str], *args: str) -> str:
    """Run a ``flask`` command that must fail; returns its output."""
    done = subprocess.run(  # noqa: S603
        flask_command(*args), cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0, done.stdout
    return done.stdout + done.stderr


@pytest.mark.parametrize("server", ["flask run", "gunicorn"])
def test_rotate_and_retire_while_serving_encrypted_reads(tmp_path: Path, server: str) -> None:
    env = seeded_instance(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = flask_run(port) if server == "flask run" else gunicorn(port)
    with serving(command, env, base_url=base, log_path=tmp_path / "server.log"):
        client_id = demo_client_id(base)
        pages = {PARTNER: f"{base}/partner/clients/{client_id}", CLIENT: f"{base}/my/plan"}
        sessions = {who: sign_in(base, who)[0] for who in pages}
        expected = {
            who: page(sessions[who].get(url, timeout=REQUEST_TIMEOUT)) for who, url in pages.items()
        }
        assert FIRST_NAMES[0] in expected[PARTNER] and "<h1" in expected[CLIENT]

        successes: Counter[str] = Counter()
        failures: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()

        def reader(n: int) -> None:
            who = (PARTNER, CLIENT)[n % 2]
            session, _ = sign_in(base, who)
            while not stop.is_set():
                try:
                    answer = session.get(pages[who], timeout=REQUEST_TIMEOUT)
                except requests.RequestException as error:
                    with lock:
                        failures.append(f"{who}: {type(error).__name__}")
                    continue
                with lock:
                    if answer.status_code == 200 and page(answer) == expected[who]:
                        successes[who] += 1
                    else:
                        failures.append(f"{who}: {answer.status_code}")

        threads = [threading.Thread(target=reader, args=(n,)) for n in range(READERS)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.5)
            old = Keyring.from_json(key_file(env).read_text()).active_id
            before = sum(successes.values())
            rotated = run_flask(env, "keys", "rotate", "--batch-size", "5")
            during = sum(successes.values()) - before
            time.sleep(0.5)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        assert failures == [], failures[:10]
        assert during > 0 and successes[PARTNER] > 0 and successes[CLIENT] > 0
        assert "done: every key is wrapped under" in rotated.stdout
        new = Keyring.from_json(key_file(env).read_text()).active_id
        assert new != old

        # A rotation stopped after its first step: a newer key is active, nothing re-wrapped.
        write_key_file(
            key_file(env), Keyring.from_json(key_file(env).read_text()).with_new_active_key()
        )
        refused = flask_refused(env, "keys", "retire", new)
        assert f"keys are still wrapped under {new}" in refused, refused
        assert new in Keyring.from_json(key_file(env).read_text()).keys
        assert "is the active master key" in flask_refused(
            env, "keys", "retire", Keyring.from_json(key_file(env).read_text()).active_id
        )

        run_flask(env, "keys", "rotate")  # resumes and finishes
        for retired in (old, new):
            done = run_flask(env, "keys", "retire", retired)
            assert f"retired {retired}" in done.stdout
        remaining = Keyring.from_json(key_file(env).read_text())
        assert set(remaining.keys) == {remaining.active_id}
        status = run_flask(env, "keys", "status").stdout
        assert "NOT HELD" not in status and "re-wrap pending: none" in status

        for who, url in pages.items():  # the running server reads under the one key left
            answer = sessions[who].get(url, timeout=REQUEST_TIMEOUT)
            assert answer.status_code == 200 and page(answer) == expected[who]
        # The access log's keys are not master keys: retiring these leaves every entry
        # (those written before, during and after the rotation) verifiable.
        assert run_flask(env, "audit", "verify").stdout.startswith("ok:")
