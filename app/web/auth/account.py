"""One's own account: where one is signed in (sessions and API tokens), ending them, the password,
and one's e-mail address and whether to hear by e-mail that something is waiting (``app.outbox``).

Every role has these pages; a client sees them inside their own pages' frame, in plain words.
Each change is a POST with a CSRF token (a button, no JavaScript). Changing the password
ends every other session and token at once (``app.accounts.commands.change_password``); so
does "sign out everywhere", this browser included.
"""

from __future__ import annotations

import uuid

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app import security_log
from app.accounts import commands as accounts
from app.accounts.queries import sessions_of, tokens_of
from app.accounts.rules import MAX_PASSWORD_LENGTH, SessionEnd
from app.extensions import db_session
from app.i18n import LANGUAGES
from app.models import Role, User
from app.models.outbox import EmailAddress
from app.outbox import commands as outbox
from app.outbox.commands import MAX_ADDRESS_LENGTH
from app.outbox.queries import address_of
from app.rate_limits import count_failure
from app.security import (
    allow,
    current_session,
    end_current_session,
    log_ended_sessions,
    log_session_ended,
    password_hasher,
    role_home,
)
from app.web.auth import bp
from app.web.forms import new_password_fields, refusals_shown_on
from consent.base import utcnow

Page = str | tuple[str, int]
EVERYONE = tuple(Role)


class ConfirmForm(FlaskForm):
    """A button with CSRF protection and nothing else."""


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Your current password"),
        validators=[
            DataRequired(message=_l("Type your current password.")),
            Length(max=MAX_PASSWORD_LENGTH),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = new_password_fields(
        _l("New password"),
        required=_l("Choose a new password."),
        confirm_label=_l("Type the new password again"),
    )


class WorkContactForm(FlaskForm):
    work_contact = StringField(
        _l("Your work contact"),
        description=_l(
            "A work phone number or e-mail address. The organisations sharing a client with "
            "you see it next to your name when you are the client's responsible worker. "
            "Leave it empty to remove it."
        ),
        validators=[
            Length(
                max=accounts.WORK_CONTACT_MAX,
                message=_l("At most %(max)d characters.", max=accounts.WORK_CONTACT_MAX),
            )
        ],
        render_kw={"autocomplete": "off"},
    )


STAFF = (Role.CASEWORKER, Role.PARTNER)  # the roles a network reaches at work


class EmailForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[Length(max=MAX_ADDRESS_LENGTH)],
        description=_l("Leave it empty to remove your address."),
        render_kw={"autocomplete": "email"},
    )
    notify = BooleanField(_l("Tell me by e-mail when something is waiting for me in Tukiverkko"))


def _user() -> User:
    user: User = current_user
    return user


@bp.route("/account")
@allow(*EVERYONE)
def account() -> str:
    user = _user()
    current = current_session()
    return render_template(
        "auth/account.html",
        sessions=sessions_of(db_session(), user.id),
        tokens=tokens_of(db_session(), user.id, now=utcnow()),
        current_id=current.id if current is not None else None,
        form=ConfirmForm(),
        contact=_contact_form(user),
    )


def _contact_form(user: User, form: WorkContactForm | None = None) -> WorkContactForm | None:
    """The work-contact form for staff (``None`` for a client), filled with what is stored."""
    if user.role not in STAFF:
        return None
    return form or WorkContactForm(formdata=None, work_contact=user.work_contact or "")


@bp.route("/account/work-contact", methods=["POST"])
@allow(*STAFF)
def set_work_contact() -> Page | Response:
    user = _user()
    form = WorkContactForm()
    if form.validate_on_submit():
        with refusals_shown_on(form):
            accounts.set_work_contact(db_session(), user, form.work_contact.data)
            flash(gettext("Your work contact has been saved."), "info")
            return redirect(url_for("auth.account"))
    current = current_session()
    return render_template(
        "auth/account.html",
        sessions=sessions_of(db_session(), user.id),
        tokens=tokens_of(db_session(), user.id, now=utcnow()),
        current_id=current.id if current is not None else None,
        form=ConfirmForm(),
        contact=_contact_form(user, form),
    ), 400


@bp.route("/account/email", methods=["GET", "POST"])
@allow(*EVERYONE)
def email() -> Page | Response:
    """One's e-mail address and the choice of notifications (they never say what is waiting)."""
    user = _user()
    saved: EmailAddress | None = address_of(db_session(), user.id)
    form = EmailForm(
        data={"email": saved.address, "notify": saved.notify} if saved is not None else None
    )
    if form.validate_on_submit():
        with refusals_shown_on(form):
            outbox.set_address(
                db_session(),
                user,
                address=form.email.data or "",
                notify=bool(form.notify.data),
                now=utcnow(),
            )
            flash(gettext("Your e-mail settings are saved."), "info")
            return redirect(url_for("auth.email"))
    html = render_template(
        "auth/email.html",
        form=form,
        language=LANGUAGES[outbox.language_of(user)],
        mail_enabled=current_app.extensions["tukiverkko.settings"].mail_enabled,
    )
    return (html, 400) if form.is_submitted() else html


@bp.route("/account/sessions/<uuid:session_id>/end", methods=["POST"])
@allow(*EVERYONE)
def end_session(session_id: uuid.UUID) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = _user()
    current = current_session()
    if current is not None and current.id == session_id:
        end_current_session()
        flash(gettext("You have signed out."), "info")
        return redirect(url_for("auth.login"))
    if not accounts.end_session(db_session(), session_id, user_id=user.id):
        abort(404)  # not one's own, or already ended
    log_session_ended(user.id, session_id, SessionEnd.ENDED_BY_USER)
    flash(gettext("That sign-in has ended."), "info")
    return redirect(url_for("auth.account"))


@bp.route("/account/tokens/<uuid:token_id>/revoke", methods=["POST"])
@allow(*EVERYONE)
def revoke_token(token_id: uuid.UUID) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = _user()
    if not accounts.revoke_own_token(db_session(), user.id, token_id, now=utcnow()):
        abort(404)
    security_log.event(
        security_log.Kind.TOKEN_REVOKED,
        user_id=user.id,
        outcome=security_log.Outcome.SUCCESS,
        token_id=token_id,
        reason=SessionEnd.ENDED_BY_USER,
    )
    flash(gettext("That program's sign-in has ended."), "info")
    return redirect(url_for("auth.account"))


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@allow(*EVERYONE)
def sign_out_everywhere() -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = _user()
    current = current_session()
    ended = accounts.end_sessions(
        db_session(), user.id, now=utcnow(), keep=current.id if current is not None else None
    )
    log_ended_sessions(user.id, ended, SessionEnd.EVERYWHERE)
    end_current_session(SessionEnd.EVERYWHERE)
    flash(gettext("You have signed out everywhere."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@allow(*EVERYONE)
def change_password() -> Page | Response:
    user = _user()
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/password.html", form=form), status
    current = current_session()
    with refusals_shown_on(form):
        try:
            ended = accounts.change_password(
                db_session(),
                password_hasher(),
                user,
                current=form.current_password.data,
                new=form.password.data,
                keep=current.id if current is not None else None,
                now=utcnow(),
            )
        except accounts.WrongCurrentPassword:
            count_failure()
            security_log.event(
                security_log.Kind.PASSWORD_CHANGED,
                user_id=user.id,
                outcome=security_log.Outcome.FAILURE,
                reason="wrong_current",
            )
            raise
        security_log.event(
            security_log.Kind.PASSWORD_CHANGED,
            user_id=user.id,
            outcome=security_log.Outcome.SUCCESS,
        )
        log_ended_sessions(user.id, ended, SessionEnd.PASSWORD_CHANGED)
        flash(
            gettext("Your password has been changed. You were signed out everywhere else."),
            "info",
        )
        return redirect(url_for(role_home(user.role)))
    return render_template("auth/password.html", form=form), 400
