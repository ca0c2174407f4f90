"""Two app nodes on one PostgreSQL behind nginx: nothing a request needs lives in a node.

Node A and node B run as production runs them (gunicorn with deploy/gunicorn.conf.py, two
sync workers each, ``TUKIVERKKO_ENV=production``) on two loopback ports, each with an
instance folder of its own as two machines would have (copies of one secret key and one
master-key file), on one PostgreSQL database holding the demo world. nginx runs the committed
example with the upstream block of deploy/nginx-two-nodes.conf. Through nginx, partners read
the client's shared section (the page and the API), caseworkers read the client's overview
and read and record contacts, and the client reads their plan and their access log, while the
master keys are rotated the way ARCHITECTURE.md gives for several nodes. Every answer must
be a success, both nodes must have served, and the log must hold exactly the entries of the
successful requests. Then a consent granted through node B lets the partner read at once
through node A, and revoked through node A the partner's very next read through node B is
refused (and logged). ``flask audit verify`` passes.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import make_url

from app.consents.texts import FIRST_VERSION
from app.settings import MASTER_KEY_FILE, SECRET_KEY_FILE
from sharing.keys import Keyring
from tests.conftest import create_database, drop_database, postgresql_url
from tests.functional.test_concurrent_load import (
    CASEWORKER,
    CLIENT,
    PARTNER,
    REQUEST_TIMEOUT,
    Visit,
    audit_verify,
    bearer,
    calibrate,
    check_load,
    demo_client_id,
    drive,
    log_entries,
    visits,
)
from tests.functional.test_production_server import (
    gunicorn_command,
    nginx,
    nginx_path,
    self_signed,
    site_config,
)
from tests.live_server import Server, flask_here, free_port, seeded_instance, serving_all

KELA = "kela.kalle"  # a partner the client shares a section with, and stops sharing it with


@pytest.fixture
def database_url() -> Iterator[str]:
    """An empty PostgreSQL database of this test's own (``TEST_DATABASE_URL``'s name + suffix)."""
    server = make_url(postgresql_url())
    url = server.set(database=f"{server.database}_two_nodes")
    drop_database(url)
    create_database(url)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        drop_database(url)


def copy_to_node(source: Path, instance: Path) -> None:
    """Put a file into another node's instance folder as configuration management would: a
    private copy beside it, then an atomic rename (a reader never sees half a file)."""
    instance.mkdir(parents=True, exist_ok=True)
    partial = instance / f".{source.name}.partial"
    shutil.copy2(source, partial)
    os.replace(partial, instance / source.name)


def rotate_on_two_nodes(env_a: dict[str, str], instance_b: Path) -> tuple[str, str]:
    """Rotate and retire as ARCHITECTURE.md gives it for several nodes, the commands run on
    node A and its key file copied to node B after each step; the old and the new key."""
    key_file = Path(env_a["TUKIVERKKO_INSTANCE_PATH"]) / MASTER_KEY_FILE
    old = Keyring.from_json(key_file.read_text()).active_id
    flask_here(env_a, "keys", "add")
    [new] = set(Keyring.from_json(key_file.read_text()).keys) - {old}
    copy_to_node(key_file, instance_b)  # every node holds the new key before any uses it
    flask_here(env_a, "keys", "rotate", "--to", new, "--batch-size", "5")
    copy_to_node(key_file, instance_b)
    flask_here(env_a, "keys", "rotate", "--to", new)  # what B wrapped under the old meanwhile
    flask_here(env_a, "keys", "retire", old)
    copy_to_node(key_file, instance_b)
    return old, new


def served_requests(log_path: Path) -> int:
    """How many requests a node logged (its JSON request log)."""
    lines = (line for line in log_path.read_text().splitlines() if line.startswith("{"))
    return sum(json.loads(line).get("logger") == "tukiverkko.request" for line in lines)


def test_two_nodes_serve_one_database_and_a_revocation_holds_on_the_next_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    nginx_path()  # skip loudly before doing any work when nginx is missing
    env = seeded_instance(tmp_path / "a", database_url, here=True)  # node A's keys made here
    instance_a = Path(env["TUKIVERKKO_INSTANCE_PATH"])
    instance_b = tmp_path / "b" / "instance"  # node B, "another machine": copies of A's keys
    for name in (SECRET_KEY_FILE, MASTER_KEY_FILE):
        copy_to_node(instance_a / name, instance_b)
    ports = free_port(), free_port()
    http_port, https_port = free_port(), free_port()
    base = f"https://127.0.0.1:{https_port}"
    nodes = [
        dict(
            env,
            TUKIVERKKO_ENV="production",
            TUKIVERKKO_INSTANCE_PATH=str(instance),
            TUKIVERKKO_BIND=f"127.0.0.1:{port}",
            TUKIVERKKO_WORKERS="2",
            TUKIVERKKO_PUBLIC_URL=base,
            TUKIVERKKO_PROXY_COUNT="1",  # nginx
            TUKIVERKKO_REQUIRE_SECOND_FACTOR="0",  # the load's staff sign in with a password
        )
        for instance, port in zip((instance_a, instance_b), ports, strict=True)
    ]
    node_a, node_b = (f"http://127.0.0.1:{port}" for port in ports)
    logs = [tmp_path / "node-a.log", tmp_path / "node-b.log"]
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # requests trusts the test's proxy

    servers = [
        Server(gunicorn_command(), node, base_url, log_path)
        for node, base_url, log_path in zip(nodes, (node_a, node_b), logs, strict=True)
    ]
    site = site_config(ports, http_port, https_port, cert, key)
    with serving_all(servers), nginx(tmp_path / "nginx", site, https_port):
        client_id = demo_client_id(base)
        housing = f"{base}/api/v1/clients/{client_id}/plan/sections/housing"
        partner_api = bearer(base, PARTNER)
        named = {
            name: visit
            for name, visit in visits(base, client_id).items()
            if not name.startswith("client reads") or name == "client reads /my/plan"
        } | {
            "partner reads the shared section (API)": Visit(
                PARTNER,
                lambda s, _: s.get(housing, headers=partner_api, timeout=REQUEST_TIMEOUT),
            ),
            "caseworker reads the client's overview": Visit(
                CASEWORKER,
                lambda s, _: s.get(
                    f"{base}/caseworker/clients/{client_id}", timeout=REQUEST_TIMEOUT
                ),
            ),
            "client reads /my/log": Visit(  # who looked: no client content, no entry
                CLIENT, lambda s, _: s.get(f"{base}/my/log", timeout=REQUEST_TIMEOUT), False
            ),
        }
        each = calibrate(base, named, database_url)
        mine = ["client reads /my/plan", "client reads /my/log"]
        partner_reads = [
            "partner reads the client's page",
            "partner reads the shared section (API)",
        ]
        casework = [
            "caseworker reads the client's overview",
            "caseworker reads the contacts",
            "caseworker records a contact",
        ]
        users = (  # each user of a kind starts at another of its requests
            [(PARTNER, partner_reads[n % 2 :] + partner_reads[: n % 2]) for n in range(3)]
            + [(CLIENT, mine[n:] + mine[:n]) for n in range(2)]
            + [(CASEWORKER, casework[n:] + casework[:n]) for n in range(3)]
        )
        rotated: list[tuple[str, str]] = []

        def rotate_meanwhile() -> None:
            time.sleep(1.0)
            rotated.append(rotate_on_two_nodes(env, instance_b))
            time.sleep(1.5)  # reads through both nodes under the new key alone

        tally, appended = drive(base, named, database_url, users, rotate_meanwhile)
        server_logs = "".join(log.read_text(errors="replace") for log in logs)
        check_load("two nodes behind nginx", named, each, tally, appended, server_logs)
        assert all(served_requests(log) for log in logs), "nginx sent every request to one node"
        [(old, new)] = rotated
        for instance in (instance_a, instance_b):
            keyring = Keyring.from_json((instance / MASTER_KEY_FILE).read_text())
            assert (keyring.active_id, set(keyring.keys)) == (new, {new}), instance
        assert old != new

        # A consent given through node B lets Kela read at once through node A; revoked
        # through node A, Kela's very next read through node B is refused, and logged.
        health = f"/api/v1/clients/{client_id}/plan/sections/health"
        client_api, kela_api = bearer(node_a, CLIENT), bearer(node_b, KELA)

        def kela_reads(node: str) -> int:
            return requests.get(
                f"{node}{health}", headers=kela_api, timeout=REQUEST_TIMEOUT
            ).status_code

        network = requests.get(
            f"{node_b}/api/v1/clients/{client_id}/network",
            headers=client_api,
            timeout=REQUEST_TIMEOUT,
        ).json()
        [kela] = [
            m["id"]
            for m in network["members"]
            if (m.get("organisation") or {}).get("name", "").startswith("Kela")
        ]
        assert kela_reads(node_a) == 404  # not shared: like a section that does not exist
        granted = requests.post(
            f"{node_b}/api/v1/clients/{client_id}/consents",
            headers=client_api,
            json={
                "member_id": kela,
                "sections": ["health"],
                "purpose_text": "Kela may read my health plan (fictional).",
                "information_text_version": FIRST_VERSION,
                "confirmed": True,
            },
            timeout=REQUEST_TIMEOUT,
        )
        assert granted.status_code == 201, granted.text
        assert kela_reads(node_a) == 200
        revoked = requests.post(
            f"{node_a}/api/v1/clients/{client_id}/consents/{granted.json()['id']}/revoke",
            headers={**client_api, "If-Match": granted.headers["ETag"]},
            timeout=REQUEST_TIMEOUT,
        )
        assert revoked.status_code == 200, revoked.text
        before = log_entries(database_url)
        assert kela_reads(node_b) == 404
        [(refused, count)] = (log_entries(database_url) - before).items()
        assert (refused[1], refused[3], refused[4], count) == ("partner", "section:health", 0, 1)

    audit_verify(env)
