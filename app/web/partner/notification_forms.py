"""The form prison and probation staff send an SHL § 35 notification with, and its labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.i18n import helsinki_today
from app.labels import CONSENT_MANNERS
from app.models.intake import NotificationPath

SENDER_PATHS = {
    NotificationPath.CONSENT: _l("With the person's consent"),
    NotificationPath.NO_CONSENT: _l(
        "Without consent: the person manifestly cannot look after their own care, health or safety"
    ),
}


class StaffNotificationForm(FlaskForm):
    """One page: whose county, who the person is, the need, and the lawful path."""

    county_id = SelectField(
        _l("The person's county"),
        description=_l("The wellbeing services county where the person lives or will live."),
        choices=[],  # set by the view: the counties
        validators=[InputRequired(_l("Choose the client's county."))],
        default="",
        invalid_choice_message=_l("Choose the client's county."),
    )
    name = StringField(
        _l("The person's full name"),
        validators=[InputRequired(_l("Enter the person's name.")), Length(max=200)],
        render_kw={"autocomplete": "off"},
    )
    identity_code = StringField(
        _l("Identity code (optional)"),
        description=_l(
            "With the identity code the county finds the person if they are already its client."
        ),
        validators=[Optional(), Length(max=20)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    conditional_release = DateField(_l("Expected release (optional)"), validators=[Optional()])
    contacted_on = DateField(
        _l("Date of contact with the person"),
        default=helsinki_today,
        validators=[InputRequired(_l("Enter the date of contact."))],
    )
    need = TextAreaField(
        _l("The need for social care"),
        description=_l("What the person needs, in their own words where possible."),
        validators=[InputRequired(_l("Describe the need.")), Length(max=5000)],
    )
    path = RadioField(
        _l("Path (Social Welfare Act § 35)"),
        choices=[SelectChoice(kind.value, label) for kind, label in SENDER_PATHS.items()],
        validators=[InputRequired(_l("Choose the path of the notification."))],
    )
    consent_manner = RadioField(
        _l("How the person gave consent"),
        description=_l("Required with consent."),
        choices=[SelectChoice(kind.value, label) for kind, label in CONSENT_MANNERS.items()],
        validators=[Optional()],
    )
    no_consent_reason = TextAreaField(
        _l("Reason for notifying without consent"),
        description=_l(
            "Required without consent: why the person manifestly cannot look after their own "
            "care, health or safety."
        ),
        validators=[Optional(), Length(max=2000)],
    )
