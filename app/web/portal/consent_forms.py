"""Forms of the client's own consent pages and of "I don't recognise this".

Each change has one form that carries its values through the confirmation page in
hidden fields; the confirmation adds the "I have read the information" box, which the
view checks only when the client confirms.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.i18n import helsinki_today
from app.labels import SECTIONS
from consent.sections import SectionKind


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes (the template puts them in a fieldset with a legend)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _section_choices() -> list[SelectChoice]:
    return [SelectChoice(kind.value, SECTIONS[kind]) for kind in SectionKind]


def _not_in_the_past(form: FlaskForm, field: Field) -> None:
    if field.data is not None and field.data < helsinki_today():
        raise ValidationError(_l("The last day cannot be in the past."))


class _Confirmation:
    information_read = BooleanField(_l("I have read the information above"))
    information_text_version = HiddenField()  # the version shown on the confirmation page


class GrantForm(_Confirmation, FlaskForm):
    member = SelectField(
        _l("Who may see it"),
        validators=[DataRequired(_l("Choose who may see the information."))],
        validate_choice=False,  # the view checks the member against the client's network
    )
    sections = CheckboxesField(
        _l("Which parts of your plan"),
        description=_l("Choose only the parts they need to help you."),
        choices=_section_choices,
        validators=[DataRequired(_l("Choose at least one part of your plan."))],
    )
    purpose_text = TextAreaField(
        _l("Why they may see it"),
        description=_l("In your own words. You can also keep the text that is already in the box."),
        validators=[
            DataRequired(_l("Write why they may see the information.")),
            Length(max=1000, message=_l("Write at most %(max)d characters.")),
        ],
    )
    valid_until = DateField(
        _l("Last day (optional)"),
        description=_l(
            "Leave empty if there is no last day. You can withdraw your consent at any time."
        ),
        validators=[Optional(), _not_in_the_past],
    )


class ChangeForm(_Confirmation, FlaskForm):
    """Narrow or extend a consent: which sections, and the last day."""

    sections = CheckboxesField(
        _l("Which parts of your plan"),
        choices=_section_choices,
        validators=[DataRequired(_l("Choose at least one part of your plan."))],
    )
    valid_until = DateField(
        _l("Last day"),
        description=_l("Leave empty if there is no last day."),
        validators=[Optional(), _not_in_the_past],
    )


class RevokeForm(FlaskForm):
    """Only the CSRF token: the confirmation page is the confirmation."""


class ReconfirmForm(_Confirmation, FlaskForm):
    """Confirm a consent again for the new period the release dates give it."""


class LogQueryForm(FlaskForm):
    note = TextAreaField(
        _l("What do you not recognise? (optional)"),
        description=_l("You can leave this empty. Your worker will contact you."),
        validators=[Optional(), Length(max=2000, message=_l("Write at most %(max)d characters."))],
    )
