from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length

from app.i18n import LANGUAGES


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=120)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class LanguageForm(FlaskForm):
    language = SelectField(
        _l("Language"),
        choices=[
            SelectChoice(code, label, render_kw={"lang": code}) for code, label in LANGUAGES.items()
        ],
    )
    next = HiddenField()


class CodeForm(FlaskForm):
    """The six-digit code from an authenticator app."""

    code = StringField(
        _l("Code"),
        description=_l("The six-digit code that your authenticator app shows for Tukiverkko."),
        validators=[
            DataRequired(message=_l("Type the code from your authenticator app.")),
            Length(max=40),
        ],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "autocapitalize": "off",
            "spellcheck": "false",
        },
    )


class RecoveryCodeForm(FlaskForm):
    """One of the recovery codes saved at enrolment."""

    code = StringField(
        _l("Recovery code"),
        description=_l(
            "One of the recovery codes you saved when you set up two-step sign-in, for example "
            "ABCD-EFGH-JKMN. Each code works once."
        ),
        validators=[DataRequired(message=_l("Type a recovery code.")), Length(max=40)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )


class ChangeForm(FlaskForm):
    """A change of the second factor, confirmed with the current password and a code."""

    action = RadioField(
        _l("What do you want to do?"),
        choices=[
            SelectChoice("codes", _l("Get new recovery codes (the old ones stop working)")),
            SelectChoice(
                "replace", _l("Set up two-step sign-in again, for example on a new phone")
            ),
            SelectChoice("remove", _l("Turn two-step sign-in off")),
        ],
        validators=[InputRequired(message=_l("Choose what to do."))],
    )
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(message=_l("Type your password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        _l("Code"),
        description=_l("The six-digit code from your authenticator app, or a recovery code."),
        validators=[DataRequired(message=_l("Type a code.")), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"},
    )
