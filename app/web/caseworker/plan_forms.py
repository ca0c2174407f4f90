"""Forms of the client plan: a section, the plan's review date; labels for their values."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectChoice, SelectMultipleField
from wtforms import TextAreaField as _TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.models.plan import AgreementState
from app.plan.rules import MESSAGE_PARAMS, TEXT_LIMIT, SectionInput, problems
from consent.decision import Reason

AGREEMENT_STATES = {
    AgreementState.DRAFT: _l("Draft: not yet agreed with the client"),
    AgreementState.AGREED: _l("Agreed with the client"),
    AgreementState.DISAGREED: _l("The client disagrees, in whole or in part"),
}

# The fields of a section as the history and the differences name them.
FIELD_LABELS = {
    "goals": _l("Goals in the client's own words"),
    "measures": _l("Agreed measures and services"),
    "responsible": _l("Responsible network members"),
    "client_view": _l("The client's view"),
    "worker_view": _l("The worker's view"),
    "agreement": _l("Agreement with the client"),
    "review_on": _l("Section review date"),
}

# Why a member would not see a section, in plain words ("view as …").
PREVIEW_REASONS = {
    Reason.DENIED_NOT_IN_NETWORK: _l("They are not an active member of the network today."),
    Reason.DENIED_CASE_CLOSED: _l("The case is closed: nothing is shared any more."),
    Reason.DENIED_NO_CONSENT: _l("No consent from the client and no statutory basis covers them."),
    Reason.DENIED_REVOKED: _l("The client withdrew the consent that covered this."),
    Reason.DENIED_EXPIRED: _l("The consent or disclosure that covered this has expired."),
    Reason.DENIED_NOT_YET_VALID: _l("The consent that covers this is not valid yet."),
    Reason.DENIED_SECTION_NOT_IN_SCOPE: _l("The client's consent does not cover this section."),
    Reason.DENIED_PURPOSE: _l("The consent was given for another purpose."),
    Reason.DENIED_ROLE: _l("Only the county sees this."),
}
PREVIEW_REASON_OTHER = _l("Not shared with them.")
EXPIRED = _l("The page had expired. Check what you entered and save again.")


class TextAreaField(_TextAreaField):
    """A text area whose value uses plain line breaks, whatever the browser sent."""

    data: str | None  # WTForms' field value (WTForms is Any to mypy): the text, or None

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.replace("\r\n", "\n").replace("\r", "\n")


def _text(label: Any, description: Any = None) -> TextAreaField:
    return TextAreaField(
        label,
        description=description,
        validators=[Length(max=TEXT_LIMIT, message=_l("At most %(max)d characters."))],
    )


class SectionForm(FlaskForm):
    """One section of the plan; ``version`` is the version the worker started from."""

    version = HiddenField(default="0")
    goals = _text(
        FIELD_LABELS["goals"],
        _l("What the client wants to achieve, written as they say it."),
    )
    measures = _text(
        FIELD_LABELS["measures"],
        _l("What is done, by whom and when; services agreed on, also parallel ones."),
    )
    responsible = SelectMultipleField(
        FIELD_LABELS["responsible"],
        description=_l("Who carries out the measures. Only members of the client's network."),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,  # checked below, with a message a worker understands
    )
    client_view = _text(
        FIELD_LABELS["client_view"],
        _l("In the client's own words. Required when the client disagrees."),
    )
    worker_view = _text(
        FIELD_LABELS["worker_view"],
        _l("Required when the client disagrees: both views are kept."),
    )
    agreement = RadioField(
        FIELD_LABELS["agreement"],
        choices=[SelectChoice(state.value, label) for state, label in AGREEMENT_STATES.items()],
        default=AgreementState.DRAFT.value,
        validators=[InputRequired(message=_l("Choose where the section stands with the client."))],
        invalid_choice_message=_l("Choose where the section stands with the client."),
    )
    review_on = DateField(
        _l("Review this section by (optional)"),
        description=_l(
            "Only when this section is reviewed before the whole plan. For example 2025-03-31."
        ),
        validators=[Optional()],
    )

    field_order = (
        "goals",
        "measures",
        "responsible",
        "client_view",
        "worker_view",
        "agreement",
        "review_on",
    )

    def validate_responsible(self, field: SelectMultipleField) -> None:
        allowed = {choice.value for choice in field.choices or []}
        if any(value not in allowed for value in field.data or []):
            raise ValidationError(_l("Choose responsible members from the client's own network."))

    def set_members(self, choices: Sequence[tuple[uuid.UUID, str]]) -> None:
        self.responsible.choices = [SelectChoice(str(i), label) for i, label in choices]

    def fill(self, data: SectionInput, version: int) -> None:
        """Show a stored version (only on GET; a POST keeps what the user typed)."""
        self.version.data = str(version)
        for name in ("goals", "measures", "client_view", "worker_view", "review_on"):
            self[name].data = getattr(data, name)
        self.agreement.data = data.agreement.value
        self.responsible.data = sorted(str(i) for i in data.responsible_ids)

    def seen_version(self) -> int:
        value = self.version.data or "0"
        return int(value) if value.isdigit() else -1

    def to_input(self) -> SectionInput:
        """What the worker entered; values that failed their own field's check count as empty."""
        try:
            agreement = AgreementState(self.agreement.data)
        except ValueError:
            agreement = AgreementState.DRAFT
        return SectionInput(
            goals=(self.goals.data or "").strip(),
            measures=(self.measures.data or "").strip(),
            client_view=(self.client_view.data or "").strip(),
            worker_view=(self.worker_view.data or "").strip(),
            agreement=agreement,
            responsible_ids=frozenset(_uuids(self.responsible.data or [])),
            review_on=self.review_on.data,
        )

    def validate_all(
        self, *, allowed_members: Iterable[uuid.UUID], stored_review_on: date | None, today: date
    ) -> bool:
        """Each field, then the plan's rules across fields (on fields without an error yet)."""
        valid = self.validate()
        found = problems(
            self.to_input(),
            allowed_members=allowed_members,
            stored_review_on=stored_review_on,
            today=today,
        )
        for name, problem in found.items():
            if not self[name].errors:
                self[name].errors.append(gettext(problem.message, **MESSAGE_PARAMS))
        return valid and not found

    def error_list(self) -> list[tuple[str, str, str]]:
        """(field id, label, message) of every error, in page order, for the error summary."""
        return (
            [
                (self[name].id, str(self[name].label.text), str(message))
                for name in self.field_order
                for message in self[name].errors
            ]
            + [("", "", str(message)) for message in self.form_errors]
            + ([("", "", str(EXPIRED))] if self.csrf_token.errors else [])
        )


class ReviewDateForm(FlaskForm):
    """The date the whole plan is reviewed with the client and the network."""

    review_on = DateField(
        _l("Next review of the plan"),
        description=_l("For example 2025-03-31."),
        validators=[InputRequired(message=_l("Give the date of the plan's next review."))],
    )


def _uuids(values: Sequence[str]) -> Iterator[uuid.UUID]:
    for value in values:
        try:
            yield uuid.UUID(value)
        except ValueError:
            continue
