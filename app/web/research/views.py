"""The research pages: the approvals each reader may see, recording and ending one, and
making a study's extract.

- An administrator or the data-protection officer records and ends approvals: of their
  own county, or (without an organisation: the whole service's) of any county.
- The analyst an approval names makes its extract while it is valid: a CSV of coded facts
  under the study's pseudonyms (``app.research``). Making it is a POST: it writes the
  record of the extract and an entry on each included client's log.

Each approval recorded or ended and each extract made is written to the security log.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, SelectField, StringField, ValidationError
from wtforms.validators import InputRequired, Length

from app import security_log
from app.extensions import db_session
from app.i18n import helsinki_today
from app.models import Role
from app.models.research import ResearchApproval
from app.refusals import Refused
from app.research import commands, queries, rules
from app.security import allow, current_keyring
from app.web.forms import flash_refusal, refusals_shown_on
from app.web.research import bp
from consent.base import utcnow

APPROVERS = (Role.ADMIN, Role.DATA_PROTECTION)
READERS = (*APPROVERS, Role.ANALYST)


class ApprovalForm(FlaskForm):
    study_name = StringField(
        _l("Study"),
        validators=[InputRequired(_l("Write the study's name.")), Length(max=200)],
    )
    permit_reference = StringField(
        _l("Permit reference"),
        description=_l("Findata's data permit, or the county's own decision, by its number."),
        validators=[InputRequired(_l("Write the permit's reference.")), Length(max=100)],
    )
    requester = SelectField(
        _l("Analyst who makes the extracts"),
        description=_l("The study's data is the county of this analyst."),
        choices=[],
        validators=[InputRequired(_l("Choose the analyst."))],
    )
    valid_from = DateField(_l("Valid from"), validators=[InputRequired(_l("Give the first day."))])
    expires_on = DateField(_l("Valid until"), validators=[InputRequired(_l("Give the last day."))])

    def validate_expires_on(self, field: Any) -> None:
        first: date | None = self.valid_from.data
        if field.data is not None and first is not None and field.data < first:
            raise ValidationError(_l("The last day cannot be before the first."))


class ButtonForm(FlaskForm):
    """A POST button: the CSRF token alone."""


def _approval(approval_id: uuid.UUID) -> ResearchApproval:
    """The approval, if the caller may see it (else 404)."""
    approval = db_session().get(ResearchApproval, approval_id)
    if approval is None:
        abort(404)
    user = current_user
    if user.role is Role.ANALYST:
        visible = approval.requester_id == user.id
    else:
        visible = rules.may_approve(user.role, user.organisation_id, approval.county_id)
    if not visible:
        abort(404)
    return approval


@bp.route("/")
@allow(*READERS)
def home() -> str:
    return render_template(
        "research/home.html",
        rows=queries.approvals(db_session(), current_user),
        today=helsinki_today(),
        is_valid=rules.is_valid,
        approver=current_user.role in APPROVERS,
        button=ButtonForm(),
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(*APPROVERS)
def new() -> Response | str | tuple[str, int]:
    form = ApprovalForm()
    county = current_user.organisation_id
    form.requester.choices = [("", "–")] + [
        (str(user.id), f"{user.display_name} ({name})")
        for user, name in queries.analysts(db_session(), county)
    ]
    if form.validate_on_submit():
        with refusals_shown_on(form, {"requester": "requester"}):
            approval = commands.approve(
                db_session(),
                current_keyring(),
                current_user,
                requester_id=uuid.UUID(form.requester.data),
                study_name=form.study_name.data or "",
                permit_reference=form.permit_reference.data or "",
                valid_from=form.valid_from.data,
                expires_on=form.expires_on.data,
                today=helsinki_today(),
            )
            security_log.event(
                security_log.Kind.RESEARCH_APPROVAL,
                outcome=security_log.Outcome.SUCCESS,
                user_id=current_user.id,
                operation="approve",
                approval_id=str(approval.id),
                county_id=str(approval.county_id),
            )
            flash(gettext("The study's approval was recorded."), "info")
            return redirect(url_for("research.home"))
    html = render_template("research/new.html", form=form)
    return (html, 400) if form.is_submitted() else html


@bp.route("/<uuid:approval_id>/end", methods=["POST"])
@allow(*APPROVERS)
def end(approval_id: uuid.UUID) -> Response:
    approval = _approval(approval_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        commands.end(db_session(), approval, current_user, utcnow())
    except Refused as refusal:
        flash_refusal(refusal)
    else:
        security_log.event(
            security_log.Kind.RESEARCH_APPROVAL,
            outcome=security_log.Outcome.SUCCESS,
            user_id=current_user.id,
            operation="end",
            approval_id=str(approval.id),
        )
        flash(gettext("The approval ended. Its pseudonym key was destroyed."), "info")
    return redirect(url_for("research.home"))


@bp.route("/<uuid:approval_id>/extract", methods=["POST"])
@allow(Role.ANALYST)
def extract(approval_id: uuid.UUID) -> Response:
    approval = _approval(approval_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        made = commands.extract(
            db_session(),
            current_keyring(),
            approval,
            current_user,
            today=helsinki_today(),
            now=utcnow(),
        )
    except Refused as refusal:
        flash_refusal(refusal)
        return redirect(url_for("research.home"))
    security_log.event(
        security_log.Kind.RESEARCH_EXTRACT,
        outcome=security_log.Outcome.SUCCESS,
        user_id=current_user.id,
        approval_id=str(approval.id),
        clients=len(made.rows),
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(made.columns)
    writer.writerows(made.rows)
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": (
                f'attachment; filename="research-extract-{helsinki_today().isoformat()}.csv"'
            ),
            "Cache-Control": "no-store",
        },
    )
