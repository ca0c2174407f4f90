"""The texts of one plan-section version: the one parser and serialiser of their JSON.

A version's ``content_ct`` seals one JSON object, ``{"goals": …, "measures": …,
"client_view": …, "worker_view": …}``, each a plain string. Only ``to_json`` writes it and
only ``parse`` reads it, wherever it is shown (the caseworker's pages, "My plan", the
partner's page, a person's link, the consent preview, the FHIR export, the API).

Reading is forgiving, because the shape may grow and a ciphertext outlives the code that
wrote it: keys this code does not know, and a known key whose value is not a string, are
kept as they were in ``others``; content that is not a JSON object at all is kept in
``plain``. Each page decides how much of that it shows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TypeAlias

Json: TypeAlias = str | int | float | bool | list["Json"] | dict[str, "Json"] | None

TEXT_FIELDS = ("goals", "measures", "client_view", "worker_view")


@dataclass(frozen=True)
class SectionContent:
    """A section version's texts; ``""`` where the version has none."""

    goals: str = ""  # in the client's own words
    measures: str = ""  # agreed measures and services
    client_view: str = ""
    worker_view: str = ""
    # Every other key, by name, and a text key whose value is not a string: as stored.
    others: tuple[tuple[str, Json], ...] = ()
    # Content that is not a JSON object: the text when it is not JSON, else the JSON value.
    plain: Json = None

    @classmethod
    def parse(cls, text: str | None) -> SectionContent:
        """The content a version's opened ``content_ct`` holds (``None``: nothing written)."""
        if not text:
            return cls()
        try:
            data: Json = json.loads(text)
        except ValueError:
            return cls(plain=text)
        if not isinstance(data, dict):
            return cls(plain=data)
        texts = {
            key: value
            for key in TEXT_FIELDS
            if isinstance(value := data.get(key), str)  # a foreign value stays in others
        }
        others = tuple(
            sorted(
                ((key, value) for key, value in data.items() if key not in texts),
                key=lambda pair: pair[0],
            )
        )
        return cls(**texts, others=others)

    def to_json(self) -> str:
        """The JSON a version's ``content_ct`` seals: the four texts, and any others kept.

        Content that was not an object (``plain``) is not written back: a new version
        holds the texts.
        """
        data: dict[str, Json] = dict(self.others)
        data.update((name, getattr(self, name)) for name in TEXT_FIELDS)
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    def texts(self) -> dict[str, str]:
        """The four texts by name, in the form's order."""
        return {name: getattr(self, name) for name in TEXT_FIELDS}

    def value(self, key: str) -> Json:
        """What the object holds under ``key``: a text, a value kept as it was, or ``None``."""
        kept = dict(self.others)
        if key in kept:
            return kept[key]
        return getattr(self, key) if key in TEXT_FIELDS else None

    def other_keys(self) -> Iterator[str]:
        """The keys beyond the four texts, by name."""
        return (key for key, _ in self.others if key not in TEXT_FIELDS)

    def with_text(self, name: str, text: str) -> SectionContent:
        """The same content with one of the four texts replaced."""
        if name not in TEXT_FIELDS:
            raise ValueError(f"not a text of a section: {name}")
        others = tuple((key, value) for key, value in self.others if key != name)
        return replace(self, others=others, **{name: text})
