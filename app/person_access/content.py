"""A plan section's content as the parts a person's link shows (the JSON read gracefully)."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class ContentPart:
    key: str  # goals, measures, client_view, worker_view
    paragraphs: list[str]


CONTENT_KEYS = ("goals", "measures", "client_view", "worker_view")


def content_parts(text: str | None) -> list[ContentPart]:
    """The readable parts of a section's content; unknown keys and shapes are left out.

    The content is JSON (``{"goals": ..., "measures": ..., ...}``); a value may be a
    string, a list of strings, or objects with a ``text``. Plain text is one part.
    """
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError:
        return [ContentPart("text", [text])]
    if isinstance(data, str):
        return [ContentPart("text", [data])] if data.strip() else []
    if not isinstance(data, dict):
        return []
    parts = []
    for key in CONTENT_KEYS:
        paragraphs = _paragraphs(data.get(key))
        if paragraphs:
            parts.append(ContentPart(key, paragraphs))
    return parts


def _paragraphs(value: object) -> list[str]:
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        return [p for item in value for p in _paragraphs(item)]
    if isinstance(value, dict):
        return _paragraphs(value.get("text"))
    return []
