"""Reading information texts: the version in force for a county, any version as it was
shown, and the administrators' list. One statement each."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consents.texts import InformationText, information_text
from app.models.information_text import InformationTextVersion


def current(session: Session, county_id: uuid.UUID | None) -> InformationTextVersion | None:
    """The version consents in ``county_id`` are given under now: the county's own latest
    published version, else the service-wide one."""
    model = InformationTextVersion
    return session.scalars(
        select(model)
        .where(
            model.published_at.is_not(None),
            (model.county_id == county_id) | model.county_id.is_(None),
        )
        .order_by(model.county_id.is_(None), model.published_at.desc())
        .limit(1)
    ).first()


def current_version(session: Session, county_id: uuid.UUID | None) -> str:
    """The id of the version in force for ``county_id`` (the migration publishes the first)."""
    text = current(session, county_id)
    assert text is not None, "no information text is published (the migration writes one)"
    return text.version


def published(session: Session, version: str) -> InformationTextVersion | None:
    """A published version by its id (any scope), or None."""
    model = InformationTextVersion
    return session.scalars(
        select(model).where(model.version == version, model.published_at.is_not(None))
    ).first()


def is_published_for(session: Session, version: str, county_id: uuid.UUID | None) -> bool:
    """Whether ``version`` is published for consents in ``county_id`` (its own or service-wide)."""
    text = published(session, version)
    return text is not None and text.county_id in (None, county_id)


def shown(session: Session, version: str, language: str, *, plain: bool) -> InformationText | None:
    """A published version's wording as it was shown, or None when it was never published."""
    text = published(session, version)
    return None if text is None else information_text(version, text.content, language, plain=plain)


def listing(session: Session, scope: uuid.UUID | None) -> list[InformationTextVersion]:
    """The versions of an administrator's scope, newest first."""
    model = InformationTextVersion
    return list(
        session.scalars(
            select(model)
            .where(model.county_id.is_(None) if scope is None else model.county_id == scope)
            .order_by(model.drafted_at.desc())
        )
    )
