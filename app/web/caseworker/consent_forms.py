"""Forms for recording consents and statutory disclosures, and for revoking a consent."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.i18n import helsinki_today
from app.labels import SECTIONS
from consent.facts import Direction
from consent.models import GivenHow
from consent.sections import SectionKind

# Common provisions offered as suggestions; the worker may write any other and names the
# section. Legal citations are kept in Finnish, as they are written in decisions.
PROVISION_SUGGESTIONS = (
    "Sosiaalihuoltolaki (1301/2014) 41 § – monialainen yhteistyö",
    "Laki sosiaali- ja terveydenhuollon asiakastietojen käsittelystä (703/2023)",
    "Laki sosiaalihuollon asiakkaan asemasta ja oikeuksista (812/2000)",
    "Laki toimeentulotuesta (1412/1997)",
)


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes (rendered in a fieldset with a legend by the template)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _section_choices() -> list[SelectChoice]:
    return [SelectChoice(kind.value, SECTIONS[kind]) for kind in SectionKind]


class _Period:
    """Validation shared by both forms: an ordered period that has not already ended."""

    valid_from: DateField
    valid_until: DateField

    def validate_valid_until(self, field: Field) -> None:
        if field.data is None:
            return
        if self.valid_from.data is not None and field.data < self.valid_from.data:
            raise ValidationError(_l("The last day cannot be before the first day."))
        if field.data < helsinki_today():
            raise ValidationError(_l("The last day has already passed."))


class ConsentForm(_Period, FlaskForm):
    member = SelectField(
        _l("Network member"),
        description=_l("Only members whose membership has not ended."),
        validators=[DataRequired(_l("Choose the network member."))],
        validate_choice=False,  # the view checks the member against the case's network
    )
    sections = CheckboxesField(
        _l("Plan sections"),
        choices=_section_choices,
        validators=[DataRequired(_l("Choose at least one section of the plan."))],
    )
    direction = RadioField(
        _l("Direction"),
        choices=[
            SelectChoice(Direction.DISCLOSE.value, _l("We disclose to the member")),
            SelectChoice(Direction.OBTAIN.value, _l("We obtain from the member")),
        ],
        default=Direction.DISCLOSE.value,
        validators=[InputRequired(_l("Choose the direction."))],
    )
    purpose_text = TextAreaField(
        _l("Purpose in plain words"),
        description=_l("Why the information is shared, as agreed with the client."),
        validators=[
            DataRequired(_l("Write the purpose in plain words.")),
            Length(max=1000, message=_l("At most %(max)d characters.")),
        ],
    )
    given_how = RadioField(
        _l("How the client gave consent"),
        choices=[
            SelectChoice(GivenHow.WRITTEN.value, _l("In writing")),
            SelectChoice(
                GivenHow.ORAL.value, _l("Orally (you are recorded as the one who heard it)")
            ),
        ],
        validators=[InputRequired(_l("Choose how the client gave consent."))],
    )
    valid_from = DateField(
        _l("Valid from"),
        default=helsinki_today,
        validators=[InputRequired(_l("Enter the first valid day."))],
    )
    valid_until = DateField(
        _l("Valid until (last day)"),
        description=_l("Leave empty for no end date; the client can withdraw at any time."),
        validators=[Optional()],
    )
    information_text_version = HiddenField()  # the command checks it is published
    information_shown = BooleanField(
        _l("The information text was shown to the client"),  # the view names the version
        validators=[DataRequired(_l("Confirm that the client was shown the information text."))],
    )


class StatutoryDisclosureForm(_Period, FlaskForm):
    member = SelectField(
        _l("Recipient (an authority in the network)"),
        validators=[DataRequired(_l("Choose the recipient."))],
        validate_choice=False,  # the view checks the recipient against the case's network
    )
    sections = CheckboxesField(
        _l("Plan sections"),
        choices=_section_choices,
        validators=[DataRequired(_l("Choose at least one section of the plan."))],
    )
    provision = StringField(
        _l("Provision"),
        description=_l(
            "The act and section that allow or require the disclosure. Common provisions are "
            "suggested as you type; check the section."
        ),
        render_kw={"list": "provision-suggestions", "autocomplete": "off"},
        validators=[
            DataRequired(_l("Name the provision.")),
            Length(max=200, message=_l("At most %(max)d characters.")),
        ],
    )
    justification = TextAreaField(
        _l("Justification"),
        description=_l("Why the disclosure is necessary. The client can see it."),
        validators=[
            DataRequired(_l("Write the justification.")),
            Length(max=2000, message=_l("At most %(max)d characters.")),
        ],
    )
    valid_from = DateField(
        _l("Valid from"),
        default=helsinki_today,
        validators=[InputRequired(_l("Enter the first valid day."))],
    )
    valid_until = DateField(_l("Valid until (last day)"), validators=[Optional()])


class RevokeForm(FlaskForm):
    """Only the CSRF token: the confirmation page is the confirmation."""


class ReconfirmForm(FlaskForm):
    """The client confirmed a consent again for its template's period on the new dates."""

    given_how = ConsentForm.given_how
    information_text_version = HiddenField()  # the command checks it is published
    information_shown = BooleanField(
        _l("The information text was shown to the client"),  # the view names the version
        validators=[DataRequired(_l("Confirm that the client was shown the information text."))],
    )
