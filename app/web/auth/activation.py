"""Activation of a client's sign-in, and staff-assisted sessions at a shared terminal.

``/activate`` is public: the client types the one-time code their worker gave them and
chooses a username and a password. Whatever is wrong with a code, the page says the
same thing; wrong codes are counted against the code (``app.activation.commands``) and
against the client's address (``app.rate_limits``: in the database, not in the cookie).

A staff-assisted session: prison staff or a county caseworker, signed in, starts one at
the terminal; that signs them out and leaves the terminal waiting for the client's own
sign-in. The client's session record then carries the staff member's id
(``UserSession.assisted_by_id``), which ``app.security.current_actor`` puts into
``Actor.assisted_by``, so every log entry names both. The client's pages show a banner;
ending the assisted session signs the client out.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import abort, current_app, flash, g, redirect, render_template, session, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Regexp

from app import security_log
from app.accounts.commands import record_sign_in
from app.activation import commands as activation
from app.activation.rules import USERNAME_PATTERN
from app.extensions import db_session
from app.models import OrgKind, Role, User
from app.rate_limits import count_failure
from app.security import (
    allow,
    assisted_by,
    begin_session,
    end_current_session,
    password_hasher,
    public,
    role_home,
)
from app.web.auth import bp
from app.web.auth.forms import LoginForm
from app.web.auth.views import check_credentials
from app.web.forms import new_password_fields, refusals_shown_on
from consent.base import utcnow

Page = str | tuple[str, int]

ASSIST_PENDING = "assist_pending"  # session key: the staff member waiting for the client


class ActivationForm(FlaskForm):
    code = StringField(
        _l("Activation code"),
        description=_l("The code on the paper from your worker, for example ABCD-EFGH-JKMN-PQRS."),
        validators=[
            DataRequired(message=_l("Type the activation code.")),
            Length(max=40, message=_l("The code is too long. Check it from the paper.")),
        ],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    username = StringField(
        _l("Choose a username"),
        description=_l(
            "You sign in with it. 3–40 characters: letters a–z, numbers, dot (.), "
            "dash (-) or underscore (_)."
        ),
        validators=[
            DataRequired(message=_l("Choose a username.")),
            Regexp(
                USERNAME_PATTERN.pattern + r"\Z",
                message=_l(
                    "Use 3–40 characters: letters a–z, numbers, dot (.), dash (-) or "
                    "underscore (_). No spaces."
                ),
            ),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password, confirm = new_password_fields(
        _l("Choose a password"), required=_l("Choose a password.")
    )


class ConfirmForm(FlaskForm):
    """A button with CSRF protection and nothing else."""


# -- activation ---------------------------------------------------------------------------


@bp.route("/activate", methods=["GET", "POST"])
@public
def activate() -> Page | Response:
    form = ActivationForm()
    if not form.is_submitted():
        return render_template("auth/activation.html", form=form)
    if not form.validate():
        return render_template("auth/activation.html", form=form), 400
    with refusals_shown_on(form):
        try:
            account = activation.activate(
                db_session(),
                password_hasher(),
                code_text=form.code.data,
                username=form.username.data,
                password=form.password.data,
            )
        except activation.CodeRejected:
            count_failure()
            raise
        security_log.event(
            security_log.Kind.PASSWORD_CHANGED,
            user_id=account.id,
            outcome=security_log.Outcome.SUCCESS,
            via="activation_code",
        )
        flash(
            gettext("Your sign-in is ready. Sign in with the username and password you chose."),
            "info",
        )
        if _pending_staff() is not None:
            return redirect(url_for("auth.assist_sign_in"))
        return redirect(url_for("auth.login"))
    return render_template("auth/activation.html", form=form), 400


# -- staff-assisted sessions --------------------------------------------------------------


@bp.app_template_global()
def may_assist(user: User) -> bool:
    """County caseworkers and prison staff may help a client at a terminal."""
    if user.role is Role.CASEWORKER:
        return True
    return (
        user.role is Role.PARTNER
        and user.organisation is not None
        and user.organisation.kind is OrgKind.PRISON
    )


def _pending_staff() -> User | None:
    """The staff member who started an assisted session waiting for the client, if still valid."""
    pending = session.get(ASSIST_PENDING)
    if not isinstance(pending, dict):
        return None
    settings = current_app.extensions["tukiverkko.settings"]
    started = pending.get("at")
    if (
        not isinstance(started, int | float)
        or utcnow().timestamp() - started
        > timedelta(minutes=settings.client_idle_minutes).total_seconds()
    ):
        return None
    try:
        staff = db_session().get(User, uuid.UUID(str(pending.get("by"))))
    except ValueError:
        return None
    if staff is None or not staff.active or not may_assist(staff):
        return None
    return staff


@bp.app_template_global()
def assisting_staff() -> User | None:
    """The staff member beside the signed-in client in a staff-assisted session."""
    if "assisting_staff" not in g:
        staff_id = assisted_by()
        g.assisting_staff = db_session().get(User, staff_id) if staff_id else None
    staff: User | None = g.assisting_staff
    return staff


@bp.route("/assist", methods=["GET", "POST"])
@allow(Role.CASEWORKER, Role.PARTNER, when=may_assist)
def assist() -> Page | Response:
    form = ConfirmForm()
    if form.validate_on_submit():
        staff_id = str(current_user.id)
        end_current_session()  # the staff member's own session ends at the terminal
        session[ASSIST_PENDING] = {"by": staff_id, "at": utcnow().timestamp()}
        return redirect(url_for("auth.assist_sign_in"))
    return render_template("auth/activation_assist.html", form=form)


@bp.route("/assist/sign-in", methods=["GET", "POST"])
@public
def assist_sign_in() -> Page | Response:
    if current_user.is_authenticated:
        return redirect(url_for(role_home(current_user.role)))
    staff = _pending_staff()
    if staff is None:
        session.pop(ASSIST_PENDING, None)
        return render_template("auth/activation_assist_sign_in.html", staff=None, form=None)
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = _check_client_credentials(form.username.data.strip(), form.password.data)
        if user is not None:
            begin_session(user, assisted_by=staff)
            if user.password_must_change:
                return redirect(url_for("auth.change_password"))
            return redirect(url_for("portal.home"))
        status = 400
    elif form.is_submitted():
        status = 400
    return render_template(
        "auth/activation_assist_sign_in.html", staff=staff, form=form, cancel=ConfirmForm()
    ), status


def _check_client_credentials(username: str, password: str) -> User | None:
    """A client's sign-in, counted as the sign-in page counts; flashes what went wrong."""
    user = check_credentials(username, password)
    if user is not None and user.role is not Role.CLIENT:
        flash(
            gettext("This sign-in is for the client. Staff sign in on the usual sign-in page."),
            "error",
        )
        return None
    if user is not None:
        record_sign_in(db_session(), user, now=utcnow())
    return user


@bp.route("/assist/cancel", methods=["POST"])
@public
def assist_cancel() -> Response:
    form = ConfirmForm()
    if form.validate_on_submit():
        session.pop(ASSIST_PENDING, None)
    return redirect(url_for("auth.login"))


@bp.route("/assist/end", methods=["POST"])
@allow(Role.CLIENT)
def assist_end() -> Response:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    end_current_session()
    flash(gettext("The assisted session has ended and you have been signed out."), "info")
    return redirect(url_for("auth.login"))
