"""mypy --strict over consent/, sharing/ and app/ is part of the suite, so CI fails on a type error.

CI runs the tests, not ``make lint``: these tests are how a type error, or an unexplained
``type: ignore``, fails it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("consent", "sharing", "app")
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)$")


def test_mypy_is_strict_over_every_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["strict"] is True
    assert set(PACKAGES) <= set(config["packages"])


def test_mypy_strict_passes() -> None:
    # Run from the root so mypy reads [tool.mypy] in pyproject.toml (its packages and overrides).
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"mypy found type errors:\n{result.stdout}{result.stderr}"


def unexplained_ignores(path: Path) -> list[str]:
    """``type: ignore`` comments without an error code, or without a reason beside or above."""
    lines = path.read_text().splitlines()
    found = []
    for number, line in enumerate(lines, start=1):
        match = IGNORE.search(line)
        if match is None:
            continue
        reason_beside = match["rest"].strip().startswith("#")
        reason_above = number > 1 and lines[number - 2].strip().startswith("#")
        if match["codes"] is None or not (reason_beside or reason_above):
            found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_every_type_ignore_names_its_code_and_says_why() -> None:
    files = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    unexplained = [entry for path in files for entry in unexplained_ignores(path)]
    assert unexplained == [], "give each a [code] and a reason (a comment beside or above):\n" + (
        "\n".join(unexplained)
    )
