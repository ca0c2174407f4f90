"""Administrators name a caseworker's team lead or deputy: one field on the account page.

A client's question about their access log goes to the responsible worker, except one
about that worker's own access: it goes to the worker named here
(``app.client_log.queries.waiting_for``). The field sits on the staff account page
(``admin/user.html`` includes ``admin/team_lead.html``), and posts here.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectField

from app.client_log.commands import NotATeamLead, set_team_lead
from app.client_log.queries import waiting_for_a_team_lead
from app.extensions import db_session
from app.models import Role, User
from app.models.team_lead import TeamLead
from app.security import allow
from app.web.admin import bp
from app.web.forms import flash_refusal


class TeamLeadForm(FlaskForm):
    lead = SelectField(
        _l("Team lead or deputy"),
        description=_l(
            "Answers a client's question about this worker's own use of the client's "
            "information, which the worker may not look into themselves."
        ),
        choices=[],
        validate_choice=False,  # the command checks the person named
    )


def team_lead_form(worker: User) -> TeamLeadForm:
    """The field for this caseworker: the county's other active caseworkers (one query)
    and the one named now (one more)."""
    colleagues = db_session().scalars(
        select(User)
        .where(
            User.role == Role.CASEWORKER,
            User.organisation_id == worker.organisation_id,
            User.active.is_(True),
            User.id != worker.id,
        )
        .order_by(User.display_name, User.username)
    )
    current = db_session().scalar(select(TeamLead.lead_id).where(TeamLead.worker_id == worker.id))
    form = TeamLeadForm(formdata=None, data={"lead": str(current) if current else ""})
    form.lead.choices = [("", gettext("Nobody named"))] + [
        (str(u.id), f"{u.display_name} ({u.username})") for u in colleagues
    ]
    return form


@bp.app_template_global("team_lead_form")
def _team_lead_form(worker: User) -> TeamLeadForm | None:
    return team_lead_form(worker) if worker.role is Role.CASEWORKER else None


@bp.app_template_global("log_queries_without_a_lead")
def _log_queries_without_a_lead(worker: User) -> int:
    """How many clients' questions about this worker wait because no team lead is named (a
    number only: nothing of the clients)."""
    return waiting_for_a_team_lead(db_session(), worker.id)


@bp.route("/users/<uuid:user_id>/team-lead", methods=["POST"])
@allow(Role.ADMIN)
def set_lead(user_id: uuid.UUID) -> Response:
    """Save the field; a refusal (a person who may not be named) is said on the page, which
    the redirect shows again (the field lives on a page drawn by ``views.user``)."""
    worker = db_session().get(User, user_id)
    if worker is None or worker.role is not Role.CASEWORKER:
        abort(404)
    form = TeamLeadForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        set_team_lead(db_session(), worker, _user(form.lead.data), by=current_user.id)
    except NotATeamLead as refusal:
        flash_refusal(refusal)
    else:
        flash(gettext("The team lead is saved."), "info")
    return redirect(url_for("admin.user", user_id=worker.id))


def _user(raw: str | None) -> User | None:
    """The user chosen (None: nobody). Not a user: refused like a person who may not be named."""
    if not raw:
        return None
    try:
        user = db_session().get(User, uuid.UUID(raw))
    except ValueError:
        raise NotATeamLead() from None
    if user is None:
        raise NotATeamLead()
    return user
