"""The caseload, the client overview and its actions, and recording a work-task reason.

The overview shows where the client stands: the phase timeline with the key release
dates, the responsible worker (omatyöntekijä) and team with their history, and the
parallel plans of other organisations. Every action re-renders the overview with the
user's input and the errors (status 400) when it does not validate.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_date, gettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.cases import commands as case_commands
from app.cases import queries as case_queries
from app.cases.facts import load_case_contexts
from app.cases.rules import build_timeline, current_appointment
from app.extensions import db_session
from app.i18n import helsinki_today
from app.models import (
    ClientPlan,
    NetworkMember,
    Organisation,
    Phase,
    ResponsibleWorker,
    Role,
    User,
)
from app.models.case import Client
from app.models.parallel_plan import ParallelPlan, ParallelPlanKind
from app.partner_work import queries as partner_queries
from app.refusals import Refused
from app.security import allow, current_actor, gate
from app.web.caseworker import bp
from app.web.caseworker.context import ClientPage, client_or_404, client_page, list_names
from app.web.caseworker.forms import WorkTaskForm
from app.web.caseworker.overview_forms import (
    PARALLEL_PLAN_KINDS,
    AppointForm,
    ConfirmForm,
    KeyDatesForm,
    ParallelPlanForm,
    PhaseForm,
    TeamAddForm,
)
from app.web.forms import refusals_shown_on
from consent.base import utcnow
from consent.decision import decide
from consent.facts import AccessRequest, Action, Purpose
from consent.sections import DataScope
from sharing.fields import sealed

# The newest updates from the network shown with the client's timeline (the rest: the list).
UPDATES_ON_OVERVIEW = 5


@bp.app_template_global()
def parallel_plan_kind_label(kind: ParallelPlanKind) -> str:
    return str(PARALLEL_PLAN_KINDS[kind])


@bp.route("/clients")
@allow(Role.CASEWORKER)
def caseload() -> str:
    """The county's clients, soonest release first; the home page is the dashboard."""
    page_no = request.args.get("page", 1, type=int)
    selected = request.args.get("phase", type=Phase)  # None when absent or not a phase
    page = case_queries.county_caseload(
        db_session(), current_user.organisation_id, phase=selected, page=page_no
    )
    names = list_names([row.client for row in page.rows])
    return render_template(
        "caseworker/home.html",
        page=page,
        rows=list(zip(page.rows, names, strict=True)),
        phases=list(Phase),
        selected=selected,
    )


# -- the overview ------------------------------------------------------------------------


@bp.route("/clients/<uuid:client_id>")
@allow(Role.CASEWORKER)
@client_page
def client(page: ClientPage) -> str | tuple[str, int]:
    return _overview(page)


def _overview(page: ClientPage, status: int = 200, **bound: Any) -> tuple[str, int]:
    """Render the overview; ``bound`` holds a submitted form that failed, by its prefix."""
    case, actor, today = page.case, page.actor, helsinki_today()
    history = case_queries.appointments(db_session(), case.id)
    team = case_queries.team(db_session(), case.id)
    colleagues = case_queries.county_caseworkers(db_session(), case.county_id)
    plans = case_queries.parallel_plans(db_session(), case.id)
    members = (
        db_session()
        .scalars(
            select(NetworkMember)
            .where(NetworkMember.case_id == case.id)
            .options(joinedload(NetworkMember.organisation))
            .order_by(NetworkMember.starts_on, NetworkMember.id)
        )
        .all()
    )
    texts = gate().read_texts(
        actor,
        [
            sealed(page.client, Client.identity_code_ct),
            *(
                pair
                for p in plans
                for pair in (
                    sealed(p, ParallelPlan.owner_name_ct),
                    sealed(p, ParallelPlan.reference_ct),
                )
            ),
            *(
                pair
                for m in members
                for pair in (
                    sealed(m, NetworkMember.person_name_ct),
                    sealed(m, NetworkMember.role_ct),
                )
            ),
        ],
        purpose=Purpose.CASE_WORK,
    )
    identity_code, plan_texts = texts[0], texts[1 : 1 + 2 * len(plans)]
    member_texts = texts[1 + 2 * len(plans) :]
    client_plan = db_session().scalar(
        select(ClientPlan)
        .where(ClientPlan.case_id == case.id)
        .options(selectinload(ClientPlan.sections))
    )
    forms = {
        "phase": PhaseForm(case.phase, formdata=None),
        "dates": KeyDatesForm(formdata=None, obj=case),
        "appoint": _appoint_form(colleagues, history, formdata=None, starts_on=today),
        "team": _team_form(colleagues, team, history, formdata=None),
        "plan": _plan_form(formdata=None),
    }
    forms.update(bound)
    html = render_template(
        "caseworker/client.html",
        page=page,
        case=case,
        today=today,
        identity_code=identity_code,
        timeline=build_timeline(case, case_queries.phase_changes(db_session(), case.id), today),
        dates_change=case_queries.last_release_dates_change(db_session(), case.id),
        history=history,
        current=current_appointment(history),
        team=team,
        plans=[(p, plan_texts[2 * i], plan_texts[2 * i + 1]) for i, p in enumerate(plans)],
        members=[(m, member_texts[2 * i], member_texts[2 * i + 1]) for i, m in enumerate(members)],
        client_plan=client_plan,
        updates=partner_queries.record_updates(db_session(), case.id, per_page=UPDATES_ON_OVERVIEW),
        forms=forms,
    )
    return html, status


def _appoint_form(
    colleagues: list[User], history: list[ResponsibleWorker], **kwargs: Any
) -> AppointForm:
    current = current_appointment(history)
    form = AppointForm(**kwargs)
    form.worker.choices = [SelectChoice("", gettext("Choose the worker"))] + [
        SelectChoice(str(u.id), u.display_name)
        for u in colleagues
        if current is None or u.id != current.worker_id
    ]
    return form


def _team_form(
    colleagues: list[User],
    team: case_queries.Team,
    history: list[ResponsibleWorker],
    **kwargs: Any,
) -> TeamAddForm:
    current = current_appointment(history)
    taken = team.current_ids | ({current.worker_id} if current else set())
    form = TeamAddForm(**kwargs)
    form.user.choices = [SelectChoice("", gettext("Choose a colleague"))] + [
        SelectChoice(str(u.id), u.display_name) for u in colleagues if u.id not in taken
    ]
    return form


def _plan_form(**kwargs: Any) -> ParallelPlanForm:
    form = ParallelPlanForm(**kwargs)
    organisations = db_session().scalars(select(Organisation).order_by(Organisation.name)).all()
    form.organisation.choices = [SelectChoice("", gettext("Not in the directory"))] + [
        SelectChoice(str(o.id), o.name) for o in organisations
    ]
    return form


def _done(page: ClientPage, message: str, anchor: str) -> Response:
    """Say what was done, and return to the overview (or, when the change took away this
    user's own access to the client, to the caseload); the edge commits.

    The pure decision is asked only to choose where to go, so that the user is not sent
    to a refusal (and a logged denial); the gate still guards every page. It reads the
    change, which the command has flushed.
    """
    flash(message, "info")
    context = load_case_contexts(db_session(), [page.client.id]).get(page.client.id)
    asked = AccessRequest(
        page.actor, page.client.id, Action.READ, Purpose.CASE_WORK, utcnow(), DataScope.BASIC
    )
    if not decide(asked, context).allowed:
        flash(gettext("You no longer work on this client's case."), "info")
        return redirect(url_for("caseworker.home"))
    return redirect(url_for("caseworker.client", client_id=page.client.id, _anchor=anchor))


@bp.route("/clients/<uuid:client_id>/phase", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def change_phase(page: ClientPage) -> Response | tuple[str, int]:
    form = PhaseForm(page.case.phase)
    if form.validate_on_submit():
        with refusals_shown_on(form):
            case_commands.change_phase(
                db_session(), page.case, Phase(form.phase.data), current_user.id
            )
            return _done(page, gettext("The case was moved to a new phase."), "timeline")
    return _overview(page, 400, phase=form)


@bp.route("/clients/<uuid:client_id>/dates", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def key_dates(page: ClientPage) -> Response | tuple[str, int]:
    form = KeyDatesForm()
    if form.validate_on_submit():
        with refusals_shown_on(form), dates_shown_in_locale():
            changed = case_commands.save_release_dates(
                db_session(),
                page.case,
                current_user.id,
                sentence_start=form.sentence_start.data,
                conditional_release=form.conditional_release.data,
                probation_start=form.probation_start.data,
                probation_end=form.probation_end.data,
            )
            message = (
                gettext("Key dates saved.") if changed else gettext("The key dates did not change.")
            )
            return _done(page, message, "key-dates")
    return _overview(page, 400, dates=form)


@contextmanager
def dates_shown_in_locale() -> Iterator[None]:
    """Write the dates a refusal names as the user's locale writes them (``1.3.2025``)."""
    try:
        yield
    except Refused as refusal:
        for name, value in refusal.params.items():
            if isinstance(value, date):
                refusal.params[name] = format_date(value, "medium")
        raise


@bp.route("/clients/<uuid:client_id>/responsible-worker", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def appoint_worker(page: ClientPage) -> Response | tuple[str, int]:
    case = page.case
    colleagues = case_queries.county_caseworkers(db_session(), case.county_id)
    form = _appoint_form(colleagues, case_queries.appointments(db_session(), case.id))
    if form.validate_on_submit():
        worker = next((u for u in colleagues if str(u.id) == form.worker.data), None)
        with refusals_shown_on(form), dates_shown_in_locale():
            case_commands.appoint(
                db_session(), case, worker, form.starts_on.data, current_user.id, helsinki_today()
            )
            return _done(
                page,
                gettext(
                    "%(name)s is now the responsible worker.",
                    name=worker.display_name if worker else "",
                ),
                "responsible-worker",
            )
    return _overview(page, 400, appoint=form)


@bp.route("/clients/<uuid:client_id>/team", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def add_team_member(page: ClientPage) -> Response | tuple[str, int]:
    case = page.case
    colleagues = case_queries.county_caseworkers(db_session(), case.county_id)
    team = case_queries.team(db_session(), case.id)
    history = case_queries.appointments(db_session(), case.id)
    form = _team_form(colleagues, team, history)
    if form.validate_on_submit():
        user = next(u for u in colleagues if str(u.id) == form.user.data)  # a validated choice
        with refusals_shown_on(form):
            case_commands.add_team_member(db_session(), case, user, current_user.id)
            return _done(
                page,
                gettext("%(name)s was added to the case team.", name=user.display_name),
                "team",
            )
    return _overview(page, 400, team=form)


@bp.route("/clients/<uuid:client_id>/team/<uuid:team_member_id>/remove", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def remove_team_member(page: ClientPage, team_member_id: uuid.UUID) -> Response | tuple[str, int]:
    if not ConfirmForm().validate_on_submit():
        return _overview(page, 400)
    case_commands.remove_team_member(db_session(), page.case, team_member_id, current_user.id)
    return _done(page, gettext("Removed from the case team."), "team")


@bp.route("/clients/<uuid:client_id>/parallel-plans", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def add_parallel_plan(page: ClientPage) -> Response | tuple[str, int]:
    form = _plan_form()
    if form.validate_on_submit():
        with refusals_shown_on(form):
            case_commands.record_parallel_plan(
                db_session(),
                gate(),
                page.actor,
                page.case,
                kind=ParallelPlanKind(form.kind.data),
                organisation_id=uuid.UUID(form.organisation.data)
                if form.organisation.data
                else None,
                owner_name=form.owner_name.data,
                reference=form.reference.data,
                made_on=form.made_on.data,
                review_on=form.review_on.data,
            )
            return _done(page, gettext("Parallel plan recorded."), "parallel-plans")
    return _overview(page, 400, plan=form)


@bp.route("/clients/<uuid:client_id>/parallel-plans/<uuid:plan_id>/end", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def end_parallel_plan(page: ClientPage, plan_id: uuid.UUID) -> Response | tuple[str, int]:
    if not ConfirmForm().validate_on_submit():
        return _overview(page, 400)
    case_commands.end_parallel_plan(db_session(), page.case, plan_id, current_user.id)
    return _done(page, gettext("The parallel plan was marked ended."), "parallel-plans")


# -- a colleague without a relationship --------------------------------------------------


@bp.route("/clients/<uuid:client_id>/work-task", methods=["POST"])
@allow(Role.CASEWORKER)
def record_work_task(client_id: uuid.UUID) -> Response | tuple[str, int]:
    client, case = client_or_404(client_id)
    actor = current_actor()
    gate().check(actor, client.id, Action.READ, Purpose.LIST, DataScope.NAME)  # same county, or 404
    form = WorkTaskForm()
    if not form.validate_on_submit():
        return render_template("caseworker/work_task.html", client_id=client.id, form=form), 400
    case_commands.record_work_task(db_session(), gate(), actor, case, form.reason.data)
    flash(
        gettext("Reason recorded. You have access to this client until the end of today."), "info"
    )
    return redirect(url_for("caseworker.client", client_id=client.id))
