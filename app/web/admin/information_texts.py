"""The information texts shown before consent: administrators draft a version in fi, sv and
en (each with a plain-language wording), a second administrator approves it, and it is
published; a published version is never changed (``app.information_texts``).

A service-wide administrator works on the service-wide text, a county's administrator on
their county's own text; a version of another scope is not found (404). Every action is
written to the security log.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from app import security_log
from app.consents.texts import LANGUAGES
from app.consents.texts import information_text as wording_of
from app.extensions import db_session
from app.i18n import LANGUAGES as LANGUAGE_NAMES
from app.information_texts import commands as texts
from app.information_texts.commands import Content
from app.information_texts.queries import current, listing
from app.information_texts.rules import FIELDS
from app.models import Organisation, Role
from app.models.information_text import InformationTextVersion
from app.security import allow
from app.staff.commands import scope_of
from app.web.admin import bp
from app.web.admin.forms import ConfirmForm
from app.web.forms import refusals_shown_on
from consent.base import utcnow

Page = str | tuple[str, int]

LABELS = {
    "title": _l("Title"),
    "body": _l("Text"),
    "plain_title": _l("Plain-language title"),
    "plain_body": _l("Plain-language text"),
}
BODY_HINT = _l(
    "Headed paragraphs: a heading on its own line, its paragraph on the next lines, and a "
    "blank line before the next heading."
)


class TextForm(FlaskForm):
    """A version's wording: a title and a text per language and wording (fields built below)."""

    version = StringField(
        _l("Version"),
        validators=[Length(max=40)],
        description=_l("Year-month-name, e.g. 2027-01-v2. Consents store it."),
    )


for _language in LANGUAGES:
    for _name in FIELDS:
        _kind = TextAreaField if _name.endswith("body") else StringField
        setattr(
            TextForm,
            f"{_language}_{_name}",
            _kind(
                LABELS[_name],
                validators=[Length(max=20000)],
                description=BODY_HINT if _name.endswith("body") else "",
            ),
        )


def _content(form: TextForm) -> Content:
    return {
        language: {name: form[f"{language}_{name}"].data or "" for name in FIELDS}
        for language in LANGUAGES
    }


def _fill(form: TextForm, content: Content) -> None:
    for language in LANGUAGES:
        for name in FIELDS:
            form[f"{language}_{name}"].data = content.get(language, {}).get(name, "")


def _found(text_id: uuid.UUID) -> InformationTextVersion:
    """:raises TextNotFound: (404) for a version outside the administrator's scope."""
    return texts.find(db_session(), scope_of(current_user), text_id)


def _logged(operation: str, text: InformationTextVersion) -> None:
    security_log.event(
        security_log.Kind.INFORMATION_TEXT,
        outcome=security_log.Outcome.SUCCESS,
        user_id=current_user.id,
        operation=operation,
        version=text.version,
    )


@bp.route("/information-texts")
@allow(Role.ADMIN)
def information_texts() -> str:
    scope = scope_of(current_user)
    in_force = current(db_session(), scope)
    return render_template(
        "admin/information_texts.html",
        versions=listing(db_session(), scope),
        in_force=in_force,
        county=db_session().get(Organisation, scope) if scope else None,
    )


@bp.route("/information-texts/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def new_information_text() -> Page | Response:
    form = TextForm()
    scope = scope_of(current_user)
    if request.method == "GET" and (base := current(db_session(), scope)) is not None:
        _fill(form, base.content)  # start from the version in force
    if form.validate_on_submit():
        with refusals_shown_on(form):
            text = texts.draft(
                db_session(),
                admin_id=current_user.id,
                scope=scope,
                version=form.version.data or "",
                content=_content(form),
                at=utcnow(),
            )
            _logged("draft", text)
            flash(gettext("The draft is saved. Another administrator must approve it."), "info")
            return redirect(url_for("admin.information_text", text_id=text.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "admin/information_text.html", form=form, text=None, languages=LANGUAGE_NAMES
    ), status


@bp.route("/information-texts/<uuid:text_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def information_text(text_id: uuid.UUID) -> Page | Response:
    found = _found(text_id)
    form = TextForm()
    if request.method == "GET":
        _fill(form, found.content)
    elif form.validate_on_submit():
        try:
            with refusals_shown_on(form):
                texts.revise(
                    db_session(),
                    found,
                    admin_id=current_user.id,
                    content=_content(form),
                    at=utcnow(),
                )
                _logged("revise", found)
                flash(gettext("The draft is saved. Another administrator must approve it."), "info")
                return redirect(url_for("admin.information_text", text_id=found.id))
        except texts.TextLocked as refusal:
            return _locked(refusal, found)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "admin/information_text.html",
        form=form,
        text=found,
        stage=texts.lifecycle(found).stage.value,
        confirm=ConfirmForm(),
        languages=LANGUAGE_NAMES,
        shown={
            language: (
                wording_of(found.version, found.content, language, plain=False),
                wording_of(found.version, found.content, language, plain=True),
            )
            for language in LANGUAGES
        },
        may_approve=found.drafted_by_id != current_user.id,
    ), status


def _locked(refusal: texts.TextLocked, found: InformationTextVersion) -> Response:
    for _field, _code, message in refusal.messages():
        flash(gettext(message), "error")
    return redirect(url_for("admin.information_text", text_id=found.id))


@bp.route("/information-texts/<uuid:text_id>/approve", methods=["POST"])
@allow(Role.ADMIN)
def approve_information_text(text_id: uuid.UUID) -> Response:
    found = _found(text_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        texts.approve(db_session(), found, admin_id=current_user.id, at=utcnow())
    except texts.TextLocked as refusal:
        return _locked(refusal, found)
    _logged("approve", found)
    flash(gettext("Approved. It can now be published."), "info")
    return redirect(url_for("admin.information_text", text_id=found.id))


@bp.route("/information-texts/<uuid:text_id>/publish", methods=["POST"])
@allow(Role.ADMIN)
def publish_information_text(text_id: uuid.UUID) -> Response:
    found = _found(text_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        texts.publish(db_session(), found, admin_id=current_user.id, at=utcnow())
    except texts.TextLocked as refusal:
        return _locked(refusal, found)
    _logged("publish", found)
    flash(gettext("Published. New consents are given under this version."), "info")
    return redirect(url_for("admin.information_text", text_id=found.id))
