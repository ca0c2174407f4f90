"""Production as deployed: gunicorn with deploy/gunicorn.conf.py behind nginx with deploy/nginx.conf.

Starts Debian's nginx (``NGINX_PATH``, else /usr/sbin/nginx; ``make test`` installs it as root)
with the committed example, changed only where a test must (loopback ports, a self-signed
certificate, scratch paths), in front of gunicorn in production mode on SQLite (a pilot), and
fetches the health endpoints and a page through it.
"""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.live_server import ROOT, free_port, run_flask, server_env, serving, stop

NGINX_START_TIMEOUT = 10.0


def nginx_path() -> str:
    path = os.environ.get("NGINX_PATH") or shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(path).is_file():
        pytest.skip(
            "NGINX NOT INSTALLED: the reverse-proxy test is SKIPPED. Enable: sudo make test "
            "(apt-get install nginx) or NGINX_PATH=/path/to/nginx"
        )
    return path


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def site_config(
    upstream: int | tuple[int, int], http_port: int, https_port: int, cert: Path, key: Path
) -> str:
    """deploy/nginx.conf with loopback ports and the test's certificate; nothing else changed.

    Two upstream ports: its upstream block is deploy/nginx-two-nodes.conf's, on those ports.
    """
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    replacements: dict[str, str] = {}
    if isinstance(upstream, tuple):
        text, found = UPSTREAM_BLOCK.subn(lambda _: two_node_upstream(*upstream), text)
        assert found == 1, "deploy/nginx.conf no longer has one upstream block: update this test"
    else:
        replacements["server 127.0.0.1:8000;"] = f"server 127.0.0.1:{upstream};"
    replacements |= {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "/etc/ssl/tukiverkko/fullchain.pem": str(cert),
        "/etc/ssl/tukiverkko/privkey.pem": str(key),
    }
    for old, new in replacements.items():
        assert text.count(old) == 1, f"deploy/nginx.conf no longer has {old!r}: update this test"
        text = text.replace(old, new)
    return "\n".join(line for line in text.splitlines() if "listen [::]" not in line)


UPSTREAM_BLOCK = re.compile(r"^upstream tukiverkko \{\n.*?^\}", re.MULTILINE | re.DOTALL)


def two_node_upstream(first: int, second: int) -> str:
    """The upstream block of deploy/nginx-two-nodes.conf with the nodes on loopback ports."""
    [block] = UPSTREAM_BLOCK.findall((ROOT / "deploy" / "nginx-two-nodes.conf").read_text())
    for node, port in (("10.0.0.11:8000", first), ("10.0.0.12:8000", second)):
        assert block.count(node) == 1, f"deploy/nginx-two-nodes.conf no longer has {node}"
        block = block.replace(node, f"127.0.0.1:{port}")
    return block


@contextmanager
def nginx(scratch: Path, site: str, https_port: int) -> Iterator[None]:
    scratch.mkdir()
    (scratch / "site.conf").write_text(site)
    temp = "\n".join(
        f"    {kind}_temp_path {scratch / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach the scratch folder
    (scratch / "nginx.conf").write_text(
        f"{user}error_log {scratch / 'error.log'};\nevents {{}}\n"
        f"http {{\n{temp}\n    include {scratch / 'site.conf'};\n}}\n"
    )
    command = [
        nginx_path(),
        "-p",
        str(scratch),
        "-e",
        str(scratch / "error.log"),
        "-c",
        str(scratch / "nginx.conf"),
        "-g",
        f"daemon off; pid {scratch / 'nginx.pid'};",
    ]
    output = scratch / "output.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + NGINX_START_TIMEOUT
        while True:
            if process.poll() is not None:
                errors = (scratch / "error.log").read_text(errors="replace")
                pytest.fail(f"nginx exited with {process.returncode}: {output.read_text()}{errors}")
            try:
                with socket_to(https_port):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("nginx did not listen within 10 s")
                time.sleep(0.1)
        yield
    finally:
        stop(process)


@contextmanager
def socket_to(port: int) -> Iterator[None]:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=1):
        yield


def gunicorn_command() -> list[str]:
    return [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"]


def test_gunicorn_behind_nginx_serves_probes_and_pages_and_logs_json(tmp_path: Path) -> None:
    nginx_path()  # skip loudly before doing any work when nginx is missing
    env = server_env(tmp_path)
    run_flask(env, "keys", "init")
    upstream, http_port, https_port = free_port(), free_port(), free_port()
    production = dict(
        env,
        TUKIVERKKO_ENV="production",
        TUKIVERKKO_ALLOW_SQLITE="1",
        TUKIVERKKO_BIND=f"127.0.0.1:{upstream}",
        TUKIVERKKO_WORKERS="2",
        TUKIVERKKO_PUBLIC_URL="https://127.0.0.1",
        TUKIVERKKO_PROXY_COUNT="1",  # nginx
    )

    # Pending migrations: production refuses to start and names the fix.
    refused = subprocess.run(  # noqa: S603
        [*gunicorn_command(), "--check-config"],
        cwd=ROOT,
        env=production,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0
    assert "flask --app app db upgrade" in refused.stdout + refused.stderr

    run_flask(production, "db", "upgrade")  # the CLI itself still runs in production
    cert, key = self_signed(tmp_path)
    log_path = tmp_path / "gunicorn.log"
    with (
        serving(
            gunicorn_command(),
            production,
            base_url=f"http://127.0.0.1:{upstream}",
            log_path=log_path,
        ),
        nginx(
            tmp_path / "nginx", site_config(upstream, http_port, https_port, cert, key), https_port
        ),
    ):
        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        plain.request("GET", "/healthz")
        redirect = plain.getresponse()
        redirect.read()
        plain.close()
        assert redirect.status == 301
        assert redirect.getheader("Location") == "https://127.0.0.1/healthz"
        assert redirect.getheader("Server") == "nginx"  # no version

        context = ssl.create_default_context(cafile=str(cert))

        def fetch(
            method: str,
            path: str,
            body: bytes | None = None,
            headers: dict[str, str] | None = None,
        ) -> tuple[int, dict[str, str], bytes]:
            connection = http.client.HTTPSConnection("127.0.0.1", https_port, context=context)
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
            connection.close()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data

        for probe in ("/healthz", "/readyz"):
            status, headers, body = fetch("GET", probe)
            assert (status, body) == (200, b"ok\n"), probe
            assert "set-cookie" not in headers
            assert headers["server"] == "nginx"
        status, headers, _ = fetch("GET", "/login?next=/caseworker/secret")
        assert status == 200
        request_id = headers["x-request-id"]
        assert len(request_id) == 32  # nginx's $request_id, passed on and echoed
        status, _, _ = fetch("POST", "/login", body=b"x" * (2 * 1024 * 1024))
        assert status == 413  # nginx refuses it before gunicorn: the app's 1 MiB limit

        # Another host is refused (the probes answer any host: a balancer may use an address).
        status, _, _ = fetch("GET", "/login", headers={"Host": "evil.example"})
        assert status == 400
        assert fetch("GET", "/healthz", headers={"Host": "10.0.0.12"})[0] == 200

        # The client's address is what nginx saw: a forged X-Forwarded-For does not reset
        # the limit on failed sign-ins (app.rate_limits; TUKIVERKKO_PROXY_COUNT=1).
        _, headers, page = fetch("GET", "/login")
        form = {
            "Cookie": headers["set-cookie"].split(";", 1)[0],
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": "https://127.0.0.1/login",  # Flask-WTF checks it over HTTPS
        }
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token is not None
        body = b"csrf_token=" + token.group(1) + b"&username=kuka.tahansa&password=wrong"
        answers = [
            fetch("POST", "/login", body, {**form, "X-Forwarded-For": f"192.0.2.{n}"})[0]
            for n in range(1, 8)
        ]
        assert answers[0] == 200 and answers[-1] == 429, answers

        # No server software version anywhere: gunicorn says its name only.
        direct = http.client.HTTPConnection("127.0.0.1", upstream, timeout=10)
        direct.request("GET", "/healthz")
        answer = direct.getresponse()
        answer.read()
        direct.close()
        assert answer.getheader("Server") == "gunicorn"

    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    requests = [entry for entry in lines if entry.get("logger") == "tukiverkko.request"]
    assert requests, log_path.read_text()
    [login] = [entry for entry in requests if entry["request_id"] == request_id]
    assert (login["method"], login["route"], login["status"]) == ("GET", "/login", 200)
    assert not any(entry["route"] in ("/healthz", "/readyz") for entry in requests)
    assert "secret" not in log_path.read_text() and "next=" not in log_path.read_text()
    security = [entry for entry in lines if entry.get("logger") == "tukiverkko.security"]
    # The refusals above, besides the sign-ins' own events.
    assert {"refused_host", "throttled"} <= {entry["event"] for entry in security}
    assert {entry["outcome"] for entry in security if entry["event"] == "throttled"} == {"failure"}
    assert all(entry["address"] == "127.0.0.1" for entry in security)  # what nginx saw
    assert "kuka.tahansa" not in log_path.read_text()
