from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from app.accounts.commands import authenticate
from app.extensions import db_session
from app.i18n import SESSION_KEY
from app.models import User
from app.rate_limits import count_failure
from app.security import mark_session_fresh, password_hasher, public, role_home
from app.web.auth import bp
from app.web.auth.forms import LanguageForm, LoginForm
from consent.base import utcnow


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: an open redirect would help phishing."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/")
@public
def index() -> Response:
    if current_user.is_authenticated:
        return redirect(url_for(role_home(current_user.role)))
    return redirect(url_for("auth.login"))


def check_credentials(username: str, password: str) -> User | None:
    """The active user these credentials sign in, or None (with a message flashed, and the
    failure counted against the sign-in rate limits, ``app.rate_limits``)."""
    result = authenticate(db_session(), password_hasher(), username, password, now=utcnow())
    if isinstance(result, User):
        return result
    count_failure()
    flash(gettext(result.message), "error")
    return None


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str:
    if current_user.is_authenticated:
        return redirect(url_for(role_home(current_user.role)))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = check_credentials(form.username.data.strip(), form.password.data)
        if user is not None:
            session.clear()  # a fresh session on every sign-in (no fixation)
            login_user(user)
            mark_session_fresh()
            return redirect(_safe_next(form.next.data) or url_for(role_home(user.role)))
    return render_template("auth/login.html", form=form, expired=request.args.get("expired") == "1")


@bp.route("/logout", methods=["POST"])
@public
def logout() -> Response:
    logout_user()
    locale = session.get(SESSION_KEY)
    session.clear()
    if locale:
        session[SESSION_KEY] = locale
    flash(gettext("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
@public
def language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit():
        session[SESSION_KEY] = form.language.data
        if current_user.is_authenticated:
            current_user.locale = form.language.data
    return redirect(_safe_next(form.next.data) or url_for("auth.index"))


@bp.route("/accessibility")
@public
def accessibility() -> str:
    return render_template("auth/accessibility.html")
