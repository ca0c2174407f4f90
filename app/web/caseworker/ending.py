"""Ending pages: each service ended with the client, and closing the case.

DOMAIN.md process step 7 and requirement 7 (retention). The ending page lists the case's
services (network members and parallel services) with their endings; each service gets
its own page for recording its ending; closing has a confirmation page that says what
closing does before anything happens. A closed case is read-only here.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, gettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.wrappers import Response

from app.appointments.queries import future_booked_count
from app.ending import commands as ending_commands
from app.ending.commands import Assessment
from app.ending.queries import EndingView, read_ending, warnings_of_closing
from app.ending.rules import CloseWarning, CloseWarnings
from app.extensions import db_session
from app.i18n import helsinki_today
from app.labels import SERVICE_TASKS
from app.models import NetworkMember, Role, ServiceTask
from app.models.parallel_plan import ParallelPlan
from app.network.queries import read_network
from app.refusals import Conflict
from app.security import allow, gate
from app.web.caseworker import bp
from app.web.caseworker.context import ClientPage, client_page
from app.web.caseworker.ending_forms import (
    KEEP,
    YES,
    CloseCaseForm,
    ServiceEndingForm,
    chosen_service_task,
)
from app.web.forms import flash_refusal, refusals_shown_on
from consent.base import utcnow
from consent.facts import Purpose
from consent.status import MembershipStatus, membership_status
from sharing.fields import sealed

Page = str | tuple[str, int]


@bp.app_template_global()
def service_task_label(value: enum.StrEnum) -> str:
    return str(SERVICE_TASKS[ServiceTask(value)])


@bp.app_template_global()
def close_warning_text(warning: CloseWarning, warned: CloseWarnings) -> str:
    params = {
        name: format_date(value, "medium") if isinstance(value, date) else value
        for name, value in warned.params.items()
    }
    return gettext(warning.message, **params)


def _retention_override() -> int | None:
    """The ``retention_years`` setting that maintenance uses too (``None``: by service task)."""
    return getattr(current_app.extensions["tukiverkko.settings"], "retention_years", None)


def _view(page: ClientPage) -> EndingView:
    return read_ending(
        db_session(), gate(), page.actor, page.case, retention_override=_retention_override()
    )


def _closed(page: ClientPage) -> Response:
    """Back to the ending page, which says the case is closed (changes get 409 before this)."""
    return redirect(url_for("caseworker.ending", client_id=page.client.id))


# -- the ending page ----------------------------------------------------------------------


@bp.route("/clients/<uuid:client_id>/ending")
@allow(Role.CASEWORKER)
@client_page
def ending(page: ClientPage) -> Page:
    return render_template("caseworker/ending.html", page=page, view=_view(page))


# -- one service's ending -----------------------------------------------------------------


@bp.route("/clients/<uuid:client_id>/ending/members/<uuid:member_id>", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def ending_member(page: ClientPage, member_id: uuid.UUID) -> Page | Response:
    if page.case.closed_at is not None:
        return _closed(page)
    member = db_session().scalar(
        select(NetworkMember)
        .where(NetworkMember.id == member_id, NetworkMember.case_id == page.case.id)
        .options(selectinload(NetworkMember.organisation))
    )
    if member is None:
        abort(404)
    active = membership_status(member.membership(), utcnow()) is not MembershipStatus.ENDED
    form = ServiceEndingForm(ask_membership=active)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            with refusals_shown_on(form):
                try:
                    ending_commands.record_member_ending(
                        db_session(),
                        gate(),
                        page.actor,
                        case=page.case,
                        member=member,
                        assessment=_assessment(form),
                        keep_membership=active and form.membership.data == KEEP,
                    )
                except Conflict as refusal:
                    flash_refusal(refusal)
                    return redirect(url_for("caseworker.ending", client_id=page.client.id))
                if active and form.membership.data != KEEP:
                    message = gettext(
                        "The ending was recorded and the membership ended. The member's access "
                        "to the client's data ended at once."
                    )
                elif active:
                    message = gettext(
                        "The ending was recorded. The membership continues, as you chose."
                    )
                else:
                    message = gettext("The ending was recorded.")
                flash(message, "info")
                return redirect(
                    url_for("caseworker.ending", client_id=page.client.id, _anchor="endings")
                )
    view = read_network(db_session(), gate(), page.actor, page.case, member_id=member.id)
    html = render_template(
        "caseworker/ending_service.html",
        page=page,
        form=form,
        member=view.members[0],
        plan=None,
        action=url_for("caseworker.ending_member", client_id=page.client.id, member_id=member.id),
    )
    return (html, status) if status != 200 else html


@bp.route("/clients/<uuid:client_id>/ending/plans/<uuid:plan_id>", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def ending_plan(page: ClientPage, plan_id: uuid.UUID) -> Page | Response:
    if page.case.closed_at is not None:
        return _closed(page)
    plan = db_session().scalar(
        select(ParallelPlan)
        .where(ParallelPlan.id == plan_id, ParallelPlan.case_id == page.case.id)
        .options(joinedload(ParallelPlan.organisation))
    )
    if plan is None:
        abort(404)
    form = ServiceEndingForm(ask_membership=False)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            with refusals_shown_on(form):
                try:
                    ending_commands.record_plan_ending(
                        db_session(),
                        gate(),
                        page.actor,
                        case=page.case,
                        plan=plan,
                        assessment=_assessment(form),
                    )
                except Conflict as refusal:
                    flash_refusal(refusal)
                    return redirect(url_for("caseworker.ending", client_id=page.client.id))
                flash(gettext("The ending was recorded."), "info")
                return redirect(
                    url_for("caseworker.ending", client_id=page.client.id, _anchor="endings")
                )
    owner, reference = gate().read_texts(
        page.actor,
        [sealed(plan, ParallelPlan.owner_name_ct), sealed(plan, ParallelPlan.reference_ct)],
        purpose=Purpose.CASE_WORK,
    )
    html = render_template(
        "caseworker/ending_service.html",
        page=page,
        form=form,
        member=None,
        plan=plan,
        plan_owner=plan.organisation.name if plan.organisation else owner,
        plan_reference=reference,
        action=url_for("caseworker.ending_plan", client_id=page.client.id, plan_id=plan.id),
    )
    return (html, status) if status != 200 else html


def _assessment(form: ServiceEndingForm) -> Assessment:
    return Assessment(
        ended_on=form.ended_on.data,
        client_view=form.client_view.data or "",
        worker_assessment=form.worker_assessment.data or "",
        client_agreed=form.client_agreed.data == YES,
        continues=form.continues.data,
    )


# -- closing the case ---------------------------------------------------------------------


@bp.route("/clients/<uuid:client_id>/ending/close", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def ending_close(page: ClientPage) -> Page | Response:
    if page.case.closed_at is not None:
        return _closed(page)
    view = _view(page)
    warned = warnings_of_closing(db_session(), page.case, helsinki_today())
    form = CloseCaseForm(
        data=None if request.method == "POST" else {"service_task": page.case.service_task.value}
    )
    form.end_with_case.choices = [
        (str(row.member.id), row.label) for row in view.open_services if row.member
    ]
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            with refusals_shown_on(form):
                try:
                    ending_commands.close_case(
                        db_session(),
                        gate(),
                        page.actor,
                        case=page.case,
                        summary=form.summary.data or "",
                        end_with_case=_uuids(form.end_with_case.data or []),
                        early_reason=form.early_reason.data,
                        service_task=chosen_service_task(form.service_task),
                        retention_override=_retention_override(),
                        factors=form.factors.data or [],
                    )
                except ending_commands.ServicesStillOpen as still_open:
                    # The refusal names the members by id; the page names them as it lists them.
                    names = [
                        row.label
                        for row in view.open_services
                        if row.member and row.member.id in still_open.member_ids
                    ]
                    still_open.params["names"] = ", ".join(names) or gettext(
                        "a member added a moment ago"
                    )
                    raise
                flash(
                    gettext(
                        "The case was closed. All sharing ended at once: no network member can "
                        "read anything about the client any more."
                    ),
                    "info",
                )
                return redirect(url_for("caseworker.ending", client_id=page.client.id))
    html = render_template(
        "caseworker/ending_close.html",
        page=page,
        view=view,
        form=form,
        warned=warned,
        future_meetings=future_booked_count(db_session(), page.case.id, now=utcnow()),
    )
    return (html, status) if status != 200 else html


def _uuids(values: list[str]) -> set[uuid.UUID]:
    """The ids among the submitted values; anything else is ignored."""
    found = set()
    for value in values:
        try:
            found.add(uuid.UUID(str(value)))
        except ValueError:
            continue
    return found
