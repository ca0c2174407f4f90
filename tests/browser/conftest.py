"""Browser suite fixtures: a live server on the real CLI, Chromium, no-JS pages and an axe check.

The server is built exactly as an operator would: ``flask keys init``, ``flask db upgrade``,
``flask demo seed`` and ``flask run`` in a subprocess, on its own SQLite file and instance
folder in a temporary directory. Journeys run in contexts with JavaScript switched OFF,
because the product must work on locked-down prison terminals. Only the accessibility
check runs JavaScript (axe-core), in a separate context that bypasses the app's CSP.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from tests.live_server import flask_run, free_port, seeded_instance, serving

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ACTION_TIMEOUT_MS = 10_000  # Playwright auto-wait ceiling per action: fail fast, not after 30 s
LOCALE = "fi-FI"  # what a Finnish terminal's browser sends; the app's default language too
BLOCKING_IMPACTS = ("serious", "critical")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder (and only this folder) ``browser``."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


# --------------------------------------------------------------------------- live server


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (no trailing slash) of a seeded demo server run through the real CLI."""
    tmp = tmp_path_factory.mktemp("live_server")
    env = seeded_instance(tmp, "browser.db")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env["TUKIVERKKO_PUBLIC_URL"] = base_url  # links on the pages lead back to this server
    with serving(flask_run(port), env, base_url=base_url, log_path=tmp / "server.log"):
        yield base_url


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright (never a downloaded browser)."""
    executable = os.environ.get("CHROMIUM_PATH", DEFAULT_CHROMIUM)
    if not Path(executable).is_file():
        pytest.skip(
            f"Browser suite: Chromium not found at {executable}; run make test as root "
            "or set CHROMIUM_PATH"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser: Any, live_server: str) -> Iterator[Callable[[], Any]]:
    """Factory of pages, each in its own fresh context with JavaScript OFF (no shared cookies)."""
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(
            base_url=live_server, java_script_enabled=False, locale=LOCALE
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[[], Any]) -> Any:
    """A page in a fresh no-JavaScript context: what a locked-down prison terminal does."""
    return new_page()


# --------------------------------------------------------------------------- accessibility


def _axe_report(violations: list[dict[str, Any]], url: str) -> str:
    lines = [f"axe found {len(violations)} serious/critical violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{violation.get('helpUrl', '')}]"
        )
        for node in violation["nodes"]:
            target = ", ".join(str(t) for t in node.get("target", []))
            lines.append(f"    at {target}: {node.get('html', '').strip()[:200]}")
            summary = node.get("failureSummary") or ""
            for detail in summary.splitlines():
                if detail.strip():
                    lines.append(f"      {detail.strip()}")
    return "\n".join(lines)


@pytest.fixture
def assert_accessible(browser: Any, live_server: str) -> Callable[[Any], None]:
    """``assert_accessible(page_or_url)``: run axe-core on a page; fail on serious/critical.

    Given a Playwright page, its URL is loaded again in a JavaScript-enabled context that
    carries the same cookies (the same signed-in session) and bypasses the app's CSP, which
    forbids all scripts. Given a URL (absolute or a path), it is loaded signed out.
    """
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page_or_url: Any) -> None:
        if isinstance(page_or_url, str):
            url, state = urljoin(live_server + "/", page_or_url), None
        else:
            url, state = page_or_url.url, page_or_url.context.storage_state()
        context = browser.new_context(
            base_url=live_server,
            java_script_enabled=True,
            bypass_csp=True,
            locale=LOCALE,
            storage_state=state,
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        try:
            axe_page = context.new_page()
            response = axe_page.goto(url)
            assert response is not None and response.url == url, (
                f"accessibility check: {url} was redirected to "
                f"{response.url if response else 'nothing'}; the session was not carried over"
            )
            results = axe.run(axe_page)
        finally:
            context.close()
        violations = results.response["violations"]
        blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
        assert not blocking, _axe_report(blocking, url)

    return check
