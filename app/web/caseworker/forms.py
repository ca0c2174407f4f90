from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class WorkTaskForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (work task)"),
        description=_l("For example: on-call duty covering for the responsible worker."),
        validators=[DataRequired(), Length(min=5, max=500)],
    )
