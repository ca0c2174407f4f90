"""Forms of the client overview: phase, key dates, responsible worker, team, parallel plans.

Each form has a prefix, so several can share the page without clashing ids.
"""

from __future__ import annotations

from typing import Any

from flask_babel import format_date, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from app.cases.rules import (
    PROBLEM_FIELD,
    DateProblem,
    earliest_probation_start,
    parallel_plan_problems,
    release_date_problems,
)
from app.labels import PHASES
from app.models import Phase
from app.models.parallel_plan import ParallelPlanKind

PARALLEL_PLAN_KINDS = {
    ParallelPlanKind.SENTENCE_PLAN: _l("Sentence plan (Rise)"),
    ParallelPlanKind.RELEASE_PLAN: _l("Release plan (Rise)"),
    ParallelPlanKind.PROBATIONARY_LIBERTY_PLAN: _l("Probationary liberty plan"),
    ParallelPlanKind.SUPERVISION_PLAN: _l("Supervision plan"),
    ParallelPlanKind.HEALTH_CARE_PLAN: _l("Health care plan"),
    ParallelPlanKind.EMPLOYMENT_PLAN: _l("Employment plan"),
    ParallelPlanKind.OTHER: _l("Other plan"),
}

DATE_HINT = _l("For example 2025-03-31.")


def _choose(label: Any) -> SelectChoice:
    return SelectChoice("", label)


class PhaseForm(FlaskForm):
    phase = SelectField(
        _l("Move the case to"),
        choices=[],  # set by the view: every phase but the current one and "closed"
        validators=[InputRequired(message=_l("Choose the phase."))],
        default="",
        invalid_choice_message=_l("Choose one of the phases listed."),
    )

    def __init__(self, current: Phase, **kwargs: Any) -> None:
        super().__init__(prefix="phase", **kwargs)
        self.phase.choices = [_choose(_l("Choose a phase"))] + [
            SelectChoice(p.value, PHASES[p]) for p in Phase if p not in (Phase.CLOSED, current)
        ]


class KeyDatesForm(FlaskForm):
    sentence_start = DateField(
        _l("Sentence started"), validators=[Optional()], description=DATE_HINT
    )
    conditional_release = DateField(
        _l("Expected conditional release"), validators=[Optional()], description=DATE_HINT
    )
    probation_start = DateField(
        _l("Supervised probationary liberty starts"),
        validators=[Optional()],
        description=_l("At most 6 months before the conditional release."),
    )
    probation_end = DateField(
        _l("Supervised probationary liberty ends"), validators=[Optional()], description=DATE_HINT
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(prefix="dates", **kwargs)

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        problems = release_date_problems(
            self.sentence_start.data,
            self.conditional_release.data,
            self.probation_start.data,
            self.probation_end.data,
        )
        for problem in problems:
            getattr(self, PROBLEM_FIELD[problem]).errors.append(self._message(problem))
        return not problems

    def _message(self, problem: DateProblem) -> str:
        if problem is DateProblem.PROBATION_TOO_EARLY:
            earliest = earliest_probation_start(self.conditional_release.data)
            return gettext(problem.message, date=format_date(earliest, "medium"))
        return gettext(problem.message)


class AppointForm(FlaskForm):
    worker = SelectField(
        _l("Responsible worker"),
        choices=[],  # set by the view: the county's caseworkers
        validators=[InputRequired(message=_l("Choose the worker."))],
        default="",
        invalid_choice_message=_l("Choose one of the county's caseworkers listed."),
    )
    starts_on = DateField(
        _l("From"),
        validators=[InputRequired(message=_l("Give the day the appointment starts."))],
        description=_l(
            "Today or earlier. The previous responsible worker's appointment ends the day before."
        ),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(prefix="appoint", **kwargs)


class TeamAddForm(FlaskForm):
    user = SelectField(
        _l("Colleague"),
        choices=[],  # set by the view: the county's caseworkers not yet in the team
        validators=[InputRequired(message=_l("Choose the colleague."))],
        default="",
        invalid_choice_message=_l("Choose one of the colleagues listed."),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(prefix="team", **kwargs)


class ParallelPlanForm(FlaskForm):
    kind = SelectField(
        _l("Plan"),
        choices=[_choose(_l("Choose the plan"))]
        + [SelectChoice(kind.value, label) for kind, label in PARALLEL_PLAN_KINDS.items()],
        validators=[InputRequired(message=_l("Choose the plan."))],
        default="",
        invalid_choice_message=_l("Choose one of the plans listed."),
    )
    organisation = SelectField(
        _l("Owner organisation"),
        choices=[],  # set by the view: the directory
        default="",
        invalid_choice_message=_l("Choose an organisation of the directory."),
        description=_l("Choose from the directory, or write the owner below."),
    )
    owner_name = StringField(
        _l("Owner, if not in the directory"),
        validators=[Length(max=200)],
        description=_l("For example the unit or the person who keeps the plan."),
    )
    reference = StringField(
        _l("Identifier or where to find it (optional)"),
        validators=[Length(max=200)],
        description=_l("Do not copy the plan's content here."),
    )
    made_on = DateField(_l("Made on (optional)"), validators=[Optional()], description=DATE_HINT)
    review_on = DateField(
        _l("Next review (optional)"), validators=[Optional()], description=DATE_HINT
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(prefix="plan", **kwargs)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        problems = parallel_plan_problems(
            bool(self.organisation.data),
            self.owner_name.data,
            self.made_on.data,
            self.review_on.data,
        )
        for name, problem in problems.items():
            getattr(self, name).errors.append(gettext(problem.message))
        return valid and not problems


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token (end a plan, remove a team member)."""
