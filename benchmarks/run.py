"""``make bench``: build the data sets (cached) and run every benchmark; write RESULTS.md.

    BENCH=quick make bench     1,000 clients, 5-second load runs: for development
    make bench                 1,000 and 10,000 clients, 10-second load runs: the real figures

On SQLite, and on PostgreSQL when ``BENCH_POSTGRESQL`` (a maintenance URL of a server; the
default is the test server ``scripts/provision-postgresql.sh`` provides) answers. The
printed tables are the ones written to ``benchmarks/RESULTS.md``, with the command, the
machine and the date.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine

from benchmarks import ROOT, load, micro
from benchmarks.data import DEFAULT_FOLDER, Manifest, ensure
from benchmarks.machine import Machine, describe, load_average
from benchmarks.scale import COMPARISON, DECISION_SMALL, NATIONAL, Scale

RESULTS = Path(__file__).parent / "RESULTS.md"
TOO_SLOW_S = 20
DEFAULT_POSTGRESQL = "postgresql+psycopg://tukiverkko:tukiverkko@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Plan:
    """What one mode measures."""

    mode: str
    scales: tuple[Scale, ...]
    decision_scales: tuple[Scale, ...]
    seconds: int
    decision_calls: int
    log_rounds: int
    verify_clients: int
    page_requests: int  # per page and size; the median is reported (a shared machine's
    # noise moved the median of five by a quarter from one run to the next)


QUICK = Plan("quick", (COMPARISON,), (DECISION_SMALL, COMPARISON), 5, 200, 60, 30, 10)
SMOKE = Plan("smoke", (DECISION_SMALL,), (DECISION_SMALL,), 1, 20, 10, 5, 1)  # the harness works
FULL = Plan("full", (COMPARISON, NATIONAL), (DECISION_SMALL, NATIONAL), 10, 500, 200, 100, 30)


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)


@dataclass
class Results:
    plan: Plan
    machine: Machine
    command: str
    started: datetime
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    path: Path = RESULTS

    def add(self, title: str, lines: list[str]) -> None:
        """Add a section, print it, and rewrite the file (an interrupted run keeps its part)."""
        section = Section(title, lines)
        self.sections.append(section)
        print(f"\n## {title}\n" + "\n".join(lines), flush=True)
        self.path.write_text(self.markdown())

    def markdown(self) -> str:
        head = [
            "# Benchmark results",
            "",
            f"`{self.command}` ({self.plan.mode} mode), {self.started:%Y-%m-%d %H:%M %Z}, "
            f"finished {datetime.now().astimezone():%H:%M}.",
            "",
            *self.machine.lines(),
            "",
            "Written by `benchmarks/run.py`; what each figure measures is said in the docstrings "
            "of `benchmarks/load.py` and `benchmarks/micro.py`. Load average (1/5/15 min) is "
            "given per step: the machine is shared, and a busy neighbour lowers every figure.",
            "",
            "How to run: `make bench` (1,000 and 10,000 clients, 10-second load runs; SQLite and "
            "the PostgreSQL server of `BENCH_POSTGRESQL`, by default the test server), "
            "`BENCH=quick make bench` (1,000 clients, 5-second runs). Parts on their own: "
            "`.venv/bin/python -m benchmarks.data --clients N [--postgresql URL]` (builds or "
            "reuses a data set, cached in `.bench/`), `-m benchmarks.load --clients N "
            "[--seconds S]`, `-m benchmarks.micro --clients N`.",
        ]
        body = [line for s in self.sections for line in ("", f"## {s.title}", "", *s.lines)]
        notes = ["", "## Notes", "", *(f"- {note}" for note in self.notes)] if self.notes else []
        return "\n".join([*head, *body, *notes]) + "\n"


def _table(header: list[str], rows: list[list[str]], text: tuple[int, ...] = (0,)) -> list[str]:
    """A Markdown table; the ``text`` columns left-aligned, the figures right-aligned."""
    align = ["---" if i in text else "---:" for i in range(len(header))]
    return [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _n(value: float) -> str:
    return f"{value:,.0f}"


def data_sets(results: Results, backends: dict[str, str | None]) -> dict[tuple[str, int], Manifest]:
    built: dict[tuple[str, int], Manifest] = {}
    rows = []
    scales = {s.clients: s for s in (*results.plan.scales, *results.plan.decision_scales)}
    for backend, url in backends.items():
        for clients in sorted(scales):
            if backend == "postgresql" and scales[clients] not in results.plan.scales:
                continue  # the decision's small set is only needed once
            started = time.perf_counter()
            manifest = ensure(scales[clients], postgresql=url)
            fresh = time.perf_counter() - started > 0.9 * manifest.seconds
            if url is not None:
                _vacuum(manifest.url)
            built[(backend, clients)] = manifest
            c = manifest.counts
            rows.append(
                [
                    f"{backend}, {clients:,} clients",
                    _n(c["network_members"]),
                    _n(c["consents"]),
                    _n(c["consent_events"]),
                    _n(c["key_seals"]),
                    _n(c["access_log"]),
                    f"{manifest.seconds:.0f} s" + ("" if fresh else " (cached)"),
                ]
            )
    header = ["data set", "members", "consents", "events", "seals", "log rows", "build time"]
    results.add("Data sets", _table(header, rows))
    return built


def _vacuum(url: str) -> None:
    """Vacuum a PostgreSQL set before anything is measured: a bulk load of millions of rows
    sets autovacuum off minutes later (its insert threshold), and its pass over every page
    of the log slowed the load runs under way then, SQLite's too (they share the disk)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE)")
    finally:
        engine.dispose()


def load_runs(results: Results, built: dict[tuple[str, int], Manifest]) -> None:
    # The largest sets first: they are what an interrupted run should still have measured.
    for (backend, clients), manifest in sorted(built.items(), key=lambda item: -item[0][1]):
        if Scale(clients=clients) not in results.plan.scales:
            continue
        before = load_average()
        report = load.run_load(manifest, results.plan.seconds)
        rows = [
            [
                c.endpoint,
                f"{c.app.ok_per_second:,.1f}",
                f"{c.share:.1%}",
                f"{c.app.errors:,} ({c.app.error_share:.0%})",
                *(
                    (f"{c.app.p50_ms:,.1f}", f"{c.app.p99_ms:,.1f}", f"{c.p99_ratio:.1f}×")
                    if c.app.requests
                    else ("> 30 s: killed" if c.app.timed_out else "none finished", "–", "–")
                ),
                f"{c.baseline.ok_per_second:,.1f} ({c.baseline.errors} err)",
                f"{c.baseline.p99_ms:,.1f}",
            ]
            for c in report.comparisons
        ]
        header = [
            "endpoint",
            "ok req/s",
            "of baseline",
            "errors",
            "p50 ms",
            "p99 ms",
            "p99 vs baseline",
            "baseline req/s",
            "baseline p99 ms",
        ]
        memory = ", ".join(
            f"{server}: " + " / ".join(f"{kb / 1024:.0f} MB" for kb in sizes)
            for server, sizes in report.memory_kb.items()
        )
        hello = report.hello
        assert hello is not None
        lines = [
            *_table(header, rows),
            "",
            f"Baseline hello (no database): {hello.ok_per_second:,.0f} req/s, "
            f"p99 {hello.p99_ms:.1f} ms. Resident memory per worker after the runs: {memory}. "
            f"Load average before: {before}, after: {load_average()}.",
        ]
        results.add(
            f"Load: {backend}, {clients:,} clients (gunicorn 2 sync workers, wrk -t2 -c16 "
            f"-d{results.plan.seconds}s)",
            lines,
        )


def page_costs(results: Results, built: dict[tuple[str, int], Manifest]) -> None:
    """Each page one at a time at every size. A page slower than ``TOO_SLOW_S`` at a size is
    not asked again at the next (one request would take minutes, past gunicorn's timeout)."""
    for backend in sorted({b for b, _ in built}):
        sizes = [
            c for b, c in sorted(built) if b == backend and Scale(clients=c) in results.plan.scales
        ]
        costs: dict[int, list[micro.PageCost | None]] = {}
        skip: set[str] = set()
        for clients in sizes:
            found = micro.page_costs(
                built[(backend, clients)], results.plan.page_requests, frozenset(skip)
            )
            costs[clients] = found
            skip |= {c.endpoint for c in found if c and c.median_ms > TOO_SLOW_S * 1000}
        header = ["endpoint"] + [
            f"{label} at {clients:,}" for clients in sizes for label in ("statements", "ms")
        ]
        rows = []
        for i, endpoint in enumerate(load.endpoints(built[(backend, sizes[0])])):
            row = [endpoint.name]
            for clients in sizes:
                cost = costs[clients][i]
                row += (
                    [str(cost.statements), f"{cost.median_ms:,.1f}"] if cost else ["–", "skipped"]
                )
            rows.append(row)
        results.add(
            f"Pages one at a time (in-process, {backend}): statements and median time",
            [
                *_table(header, rows),
                "",
                f"Skipped: a page that took over {TOO_SLOW_S} s at the smaller size. "
                f"Load average after: {load_average()}.",
            ],
        )


def decisions(results: Results, built: dict[tuple[str, int], Manifest]) -> None:
    rows = []
    memory = []
    for scale in results.plan.decision_scales:
        manifest = built[("sqlite", scale.clients)]
        report = micro.decision(manifest, results.plan.decision_calls)
        for timing in report.timings:
            rows.append(
                [
                    f"{report.consents:,}",
                    timing.label,
                    f"{timing.median_us:,.1f}",
                    f"{timing.p95_us:,.1f}",
                    str(timing.calls),
                    timing.note,
                ]
            )
        memory.append(
            f"{report.consents:,} consents: the FastEnforcer's policies took "
            f"{report.casbin_policy_mb:,.0f} MB of resident memory (per worker process) and "
            f"{report.casbin_load_s:.1f} s to load"
        )
    header = ["consents", "decision", "median µs", "p95 µs", "calls", "note"]
    results.add(
        "The consent decision including its lookup (SQLite, per call)",
        [*_table(header, rows), "", "; ".join(memory) + f". Load average after: {load_average()}."],
    )


def logs(results: Results, built: dict[tuple[str, int], Manifest]) -> None:
    append_rows, verify_rows = [], []
    largest = max(scale.clients for scale in results.plan.scales)
    for (backend, clients), manifest in built.items():
        if clients != largest:
            continue
        report = micro.log(manifest, results.plan.log_rounds, results.plan.verify_clients)
        timings = {t.label: t for t in report.append}
        for batch in (1, 25):
            chained = timings[f"chained append, batch {batch}"]
            plain = timings[f"plain insert, batch {batch}"]
            append_rows.append(
                [
                    f"{backend}, {clients:,} clients",
                    str(batch),
                    f"{plain.median_us / 1000:.2f}",
                    f"{chained.median_us / 1000:.2f}",
                    f"{chained.median_us / plain.median_us:.2f}×",
                    f"{plain.p95_us / 1000:.2f} / {chained.p95_us / 1000:.2f}",
                ]
            )
        verify_rows.append(
            [
                f"{backend}, {clients:,} clients",
                _n(report.verified_entries),
                _n(report.verify_entries_per_s),
                _n(report.scan_entries_per_s),
                f"{report.verify_entries_per_s / report.scan_entries_per_s:.1%}",
            ]
        )
    results.add(
        "The log: chained append against a plain insert of the same rows (committed, per batch)",
        _table(
            [
                "data set",
                "batch",
                "plain ms",
                "chained ms",
                "chained / plain",
                "p95 plain / chained",
            ],
            append_rows,
        ),
    )
    results.add(
        "The log: `audit verify` against a raw scan of the same rows (sample of chains)",
        [
            *_table(
                ["data set", "entries", "verify entries/s", "raw scan entries/s", "verify / scan"],
                verify_rows,
            ),
            "",
            f"Load average after: {load_average()}.",
        ],
    )


NOTES = [
    "The generator builds rows in bulk instead of through the app's commands, but every "
    "ciphertext, wrapped key, seal and log hash comes from the app's own functions "
    "(`sharing.envelope.seal`, `Keyring.wrap` in `sharing.keys`' context, "
    "`sharing.seal.SUITE` with its `info`, `sharing.access_log.entry_mac`), the seals are "
    "derived with `consent.decision.live_grants`, and "
    "`tests/functional/test_bench_data.py` checks that `flask audit verify` passes, that "
    "`AccessGate.sync_seals` finds nothing to change and that a partner reads a shared "
    "section through the real page and API.",
    "Shortcuts: every account shares one argon2id hash of the benchmark password (hashing "
    "tens of thousands would dominate the build); clients have no blind-index search rows, "
    "no plan responsibles, work tasks, contacts, flows, receipts or partner updates (no "
    "measured page reads them at scale); each client has one generation of data keys.",
    "SQLite is measured as the app configures it (WAL, a busy timeout, `BEGIN IMMEDIATE` "
    "for writes; no ANALYZE statistics: the generator leaves them as the migrations do); "
    "PostgreSQL gets `ANALYZE` after the bulk load, as autovacuum would do soon after, and "
    "`VACUUM (ANALYZE)` before the runs, so autovacuum's pass over a freshly loaded set does "
    "not fall in the middle of a measurement (it did once: SQLite's load runs at its time "
    "lost two thirds of their throughput).",
    "The baseline reads the section's ciphertext but does not decrypt it; its log entries "
    "are valid chain entries (the app's `entry_mac`), so `flask audit verify` still "
    "passes after a run. On PostgreSQL its chain lock is a `SELECT … FOR UPDATE` of the "
    "client's row (one round trip more than SQLite's `BEGIN IMMEDIATE`).",
    "Data sets are cached under `.bench/` by a key over their parameters and the generator's, "
    "models', consent/sharing and migrations' sources; load runs append log entries to the "
    "cached set, which does not change what the next run measures.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--mode", choices=("smoke", "quick", "full"), default=os.environ.get("BENCH") or "full"
    )
    parser.add_argument("--no-postgresql", action="store_true")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write the file")
    args = parser.parse_args()
    plan = {"smoke": SMOKE, "quick": QUICK, "full": FULL}[args.mode]
    url = None if args.no_postgresql else os.environ.get("BENCH_POSTGRESQL", DEFAULT_POSTGRESQL)
    machine = describe(ROOT, url, DEFAULT_FOLDER)
    if machine.postgresql is None:
        url = None
    command = ("" if plan is FULL else f"BENCH={plan.mode} ") + "make bench"
    results = Results(plan, machine, command, datetime.now().astimezone(), path=args.results)
    results.notes = list(NOTES)
    if url is None:
        results.notes.append("PostgreSQL was not reachable: only SQLite was measured.")
    backends: dict[str, str | None] = {"sqlite": None}
    if url:
        backends["postgresql"] = url
    print(f"benchmarks ({plan.mode}) on: " + "; ".join(machine.lines()), file=sys.stderr)
    built = data_sets(results, backends)
    load_runs(results, built)
    page_costs(results, built)
    logs(results, built)
    decisions(results, built)
    args.results.write_text(results.markdown())
    print(f"\nwritten {args.results}")


if __name__ == "__main__":
    main()
