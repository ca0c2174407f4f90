"""Forms of the release-day checklist: add an item, change one, record it not needed.

The responsible's choices are set by the view: the responsible worker, the case team and
the network members whose membership has not ended.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

DATE_HINT = _l("For example 2025-03-31.")
NOTE_MAX = 1000
REASON_MAX = 300


def responsible_field() -> SelectField:
    return SelectField(
        _l("Responsible"),
        choices=[],
        default="",
        invalid_choice_message=_l("Choose one of the people or members listed."),
        description=_l("A member of the network or a worker of the case."),
    )


class ItemForm(FlaskForm):
    """A custom item, or the changeable parts of any item (the title only when custom)."""

    title = StringField(
        _l("Task"),
        validators=[
            DataRequired(message=_l("Write what needs to be done.")),
            Length(max=200, message=_l("The task can be at most 200 characters long.")),
        ],
        description=_l("For example: Apply for a place in the day activity centre."),
    )
    due_on = DateField(_l("Due date (optional)"), validators=[Optional()], description=DATE_HINT)
    responsible = responsible_field()
    note = TextAreaField(
        _l("Note (optional)"),
        validators=[
            Length(max=NOTE_MAX, message=_l("The note can be at most 1,000 characters long."))
        ],
        description=_l("For example where the application was sent. At most 1,000 characters."),
    )

    def __init__(
        self, choices: list[SelectChoice], *, with_title: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(prefix="item", **kwargs)
        self.responsible.choices = choices
        if not with_title:
            del self.title


class NotNeededForm(FlaskForm):
    reason = StringField(
        _l("Why it is not needed"),
        validators=[
            DataRequired(message=_l("Say briefly why the client does not need this.")),
            Length(max=REASON_MAX, message=_l("The reason can be at most 300 characters long.")),
        ],
        description=_l("For example: the client keeps their current home."),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(prefix="skip", **kwargs)
