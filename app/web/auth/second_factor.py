"""Staff's two-step sign-in: the code page after the password, and setting the factor up.

After a right password, a staff member with a second factor gets ``/login/code`` (or
``/login/recovery-code``); the browser holds only the token of a server-side sign-in
challenge (``app.second_factor``), and the session is made only when a code is accepted.
``/account/second-factor`` sets the factor up (a QR code drawn here, as inline SVG, and the
secret as text), and changes it with the current password and a code. Where the factor is
required (``Settings.require_second_factor``), staff without one reach only these pages
(``app.security.second_factor_setup``).
"""

from __future__ import annotations

import io

import segno
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from app.extensions import db_session
from app.models import User
from app.rate_limits import count_failure
from app.second_factor import commands, queries
from app.second_factor.events import Origin
from app.security import (
    allow,
    begin_session,
    current_keyring,
    password_hasher,
    public,
    role_home,
    second_factor_setup,
)
from app.web.auth import bp
from app.web.auth.activation import ConfirmForm
from app.web.auth.forms import ChangeForm, CodeForm, RecoveryCodeForm
from app.web.auth.views import SIGN_IN_CHALLENGE, SIGN_IN_NEXT, finish_sign_in
from app.web.forms import refusals_shown_on
from consent.base import utcnow

STAFF = tuple(queries.STAFF)
Page = str | tuple[str, int]


def _origin() -> Origin:
    return Origin(request.remote_addr, "web")


def _required() -> bool:
    return bool(current_app.extensions["tukiverkko.settings"].require_second_factor)


# -- signing in: the second step -----------------------------------------------------------


@bp.route("/login/code", methods=["GET", "POST"])
@public
def sign_in_code() -> Page | Response:
    return _second_step(recovery=False)


@bp.route("/login/recovery-code", methods=["GET", "POST"])
@public
def sign_in_recovery_code() -> Page | Response:
    return _second_step(recovery=True)


def _second_step(*, recovery: bool) -> Page | Response:
    if current_user.is_authenticated:
        return redirect(url_for(role_home(current_user.role)))
    token = session.get(SIGN_IN_CHALLENGE)
    now = utcnow()
    user = queries.challenged_user(db_session(), token, now=now) if isinstance(token, str) else None
    if user is None or not isinstance(token, str):
        session.pop(SIGN_IN_CHALLENGE, None)
        flash(gettext("The sign-in took too long or has ended. Sign in again."), "info")
        return redirect(url_for("auth.login"))
    form = RecoveryCodeForm() if recovery else CodeForm()
    if not form.validate_on_submit():
        return _code_page(form, recovery=recovery, status=400 if form.is_submitted() else 200)
    checked = commands.check_second_factor(
        db_session(),
        current_keyring(),
        password_hasher(),
        user,
        form.code.data,
        now=now,
        origin=_origin(),
    )
    if checked.accepted:
        commands.end_challenge(db_session(), token)
        target = session.get(SIGN_IN_NEXT)
        return finish_sign_in(user, target if isinstance(target, str) else None)
    count_failure()
    form.code.errors = [gettext(checked.outcome.message)]
    return _code_page(form, recovery=recovery, status=400)


def _code_page(form: CodeForm | RecoveryCodeForm, *, recovery: bool, status: int) -> Page:
    return render_template("auth/sign_in_code.html", form=form, recovery=recovery), status


# -- the account's second factor -----------------------------------------------------------


@bp.route("/account/second-factor")
@allow(*STAFF)
@second_factor_setup
def second_factor() -> Page:
    return _account_page(ChangeForm())


def _account_page(form: ChangeForm, status: int = 200) -> Page:
    required = _required()
    if required:
        form.action.choices = [c for c in form.action.choices if c.value != "remove"]
    return render_template(
        "auth/second_factor.html",
        status=queries.status_of(db_session(), _me()),
        form=form,
        start=ConfirmForm(),
        required=required,
    ), status


@bp.route("/account/second-factor/start", methods=["POST"])
@allow(*STAFF)
@second_factor_setup
def second_factor_start() -> Response:
    """Make a new secret to set up; with a factor in force, the change form is the way."""
    if not ConfirmForm().validate_on_submit() or queries.has_second_factor(db_session(), _me()):
        return redirect(url_for("auth.second_factor"))
    commands.start_enrolment(db_session(), current_keyring(), _me(), now=utcnow())
    return redirect(url_for("auth.second_factor_enrol"))


@bp.route("/account/second-factor/enrol", methods=["GET", "POST"])
@allow(*STAFF)
@second_factor_setup
def second_factor_enrol() -> Page | Response:
    user = _me()
    enrolment = queries.enrolment_of(db_session(), current_keyring(), user)
    if enrolment is None:
        return redirect(url_for("auth.second_factor"))
    form = CodeForm()
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        with refusals_shown_on(form):
            codes = commands.confirm_enrolment(
                db_session(),
                current_keyring(),
                password_hasher(),
                user,
                form.code.data,
                now=utcnow(),
                origin=_origin(),
            )
            _keep_signed_in(user)
            return _recovery_codes_page(codes, enrolled=True)
    return render_template(
        "auth/second_factor_enrol.html",
        form=form,
        secret=enrolment.secret_text,
        qr=qr_svg(enrolment.uri),
    ), status


@bp.route("/account/second-factor", methods=["POST"])
@allow(*STAFF)
def second_factor_change() -> Page | Response:
    form = ChangeForm()
    if _required():
        form.action.choices = [c for c in form.action.choices if c.value != "remove"]
    if not form.validate_on_submit():
        return _account_page(form, status=400)
    user = _me()
    with refusals_shown_on(form):
        commands.confirm_identity(
            db_session(),
            current_keyring(),
            password_hasher(),
            user,
            password=form.password.data,
            code=form.code.data,
            now=utcnow(),
            origin=_origin(),
        )
        answer = _change(user, form.action.data)
        _keep_signed_in(user)
        return answer
    count_failure()  # a wrong password or code (app.rate_limits)
    return _account_page(form, status=400)


def _change(user: User, action: str) -> Page | Response:
    """Do the change ``action`` names, once the password and code were right."""
    now = utcnow()
    if action == "codes":
        codes = commands.replace_recovery_codes(
            db_session(), password_hasher(), user, now=now, origin=_origin()
        )
        return _recovery_codes_page(codes, enrolled=False)
    if action == "replace":
        commands.start_enrolment(db_session(), current_keyring(), user, now=now)
        return redirect(url_for("auth.second_factor_enrol"))
    commands.remove_second_factor(db_session(), user, now=now, origin=_origin())
    flash(gettext("Two-step sign-in is off. Your other sessions have ended."), "info")
    return redirect(url_for("auth.second_factor"))


def _me() -> User:
    """The signed-in user itself, not Flask-Login's proxy (which must not sign itself in)."""
    user: User = current_user._get_current_object()
    return user


def _keep_signed_in(user: User) -> None:
    """After a change that ended the user's sessions, this browser goes on in a new one."""
    begin_session(user)


def _recovery_codes_page(codes: list[str], *, enrolled: bool) -> Page:
    return render_template("auth/recovery_codes.html", codes=codes, enrolled=enrolled)


def qr_svg(uri: str) -> Markup:
    """The QR code of ``uri`` as inline SVG, drawn here: no script, no outside service."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer,
        kind="svg",
        scale=4,
        border=4,
        xmldecl=False,
        svgclass="qr-code",
        lineclass=None,
        omitsize=True,  # a viewBox only: the stylesheet gives it its size
    )
    return Markup(buffer.getvalue().decode())  # noqa: S704  (segno's own markup of our URI)
