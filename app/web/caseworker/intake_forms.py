"""The intake form and the labels of the intake enumerations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from app.i18n import helsinki_today
from app.intake import identity_code
from app.models.intake import Channel, NotificationPath, NotificationStatus, NotifierKind
from app.web.caseworker.ending_forms import service_task_field
from consent.status import HELSINKI

NOTIFIER_KINDS = {
    NotifierKind.CLIENT: _l("The client"),
    NotifierKind.REPRESENTATIVE: _l("The client's representative"),
    NotifierKind.PRISON_STAFF: _l("Prison staff"),
    NotifierKind.PROBATION_STAFF: _l("Probation staff"),
    NotifierKind.OTHER_AUTHORITY: _l("Another authority"),
    NotifierKind.OTHER: _l("Someone else"),
}
CHANNELS = {
    Channel.PHONE: _l("Phone"),
    Channel.LETTER: _l("Letter"),
    Channel.MESSAGE: _l("Message or e-mail"),
    Channel.FACE_TO_FACE: _l("Face to face"),
    Channel.VIDEO: _l("Video"),
    Channel.E_FORM: _l("Electronic form"),
}
PATHS = {
    NotificationPath.CONSENT: _l("With the person's consent"),
    NotificationPath.NO_CONSENT: _l(
        "Without consent: the person manifestly cannot look after their own care, health or safety"
    ),
}
SHORT_PATHS = {
    NotificationPath.CONSENT: _l("With consent"),
    NotificationPath.NO_CONSENT: _l("Without consent"),
}
STATUSES = {
    NotificationStatus.UNASSIGNED: _l("Unassigned"),
    NotificationStatus.ASSIGNED: _l("Assigned"),
    NotificationStatus.CLOSED_NO_ACTION: _l("Closed without action"),
}
# Kinds whose notifier must be named: staff and representatives act in an official capacity.
NAMED_NOTIFIERS = {
    NotifierKind.REPRESENTATIVE,
    NotifierKind.PRISON_STAFF,
    NotifierKind.PROBATION_STAFF,
    NotifierKind.OTHER_AUTHORITY,
}


def _choices(labels: dict[Any, Any]) -> list[SelectChoice]:
    return [SelectChoice(kind.value, label) for kind, label in labels.items()]


class NotificationForm(FlaskForm):
    """One page: choose or create the client, then the notification itself."""

    client_id = HiddenField()
    q = StringField(
        _l("Name or identity code"),
        description=_l("Search for the client first, so that no one is recorded twice."),
        validators=[Optional(), Length(max=200)],
    )
    name = StringField(
        _l("Full name"), validators=[Optional(), Length(max=200)], render_kw={"autocomplete": "off"}
    )
    identity_code = StringField(
        _l("Identity code"),
        description=_l("For example 010190-900P or 010105A900S. Leave empty if not known."),
        validators=[Optional(), Length(max=20)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    no_identity_code = BooleanField(_l("No identity code known"))
    prison_id = SelectField(_l("Prison (optional)"), choices=[], default="")
    conditional_release = DateField(
        _l("Expected conditional release (optional)"), validators=[Optional()]
    )

    service_task = service_task_field(
        _l(
            "Used when this notification opens a new case. It sets how long the records are "
            "kept after the case closes."
        )
    )
    notifier_kind = RadioField(
        _l("Who made the contact"),
        choices=_choices(NOTIFIER_KINDS),
        validators=[InputRequired(_l("Choose who made the contact."))],
    )
    notifier_name = StringField(
        _l("Notifier's name"),
        description=_l("Required when the notifier is staff or a representative."),
        validators=[Optional(), Length(max=200)],
    )
    notifier_organisation_id = SelectField(
        _l("Notifier's organisation (optional)"), choices=[], default=""
    )
    channel = RadioField(
        _l("Channel"),
        choices=_choices(CHANNELS),
        validators=[InputRequired(_l("Choose the channel."))],
    )
    contacted_on = DateField(
        _l("Date of contact"), validators=[InputRequired(_l("Enter the date of contact."))]
    )
    received_on = DateField(
        _l("Received on"), validators=[InputRequired(_l("Enter the date it was received."))]
    )
    received_time = TimeField(
        _l("Received at (time)"), validators=[InputRequired(_l("Enter the time it was received."))]
    )
    need = TextAreaField(
        _l("The need described"),
        description=_l("In the notifier's words where possible."),
        validators=[InputRequired(_l("Describe the need.")), Length(max=5000)],
    )
    path = RadioField(
        _l("Path (Social Welfare Act § 35)"),
        choices=_choices(PATHS),
        validators=[InputRequired(_l("Choose the path of the notification."))],
    )
    no_consent_reason = TextAreaField(
        _l("Reason for notifying without consent"),
        description=_l(
            "Required without consent: why the person manifestly cannot look after their own "
            "care, health or safety."
        ),
        validators=[Optional(), Length(max=2000)],
    )

    def received_at(self) -> datetime:
        """The moment received, from the Helsinki date and time entered."""
        return datetime.combine(self.received_on.data, self.received_time.data, HELSINKI)

    def validate_new_client(self) -> bool:
        """The new-client fields (used when no existing client was chosen)."""
        ok = True
        if not (self.name.data or "").strip():
            self.name.errors.append(
                _l("Enter the client's name, or search and choose an existing client.")
            )
            ok = False
        code = (self.identity_code.data or "").strip()
        if code and self.no_identity_code.data:
            self.identity_code.errors.append(
                _l("Enter an identity code or tick “No identity code known”, not both.")
            )
            ok = False
        elif code:
            try:
                identity_code.parse(code)
            except identity_code.InvalidIdentityCode as invalid:
                self.identity_code.errors.append(gettext(invalid.message))
                ok = False
        return ok

    def validate_notification(self) -> bool:
        """Rules across fields, after each field validated on its own."""
        ok = True
        today = helsinki_today()
        if (
            self.notifier_kind.data in NAMED_NOTIFIERS
            and not (self.notifier_name.data or "").strip()
        ):
            self.notifier_name.errors.append(_l("Enter the notifier's name."))
            ok = False
        for date_field in (self.contacted_on, self.received_on):
            if date_field.data and date_field.data > today:
                date_field.errors.append(_l("The date cannot be in the future."))
                ok = False
        if (
            self.received_on.data == today
            and self.received_time.data
            and self.received_at() > datetime.now(HELSINKI)
        ):
            self.received_time.errors.append(_l("The time cannot be in the future."))
            ok = False
        if (
            self.contacted_on.data
            and self.received_on.data
            and self.contacted_on.data > self.received_on.data
        ):
            self.contacted_on.errors.append(
                _l("The date of contact cannot be after the date it was received.")
            )
            ok = False
        if not (self.need.data or "").strip() and not self.need.errors:
            self.need.errors.append(_l("Describe the need."))
            ok = False
        no_consent = self.path.data == NotificationPath.NO_CONSENT.value
        if no_consent and not (self.no_consent_reason.data or "").strip():
            self.no_consent_reason.errors.append(
                _l(
                    "Give the reason. Without consent, a notification is allowed only when the "
                    "person manifestly cannot look after their own care, health or safety."
                )
            )
            ok = False
        return ok


class IntakeAppointForm(FlaskForm):
    """Appointing the responsible worker from today, by the worker who took the notification."""

    worker = SelectField(
        _l("Responsible worker"),
        choices=[],  # set by the view: the county's caseworkers
        validators=[InputRequired(message=_l("Choose the worker."))],
        default="",
        invalid_choice_message=_l("Choose one of the county's caseworkers listed."),
    )
