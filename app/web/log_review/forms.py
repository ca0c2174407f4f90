"""The log review's search and "as of" forms (GET: they change nothing, so no CSRF)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, TimeField, ValidationError
from wtforms.validators import UUID, DataRequired, Length, Optional

from app.labels import SECTIONS
from app.log_review.rules import LOG_SCOPE
from consent.sections import DataScope, SectionKind, scope_key

SCOPES: dict[str, Any] = {
    **{scope_key(kind): SECTIONS[kind] for kind in SectionKind},
    scope_key(DataScope.NAME): _l("The client's name"),
    scope_key(DataScope.BASIC): _l("County-only details"),
    LOG_SCOPE: _l("The client's access log"),
}
"""Every scope a log entry names, with its label."""


def scope_choices() -> list[SelectChoice]:
    return [SelectChoice("", "–")] + [
        SelectChoice(value, str(label)) for value, label in SCOPES.items()
    ]


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search: it changes nothing

    client = StringField(
        _l("Client id"),
        validators=[Optional(), UUID(message=_l("Enter a client id."))],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    user = StringField(_l("User (username)"), validators=[Optional(), Length(max=120)])
    organisation = SelectField(_l("Organisation"), choices=[], default="")
    section = SelectField(_l("Part of the information"), choices=[], default="")
    outcome = SelectField(
        _l("Outcome"),
        default="",
        choices=[
            SelectChoice("", "–"),
            SelectChoice("allowed", _l("Allowed")),
            SelectChoice("denied", _l("Denied")),
        ],
    )
    since = DateField(_l("From (day)"), validators=[Optional()])
    until = DateField(_l("To (day)"), validators=[Optional()])

    def validate_until(self, field: Any) -> None:
        since: date | None = self.since.data
        if field.data is not None and since is not None and field.data < since:
            raise ValidationError(_l("The last day cannot be before the first."))


class AsOfForm(FlaskForm):
    class Meta:
        csrf = False  # a GET view: it changes nothing

    day = DateField(_l("Day"), validators=[DataRequired()])
    time = TimeField(_l("Time (Finnish time)"), validators=[DataRequired()])
