"""The client's log requests on the client's record: start one for the client, answer it
with the printable document, refuse it in writing with reasons, or extend the time limit
once with reasons. The answer is due 30 days from the request (settings
``log_request_days`` and ``log_request_extension_days``); the responsible worker's
dashboard lists the pending ones, overdue first to the eye (``dashboard_log_requests``).

A closed case's client keeps the right to their log until the case is disposed of, so
these pages answer on a closed case too (``answers_when_closed``).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.extensions import db_session
from app.i18n import LANGUAGES, helsinki_today
from app.log_requests import commands, queries, rules
from app.models import Role, User
from app.models.log_request import LogRequest, LogRequestState
from app.security import allow, gate
from app.settings import Settings
from app.web.caseworker import bp
from app.web.caseworker.context import ClientPage, client_page, list_names
from app.web.forms import refusals_shown_on
from app.web.log_request_document import (
    StartForm,
    detail_label,
    reasons,
    render_document,
    state_label,
)
from consent.facts import Purpose

REASON_MAX = 4000


def _reason_field(label: Any) -> TextAreaField:
    return TextAreaField(
        label,
        description=_l("The client reads this. Stored encrypted."),
        validators=[
            DataRequired(_l("Write down the reasons.")),
            Length(max=REASON_MAX, message=_l("At most %(max)d characters.")),
        ],
    )


class ExtendForm(FlaskForm):
    reason = _reason_field(_l("Why more time is needed"))


class RefuseForm(FlaskForm):
    reason = _reason_field(_l("Why the request is refused"))


class AnswerForm(FlaskForm):
    """Give the document to the client (a button)."""


bp.add_app_template_global(state_label, "log_request_state_label")
bp.add_app_template_global(detail_label, "log_request_detail_label")


def _settings() -> Settings:
    settings: Settings = current_app.extensions["tukiverkko.settings"]
    return settings


def _client_language(client_id: uuid.UUID) -> str | None:
    return db_session().scalar(select(User.locale).where(User.client_id == client_id).limit(1))


@bp.route("/clients/<uuid:client_id>/log-requests", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page(answers_when_closed=True)
def log_requests(page: ClientPage) -> Response | str | tuple[str, int]:
    """The client's log requests, and a form to start one for them."""
    form = StartForm().fill(_client_language(page.client.id))
    if form.validate_on_submit():
        with refusals_shown_on(form):
            started = commands.start_request(
                db_session(),
                gate(),
                page.actor,
                case=page.case,
                language=form.language.data or "",
                period=form.period(),
                due_days=_settings().log_request_days,
            )
            flash(
                gettext("The log request %(ref)s is waiting for an answer.", ref=started.reference),
                "info",
            )
            return redirect(
                url_for(
                    "caseworker.log_request", client_id=page.client.id, log_request_id=started.id
                )
            )
    html = render_template(
        "caseworker/log_requests.html",
        page=page,
        requests=queries.client_requests(db_session(), page.client.id),
        form=form,
        today=helsinki_today(),
    )
    return (html, 400) if form.is_submitted() else html


def _request(page: ClientPage, request_id: uuid.UUID, *, lock: bool = False) -> LogRequest:
    found = queries.client_request(db_session(), page.client.id, request_id, for_update=lock)
    if found is None:
        abort(404)
    return found


@bp.route("/clients/<uuid:client_id>/log-requests/<uuid:log_request_id>", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page(answers_when_closed=True)
def log_request(page: ClientPage, log_request_id: uuid.UUID) -> Response | str | tuple[str, int]:
    """One request: its state and time limit, and the answer, refusal and extension forms."""
    posted = request.method == "POST"
    found = _request(page, log_request_id, lock=posted)
    answer_form = AnswerForm(prefix="answer")
    extend_form, refuse_form = ExtendForm(prefix="extend"), RefuseForm(prefix="refuse")
    status = 200
    if posted:
        action = request.form.get("action")
        if found.state is not LogRequestState.PENDING:
            status = 409
        elif action == "answer" and answer_form.validate_on_submit():
            detail = queries.county_detail(db_session(), found.county_id)
            commands.answer(db_session(), gate(), page.actor, found, detail)
            flash(gettext("The answer was given. The client reads it on their own pages."), "info")
            return redirect(request.path)
        elif action == "extend" and extend_form.validate_on_submit():
            with refusals_shown_on(extend_form):
                commands.extend(
                    db_session(),
                    gate(),
                    page.actor,
                    found,
                    extend_form.reason.data or "",
                    days=_settings().log_request_extension_days,
                )
                flash(gettext("The time limit was extended."), "info")
                return redirect(request.path)
            status = 400
        elif action == "refuse" and refuse_form.validate_on_submit():
            commands.refuse(db_session(), gate(), page.actor, found, refuse_form.reason.data or "")
            flash(
                gettext(
                    "The request was refused. The client reads the reasons on their own pages."
                ),
                "info",
            )
            return redirect(request.path)
        else:
            status = 400
    extension, refusal = reasons(found, page.actor, Purpose.CASE_WORK)
    html = render_template(
        "caseworker/log_request.html",
        page=page,
        request_row=found,
        extension=extension,
        refusal=refusal,
        detail=found.detail or queries.county_detail(db_session(), found.county_id),
        overdue=found.state is LogRequestState.PENDING
        and rules.overdue(found.due_on, helsinki_today()),
        answer_form=answer_form,
        extend_form=extend_form,
        refuse_form=refuse_form,
        refused_change=status == 409,
        languages=LANGUAGES,
        extension_days=_settings().log_request_extension_days,
    )
    return (html, status) if status != 200 else html


@bp.route("/clients/<uuid:client_id>/log-requests/<uuid:log_request_id>/document")
@allow(Role.CASEWORKER)
@client_page(answers_when_closed=True)
def log_request_document(page: ClientPage, log_request_id: uuid.UUID) -> str:
    """The printable document (a draft while the request is pending)."""
    found = _request(page, log_request_id)
    return render_document(
        found,
        client_name=page.name,
        reader=page.actor,
        purpose=Purpose.CASE_WORK,
        page=request.args.get("page", 1, type=int) or 1,
        back_url=url_for(
            "caseworker.log_request", client_id=page.client.id, log_request_id=found.id
        ),
        page_endpoint="caseworker.log_request_document",
        page_args={"client_id": page.client.id, "log_request_id": found.id},
    )


# -- the responsible worker's dashboard list ---------------------------------------------------


@bp.route("/dashboard/log-requests")
@allow(Role.CASEWORKER)
def dashboard_log_requests() -> str:
    """The log requests waiting for this worker as the responsible worker, soonest due first."""
    listing = queries.waiting(
        db_session(),
        current_user.id,
        current_user.organisation_id,
        page=request.args.get("page", 1, type=int) or 1,
    )
    names = list_names([row.client for row in listing.rows]) if listing.rows else []
    return render_template(
        "caseworker/dashboard_log_requests.html",
        listing=listing,
        rows=list(zip(listing.rows, names, strict=True)),
        today=helsinki_today(),
    )
