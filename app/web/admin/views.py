from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from app.extensions import db_session
from app.models import Organisation, Role, User
from app.security import allow
from app.web.admin import bp


@bp.route("/")
@allow(Role.ADMIN)
def home() -> str:
    organisations = (
        db_session()
        .execute(
            select(Organisation, func.count(User.id))
            .outerjoin(User, User.organisation_id == Organisation.id)
            .group_by(Organisation.id)
            .order_by(Organisation.kind, Organisation.name)
        )
        .all()
    )
    by_role = dict(
        db_session().execute(select(User.role, func.count(User.id)).group_by(User.role)).all()
    )
    return render_template(
        "admin/home.html", organisations=organisations, by_role=by_role, roles=list(Role)
    )
