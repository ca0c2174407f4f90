"""Prison and probation staff: send an SHL § 35 notification, follow what they sent.

Only staff of a prison or probation office (``OrgKind.sends_care_notifications``) reach
these pages. What they see of a sent notification is its state (``app.intake.rules``),
never the case: the county's record stays the county's.
"""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from app.extensions import db_session
from app.intake import commands as intake_commands
from app.intake import queries as intake_queries
from app.intake.rules import notification_reference, sends_notifications
from app.models import Organisation, OrgKind, Role
from app.models.intake import ConsentManner, NotificationPath
from app.security import allow, current_actor, current_keyring, gate
from app.web.forms import refusals_shown_on
from app.web.partner import bp
from app.web.partner.notification_forms import StaffNotificationForm


@bp.app_template_global()
def sent_reference(notification_id: uuid.UUID) -> str:
    return notification_reference(notification_id)


@bp.route("/notifications")
@allow(Role.PARTNER, when=sends_notifications)
def notifications() -> str:
    sent = intake_queries.sent_notifications(
        db_session(), current_user.id, page=request.args.get("page", 1, type=int) or 1
    )
    return render_template("partner/notifications.html", sent=sent)


@bp.route("/notifications/new", methods=["GET", "POST"])
@allow(Role.PARTNER, when=sends_notifications)
def notification_new() -> Response | str | tuple[str, int]:
    form = StaffNotificationForm()
    form.county_id.choices = [SelectChoice("", gettext("Choose"))] + [
        SelectChoice(str(county.id), county.name)
        for county in db_session().scalars(
            select(Organisation)
            .where(Organisation.kind == OrgKind.COUNTY)
            .order_by(Organisation.name)
        )
    ]
    if request.method == "GET":
        return render_template("partner/notification_new.html", form=form)
    if form.validate_on_submit():
        with refusals_shown_on(form):
            sent = intake_commands.send_staff_notification(
                db_session(),
                gate(),
                current_keyring(),
                current_actor(),
                intake_commands.StaffNotification(
                    county_id=_uuid(form.county_id.data),
                    name=form.name.data or "",
                    identity_code=form.identity_code.data,
                    need=form.need.data or "",
                    path=NotificationPath(form.path.data),
                    consent_manner=ConsentManner(form.consent_manner.data)
                    if form.consent_manner.data
                    else None,
                    no_consent_reason=form.no_consent_reason.data,
                    contacted_on=form.contacted_on.data,
                    conditional_release=form.conditional_release.data,
                ),
                notifier_name=current_user.display_name,
            )
            flash(
                gettext(
                    "The notification was sent to the county's intake. Its reference is "
                    "%(reference)s.",
                    reference=notification_reference(sent.id),
                ),
                "info",
            )
            return redirect(url_for("partner.notifications"))
    return render_template("partner/notification_new.html", form=form), 400


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None
