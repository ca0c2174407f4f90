"""Administrators: the cases due for disposal in the coming 90 days, a page at a time.

Never client data: a case's short reference, county, service task and disposal day
(``app.maintenance.queries``). A county's administrator sees their own county's cases, an
administrator of the whole service every county's. ``flask maintenance run`` disposes of
them on the day.
"""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from app.extensions import db_session
from app.i18n import helsinki_today
from app.labels import SERVICE_TASKS
from app.maintenance.queries import UPCOMING_DAYS, upcoming_disposals
from app.models import Role
from app.security import allow
from app.staff.commands import scope_of
from app.web.admin import bp


@bp.route("/disposals")
@allow(Role.ADMIN)
def disposals() -> str:
    listing = upcoming_disposals(
        db_session(),
        scope=scope_of(current_user),
        today=helsinki_today(),
        page=request.args.get("page", 1, type=int) or 1,
    )
    return render_template(
        "admin/disposals.html", listing=listing, days=UPCOMING_DAYS, tasks=SERVICE_TASKS
    )
