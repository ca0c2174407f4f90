"""The pure rules of information texts: what a version must contain and how it moves on.

A version is a draft until a second administrator approves it (the one who last changed the
draft may not: four eyes see every published word), and approved until it is published;
then it never changes. Changing an approved draft takes it back to a draft. An
administrator works on the texts of their own scope: the service-wide text for a
service-wide administrator, their county's own text for a county's administrator.
"""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass

from app.consents.texts import LANGUAGES, parse_body
from app.refusals import N_, Code

VERSION_PATTERN = re.compile(r"^[0-9]{4}-[0-9]{2}-[a-z0-9][a-z0-9-]{0,29}$")
FIELDS = ("title", "body", "plain_title", "plain_body")


class Stage(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PUBLISHED = "published"


class TextCode(Code):
    VERSION_FORMAT = (
        "version_format",
        N_("Give the version as year-month-name, e.g. 2027-01-v2 (lowercase letters, digits)."),
    )
    VERSION_TAKEN = "version_taken", N_("This version id is already used. Choose another.")
    MISSING = "text_missing", N_("Write this text in every language.")
    NO_PARAGRAPH = (
        "no_paragraph",
        N_("Write at least one heading line followed by its paragraph."),
    )
    PUBLISHED = (
        "text_published",
        N_("This version is published and cannot be changed. Draft a new version."),
    )
    OWN_DRAFT = (
        "own_draft",
        N_("Another administrator must approve this version: you changed it last."),
    )
    ALREADY_APPROVED = "already_approved", N_("This version is already approved.")
    NOT_APPROVED = (
        "not_approved",
        N_("A second administrator must approve this version before it is published."),
    )


@dataclass(frozen=True)
class Lifecycle:
    """What the rules need to know of a version."""

    drafted_by_id: uuid.UUID | None
    reviewed: bool
    published: bool

    @property
    def stage(self) -> Stage:
        if self.published:
            return Stage.PUBLISHED
        return Stage.APPROVED if self.reviewed else Stage.DRAFT


def content_codes(content: dict[str, dict[str, str]]) -> dict[str, TextCode]:
    """What is missing from a version's wording, by field (``<language>_<field>``)."""
    codes: dict[str, TextCode] = {}
    for language in LANGUAGES:
        texts = content.get(language, {})
        for name in FIELDS:
            value = texts.get(name, "").strip()
            if not value:
                codes[f"{language}_{name}"] = TextCode.MISSING
            elif name.endswith("body") and not any(h and p for h, p in parse_body(value)):
                codes[f"{language}_{name}"] = TextCode.NO_PARAGRAPH
    return codes


def version_code(version: str) -> TextCode | None:
    return None if VERSION_PATTERN.match(version) else TextCode.VERSION_FORMAT


def edit_code(text: Lifecycle) -> TextCode | None:
    """Why a version cannot be changed (a published one never can)."""
    return TextCode.PUBLISHED if text.published else None


def approve_code(text: Lifecycle, reviewer_id: uuid.UUID) -> TextCode | None:
    """Why ``reviewer_id`` cannot approve the version: published, approved, or their own."""
    if text.published:
        return TextCode.PUBLISHED
    if text.reviewed:
        return TextCode.ALREADY_APPROVED
    if text.drafted_by_id == reviewer_id:
        return TextCode.OWN_DRAFT
    return None


def publish_code(text: Lifecycle) -> TextCode | None:
    """Why the version cannot be published: already published, or not approved."""
    if text.published:
        return TextCode.PUBLISHED
    return None if text.reviewed else TextCode.NOT_APPROVED


def in_scope(scope: uuid.UUID | None, county_id: uuid.UUID | None) -> bool:
    """Whether an administrator of ``scope`` works on a text of ``county_id``'s scope."""
    return scope == county_id
