"""Forms of the service-need assessment: one form, a fieldset per area and per factor."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.assessment.rules import (
    FACTORS,
    TEXT_LIMIT,
    AssessmentInput,
    FactorInput,
    NeedInput,
    problems,
)
from app.labels import SECTIONS
from app.models.assessment import NeedLevel, Urgency
from consent.sections import SectionKind

NOT_RECORDED = ""  # the radio choice that leaves an answer open
YES, NO = "yes", "no"

NEED_LEVELS = {
    NeedLevel.NONE: _l("No need for support"),
    NeedLevel.SOME: _l("Some need for support"),
    NeedLevel.SIGNIFICANT: _l("Significant need for support"),
}
URGENCIES = {
    Urgency.URGENT: _l("Urgent: needs immediate help"),
    Urgency.NOT_URGENT: _l("Not urgent"),
}

# The model's desistance factors (DOMAIN.md "Desistance") and their groups, by code.
FACTOR_GROUPS: dict[str, LazyString] = {
    "preconditions": _l("Preconditions of a crime-free life"),
    "inner_change": _l("Inner change"),
    "inclusion": _l("Inclusion"),
    "continuity": _l("Continuity across release"),
    "ways_of_working": _l("Support and ways of working"),
}
FACTOR_LABELS: dict[str, LazyString] = {
    "sobriety": _l("Sobriety"),
    "close_relationships": _l("Close relationships"),
    "housing": _l("Housing"),
    "livelihood": _l("Livelihood"),
    "community": _l("Community and belonging"),
    "meaningful_everyday": _l("A meaningful everyday life of one's own"),
    "agency": _l("Participation, agency and self-efficacy"),
    "study_work": _l("Social inclusion, study and work"),
    "digital_inclusion": _l("Digital inclusion and digital services"),
    "release_continuity": _l("Continuity of services across release"),
    "probation_support": _l("Support during supervised probationary liberty"),
    "trust_opportunities": _l("Trust in the client and creating opportunities"),
    "relationship_work": _l(
        "Relationship-based work: a confidential relationship and respectful encounter"
    ),
    "ngo_peer_support": _l("Support from NGOs and peer experts"),
    "accessible_services": _l("Equal and accessible services"),
    "network_work": _l("Multi-agency network work"),
}


def _options(labels: dict[Any, Any]) -> list[SelectChoice]:
    """An enum's choices after one that leaves the answer open."""
    return [SelectChoice(NOT_RECORDED, _l("Not assessed yet"))] + [
        SelectChoice(value.value, label) for value, label in labels.items()
    ]


def _text(label: Any, description: Any = None) -> TextAreaField:
    return TextAreaField(
        label,
        description=description,
        validators=[Length(max=TEXT_LIMIT, message=_l("At most %(max)d characters."))],
    )


def _yes_no(label: Any) -> RadioField:
    return RadioField(
        label,
        choices=[
            SelectChoice(NOT_RECORDED, _l("Not recorded")),
            SelectChoice(YES, _l("Yes")),
            SelectChoice(NO, _l("No")),
        ],
        default=NOT_RECORDED,
    )


def _yes_no_value(value: str | None) -> bool | None:
    return {YES: True, NO: False}.get(value or "")


def _yes_no_data(value: bool | None) -> str:
    return NOT_RECORDED if value is None else YES if value else NO


class NeedForm(Form):
    """One area of life (a plan section)."""

    level = RadioField(
        _l("Need for support"),
        choices=_options(NEED_LEVELS),
        default=NOT_RECORDED,
    )
    client_view = _text(
        _l("The client's own view"),
        _l("In the client's own words, also where it differs from the assessment."),
    )
    professional_view = _text(_l("Professional assessment"))


class FactorForm(Form):
    """One desistance factor: addressed or not, and a note."""

    addressed = BooleanField(_l("Addressed"))
    note = _text(_l("Note"))


class AssessmentFormBase(FlaskForm):
    """The fields every assessment has; areas and factors are added below from the data."""

    version = HiddenField(default="0")
    contact_on = DateField(
        _l("Contact or notification received"),
        description=_l("The day the contact or notification reached social services."),
        validators=[Optional()],
    )
    urgency_assessed_on = DateField(
        _l("Urgency assessed on"),
        description=_l("The urgency of the need is assessed immediately (SHL § 36)."),
        validators=[Optional()],
    )
    urgency = RadioField(
        _l("Outcome of the urgency assessment"),
        choices=_options(URGENCIES),
        default=NOT_RECORDED,
    )
    started_on = DateField(_l("Assessment started on"), validators=[Optional()])
    completed_on = DateField(
        _l("Assessment completed on"),
        description=_l(
            "To complete the assessment, use “Mark completed”; change this to correct it."
        ),
        validators=[Optional()],
    )
    responsible_worker_needed = _yes_no(_l("Is a responsible worker (omatyöntekijä) needed?"))
    no_worker_reason = _text(
        _l("Why no responsible worker is needed"), _l("Required when the answer is no.")
    )
    participants = SelectMultipleField(
        _l("Network members who took part"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,  # checked below, with a message a worker understands
    )
    other_participants = _text(
        _l("Other participants"), _l("People or organisations not in the network, if any.")
    )
    client_took_part = _yes_no(_l("Did the client take part?"))

    def validate_participants(self, field: SelectMultipleField) -> None:
        allowed = {choice.value for choice in field.choices or []}
        if any(value not in allowed for value in field.data or []):
            raise ValidationError(_l("Choose participants from the client's own network."))

    # -- the areas and factors, generated from the data -------------------------------

    def areas(self) -> Iterator[tuple[SectionKind, FormField]]:
        for kind in SectionKind:
            yield kind, self[f"area_{kind.value}"]

    def factor_fields(self) -> Iterator[tuple[str, FormField]]:
        for factor in FACTORS:
            yield factor.code, self[f"factor_{factor.code}"]

    # -- between the form and the service -------------------------------------------

    def set_members(self, choices: Sequence[tuple[uuid.UUID, str]]) -> None:
        self.participants.choices = [
            SelectChoice(str(member_id), label) for member_id, label in choices
        ]

    def fill(self, data: AssessmentInput, version: int) -> None:
        """Show a stored assessment (only on GET; a POST keeps what the user typed)."""
        self.version.data = str(version)
        for name in ("contact_on", "urgency_assessed_on", "started_on", "completed_on"):
            self[name].data = getattr(data, name)
        self.urgency.data = data.urgency.value if data.urgency else NOT_RECORDED
        self.responsible_worker_needed.data = _yes_no_data(data.responsible_worker_needed)
        self.no_worker_reason.data = data.no_worker_reason
        self.participants.data = sorted(str(i) for i in data.participant_ids)
        self.other_participants.data = data.other_participants
        self.client_took_part.data = _yes_no_data(data.client_took_part)
        for kind, area in self.areas():
            need = data.need(kind)
            area.level.data = need.level.value if need.level else NOT_RECORDED
            area.client_view.data = need.client_view
            area.professional_view.data = need.professional_view
        for code, factor in self.factor_fields():
            noted = data.factor(code)
            factor.addressed.data = noted.addressed
            factor.note.data = noted.note

    def seen_version(self) -> int:
        value = self.version.data or "0"
        return int(value) if value.isdigit() else -1

    def to_input(self) -> AssessmentInput:
        """What the worker entered; values that failed their own field's check count as empty."""
        needs = {}
        for kind, area in self.areas():
            need = NeedInput(
                _choice(NeedLevel, area.level.data),
                (area.client_view.data or "").strip(),
                (area.professional_view.data or "").strip(),
            )
            if not need.empty:
                needs[kind] = need
        factors = {}
        for code, factor in self.factor_fields():
            noted = FactorInput(bool(factor.addressed.data), (factor.note.data or "").strip())
            if not noted.empty:
                factors[code] = noted
        return AssessmentInput(
            contact_on=self.contact_on.data,
            urgency_assessed_on=self.urgency_assessed_on.data,
            urgency=_choice(Urgency, self.urgency.data),
            started_on=self.started_on.data,
            completed_on=self.completed_on.data,
            responsible_worker_needed=_yes_no_value(self.responsible_worker_needed.data),
            no_worker_reason=(self.no_worker_reason.data or "").strip(),
            client_took_part=_yes_no_value(self.client_took_part.data),
            participant_ids=frozenset(_uuids(self.participants.data or [])),
            other_participants=(self.other_participants.data or "").strip(),
            needs=needs,
            factors=factors,
        )

    def validate_all(self, today: date) -> bool:
        """Each field, then the service's rules across fields (on fields without an error yet)."""
        valid = self.validate()
        found = problems(self.to_input(), today)
        for name, problem in found.items():
            if not self[name].errors:
                self[name].errors.append(gettext(problem.message))
        return valid and not found

    def error_list(self) -> list[tuple[str, str, str]]:
        """(field id, label, message) of every error, in page order, for the error summary."""
        found = []
        for f in self:
            if isinstance(f, FormField):
                found += [
                    (sub.id, f"{f.label.text}: {sub.label.text}", str(message))
                    for sub in f
                    for message in sub.errors
                ]
            elif f.errors and isinstance(f.errors, list):
                found += [(f.id, str(f.label.text), str(message)) for message in f.errors]
        return found


def _choice(enum_cls: Any, value: str | None) -> Any:
    try:
        return enum_cls(value) if value else None
    except ValueError:
        return None


def _uuids(values: Sequence[str]) -> Iterator[uuid.UUID]:
    for value in values:
        try:
            yield uuid.UUID(value)
        except ValueError:
            continue


class AssessmentForm(AssessmentFormBase):
    """The assessment form with a fieldset per area of life and per desistance factor."""


for _kind in SectionKind:
    setattr(AssessmentForm, f"area_{_kind.value}", FormField(NeedForm, label=SECTIONS[_kind]))
for _factor in FACTORS:
    setattr(
        AssessmentForm,
        f"factor_{_factor.code}",
        FormField(FactorForm, label=FACTOR_LABELS[_factor.code]),
    )


class CompleteForm(FlaskForm):
    """'Mark completed': the version the worker saw, so a stale page cannot complete."""

    version = HiddenField()

    def seen_version(self) -> int:
        value = self.version.data or ""
        return int(value) if value.isdigit() else -1
