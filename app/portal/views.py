from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.models import Client, ResponsibleWorker, Role, User
from app.portal import bp
from app.security import allow, current_actor, gate
from app.services.cases import latest_cases
from app.services.fields import sealed
from consent.decision import Purpose
from consent.sections import DataScope


@bp.route("/")
@allow(Role.CLIENT)
def home() -> str:
    client = db.session.get(Client, current_user.client_id)
    case = latest_cases(db.session, [client.id]).get(client.id) if client else None
    if client is None or case is None:
        abort(404)
    name = gate().read_texts(
        current_actor(), [sealed(client, "name_ct", DataScope.NAME)], purpose=Purpose.OWN_DATA
    )[0]
    worker = db.session.scalar(
        select(User)
        .join(ResponsibleWorker, ResponsibleWorker.worker_id == User.id)
        .where(ResponsibleWorker.case_id == case.id, ResponsibleWorker.ends_on.is_(None))
    )
    return render_template("portal/home.html", name=name, case=case, worker=worker)
