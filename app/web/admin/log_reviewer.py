"""Administrators designate log reviewers: one button on the staff account page.

An administrator or caseworker so designated reviews the access log alongside the
data-protection officer (``app.log_review.rules.may_review``), within their own county. The
button sits on the staff account page (``admin/user.html`` includes
``admin/log_reviewer.html``) and posts here; each change is written to the security log.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField

from app import security_log
from app.extensions import db_session
from app.log_review.commands import NotAReviewerRole, designate
from app.log_review.rules import REVIEWERS
from app.models import Role, User
from app.security import allow
from app.web.admin import bp
from app.web.admin.views import _staff_account
from app.web.forms import flash_refusal


class LogReviewerForm(FlaskForm):
    reviewer = HiddenField()  # "1": designate; anything else: take the designation away


@bp.app_template_global("log_reviewer_form")
def _log_reviewer_form(account: User) -> LogReviewerForm | None:
    if account.role not in REVIEWERS:
        return None
    return LogReviewerForm(formdata=None, data={"reviewer": "" if account.log_reviewer else "1"})


@bp.route("/users/<uuid:user_id>/log-reviewer", methods=["POST"])
@allow(Role.ADMIN)
def set_log_reviewer(user_id: uuid.UUID) -> Response:
    account = _staff_account(user_id)
    form = LogReviewerForm()
    if not form.validate_on_submit():
        abort(400)
    reviewer = form.reviewer.data == "1"
    try:
        changed = designate(db_session(), account, reviewer)
    except NotAReviewerRole as refusal:
        flash_refusal(refusal)
    else:
        if changed:
            security_log.event(
                security_log.Kind.LOG_REVIEWER,
                user_id=account.id,
                outcome=security_log.Outcome.SUCCESS,
                by=current_user.id,
                designated=reviewer,
            )
        flash(
            gettext("The account may now review the access log.")
            if reviewer
            else gettext("The account no longer reviews the access log."),
            "info",
        )
    return redirect(url_for("admin.user", user_id=account.id))
