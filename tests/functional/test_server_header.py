"""The development server (``make run``: ``flask run``) names no Werkzeug or Python version.

gunicorn's header (``gunicorn``, no version) is checked in ``test_production_server.py``.
"""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

from tests.live_server import flask_run, free_port, run_flask, server_env, serving


def test_flask_run_answers_without_a_version_even_to_a_malformed_request(
    tmp_path: Path,
) -> None:
    env = server_env(tmp_path)
    run_flask(env, "keys", "init")  # the sign-in page needs the secret key, not the database
    port = free_port()
    with serving(
        flask_run(port), env, base_url=f"http://127.0.0.1:{port}", log_path=tmp_path / "run.log"
    ):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as page:
            assert page.status == 200
            assert page.headers["Server"] == "Tukiverkko"

        # A header line too long to read is answered by the server itself, not by the app.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"GET /login HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n")
            answer = raw.recv(4096).decode("latin-1")
        assert answer.startswith("HTTP/1.1 431")
        assert "\r\nServer: Tukiverkko\r\n" in answer
        assert "Werkzeug" not in answer and "Python" not in answer
