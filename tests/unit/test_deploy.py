"""The deployment examples in deploy/ hold together: units, gunicorn settings, nginx limits."""

from __future__ import annotations

import configparser
import re
import runpy
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
MAX_CONTENT_LENGTH = 1024 * 1024  # app/__init__.py; checked against the app below


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text())
    return parser


HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "PrivateTmp": "yes",
    "ProtectHome": "yes",
    "PrivateDevices": "yes",
}


@pytest.mark.parametrize(
    "name", ["tukiverkko.service", "tukiverkko-maintenance.service", "tukiverkko-outbox.service"]
)
def test_service_units_run_as_the_app_user_hardened_with_the_instance_writable(name: str) -> None:
    service = unit(name)["Service"]
    assert service["User"] == "tukiverkko" and service["Group"] == "tukiverkko"
    assert service["EnvironmentFile"] == "/etc/tukiverkko/env"
    for key, value in HARDENING.items():
        assert service[key] == value, key
    assert service["ReadWritePaths"].split() == ["/var/lib/tukiverkko"]
    assert service["UMask"] == "0077"


def test_the_web_unit_starts_gunicorn_with_the_committed_configuration() -> None:
    service = unit("tukiverkko.service")["Service"]
    argv = shlex.split(service["ExecStart"])
    assert Path(argv[0]).name == "gunicorn" and argv[1:] == ["-c", "deploy/gunicorn.conf.py"]
    assert (ROOT / argv[2]).is_file()  # relative to WorkingDirectory, a release's root
    assert service["ExecReload"] == "/bin/kill -s HUP $MAINPID"
    assert unit("tukiverkko.service")["Install"]["WantedBy"] == "multi-user.target"


def test_the_timer_runs_flask_maintenance_run_every_five_minutes_like_the_web_unit() -> None:
    timer = unit("tukiverkko-maintenance.timer")["Timer"]
    assert timer["OnUnitActiveSec"] == "5min"
    assert timer["Unit"] == "tukiverkko-maintenance.service"
    service = unit("tukiverkko-maintenance.service")["Service"]
    web = unit("tukiverkko.service")["Service"]
    assert service["Type"] == "oneshot"
    for key in ("User", "EnvironmentFile", "WorkingDirectory"):
        assert service[key] == web[key], key
    argv = shlex.split(service["ExecStart"])
    assert Path(argv[0]).name == "flask" and argv[1:] == ["--app", "app", "maintenance", "run"]
    assert Path(argv[0]).parent == Path(shlex.split(web["ExecStart"])[0]).parent  # same venv


def test_the_outbox_timer_runs_flask_outbox_send_every_minute_like_maintenance() -> None:
    timer = unit("tukiverkko-outbox.timer")["Timer"]
    assert timer["OnUnitActiveSec"] == "1min"
    assert timer["Unit"] == "tukiverkko-outbox.service"
    service = unit("tukiverkko-outbox.service")["Service"]
    maintenance = unit("tukiverkko-maintenance.service")["Service"]
    assert service["Type"] == "oneshot"
    for key in ("User", "EnvironmentFile", "WorkingDirectory", "UMask"):
        assert service[key] == maintenance[key], key
    argv = shlex.split(service["ExecStart"])
    assert argv[1:] == ["--app", "app", "outbox", "send"]
    assert argv[0] == shlex.split(maintenance["ExecStart"])[0]  # the same flask of the same venv
    from app import cli

    assert "send" in cli.outbox_cli.commands
    assert "flask --app app outbox send" in (ROOT / "README.md").read_text()


def test_the_commands_the_units_name_exist() -> None:
    from app import cli

    assert "run" in cli.maintenance_cli.commands
    assert (ROOT / "README.md").read_text().count("flask --app app maintenance run") >= 1
    import shutil
    import sys

    bin_dir = Path(sys.executable).parent
    for program in ("flask", "gunicorn"):
        assert (bin_dir / program).exists() or shutil.which(program), program


def test_gunicorn_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUKIVERKKO_BIND", "127.0.0.1:9123")
    monkeypatch.delenv("TUKIVERKKO_WORKERS", raising=False)
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert conf["wsgi_app"] == "app:create_app()"
    assert conf["bind"] == ["127.0.0.1:9123"]
    assert conf["worker_class"] == "sync"
    assert 1 <= conf["workers"] <= 8
    assert conf["timeout"] == 30 and conf["graceful_timeout"] == 30
    assert conf["max_requests"] > 0 and 0 < conf["max_requests_jitter"] < conf["max_requests"]
    assert conf["accesslog"] is None  # the app logs each request as JSON
    assert conf["forwarded_allow_ips"] == "127.0.0.1"
    assert conf["preload_app"] is False
    from gunicorn.config import Config

    known = set(Config().settings)
    settings = {k for k in conf if not k.startswith("_") and k not in {"annotations", "os"}}
    assert settings <= known, settings - known  # no typo gunicorn would ignore


def test_nginx_example_limits_bodies_like_the_app_and_hides_its_version() -> None:
    from app import create_app
    from tests.conftest import make_settings

    conf = (DEPLOY / "nginx.conf").read_text()
    directives = re.sub(r"#.*", "", conf)
    [size] = re.findall(r"client_max_body_size\s+(\d+)m;", directives)
    app = create_app(make_settings("sqlite://", ROOT / "instance", None))  # type: ignore[arg-type]  # no keys needed
    assert int(size) * 1024 * 1024 == app.config["MAX_CONTENT_LENGTH"] == MAX_CONTENT_LENGTH
    assert directives.count("server_tokens off;") == 2
    assert "access_log off;" in directives
    for header in ("X-Forwarded-Proto $scheme", "X-Forwarded-For", "X-Request-ID $request_id"):
        assert f"proxy_set_header {header}" in directives


def test_the_two_node_upstream_replaces_the_sites_own_and_never_retries_a_write() -> None:
    site = re.sub(r"#.*", "", (DEPLOY / "nginx.conf").read_text())
    nodes = re.sub(r"#.*", "", (DEPLOY / "nginx-two-nodes.conf").read_text())
    block = re.compile(r"upstream (\w+) \{(.*?)\}", re.DOTALL)
    [(name, one)] = block.findall(site)
    [(same_name, two)] = block.findall(nodes)
    assert same_name == name and f"proxy_pass http://{name};" in site
    servers = re.findall(r"server (\S+)", two)
    assert len(servers) == len(set(servers)) == 2 and len(re.findall(r"server \S+", one)) == 1
    assert "keepalive" in two  # upstream connections reused, as for one node
    assert "non_idempotent" not in site + nodes  # a POST is never sent to a second node
