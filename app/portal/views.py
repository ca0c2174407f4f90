from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.models import Client, ResponsibleWorker, Role, User
from app.portal import bp
from app.security import allow, current_actor, gate
from app.services.cases import latest_cases
from consent.decision import Purpose
from sharing.envelope import FieldRef


@bp.route("/")
@allow(Role.CLIENT)
def home() -> str:
    client = db.session.get(Client, current_user.client_id)
    case = latest_cases(db.session, [client.id]).get(client.id) if client else None
    if client is None or case is None:
        abort(404)
    name = gate().read_text(
        current_actor(),
        FieldRef("clients", "name_ct", client.id, client.id),
        client.name_ct,
        purpose=Purpose.OWN_DATA,
    )
    worker = db.session.scalar(
        select(User)
        .join(ResponsibleWorker, ResponsibleWorker.worker_id == User.id)
        .where(ResponsibleWorker.case_id == case.id, ResponsibleWorker.ends_on.is_(None))
    )
    return render_template("portal/home.html", name=name, case=case, worker=worker)
