"""The log review's search and "as of" forms (GET: they change nothing, so no CSRF)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, ValidationError
from wtforms.validators import UUID, Length, Optional


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
