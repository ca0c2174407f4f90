"""Forms and translated labels for the partner pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from app.models.partner import PartnerUpdateKind
from app.partner_work.commands import UPDATE_TEXT_MAX
from consent.decision import BasisKind

UPDATE_KINDS = {
    PartnerUpdateKind.HOUSING_OFFER: _l("Housing offer made"),
    PartnerUpdateKind.DECISION_MADE: _l("Decision made"),
    PartnerUpdateKind.APPOINTMENT_KEPT: _l("Appointment kept"),
    PartnerUpdateKind.APPOINTMENT_MISSED: _l("Appointment missed"),
    PartnerUpdateKind.CONTACT_LOST: _l("We cannot reach the client"),
    PartnerUpdateKind.CONCERN: _l("Concern"),
    PartnerUpdateKind.OTHER: _l("Other"),
}
BASIS_KINDS = {
    BasisKind.CONSENT: _l("Consent"),
    BasisKind.STATUTORY: _l("Statutory disclosure"),
}


class UpdateForm(FlaskForm):
    kind = RadioField(
        _l("What is the update about?"),
        choices=[SelectChoice(kind.value, label) for kind, label in UPDATE_KINDS.items()],
        validators=[InputRequired(_l("Choose what the update is about."))],
    )
    text = TextAreaField(
        _l("Update"),
        description=_l(
            "For example: “A flat was offered from 1 March; the client has until Friday to "
            "accept.” At most %(max)d characters.",
            max=UPDATE_TEXT_MAX,
        ),
        validators=[
            DataRequired(_l("Write the update.")),
            Length(
                max=UPDATE_TEXT_MAX, message=_l("At most %(max)d characters.", max=UPDATE_TEXT_MAX)
            ),
        ],
    )


class ConfirmNoticeForm(FlaskForm):
    """Only the CSRF token: the button itself states what is confirmed."""
