"""A staff member accepts an administrator's invitation: the one-time link sets a password.

``/invitation/<token>`` is public: the link works once, until it expires
(``app.staff.rules.INVITATION_LIFETIME``). An unknown, used, replaced or expired link gets
the same answer (410). The staff member then signs in as anyone does, setting up two-step
sign-in there where it is required.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app import security_log
from app.extensions import db_session
from app.models import User
from app.rate_limits import count_failure
from app.security import password_hasher, public
from app.staff import commands as staff
from app.web.auth import bp
from app.web.forms import new_password_fields, refusals_shown_on
from consent.base import utcnow

Page = str | tuple[str, int]


class AcceptForm(FlaskForm):
    password, confirm = new_password_fields(
        _l("Choose a password"), required=_l("Choose a password.")
    )


def _not_valid() -> tuple[str, int]:
    count_failure()  # a guessed link counts like a wrong code against the address
    return render_template("auth/invitation_invalid.html"), 410


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def invitation(token: str) -> Page | Response:
    invited = staff.invitation_of(db_session(), token, now=utcnow())
    account = db_session().get(User, invited.user_id) if invited else None
    if account is None or not account.active:
        return _not_valid()
    form = AcceptForm()
    if form.validate_on_submit():
        with refusals_shown_on(form):
            try:
                staff.accept_invitation(
                    db_session(),
                    password_hasher(),
                    token,
                    password=form.password.data,
                    now=utcnow(),
                )
            except staff.InvitationNotValid:
                return _not_valid()
            security_log.event(
                security_log.Kind.INVITATION_ACCEPTED,
                user_id=account.id,
                outcome=security_log.Outcome.SUCCESS,
            )
            flash(
                gettext(
                    "Your account is ready. Sign in with your username and the password you chose."
                ),
                "info",
            )
            return redirect(url_for("auth.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/invitation.html", form=form, account=account), status
