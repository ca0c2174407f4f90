"""Administrators: the organisations and the staff accounts (set a one-time password,
deactivate, reactivate); never client data."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from app import security_log
from app.accounts import commands as accounts
from app.accounts.queries import open_sessions, staff_accounts
from app.accounts.rules import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, SessionEnd
from app.extensions import db_session
from app.models import Organisation, Role, User
from app.security import allow, log_ended_sessions, password_hasher
from app.web.admin import bp
from app.web.forms import flash_refusal, refusals_shown_on
from consent.base import utcnow

Page = str | tuple[str, int]


class ConfirmForm(FlaskForm):
    """A button with CSRF protection and nothing else."""


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("One-time password"),
        description=_l(
            "At least %(min)d characters. It works for one sign-in: the user must then choose "
            "their own. Give it to them in person or by phone, never by e-mail.",
            min=MIN_PASSWORD_LENGTH,
        ),
        validators=[
            DataRequired(message=_l("Type the one-time password.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("The password is too long.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Type the password again"),
        validators=[
            DataRequired(message=_l("Type the password again.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


@bp.route("/")
@allow(Role.ADMIN)
def home() -> str:
    organisations = (
        db_session()
        .execute(
            select(Organisation, func.count(User.id))
            .outerjoin(User, User.organisation_id == Organisation.id)
            .group_by(Organisation.id)
            .order_by(Organisation.kind, Organisation.name)
        )
        .all()
    )
    by_role = dict(
        db_session().execute(select(User.role, func.count(User.id)).group_by(User.role)).all()
    )
    return render_template(
        "admin/home.html", organisations=organisations, by_role=by_role, roles=list(Role)
    )


@bp.route("/users")
@allow(Role.ADMIN)
def users() -> str:
    listing = staff_accounts(db_session(), page=request.args.get("page", 1, type=int) or 1)
    return render_template("admin/users.html", listing=listing)


def _staff_account(user_id: uuid.UUID) -> User:
    """A staff or administrator account (404 for a client's: their worker handles it)."""
    user = db_session().get(User, user_id)
    if user is None or user.role is Role.CLIENT:
        abort(404)
    return user


def _render_user(user: User, form: SetPasswordForm | None = None, status: int = 200) -> Page:
    html = render_template(
        "admin/user.html",
        user=user,
        sessions=open_sessions(db_session(), user.id),
        form=form or SetPasswordForm(formdata=None),
        confirm=ConfirmForm(),
    )
    return (html, status) if status != 200 else html


@bp.route("/users/<uuid:user_id>")
@allow(Role.ADMIN)
def user(user_id: uuid.UUID) -> Page:
    return _render_user(_staff_account(user_id))


@bp.route("/users/<uuid:user_id>/password", methods=["POST"])
@allow(Role.ADMIN)
def set_password(user_id: uuid.UUID) -> Page | Response:
    account = _staff_account(user_id)
    form = SetPasswordForm()
    if form.validate_on_submit():
        with refusals_shown_on(form):
            ended = accounts.set_password(
                db_session(), password_hasher(), account, password=form.password.data, now=utcnow()
            )
            security_log.event(
                security_log.Kind.PASSWORD_SET,
                user_id=account.id,
                outcome=security_log.Outcome.SUCCESS,
                by=current_user.id,
            )
            log_ended_sessions(account.id, ended, SessionEnd.PASSWORD_SET)
            flash(
                gettext(
                    "The one-time password is set. The user must choose their own when they "
                    "sign in with it; every sign-in of theirs has ended."
                ),
                "info",
            )
            return redirect(url_for("admin.user", user_id=account.id))
    return _render_user(account, form, 400)


@bp.route("/users/<uuid:user_id>/deactivate", methods=["POST"])
@allow(Role.ADMIN)
def deactivate(user_id: uuid.UUID) -> Response:
    account = _staff_account(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ended = accounts.deactivate(db_session(), account, by=current_user, now=utcnow())
    except accounts.CannotDeactivateSelf as refusal:
        flash_refusal(refusal)
        return redirect(url_for("admin.user", user_id=account.id))
    security_log.event(
        security_log.Kind.ACCOUNT_DEACTIVATED,
        user_id=account.id,
        outcome=security_log.Outcome.SUCCESS,
        by=current_user.id,
    )
    log_ended_sessions(account.id, ended, SessionEnd.DEACTIVATED)
    flash(gettext("The account is deactivated and every sign-in of it has ended."), "info")
    return redirect(url_for("admin.user", user_id=account.id))


@bp.route("/users/<uuid:user_id>/reactivate", methods=["POST"])
@allow(Role.ADMIN)
def reactivate(user_id: uuid.UUID) -> Response:
    account = _staff_account(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    accounts.reactivate(db_session(), account)
    security_log.event(
        security_log.Kind.ACCOUNT_REACTIVATED,
        user_id=account.id,
        outcome=security_log.Outcome.SUCCESS,
        by=current_user.id,
    )
    flash(gettext("The account can sign in again."), "info")
    return redirect(url_for("admin.user", user_id=account.id))
