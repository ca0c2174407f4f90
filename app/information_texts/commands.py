"""Drafting, approving and publishing information texts; functions flush and never commit.

Each command takes the administrator's id and scope (``app.staff.commands.scope_of``): a
version outside the scope is not found. A published version is immutable here (the rules)
and in the database (``app.models.information_text.immutable_triggers``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.texts import LANGUAGES
from app.information_texts.rules import (
    FIELDS,
    Lifecycle,
    TextCode,
    approve_code,
    content_codes,
    edit_code,
    in_scope,
    publish_code,
    version_code,
)
from app.models.information_text import InformationTextVersion
from app.refusals import N_, Conflict, NotFound, Refused

Content = dict[str, dict[str, str]]


class TextNotFound(NotFound):
    """Raised for an unknown version or one outside the administrator's scope."""

    code = "information_text_not_found"


class TextRefused(Refused):
    """Raised when the wording or version id is not acceptable (codes by field)."""

    code = "information_text_refused"
    message = N_("Check the information text.")


class TextLocked(Conflict):
    """Raised when the version's stage does not allow the action (published, not approved…)."""

    code = "information_text_locked"
    message = N_("This version cannot be changed that way now.")


def lifecycle(text: InformationTextVersion) -> Lifecycle:
    return Lifecycle(
        text.drafted_by_id, text.reviewed_at is not None, text.published_at is not None
    )


def _refuse_stage(code: TextCode | None) -> None:
    if code is not None:
        raise TextLocked(errors={"stage": code})


def _clean(content: Content) -> Content:
    return {
        language: {name: content.get(language, {}).get(name, "").strip() for name in FIELDS}
        for language in LANGUAGES
    }


def find(session: Session, scope: uuid.UUID | None, text_id: uuid.UUID) -> InformationTextVersion:
    """:raises TextNotFound: unless the version exists in ``scope``."""
    text = session.get(InformationTextVersion, text_id)
    if text is None or not in_scope(scope, text.county_id):
        raise TextNotFound()
    return text


def draft(
    session: Session,
    *,
    admin_id: uuid.UUID,
    scope: uuid.UUID | None,
    version: str,
    content: Content,
    at: datetime,
) -> InformationTextVersion:
    """A new draft version in the administrator's scope.

    :raises TextRefused: when the version id is malformed or taken, or a wording is missing.
    """
    version = version.strip()
    codes: dict[str, TextCode] = dict(content_codes(content))
    if code := version_code(version):
        codes["version"] = code
    elif session.scalar(
        select(InformationTextVersion.id).where(InformationTextVersion.version == version)
    ):
        codes["version"] = TextCode.VERSION_TAKEN
    if codes:
        raise TextRefused(errors=codes)
    text = InformationTextVersion(
        version=version,
        county_id=scope,
        content=_clean(content),
        drafted_by_id=admin_id,
        drafted_at=at,
    )
    session.add(text)
    session.flush()
    return text


def revise(
    session: Session,
    text: InformationTextVersion,
    *,
    admin_id: uuid.UUID,
    content: Content,
    at: datetime,
) -> None:
    """Change a draft's wording; an approved draft goes back to a draft (approve it again).

    :raises TextLocked: when the version is published.
    :raises TextRefused: when a wording is missing.
    """
    _refuse_stage(edit_code(lifecycle(text)))
    if codes := content_codes(content):
        raise TextRefused(errors=codes)
    text.content = _clean(content)
    text.drafted_by_id, text.drafted_at = admin_id, at
    text.reviewed_by_id = text.reviewed_at = None
    session.flush()


def approve(
    session: Session, text: InformationTextVersion, *, admin_id: uuid.UUID, at: datetime
) -> None:
    """A second administrator's approval of the draft as it stands.

    :raises TextLocked: when it is published or approved, or ``admin_id`` changed it last.
    """
    _refuse_stage(approve_code(lifecycle(text), admin_id))
    text.reviewed_by_id, text.reviewed_at = admin_id, at
    session.flush()


def publish(
    session: Session, text: InformationTextVersion, *, admin_id: uuid.UUID, at: datetime
) -> None:
    """Publish an approved version: from now on consents in its scope are given under it.

    :raises TextLocked: when it is published already or not approved.
    """
    _refuse_stage(publish_code(lifecycle(text)))
    text.published_by_id, text.published_at = admin_id, at
    session.flush()
