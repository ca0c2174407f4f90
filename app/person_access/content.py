"""A plan section's content as the parts a person's link shows (the JSON read gracefully)."""

from __future__ import annotations

from dataclasses import dataclass

from app.plan.content import SectionContent


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
    content = SectionContent.parse(text)
    if isinstance(content.plain, str):
        return [ContentPart("text", [content.plain])] if content.plain.strip() else []
    parts = []
    for key in CONTENT_KEYS:
        paragraphs = _paragraphs(content.value(key))
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
