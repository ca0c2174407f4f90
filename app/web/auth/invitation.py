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
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from app import security_log
from app.accounts.rules import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from app.extensions import db_session
from app.models import User
from app.rate_limits import count_failure
from app.security import password_hasher, public
from app.staff import commands as staff
from app.web.auth import bp
from app.web.forms import refusals_shown_on
from consent.base import utcnow

Page = str | tuple[str, int]


class AcceptForm(FlaskForm):
    password = PasswordField(
        _l("Choose a password"),
        description=_l(
            "At least %(min)d characters. Three or four words in a row that have nothing to "
            "do with each other are easy to remember and hard to guess.",
            min=MIN_PASSWORD_LENGTH,
        ),
        validators=[
            DataRequired(message=_l("Choose a password.")),
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
