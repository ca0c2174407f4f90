"""Forms and translated labels for the partner pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from app.labels import PARTNER_UPDATE_KINDS
from app.models.partner import TASK_REPORTS
from app.models.release import ItemState
from app.partner_work.commands import UPDATE_TEXT_MAX
from consent.decision import BasisKind

UPDATE_KINDS = PARTNER_UPDATE_KINDS
TASK_STATES = {
    ItemState.DONE: _l("Done"),
    ItemState.NOT_POSSIBLE: _l("Cannot be done"),
}
BASIS_KINDS = {
    BasisKind.CONSENT: _l("Consent"),
    BasisKind.STATUTORY: _l("Statutory disclosure"),
}


class UpdateForm(FlaskForm):
    kind = RadioField(
        _l("What is the update about?"),
        choices=[
            SelectChoice(kind.value, label)
            for kind, label in UPDATE_KINDS.items()
            if kind not in TASK_REPORTS
        ],
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


class TaskReportForm(FlaskForm):
    """A report on one task; each task's form has its own prefix, so ids stay unique.

    The form carries the page's one ``csrf_token`` field, which the app-wide ``CSRFProtect``
    checks before the view runs, rather than a token of its own under its prefix.
    """

    class Meta:
        csrf = False

    state = RadioField(
        _l("How is the task?"),
        choices=[SelectChoice(state.value, label) for state, label in TASK_STATES.items()],
        validators=[InputRequired(_l("Choose whether the task is done or cannot be done."))],
    )
    note = TextAreaField(
        _l("Note for the responsible worker"),
        description=_l(
            "Needed when the task cannot be done: say why. At most %(max)d characters.",
            max=UPDATE_TEXT_MAX,
        ),
        validators=[
            Length(
                max=UPDATE_TEXT_MAX, message=_l("At most %(max)d characters.", max=UPDATE_TEXT_MAX)
            )
        ],
    )


def task_form(item_id: object, *, submitted: bool = False) -> TaskReportForm:
    """The report form of one task (``submitted``: bound to the request's form data)."""
    prefix = f"task-{item_id}"
    if submitted:
        return TaskReportForm(prefix=prefix)
    return TaskReportForm(prefix=prefix, formdata=None)


class ConfirmNoticeForm(FlaskForm):
    """Only the CSRF token: the button itself states what is confirmed."""
