"""Forms and translated labels of the county-transfer pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SelectField
from wtforms.validators import DataRequired, InputRequired

from app.models.transfer import DeclineReason, TransferReason, TransferState

TRANSFER_REASONS = {
    TransferReason.MOVED: _l("The client's home county changed to this county"),
    TransferReason.MOVING_ON_RELEASE: _l("The client will live in this county after release"),
    TransferReason.CLIENT_REQUEST: _l("The client asked for the transfer"),
}
DECLINE_REASONS = {
    DeclineReason.NOT_RESIDENT: _l("The client's home county is not our county"),
    DeclineReason.NEEDS_INFORMATION: _l("We need to agree on more with you first"),
    DeclineReason.OTHER_COUNTY: _l("Another county is responsible"),
}
TRANSFER_STATES = {
    TransferState.PROPOSED: _l("Waiting for an answer"),
    TransferState.ACCEPTED: _l("Accepted"),
    TransferState.DECLINED: _l("Declined"),
    TransferState.WITHDRAWN: _l("Withdrawn"),
}


class ProposeTransferForm(FlaskForm):
    to_county = SelectField(
        _l("Receiving county"),
        description=_l("The county the client's case moves to when its caseworkers accept."),
        validators=[InputRequired(_l("Choose the county the client is moving to."))],
    )
    reason = RadioField(
        _l("Reason"),
        choices=[SelectChoice(k.value, v) for k, v in TRANSFER_REASONS.items()],
        validators=[InputRequired(_l("Choose the reason for the transfer."))],
    )


class DeclineTransferForm(FlaskForm):
    reason = RadioField(
        _l("Why do you decline?"),
        choices=[SelectChoice(k.value, v) for k, v in DECLINE_REASONS.items()],
        validators=[InputRequired(_l("Choose the reason for declining."))],
    )


class ConfirmForm(FlaskForm):
    """A button with its CSRF token: accepting or withdrawing asks nothing more."""


class AnswerSeenForm(FlaskForm):
    """Acknowledge the answer to a transfer (the notice's id in the form, not the URL)."""

    notice = HiddenField(validators=[DataRequired()])
