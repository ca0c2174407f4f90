from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.caseworker import bp
from app.caseworker.forms import WorkTaskForm
from app.extensions import db
from app.i18n import HELSINKI, helsinki_today
from app.models import (
    Case,
    CaseTeamMember,
    Client,
    ClientPlan,
    NetworkMember,
    Phase,
    ResponsibleWorker,
    Role,
    WorkTaskReason,
)
from app.security import allow, current_actor, gate
from app.services.caseload import county_caseload
from app.services.cases import latest_cases
from app.services.fields import field, sealed
from consent.decision import Action, Purpose, Reason
from consent.sections import DataScope
from sharing.errors import AccessDenied


@bp.route("/")
@allow(Role.CASEWORKER)
def home() -> str:
    phase = request.args.get("phase")
    page_no = request.args.get("page", 1, type=int)
    selected = Phase(phase) if phase in Phase.__members__.values() else None
    page = county_caseload(db.session, current_user.organisation_id, phase=selected, page=page_no)
    names = gate().read_texts(
        current_actor(),
        [sealed(row.client, "name_ct", DataScope.NAME) for row in page.rows],
        purpose=Purpose.LIST,
    )
    return render_template(
        "caseworker/home.html",
        page=page,
        rows=list(zip(page.rows, names, strict=True)),
        phases=list(Phase),
        selected=selected,
    )


def _client_or_404(client_id: uuid.UUID) -> tuple[Client, Case]:
    client = db.session.get(Client, client_id)
    case = latest_cases(db.session, [client_id]).get(client_id) if client else None
    if client is None or case is None:
        abort(404)
    return client, case


@bp.route("/clients/<uuid:client_id>")
@allow(Role.CASEWORKER)
def client(client_id: uuid.UUID) -> str | tuple[str, int]:
    client, case = _client_or_404(client_id)
    actor = current_actor()
    try:
        gate().check(actor, client.id, Action.READ, Purpose.CASE_WORK, DataScope.BASIC)
    except AccessDenied as denied:
        if denied.reason != Reason.DENIED_NO_RELATIONSHIP:
            raise
        return render_template(
            "caseworker/work_task.html", client_id=client.id, form=WorkTaskForm()
        ), 403
    name, identity_code = gate().read_texts(
        actor,
        [sealed(client, "name_ct", DataScope.NAME), sealed(client, "identity_code_ct")],
        purpose=Purpose.CASE_WORK,
    )
    case = db.session.scalars(
        select(Case)
        .where(Case.id == case.id)
        .options(
            selectinload(Case.responsible_workers).selectinload(ResponsibleWorker.worker),
            selectinload(Case.team).selectinload(CaseTeamMember.user),
        )
        .execution_options(populate_existing=True)
    ).one()
    members = db.session.scalars(
        select(NetworkMember)
        .where(NetworkMember.case_id == case.id)
        .options(selectinload(NetworkMember.organisation))
        .order_by(NetworkMember.starts_on)
    ).all()
    member_texts = gate().read_texts(
        actor,
        [pair for m in members for pair in (sealed(m, "person_name_ct"), sealed(m, "role_ct"))],
        purpose=Purpose.CASE_WORK,
    )
    plan = db.session.scalar(
        select(ClientPlan)
        .where(ClientPlan.case_id == case.id)
        .options(selectinload(ClientPlan.sections))
    )
    return render_template(
        "caseworker/client.html",
        client=client,
        case=case,
        name=name,
        identity_code=identity_code,
        members=[(m, member_texts[2 * i], member_texts[2 * i + 1]) for i, m in enumerate(members)],
        plan=plan,
        today=helsinki_today(),
    )


@bp.route("/clients/<uuid:client_id>/work-task", methods=["POST"])
@allow(Role.CASEWORKER)
def record_work_task(client_id: uuid.UUID) -> Response | tuple[str, int]:
    client, case = _client_or_404(client_id)
    actor = current_actor()
    gate().check(actor, client.id, Action.READ, Purpose.LIST, DataScope.NAME)  # same county, or 404
    form = WorkTaskForm()
    if not form.validate_on_submit():
        return render_template("caseworker/work_task.html", client_id=client.id, form=form), 400
    end_of_day = datetime.combine(helsinki_today() + timedelta(days=1), time.min, HELSINKI)
    reason = WorkTaskReason(
        case_id=case.id,
        client_id=client.id,
        user_id=current_user.id,
        reason_ct=b"",
        valid_until=end_of_day - timedelta(microseconds=1),
    )
    db.session.add(reason)
    db.session.flush()
    reason.reason_ct = gate().write_text(
        actor, field(reason, "reason_ct"), form.reason.data, purpose=Purpose.CASE_WORK
    )
    db.session.commit()
    flash(
        gettext("Reason recorded. You have access to this client until the end of today."), "info"
    )
    return redirect(url_for("caseworker.client", client_id=client.id))
