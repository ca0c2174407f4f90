"""What every form page shares: a refused command shows its reasons on the form."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime

from flask import flash
from flask_babel import format_date, gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from app.accounts.rules import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, PasswordTooShort
from app.extensions import db_session
from app.labels import SECTIONS
from app.refusals import Listed, Refused
from app.transactions import discard_work
from consent.sections import SectionKind


def shown_params(refusal: Refused) -> dict[str, object]:
    """The refusal's placeholder values as a page shows them: a day in the reader's format,
    listed plan sections by their translated names."""
    return {name: _shown(value) for name, value in refusal.params.items()}


def _shown(value: object) -> object:
    if isinstance(value, date) and not isinstance(value, datetime):
        return format_date(value, "medium")
    if isinstance(value, Listed):
        return ", ".join(
            str(SECTIONS[member]) if isinstance(member, SectionKind) else member.value
            for member in value
        )
    return value


def show_refusal(form: FlaskForm, refusal: Refused, names: Mapping[str, str] | None = None) -> None:
    """Put each of the refusal's messages, translated, on the field it names (or the form).

    ``names`` maps a command's field to this form's, where they differ (``member_id`` is
    the form's ``member``).
    """
    params = shown_params(refusal)
    for name, _code, message in refusal.messages():
        text = gettext(message, **params)
        if name and names:
            name = names.get(name, name)
        field = form._fields.get(name) if name else None
        if field is None:
            form.form_errors.append(text)
        else:
            # Before validation WTForms keeps errors as a tuple.
            field.errors = [*field.errors, text]


@contextmanager
def refusals_shown_on(form: FlaskForm, names: Mapping[str, str] | None = None) -> Iterator[None]:
    """Run a command; when it refuses, show why on ``form`` and carry on to re-render it.

    ::

        if form.validate_on_submit():
            with refusals_shown_on(form):
                network.commands.add_member(...)
                flash(...)
                return redirect(...)
        return page(form, status=400)

    Only the form's own refusals are shown here: ``Conflict`` and ``NotFound`` are about
    the record, not the input, and go on to ``app/errors.py``.
    """
    try:
        yield
    except Refused as refusal:
        if refusal.status != Refused.status:
            raise
        show_refusal(form, refusal, names)


def flash_refusal(refusal: Refused) -> None:
    """Say why on the next page, for buttons without a form to show it on.

    The refused command's changes are discarded (``transactions.discard_work``), although
    the answer is a redirect.
    """
    discard_work(db_session())
    flash(gettext(refusal.message, **shown_params(refusal)), "error")


PASSPHRASE_HINT = _l(
    "At least %(min)d characters. Three or four words in a row that have nothing to "
    "do with each other are easy to remember and hard to guess.",
    min=MIN_PASSWORD_LENGTH,
)


def new_password_fields(
    label: LazyString,
    *,
    required: LazyString,
    description: LazyString = PASSPHRASE_HINT,
    confirm_label: LazyString | None = None,
) -> tuple[PasswordField, PasswordField]:
    """A new password and its confirmation, for a form class: ``password, confirm = …``.

    The one new-password block of every form that sets one (activation, a password change,
    an administrator's one-time password, an invitation); the templates render it with the
    ``new_password`` macro. The length is checked here already; the rest of the one password
    rule (``app.accounts.rules.check_password``) is the command's, and its refusal shows on
    the ``password`` field through ``refusals_shown_on``.
    """
    password = PasswordField(
        label,
        description=description,
        validators=[
            DataRequired(message=required),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=_l(PasswordTooShort.message, min=MIN_PASSWORD_LENGTH),
            ),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("The password is too long.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        confirm_label or _l("Type the password again"),
        validators=[
            DataRequired(message=_l("Type the password again.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm
