"""SECURITY.md says what is true: its commands, settings, files and numbers are the code's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.cli import AppGroup

from app import cli
from app.person_access.rules import MAX_ATTEMPTS as LINK_ATTEMPTS
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "SECURITY.md").read_text()
WORDS = {5: "five"}


def test_every_command_it_names_exists() -> None:
    groups = {g.name: g for g in vars(cli).values() if isinstance(g, AppGroup)}
    named = set(re.findall(r"flask (?:--app app )?(\w+) (\w+)", DOC))
    assert named >= {("keys", "rotate"), ("keys", "retire"), ("backup", "create")}
    for group, command in named:
        assert command in groups[group].commands, f"flask {group} {command}"


def test_every_setting_and_path_it_names_exists() -> None:
    settings_source = (ROOT / "app" / "settings.py").read_text()
    for variable in set(re.findall(r"TUKIVERKKO_[A-Z_]+", DOC)):
        assert variable in settings_source, variable
    paths = set(re.findall(r"`((?:app|sharing|consent|tests|deploy)/[\w/.]+\.py)`", DOC))
    assert paths, "expected the code it points to"
    for path in paths:
        assert (ROOT / path).exists(), path


def _spelled(limits: str) -> str:
    """A limit in `limits` notation as the document writes it: "5 per minute; 10 per 15
    minutes" → "5 per minute, 10 per 15 minutes"."""
    return ", ".join(part.strip() for part in limits.split(";"))


@pytest.mark.parametrize(
    "claim",
    [
        f"per address ({_spelled(Settings.sign_in_failures_per_address)}) and per username at "
        f"an address ({_spelled(Settings.sign_in_failures_per_account)})",
        f"after {Settings.staff_session_hours} hours for staff and "
        f"{Settings.client_session_hours} for clients",
        f"locks for good after {WORDS[LINK_ATTEMPTS]} wrong codes",
        f"ends after {Settings.staff_idle_minutes} minutes for staff and "
        f"{Settings.client_idle_minutes} for clients",
    ],
)
def test_its_numbers_are_the_code_s(claim: str) -> None:
    assert claim in " ".join(DOC.split())


def test_it_says_how_to_report_a_vulnerability() -> None:
    assert "## Reporting a vulnerability" in DOC
    assert re.search(r"\*\*security@[\w.-]+\*\*", DOC)
