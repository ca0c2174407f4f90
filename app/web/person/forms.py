"""The forms a person fills in: the short code that binds a link to their browser, and the
address for "you have a new message"."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length

from app.outbox.commands import MAX_ADDRESS_LENGTH


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        description=_l(
            "Eight letters and numbers, for example ABCD-2345. The client's worker gave it "
            "to you by phone or by letter."
        ),
        validators=[
            DataRequired(_l("Enter the code.")),
            Length(max=20, message=_l("The code has eight letters and numbers.")),
        ],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false"},
    )


class PersonEmailForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[Length(max=MAX_ADDRESS_LENGTH)],
        description=_l("Leave it empty to stop these e-mails."),
        render_kw={"autocomplete": "email"},
    )
