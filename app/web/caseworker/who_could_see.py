"""The responsible worker's view of who could see what of their client at a past moment.

For answering a client's question about their access log (linked from the question's page,
at the moment of the entry asked about): the same reconstruction the data-protection
officer reads (``app.log_review.queries.as_of``), for a client whose case the worker may
open. Reading it is entered in the client's log and the security log, as a review's is.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import render_template, request
from flask_login import current_user

from app import security_log
from app.extensions import db_session
from app.log_review.commands import note_review
from app.models import Role
from app.security import allow
from app.web.caseworker import bp
from app.web.caseworker.context import ClientPage, client_page
from app.web.who_could_see import AsOfForm, helsinki_moment, names, reconstruct
from consent.base import utcnow

# The question's page links here at the moment of the entry asked about.
bp.add_app_template_filter(helsinki_moment, "helsinki_moment")


@bp.route("/clients/<uuid:client_id>/who-could-see")
@allow(Role.CASEWORKER)
@client_page(answers_when_closed=True)
def who_could_see(page: ClientPage) -> str:
    form = AsOfForm(request.args)
    view = None
    if request.args and form.validate():
        view = reconstruct(db_session(), page.client.id, form)
        note_review(db_session(), page.actor, [page.client.id], utcnow())
        security_log.event(
            security_log.Kind.LOG_REVIEW,
            user_id=current_user.id,
            outcome=security_log.Outcome.SUCCESS,
            operation="as_of",
            client_id=page.client.id,
        )
    elif not request.args:
        form.default_to_now()
    helpers: dict[str, Callable[..., str]] = names()
    return render_template(
        "caseworker/who_could_see.html", page=page, form=form, view=view, **helpers
    )
