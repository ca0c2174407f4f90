"""The log review's flags and monthly summary.

``/log-review/flags``: the patterns found in a month of the reviewer's county's log
(``app.log_review.rules.flags``: many clients in a short time, reads outside office hours,
reads of closed cases, refused attempts, work tasks given again and again), each with its
review — who marked it reviewed, when, and their note — or a form to mark it.
``/log-review/summary``: the month's counts per flag kind and per outcome, to print. A
reviewer without an organisation chooses the county (or the whole service).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from app import security_log
from app.extensions import db_session
from app.log_review.commands import note_review, review_flag
from app.log_review.queries import MonthFlags, flagged_entry, month_flags
from app.log_review.rules import FlagRules, is_reviewer, month_bounds
from app.models import Organisation, OrgKind
from app.models.log_review import FlagKind
from app.refusals import Refused
from app.security import allow, current_actor
from app.settings import Settings
from app.web.forms import flash_refusal
from app.web.log_review import bp
from app.web.log_review.views import REVIEWER_ROLES
from consent.base import utcnow
from consent.status import HELSINKI

FLAG_KINDS = {
    FlagKind.MANY_CLIENTS: _l("Many clients opened in a short time"),
    FlagKind.OUTSIDE_HOURS: _l("Read outside office hours"),
    FlagKind.CLOSED_CASE: _l("Read of a closed case"),
    FlagKind.DENIED: _l("Refused attempt"),
    FlagKind.WORK_TASKS: _l("Work task given as the reason repeatedly"),
}


class FlagReviewForm(FlaskForm):
    kind = HiddenField(validators=[DataRequired()])
    entry = HiddenField(validators=[DataRequired()])
    month = HiddenField()
    county = HiddenField()
    note = TextAreaField(
        _l("What you found"),
        description=_l("Your own words for the self-supervision record; no client information."),
        validators=[DataRequired(), Length(max=1000)],
    )


def _month() -> tuple[str, datetime, datetime]:
    """The month asked for (``YYYY-MM``; default this one, Helsinki time) and its bounds."""
    raw = request.args.get("month") or utcnow().astimezone(HELSINKI).strftime("%Y-%m")
    try:
        since, until = month_bounds(raw)
    except ValueError:
        abort(400)
    return raw, since, until


def _county() -> uuid.UUID | None:
    """The county reviewed: the reviewer's own, or, for a reviewer of the whole service, the
    one chosen (none: the whole service). A county that does not exist is a 404."""
    own: uuid.UUID | None = current_user.organisation_id
    if own is not None:
        return own
    raw = request.values.get("county") or ""
    if not raw:
        return None
    try:
        chosen = uuid.UUID(raw)
    except ValueError:
        abort(404)
    county = db_session().get(Organisation, chosen)
    if county is None or county.kind is not OrgKind.COUNTY:
        abort(404)
    return chosen


def _rules() -> FlagRules:
    settings: Settings = current_app.extensions["tukiverkko.settings"]
    return FlagRules.of(settings)


def _counties() -> list[Organisation]:
    if current_user.organisation_id is not None:
        return []
    return list(
        db_session().scalars(
            select(Organisation)
            .where(Organisation.kind == OrgKind.COUNTY)
            .order_by(Organisation.name)
        )
    )


def _read(view: str) -> tuple[str, uuid.UUID | None, MonthFlags]:
    month, since, until = _month()
    county = _county()
    found = month_flags(db_session(), county, since, until, _rules())
    note_review(db_session(), current_actor(), {r.flag.client_id for r in found.rows}, utcnow())
    security_log.event(
        security_log.Kind.LOG_REVIEW,
        user_id=current_user.id,
        outcome=security_log.Outcome.SUCCESS,
        operation=view,
        month=month,
        county_id=county,
    )
    return month, county, found


@bp.route("/flags")
@allow(*REVIEWER_ROLES, when=is_reviewer)
def flags() -> str:
    month, county, found = _read("flags")
    return render_template(
        "log_review/flags.html",
        month=month,
        county=county,
        counties=_counties(),
        found=found,
        kinds=FLAG_KINDS,
        review_form=lambda row: FlagReviewForm(
            formdata=None,
            data={
                "kind": row.flag.kind.value,
                "entry": str(row.flag.entry_id),
                "month": month,
                "county": str(county) if county else "",
            },
            prefix=f"f{row.flag.entry_id.hex[:12]}{row.flag.kind.value[:3]}",
        ),
    )


@bp.route("/summary")
@allow(*REVIEWER_ROLES, when=is_reviewer)
def summary() -> str:
    month, county, found = _read("summary")
    chosen = db_session().get(Organisation, county) if county else None
    name = chosen.name if chosen is not None else None
    return render_template(
        "log_review/summary.html", month=month, county_name=name, found=found, kinds=FLAG_KINDS
    )


@bp.route("/flags/review", methods=["POST"])
@allow(*REVIEWER_ROLES, when=is_reviewer)
def review() -> Response:
    prefix = next((k.split("-")[0] for k in request.form if k.endswith("-note")), "")
    form = FlagReviewForm(prefix=prefix)
    back = url_for(
        "log_review.flags", month=form.month.data or None, county=form.county.data or None
    )
    if not form.validate_on_submit():
        flash(gettext("Write what you found."), "error")
        return redirect(back)
    try:
        kind, entry_id = FlagKind(form.kind.data), uuid.UUID(form.entry.data)
    except ValueError:
        abort(400)
    entry = flagged_entry(db_session(), entry_id, _county())
    if entry is None:
        abort(404)
    try:
        review_flag(db_session(), current_user.id, kind, entry, form.note.data or "", utcnow())
    except Refused as refusal:
        flash_refusal(refusal)
    else:
        flash(gettext("The flag is marked reviewed."), "info")
    return redirect(back)
