"""A plan section's content as plain text parts for the partner's page.

The content is one JSON object per section version (``app/plan/content.py``);
its shape may grow, so unknown keys are shown under their own name and nested
values are flattened to lines of text. Nothing is rendered as markup. A known part's
label is the English source string; the page translates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.plan.content import SectionContent
from app.refusals import N_

FIELD_LABELS = {
    "goals": N_("Goals"),
    "measures": N_("Agreed measures"),
    "client_view": N_("The client's own view"),
    "worker_view": N_("The worker's view"),
}


@dataclass(frozen=True)
class ContentPart:
    label: str
    lines: list[str]


def _lines(value: Any) -> list[str]:
    if value is None or value == "" or value == [] or value == {}:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, bool | int | float):
        return [str(value)]
    if isinstance(value, list):
        return [line for item in value for line in _lines(item)]
    if isinstance(value, dict):
        return [f"{_label(key)}: {line}" for key, item in value.items() for line in _lines(item)]
    return [str(value)]


def _label(key: str) -> str:
    if key in FIELD_LABELS:
        return str(FIELD_LABELS[key])
    return key.replace("_", " ").strip().capitalize()


def content_parts(text: str | None) -> list[ContentPart]:
    """The non-empty fields of a section's content, known fields first in their order."""
    content = SectionContent.parse(text)
    if content.plain is not None:
        lines = _lines(content.plain)
        return [ContentPart("", lines)] if lines else []
    keys = [*FIELD_LABELS, *content.other_keys()]
    parts = [ContentPart(_label(key), _lines(content.value(key))) for key in keys]
    return [part for part in parts if part.lines]
