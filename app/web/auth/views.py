from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app import security_log
from app.accounts.commands import record_sign_in, verify_credentials
from app.extensions import db_session
from app.i18n import SESSION_KEY
from app.maintenance.retention import RETENTION_YEARS, retention_years_of
from app.models import User
from app.rate_limits import count_failure
from app.second_factor.commands import begin_challenge
from app.second_factor.queries import has_second_factor
from app.security import (
    begin_session,
    end_current_session,
    password_hasher,
    public,
    role_home,
)
from app.web.auth import bp
from app.web.auth.forms import LanguageForm, LoginForm
from consent.base import utcnow

SIGN_IN_CHALLENGE = "sign_in_challenge"  # session key: the token of a sign-in waiting for a code
SIGN_IN_NEXT = "sign_in_next"  # session key: where that sign-in goes once complete


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
    """The active user whose password this is, or None (with a message flashed, the
    failure in the security log and counted against the sign-in rate limits,
    ``app.rate_limits``). The sign-in is not complete yet: ``finish_sign_in`` (after the
    second factor, if any).
    """
    result = verify_credentials(db_session(), password_hasher(), username, password)
    if isinstance(result, User):
        return result
    log_failed_sign_in(username, result.value)
    count_failure()
    flash(gettext(result.message), "error")
    return None


def log_failed_sign_in(username: str, reason: str) -> None:
    """A refused sign-in in the security log, with the account when the username names one."""
    known = db_session().scalar(select(User.id).where(User.username == username))
    security_log.event(
        security_log.Kind.SIGN_IN,
        user_id=known,
        outcome=security_log.Outcome.FAILURE,
        reason=reason,
    )


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str:
    if current_user.is_authenticated:
        return redirect(url_for(role_home(current_user.role)))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = check_credentials(form.username.data.strip(), form.password.data)
        if user is not None:
            if has_second_factor(db_session(), user):
                return ask_for_code(user, _safe_next(form.next.data))
            return finish_sign_in(user, _safe_next(form.next.data))
    return render_template("auth/login.html", form=form, expired=request.args.get("expired") == "1")


def ask_for_code(user: User, target: str | None) -> Response:
    """The password was right and a second factor is in force: on to the code page.

    The browser keeps only a random token of a sign-in challenge stored server-side (a few
    minutes, single use); nobody is signed in until the code is accepted.
    """
    token = begin_challenge(db_session(), user, now=utcnow())
    fresh_session()
    session[SIGN_IN_CHALLENGE] = token
    if target:
        session[SIGN_IN_NEXT] = target
    return redirect(url_for("auth.sign_in_code"))


def finish_sign_in(user: User, target: str | None) -> Response:
    """Sign ``user`` in, in a fresh session (no fixation); a one-time password must change
    before anything else."""
    record_sign_in(db_session(), user, now=utcnow())
    begin_session(user)
    if user.password_must_change:
        return redirect(url_for("auth.change_password"))
    return redirect(target or url_for(role_home(user.role)))


def fresh_session() -> None:
    """Clear the session (nothing left of an earlier sign-in) but keep the language."""
    locale = session.get(SESSION_KEY)
    session.clear()
    if locale:
        session[SESSION_KEY] = locale


@bp.route("/logout", methods=["POST"])
@public
def logout() -> Response:
    end_current_session()
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


# When the accessibility statement was prepared and last reviewed (a self-assessment: the
# axe checks of the browser suite and manual keyboard checks). Update on every review.
ACCESSIBILITY_PREPARED = date(2026, 12, 7)
ACCESSIBILITY_REVIEWED = date(2026, 12, 7)


@bp.route("/accessibility")
@public
def accessibility() -> str:
    return render_template(
        "auth/accessibility.html",
        settings=current_app.extensions["tukiverkko.settings"],
        prepared=ACCESSIBILITY_PREPARED,
        reviewed=ACCESSIBILITY_REVIEWED,
    )


@bp.route("/privacy")
@public
def privacy() -> str:
    """The privacy notice (GDPR Art 13 and 14), with the controller's details from settings
    and the retention period of the service tasks this service records (the longest)."""
    settings = current_app.extensions["tukiverkko.settings"]
    years = max(retention_years_of(task, settings.retention_years) for task in RETENTION_YEARS)
    return render_template("auth/privacy.html", settings=settings, retention_years=years)
