"""The client's own "Who could see my information then", in plain words.

The same reconstruction the data-protection officer and the responsible worker read
(``app.log_review.queries.as_of``) for the client's own record: at a day and time the
client chooses, which members of their network could read which parts of their plan, and
why; and whether their log of that day agrees. Linked from "Who has looked at my
information".
"""

from __future__ import annotations

from flask import render_template, request

from app.extensions import db_session
from app.labels import SECTIONS
from app.models import Role
from app.security import allow
from app.web.portal import bp
from app.web.portal.views import own_page
from app.web.who_could_see import AsOfForm, reconstruct


@bp.route("/log/who-could-see")
@allow(Role.CLIENT)
def who_could_see() -> str:
    page = own_page()
    form = AsOfForm(request.args)
    view = None
    if request.args and form.validate():
        view = reconstruct(db_session(), page.client.id, form)
    elif not request.args:
        form.default_to_now()
    return render_template("portal/who_could_see.html", form=form, view=view, sections=SECTIONS)
