"""Forms of the client's own pages, in plain language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import InputRequired, Length, Regexp

from app.plan.rules import TEXT_LIMIT


class ClientViewForm(FlaskForm):
    """The client's own view of one plan section."""

    view = TextAreaField(
        _l("Your view"),
        description=_l(
            "Write in your own words what you think about this part of the plan: what is "
            "important to you, what you agree with and what you would change. At most "
            "%(max)d characters.",
            max=TEXT_LIMIT,
        ),
        validators=[
            Length(
                max=TEXT_LIMIT, message=_l("Your text is too long: at most %(max)d characters.")
            ),
        ],
        render_kw={"rows": 10},
    )
    # The version the client was looking at: a newer one means someone saved in between.
    seen = HiddenField(
        validators=[InputRequired(), Regexp(r"\A\d{1,9}\Z")],
    )

    @property
    def seen_version(self) -> int:
        return int(self.seen.data or 0)
