"""The log review's pages: search the access log, and who could see what at a past moment.

Both are GET pages (they change nothing but the log of their own reading): every page
shown enters one entry in the chain of each client it concerns
(``app.log_review.commands.note_review``) and one event in the security log.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from flask import abort, render_template, request
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from app import security_log
from app.extensions import db_session
from app.log_review.commands import note_review
from app.log_review.queries import client_in_scope, review_page
from app.log_review.rules import is_reviewer
from app.models import Organisation, Role, User
from app.security import allow, current_actor
from app.web.log_review import bp
from app.web.log_review.forms import SearchForm
from app.web.who_could_see import AsOfForm, names, reconstruct, scope_choices
from consent.base import utcnow
from consent.status import HELSINKI
from sharing.access_log import Search

REVIEWER_ROLES = (Role.DATA_PROTECTION, Role.ADMIN, Role.CASEWORKER)


def _county() -> uuid.UUID | None:
    """The reviewer's county (None: a reviewer of the whole service)."""
    county: uuid.UUID | None = current_user.organisation_id
    return county


@bp.context_processor
def _names() -> dict[str, Callable[..., str]]:
    return names()


def _logged(**fields: security_log.Value) -> None:
    security_log.event(
        security_log.Kind.LOG_REVIEW,
        user_id=current_user.id,
        outcome=security_log.Outcome.SUCCESS,
        **fields,
    )


@bp.route("/")
@allow(*REVIEWER_ROLES, when=is_reviewer)
def search() -> str:
    form = SearchForm(request.args)
    form.section.choices = scope_choices()
    form.organisation.choices = [SelectChoice("", "–")] + [
        SelectChoice(str(o.id), o.name)
        for o in db_session().scalars(select(Organisation).order_by(Organisation.name))
    ]
    page = None
    searched = bool(request.args) and form.validate()
    if searched:
        criteria = Search(
            client_id=uuid.UUID(form.client.data) if form.client.data else None,
            actor_user_id=_user_id(form.user.data),
            organisation_id=uuid.UUID(form.organisation.data) if form.organisation.data else None,
            scope=form.section.data or None,
            allowed={"allowed": True, "denied": False}.get(form.outcome.data or ""),
            since=_start(form.since.data),
            until=_start(form.until.data + timedelta(days=1)) if form.until.data else None,
        )
        page = review_page(
            db_session(),
            criteria,
            county_id=_county(),
            page=request.args.get("page", 1, type=int) or 1,
        )
        note_review(db_session(), current_actor(), {e.client_id for e in page.entries}, utcnow())
        _logged(
            operation="search",
            client_id=criteria.client_id,
            actor_user_id=criteria.actor_user_id,
            entries=len(page.entries),
        )
    return render_template("log_review/search.html", form=form, page=page, args=_args())


def _args() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k != "page" and v}


def _user_id(username: str | None) -> uuid.UUID | None:
    """The account a username names; an unknown one matches nobody (a random id)."""
    if not username:
        return None
    found = db_session().scalar(select(User.id).where(User.username == username.strip()))
    return found if found is not None else uuid.uuid4()


def _start(day: date | None) -> datetime | None:
    """The Finnish midnight that begins ``day``."""
    return None if day is None else datetime.combine(day, time(), HELSINKI)


@bp.route("/clients/<uuid:client_id>/as-of")
@allow(*REVIEWER_ROLES, when=is_reviewer)
def client_as_of(client_id: uuid.UUID) -> str:
    """Who could read what of the client at a chosen past moment, with that day's log."""
    if not client_in_scope(db_session(), client_id, _county()):
        abort(404)
    form = AsOfForm(request.args)
    view = None
    if request.args and form.validate():
        view = reconstruct(db_session(), client_id, form)
        note_review(db_session(), current_actor(), [client_id], utcnow())
        _logged(operation="as_of", client_id=client_id)
    elif not request.args:
        form.default_to_now()
    return render_template("log_review/as_of.html", form=form, view=view, client_id=client_id)
