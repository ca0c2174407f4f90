"""Forms and translated labels for the ending pages: one service's ending, closing the case."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Field, RadioField, SelectChoice, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.assessment.rules import FACTORS
from app.ending.commands import TEXT_MAX
from app.i18n import helsinki_today
from app.labels import SERVICE_TASKS
from app.models import ServiceTask
from app.web.caseworker.assessment_forms import FACTOR_LABELS

END, KEEP = "end", "keep"
YES, NO = "yes", "no"


def _not_in_future(form: FlaskForm, field: Field) -> None:
    if field.data is not None and field.data > helsinki_today():
        raise ValidationError(_l("The date cannot be in the future."))


def _text(label: Any, description: Any, required: Any) -> TextAreaField:
    return TextAreaField(
        label,
        description=description,
        validators=[
            DataRequired(required),
            Length(max=TEXT_MAX, message=_l("At most %(max)d characters.")),
        ],
    )


class ServiceEndingForm(FlaskForm):
    """The ending of one service, assessed with the client.

    ``membership`` (end it, or keep it) is asked only for a member still in the network:
    construct with ``ask_membership=False`` otherwise and the field is removed.
    """

    ended_on = DateField(
        _l("Service ended on"),
        default=helsinki_today,
        validators=[InputRequired(_l("Enter the day the service ended.")), _not_in_future],
    )
    client_view = _text(
        _l("The client's own view"),
        _l("How the client sees the ending of this service, in their own words."),
        _l("Write down the client's own view."),
    )
    worker_assessment = _text(
        _l("Your assessment"),
        _l(
            "Your professional assessment, made with the client. Where your views differ, "
            "both are kept."
        ),
        _l("Write down your assessment."),
    )
    client_agreed = RadioField(
        _l("Does the client agree that this service ends?"),
        choices=[SelectChoice(YES, _l("Yes, the client agrees")), SelectChoice(NO, _l("No"))],
        validators=[InputRequired(_l("Choose whether the client agrees."))],
    )
    continues = TextAreaField(
        _l("What continues after (optional)"),
        description=_l(
            "For example: the NGO's peer group continues without the network; "
            "the client contacts the social-work helpline when needed."
        ),
        validators=[
            Optional(),
            Length(max=TEXT_MAX, message=_l("At most %(max)d characters.")),
        ],
    )
    membership = RadioField(
        _l("The member's place in the network"),
        choices=[
            SelectChoice(
                END,
                _l("End the membership now: the member's access to the client's data ends at once"),
            ),
            SelectChoice(
                KEEP,
                _l(
                    "Keep the membership: the member continues in the network (for example an "
                    "NGO continuing voluntarily) and keeps access under the consents in force"
                ),
            ),
        ],
        validators=[InputRequired(_l("Choose whether the membership ends or continues."))],
    )

    def __init__(self, *args: Any, ask_membership: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not ask_membership:
            del self.membership


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes for a multiple choice (rendered inside a fieldset by the template)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def service_task_field(description: Any) -> RadioField:
    """The service task (palvelutehtävä) of a case: it sets the retention period."""
    return RadioField(
        _l("Service task"),
        description=description,
        choices=[SelectChoice(task.value, label) for task, label in SERVICE_TASKS.items()],
        default=ServiceTask.ADULT_SOCIAL_WORK.value,
        validators=[Optional()],  # not sent: the case's own (closing) or the default (intake)
    )


def chosen_service_task(field: RadioField) -> ServiceTask | None:
    """The service task chosen in a ``service_task_field``, or None when none was sent."""
    return ServiceTask(field.data) if field.data else None


class CloseCaseForm(FlaskForm):
    service_task = service_task_field(
        _l(
            "The service task the case belonged to. It sets how long the records are kept "
            "after closing (Client Data Act 703/2023, annex)."
        )
    )
    summary = _text(
        _l("Reason for closing and a summary"),
        _l(
            "Why multi-agency work is no longer needed, how the work went, and what was "
            "agreed with the client. Stored encrypted."
        ),
        _l("Write down the reason for closing and a summary."),
    )
    # The choices are the services still open without an ending, set by the view. Ids no
    # longer on the list are ignored, so the check is the service's, not the widget's.
    end_with_case = MultiCheckboxField(
        _l("Services still open"),
        description=_l(
            "These members' services have no ending on record. Tick each one you end with the "
            "case, or record its ending first."
        ),
        choices=[],
        validate_choice=False,
    )
    # Coded choices in clear (the statistics count them); unknown codes are the service's refusal.
    factors = MultiCheckboxField(
        _l("Desistance factors in place at closing"),
        description=_l(
            "Tick the factors supporting a crime-free life that are in place now, as you and "
            "the client see them. Only the ticks are recorded; the county's statistics count "
            "them without names."
        ),
        choices=[SelectChoice(f.code, FACTOR_LABELS[f.code]) for f in FACTORS],
        validate_choice=False,
    )
    # Asked only when closing warns (before the release day, checklist tasks open).
    early_reason = TextAreaField(
        _l("Why close the case now"),
        description=_l(
            "Closing now ends all sharing before the release transition is over. Say why the "
            "case closes anyway. Stored encrypted."
        ),
        validators=[
            Optional(),
            Length(max=TEXT_MAX, message=_l("At most %(max)d characters.")),
        ],
    )
