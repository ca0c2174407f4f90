from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select

from app.extensions import db
from app.i18n import helsinki_today
from app.models import NetworkMember, Role
from app.partner import bp
from app.security import allow


@bp.route("/")
@allow(Role.PARTNER)
def home() -> str:
    today = helsinki_today()
    active_memberships = db.session.scalar(
        select(func.count(NetworkMember.id)).where(
            NetworkMember.organisation_id == current_user.organisation_id,
            NetworkMember.starts_on <= today,
            (NetworkMember.ends_on.is_(None)) | (NetworkMember.ends_on >= today),
        )
    )
    return render_template(
        "partner/home.html", organisation=current_user.organisation, memberships=active_memberships
    )
