"""Forms and translated labels for the network pages (members, commitments, flow agreements)."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.i18n import helsinki_today
from app.labels import MEMBER_KINDS, ORG_KINDS
from app.models import Organisation
from app.models.flows import FlowChannel, FlowDirection
from app.network.rules import PERSON_KINDS
from consent.status import MembershipStatus

FLOW_DIRECTIONS = {
    FlowDirection.TO_MEMBER: _l("From the county to the member"),
    FlowDirection.FROM_MEMBER: _l("From the member to the county"),
    FlowDirection.BOTH: _l("Both ways"),
}
FLOW_CHANNELS = {
    FlowChannel.PLATFORM: _l("Tukiverkko"),
    FlowChannel.PHONE: _l("Phone"),
    FlowChannel.MEETING: _l("Meeting"),
    FlowChannel.LETTER: _l("Letter"),
}
MEMBER_STATUSES = {
    MembershipStatus.UPCOMING: _l("Starts later"),
    MembershipStatus.ACTIVE: _l("Active"),
    MembershipStatus.ENDED: _l("Ended"),
}
ROLE_MAX = 200


def _ends_not_before_starts(form: FlaskForm, field: Field) -> None:
    starts_on = form.starts_on.data
    if field.data is not None and starts_on is not None and field.data < starts_on:
        raise ValidationError(_l("The end date cannot be before the start date."))


def _not_in_future(form: FlaskForm, field: Field) -> None:
    if field.data is not None and field.data > helsinki_today():
        raise ValidationError(_l("The date cannot be in the future."))


def _role() -> StringField:
    return StringField(
        _l("Role in the network"),
        description=_l("For example: arranges housing before release."),
        validators=[
            DataRequired(_l("Describe the member's role in the network.")),
            Length(max=ROLE_MAX),
        ],
    )


def _starts_on() -> DateField:
    return DateField(
        _l("Member from"),
        default=helsinki_today,
        validators=[InputRequired(_l("Enter the first day of membership."))],
    )


def _ends_on() -> DateField:
    return DateField(
        _l("Member until (optional)"),
        description=_l("The last day of membership. Leave empty if no end is planned."),
        validators=[Optional(), _ends_not_before_starts],
    )


class OrganisationMemberForm(FlaskForm):
    organisation = SelectField(
        _l("Organisation"),
        description=_l("Organisations in the directory, grouped by kind."),
        validators=[DataRequired(_l("Choose an organisation."))],
    )
    role = _role()
    starts_on = _starts_on()
    ends_on = _ends_on()


def organisation_choices(organisations: Iterable[Organisation]) -> list[SelectChoice]:
    """A blank first option, then the directory grouped by kind (as ``<optgroup>``)."""
    return [SelectChoice("", gettext("Choose an organisation"))] + [
        SelectChoice(str(org.id), org.name, optgroup=str(ORG_KINDS[org.kind]))
        for org in organisations
    ]


class PersonMemberForm(FlaskForm):
    kind = RadioField(
        _l("Who is the person?"),
        choices=[SelectChoice(kind.value, MEMBER_KINDS[kind]) for kind in PERSON_KINDS],
        validators=[
            InputRequired(_l("Choose whether the person is a close person or a peer expert."))
        ],
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter the person's name.")), Length(max=200)],
        render_kw={"autocomplete": "off"},
    )
    contact = TextAreaField(
        _l("Contact details (optional)"),
        description=_l("Phone number, email or address. Stored encrypted."),
        validators=[Optional(), Length(max=500)],
    )
    role = _role()
    starts_on = _starts_on()
    ends_on = _ends_on()


class CommitmentForm(FlaskForm):
    committed_on = DateField(
        _l("Commitment given on"),
        description=_l("The day the member signed or otherwise gave the commitment."),
        default=helsinki_today,
        validators=[InputRequired(_l("Enter the day the commitment was given.")), _not_in_future],
    )


class FlowForm(FlaskForm):
    direction = RadioField(
        _l("Direction"),
        choices=[SelectChoice(d.value, label) for d, label in FLOW_DIRECTIONS.items()],
        validators=[InputRequired(_l("Choose the direction of the flow."))],
    )
    channel = RadioField(
        _l("Channel"),
        choices=[SelectChoice(c.value, label) for c, label in FLOW_CHANNELS.items()],
        validators=[InputRequired(_l("Choose the channel."))],
    )
    subject = TextAreaField(
        _l("What information flows"),
        description=_l("For example: changes of the release date."),
        validators=[DataRequired(_l("Describe what information flows.")), Length(max=500)],
    )
    practice = TextAreaField(
        _l("Who informs whom of what, and when"),
        description=_l(
            "For example: probation informs the responsible worker of a changed release date "
            "within a day."
        ),
        validators=[DataRequired(_l("Describe who informs whom, and when.")), Length(max=1000)],
    )
    agreed_on = DateField(
        _l("Agreed on"),
        default=helsinki_today,
        validators=[InputRequired(_l("Enter the day it was agreed.")), _not_in_future],
    )
    agreed_with_client = BooleanField(
        _l("The client has agreed to this information flow"),
        validators=[
            DataRequired(_l("An information flow is recorded only as agreed with the client."))
        ],
    )


class ConfirmForm(FlaskForm):
    """A button-only action (end a membership or an agreement): CSRF is all it carries."""


class EndMembershipForm(FlaskForm):
    """The confirmation page of ending a membership by hand: why it ends."""

    reason = TextAreaField(
        _l("Why the membership ends"),
        description=_l(
            "For example: added by mistake, or the client no longer wants this member in the "
            "network. Stored encrypted."
        ),
        validators=[
            DataRequired(_l("Write down why the membership ends.")),
            Length(max=2000, message=_l("At most %(max)d characters.")),
        ],
    )
