"""Administrators: the county's own settings: how much the answer to a client's log request
says about who processed their information (organisation, role and date, the default; or
also staff names and exact times), and whether the county joins the national pooled
statistics (``app.statistics.national``). A county's administrator edits their own
county's; an administrator of the whole service has no county and is told so. Each change
is written to the security log."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from app import security_log
from app.extensions import db_session
from app.log_requests.commands import set_county_detail
from app.log_requests.queries import county_detail
from app.models import Organisation, Role
from app.models.log_request import LogDetail
from app.security import allow
from app.staff.commands import scope_of
from app.statistics import national
from app.web.admin import bp
from app.web.log_request_document import DETAILS


class CountySettingsForm(FlaskForm):
    log_request_detail = RadioField(
        _l("What the answer to a log request shows"),
        description=_l(
            "Who processed the client's information: by default the organisation, the role "
            "and the date (KHO:2025:51 accepted this). Showing staff names and exact times "
            "tells the client more."
        ),
        choices=[SelectChoice(d.value, label) for d, label in DETAILS.items()],
        validators=[InputRequired(_l("Choose what the answer shows."))],
    )
    national_statistics = RadioField(
        _l("National statistics"),
        description=_l(
            "Whether the county's indicators join the national statistics: counts pooled with "
            "the other counties that joined, small counts hidden. The managers and analysts "
            "of every county that joined see the pooled figures."
        ),
        choices=[
            SelectChoice("yes", _l("The county joins the national statistics")),
            SelectChoice("no", _l("The county does not join")),
        ],
        # Shown checked as it stands; a post without it leaves the setting as it is.
        validators=[Optional()],
    )


@bp.route("/settings", methods=["GET", "POST"])
@allow(Role.ADMIN)
def county_settings() -> Response | str | tuple[str, int]:
    county_id = scope_of(current_user)
    county = db_session().get(Organisation, county_id) if county_id else None
    form = CountySettingsForm()
    if county is None:
        return render_template("admin/county_settings.html", county=None, form=form)
    if form.validate_on_submit():
        detail = LogDetail(form.log_request_detail.data)
        set_county_detail(db_session(), county.id, detail, by=current_user.id)
        if form.national_statistics.data in ("yes", "no"):
            joins = form.national_statistics.data == "yes"
            national.set_national(db_session(), county.id, joins, by=current_user.id)
        else:
            joins = national.has_joined(db_session(), county.id)
        security_log.event(
            security_log.Kind.COUNTY_SETTING,
            outcome=security_log.Outcome.SUCCESS,
            user_id=current_user.id,
            county_id=str(county.id),
            log_request_detail=detail.value,
            national_statistics=joins,
        )
        flash(gettext("The county's settings were saved."), "info")
        return redirect(url_for("admin.county_settings"))
    if not form.is_submitted():
        form.log_request_detail.data = county_detail(db_session(), county.id).value
        form.national_statistics.data = (
            "yes" if national.has_joined(db_session(), county.id) else "no"
        )
    html = render_template("admin/county_settings.html", county=county, form=form)
    return (html, 400) if form.is_submitted() else html
