"""One app node against two behind nginx, on PostgreSQL: throughput and p99 of a mixed load.

    .venv/bin/python -m benchmarks.nodes --clients 1000 --postgresql URL [--seconds 20]
        [--rounds N] [--via URL [--no-prepared-statements]]

On one generated data set (``benchmarks.data``), three set-ups in turn, each behind nginx
running the committed example (deploy/nginx.conf over TLS on loopback; two nodes: the upstream
of deploy/nginx-two-nodes.conf): one node with 2 sync workers (as ``benchmarks.load`` runs
the app), one node with 4 (as many processes as two nodes), and two nodes with 2 each. Each
node is a gunicorn of its own (``benchmarks.load.Server``), ``TUKIVERKKO_ENV=production``.

The mixed load is one wrk run (``-t2 -c16``) over a list of requests from four users, in turn:
partner staff reading the page and the API of sections shared with them (rotating over many
clients, so over many log chains), partner staff sending an update (a write), the client
reading their access log and the caseworker listing clients. Reported per set-up: successful
requests per second, errors (wrk counts answers of 400 and above), p50 and p99 latency, and
the share of requests each node served (from its JSON request log). ``--rounds N`` measures
every set-up N times, every other round in reverse order (a shared machine's load drifts).

``--via URL``: the nodes reach the database through another URL, e.g. a PgBouncer in front of
the same database (ARCHITECTURE.md, "Past one machine"); ``--no-prepared-statements`` sets
``TUKIVERKKO_DATABASE_PREPARED_STATEMENTS=0`` as a transaction-mode PgBouncer before 1.21 needs.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.data import Manifest, ensure
from benchmarks.load import HOST, Server, bearer_token, free_port, session_cookie, wrk
from benchmarks.machine import load_average
from benchmarks.scale import Scale
from tests.functional.test_production_server import nginx, self_signed, site_config

SAMPLE = 200  # shared (client, section) pairs the partner's reads rotate over


@dataclass(frozen=True)
class SetUp:
    name: str
    nodes: int
    workers: int  # per node


SET_UPS = (
    SetUp("one node, 2 workers", 1, 2),
    SetUp("one node, 4 workers", 1, 4),
    SetUp("two nodes, 2 workers each", 2, 2),
)


def mixed_requests(manifest: Manifest, port: int) -> list[str]:
    """The mix, as lines for ``benchmarks/wrk/rotate.lua``: for every shared section, the
    partner's page and API read, and every fifth time an update sent, the client's log and
    the caseworker's client list. Signed in through ``port`` (one node; any would do)."""
    password = manifest.password
    partner = f"Cookie: {session_cookie(port, manifest.partner, password)}"
    partner_api = f"Authorization: {bearer_token(port, manifest.partner, password)}"
    client = f"Cookie: {session_cookie(port, manifest.client_users[0], password)}"
    caseworker = f"Cookie: {session_cookie(port, manifest.caseworker, password)}"
    update = json.dumps({"kind": "appointment_kept", "text": "Kävi sovitusti (kuvitteellinen)."})
    lines = []
    for n, (client_id, section) in enumerate(manifest.shared[:SAMPLE]):
        lines += [
            f"GET\t/partner/clients/{client_id}\t{partner}",
            f"GET\t/api/v1/clients/{client_id}/plan/sections/{section}\t{partner_api}",
        ]
        if n % 5 == 0:
            lines += [
                f"POST\t/api/v1/clients/{client_id}/updates\t{partner_api}"
                f"\tContent-Type: application/json\tbody={update}",
                f"GET\t/my/log\t{client}",
                f"GET\t/caseworker/clients\t{caseworker}",
            ]
    return lines


@contextmanager
def serving(set_up: SetUp, env: dict[str, str]) -> Iterator[tuple[list[Server], int]]:
    """The set-up's nodes, and the HTTPS port of nginx in front of them."""
    with ExitStack() as stack:
        nodes: list[Server] = []
        for n in range(set_up.nodes):
            node = Server(f"node-{n}", "app:create_app()", env, workers=set_up.workers)
            stack.callback(node.stop)
            nodes.append(node)
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-nginx-")))
        cert, key = self_signed(scratch)
        upstream = nodes[0].port if len(nodes) == 1 else (nodes[0].port, nodes[1].port)
        http_port, https_port = free_port(), free_port()
        site = site_config(upstream, http_port, https_port, cert, key)
        stack.enter_context(nginx(scratch / "nginx", site, https_port))
        yield nodes, https_port


def served(node: Server) -> int:
    """Requests the node has logged so far (production writes one JSON line per request)."""
    lines = Path(node.log).read_text(errors="replace").splitlines()
    return sum('"logger": "tukiverkko.request"' in line for line in lines)


def measure(manifest: Manifest, set_up: SetUp, env: dict[str, str], seconds: int) -> str:
    """One set-up's row: the mix for ``seconds`` after a 3-second warm-up."""
    load = load_average()
    with serving(set_up, env) as (nodes, port):
        lines = mixed_requests(manifest, nodes[0].port)
        wrk("warm-up", port, lines, {}, 3, scheme="https")
        before = [served(node) for node in nodes]
        run = wrk(set_up.name, port, lines, {}, seconds, scheme="https")
        shares = [served(node) - b for node, b in zip(nodes, before, strict=True)]
    return (
        f"| {set_up.name} | {run.ok_per_second:.1f} | {run.errors} of {run.requests} "
        f"| {run.p50_ms:,.1f} | {run.p99_ms:,.1f} | {' / '.join(map(str, shares))} | {load} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1_000)
    parser.add_argument("--postgresql", metavar="URL", required=True)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1, help="every other one in reverse order")
    parser.add_argument("--via", metavar="URL", help="the database URL the nodes use")
    parser.add_argument("--no-prepared-statements", action="store_true")
    args = parser.parse_args()
    manifest = ensure(Scale(clients=args.clients), postgresql=args.postgresql)
    env = {
        "TUKIVERKKO_ENV": "production",
        "TUKIVERKKO_INSTANCE_PATH": manifest.instance,
        "TUKIVERKKO_DATABASE_URL": args.via or manifest.url,
        "TUKIVERKKO_DATABASE_PREPARED_STATEMENTS": "0" if args.no_prepared_statements else "1",
    }
    print(f"{args.clients} clients on PostgreSQL; wrk -t2 -c16 -d{args.seconds}s through nginx")
    print("| set-up | ok req/s | errors | p50 ms | p99 ms | requests per node | load before |")
    print("| --- | ---: | ---: | ---: | ---: | --- | --- |")
    for n in range(args.rounds):  # in reverse every other round: the load drifts
        for set_up in SET_UPS[:: -1 if n % 2 else 1]:
            print(measure(manifest, set_up, env, args.seconds), flush=True)
    print(f"load after: {load_average()}; nodes bound to {HOST}")


if __name__ == "__main__":
    main()
