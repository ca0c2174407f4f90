"""Intake pages of the caseworker blueprint: the queue, a notification, recording one, search.

See ``app/intake/commands.py`` for the access design: a notification is recorded under an
intake work task and waits in the queue showing only metadata and the client's name; a
worker reads it in full under an intake work task of their own ("Read the notification"),
then takes it, appoints the responsible worker and starts the assessment: three buttons.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from app.cases import queries as case_queries
from app.cases.queries import latest_cases
from app.cases.rules import current_appointment
from app.extensions import db_session
from app.i18n import helsinki_today
from app.intake import commands as intake_commands
from app.intake import queries as intake_queries
from app.intake.search import client_with_identity_code, search_clients
from app.models import Case, Client, Organisation, OrgKind, Role, ServiceTask, User
from app.models.intake import (
    Channel,
    Notification,
    NotificationPath,
    NotificationStatus,
    NotifierKind,
)
from app.refusals import Conflict
from app.security import allow, current_actor, current_keyring, gate
from app.web.caseworker import bp
from app.web.caseworker.context import list_names
from app.web.caseworker.ending_forms import chosen_service_task
from app.web.caseworker.intake_forms import (
    CHANNELS,
    NOTIFIER_KINDS,
    PATHS,
    SHORT_PATHS,
    STATUSES,
    IntakeAppointForm,
    NotificationForm,
)
from app.web.forms import flash_refusal, refusals_shown_on
from consent.facts import Purpose
from consent.status import HELSINKI
from sharing.fields import sealed
from sharing.keys import Keyring

INTAKE_SEARCH_HITS = 10


@bp.app_context_processor
def _intake_navigation() -> dict[str, Any]:
    """The navigation's count of the county's unassigned notifications (one query)."""
    if not current_user or not current_user.is_authenticated:
        return {}
    if current_user.role is not Role.CASEWORKER or current_user.organisation_id is None:
        return {}
    return {
        "intake_unassigned": intake_queries.unassigned_count(
            db_session(), current_user.organisation_id
        )
    }


@bp.app_template_global()
def notifier_kind_label(value: str) -> str:
    return str(NOTIFIER_KINDS[NotifierKind(value)])


@bp.app_template_global()
def channel_label(value: str) -> str:
    return str(CHANNELS[Channel(value)])


@bp.app_template_global()
def notification_path_label(value: str, short: bool = False) -> str:
    return str((SHORT_PATHS if short else PATHS)[NotificationPath(value)])


@bp.app_template_global()
def notification_status_label(value: str) -> str:
    return str(STATUSES[NotificationStatus(value)])


def _keyring() -> Keyring:
    keyring: Keyring = current_keyring()
    return keyring


def _county_id() -> uuid.UUID:
    county_id: uuid.UUID = current_user.organisation_id
    return county_id


# -- the queue and one notification --------------------------------------------------------


@bp.route("/intake")
@allow(Role.CASEWORKER)
def intake() -> str:
    page = intake_queries.intake_queue(
        db_session(), _county_id(), page=request.args.get("page", 1, type=int)
    )
    names = list_names([row.client for row in page.rows])
    return render_template(
        "caseworker/intake_queue.html",
        page=page,
        rows=list(zip(page.rows, names, strict=True)),
    )


@bp.route("/intake/<uuid:notification_id>")
@allow(Role.CASEWORKER)
def intake_notification(notification_id: uuid.UUID) -> str | tuple[str, int]:
    return _notification_page(notification_id)


def _found(notification_id: uuid.UUID) -> tuple[Notification, Client, Case]:
    found = intake_queries.county_notification(db_session(), notification_id, _county_id())
    if found is None:
        abort(404)
    return found


def _notification_page(
    notification_id: uuid.UUID, appoint_form: IntakeAppointForm | None = None, status: int = 200
) -> str | tuple[str, int]:
    notification, client, case = _found(notification_id)
    actor = current_actor()
    # Without a relationship or a work task: metadata and the name only (a colleague may
    # list names, not open a case); "Read the notification" records the intake work task.
    readable = intake_queries.may_do_case_work(db_session(), actor, client.id)
    texts: dict[str, str | None] = {}
    if readable:
        name, need, notifier_name, reason = gate().read_texts(
            actor,
            [
                sealed(client, Client.name_ct),
                sealed(notification, Notification.need_ct),
                sealed(notification, Notification.notifier_name_ct),
                sealed(notification, Notification.no_consent_reason_ct),
            ],
            purpose=Purpose.CASE_WORK,
        )
        texts = {"need": need, "notifier_name": notifier_name, "reason": reason}
    else:
        name = gate().read_texts(actor, [sealed(client, Client.name_ct)], purpose=Purpose.LIST)[0]
    mine = (
        notification.status is NotificationStatus.ASSIGNED
        and notification.assigned_to_id == current_user.id
    )
    responsible = current_appointment(case_queries.appointments(db_session(), case.id))
    if mine and responsible is None and appoint_form is None:
        appoint_form = IntakeAppointForm(formdata=None)
        appoint_form.worker.data = str(current_user.id)
    if appoint_form is not None:
        _worker_choices(appoint_form, case)
    html = render_template(
        "caseworker/intake_notification.html",
        notification=notification,
        client=client,
        case=case,
        name=name,
        readable=readable,
        texts=texts,
        mine=mine,
        responsible=responsible,
        appoint_form=appoint_form,
        form=FlaskForm(),
    )
    return (html, status) if status != 200 else html


def _worker_choices(form: IntakeAppointForm, case: Case) -> list[User]:
    colleagues = case_queries.county_caseworkers(db_session(), case.county_id)
    form.worker.choices = [SelectChoice(str(user.id), user.display_name) for user in colleagues]
    return colleagues


def _intake_reason() -> str:
    return gettext(
        "Intake: reading a notification to decide on it, %(date)s",
        date=format_date(helsinki_today(), "medium"),
    )


def _back(notification_id: uuid.UUID) -> Response:
    return redirect(url_for("caseworker.intake_notification", notification_id=notification_id))


def _checked(notification_id: uuid.UUID) -> Notification:
    """The county's notification named, once the button's form (CSRF) checks out."""
    notification = _found(notification_id)[0]
    if not FlaskForm().validate_on_submit():
        abort(400)
    return notification


@bp.route("/intake/<uuid:notification_id>/read", methods=["POST"])
@allow(Role.CASEWORKER)
def intake_read(notification_id: uuid.UUID) -> Response:
    notification = _checked(notification_id)
    case = db_session().get_one(Case, notification.case_id)
    intake_commands.record_intake_work_task(
        db_session(), gate(), current_actor(), case, _intake_reason()
    )
    return _back(notification_id)


@bp.route("/intake/<uuid:notification_id>/assign", methods=["POST"])
@allow(Role.CASEWORKER)
def intake_assign(notification_id: uuid.UUID) -> Response:
    notification = _checked(notification_id)
    try:
        intake_commands.take(
            db_session(), gate(), current_actor(), notification, work_task_reason=_intake_reason()
        )
    except Conflict as refusal:
        flash_refusal(refusal)
        return _back(notification_id)
    flash(gettext("You took the notification. Next, appoint the responsible worker."), "info")
    return _back(notification_id)


@bp.route("/intake/<uuid:notification_id>/responsible-worker", methods=["POST"])
@allow(Role.CASEWORKER)
def intake_appoint(notification_id: uuid.UUID) -> Response | str | tuple[str, int]:
    notification, _, case = _found(notification_id)
    form = IntakeAppointForm()
    colleagues = _worker_choices(form, case)
    if form.validate_on_submit():
        worker = next((u for u in colleagues if str(u.id) == form.worker.data), None)
        try:
            with refusals_shown_on(form):
                intake_commands.appoint_responsible_worker(
                    db_session(), current_actor(), notification, worker
                )
                flash(
                    gettext(
                        "%(name)s is now the responsible worker.",
                        name=worker.display_name if worker else "",
                    ),
                    "info",
                )
                return _back(notification_id)
        except Conflict as refusal:
            flash_refusal(refusal)
            return _back(notification_id)
    return _notification_page(notification_id, appoint_form=form, status=400)


@bp.route("/intake/<uuid:notification_id>/assessment", methods=["POST"])
@allow(Role.CASEWORKER)
def intake_start_assessment(notification_id: uuid.UUID) -> Response:
    notification = _checked(notification_id)
    try:
        intake_commands.start_assessment(db_session(), current_actor(), notification)
    except Conflict as refusal:
        flash_refusal(refusal)
        return _back(notification_id)
    flash(gettext("The service-need assessment has started."), "info")
    return _back(notification_id)


# -- recording a notification --------------------------------------------------------------


def _organisation_choices(form: NotificationForm) -> None:
    organisations = db_session().scalars(select(Organisation).order_by(Organisation.name)).all()
    none = [SelectChoice("", gettext("Not given"))]
    form.prison_id.choices = none + [
        SelectChoice(str(org.id), org.name) for org in organisations if org.kind is OrgKind.PRISON
    ]
    form.notifier_organisation_id.choices = none + [
        SelectChoice(str(org.id), org.name) for org in organisations
    ]


def _county_client(raw_id: str | None) -> tuple[Client, Case] | None:
    """The client of this county named by a form value, with their newest case, or None."""
    try:
        client_id = uuid.UUID(raw_id or "")
    except ValueError:
        return None
    client = db_session().get(Client, client_id)
    case = latest_cases(db_session(), [client_id]).get(client_id) if client else None
    if (
        client is None
        or case is None
        or client.county_id != _county_id()
        or case.county_id != _county_id()
        or case.disposed_at is not None
    ):
        return None
    return client, case


def _optional_uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


def _work_task_reason(form: NotificationForm) -> str:
    return gettext(
        "Intake: recording a notification received on %(date)s",
        date=format_date(form.received_on.data, "medium"),
    )


def _service_task(form: NotificationForm) -> ServiceTask:
    """The service task of a case this notification opens (social work for adults unless said)."""
    return chosen_service_task(form.service_task) or ServiceTask.ADULT_SOCIAL_WORK


def _save(form: NotificationForm, chosen: tuple[Client, Case] | None) -> None:
    actor = current_actor()
    reason = _work_task_reason(form)
    if chosen is None:
        code = (form.identity_code.data or "").strip() or None
        _, case = intake_commands.create_client(
            db_session(),
            gate(),
            _keyring(),
            actor,
            intake_commands.NewClient(
                name=form.name.data or "",
                identity_code=code,
                prison_id=_optional_uuid(form.prison_id.data),
                conditional_release=form.conditional_release.data,
                service_task=_service_task(form),
            ),
            work_task_reason=reason,
        )
    else:
        client, case = chosen
        if case.closed_at is not None:  # a new notification opens a new case
            case = intake_commands.open_case(
                db_session(),
                client,
                _county_id(),
                _service_task(form),
            )
    intake_commands.record_notification(
        db_session(),
        gate(),
        actor,
        case,
        intake_commands.NotificationFacts(
            received_at=form.received_at(),
            contacted_on=form.contacted_on.data,
            notifier_kind=NotifierKind(form.notifier_kind.data),
            channel=Channel(form.channel.data),
            need=form.need.data or "",
            path=NotificationPath(form.path.data),
            notifier_name=form.notifier_name.data,
            notifier_organisation_id=_optional_uuid(form.notifier_organisation_id.data),
            no_consent_reason=form.no_consent_reason.data,
        ),
        work_task_reason=reason,
    )


@bp.route("/intake/new", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
def intake_new() -> Response | tuple[str, int]:
    form = NotificationForm()
    _organisation_choices(form)
    status, searched, duplicate = 200, False, None
    if request.method == "GET":
        now = datetime.now(HELSINKI)
        form.contacted_on.data = form.received_on.data = helsinki_today()
        form.received_time.data = now.time().replace(second=0, microsecond=0)
        form.client_id.data = request.args.get("client", "")
    elif pick := request.form.get("pick"):
        form.client_id.data = pick
    elif request.form.get("action") == "change_client":
        form.client_id.data = ""
    elif request.form.get("action") == "search":
        searched = True
    else:
        chosen = _county_client(form.client_id.data)
        valid = form.validate()
        if chosen is None:
            if form.client_id.data:
                form.name.errors.append(gettext("Choose the client again."))
                form.client_id.data = ""
                valid = False
            valid = form.validate_new_client() and valid
        valid = form.validate_notification() and valid
        code = (form.identity_code.data or "").strip()
        if valid and chosen is None and code:
            duplicate = client_with_identity_code(db_session(), _keyring(), _county_id(), code)
            if duplicate is not None:
                form.identity_code.errors.append(
                    gettext("A client of your county already has this identity code.")
                )
                valid = False
        if valid:
            with refusals_shown_on(form):
                _save(form, chosen)
                flash(gettext("The notification was recorded and is in the intake queue."), "info")
                return redirect(url_for("caseworker.intake"))
        status = 400

    chosen = _county_client(form.client_id.data)
    if chosen is None:
        form.client_id.data = ""
    hits = []
    query = (form.q.data or "").strip()
    if searched and query:
        hits = search_clients(
            db_session(), _keyring(), _county_id(), query, per_page=INTAKE_SEARCH_HITS
        ).hits
    shown = [c for c in [chosen[0] if chosen else None, duplicate] if c is not None]
    shown += [hit.client for hit in hits]
    names = gate().read_texts(
        current_actor(),
        [sealed(c, Client.name_ct) for c in shown],
        purpose=Purpose.LIST,
    )
    name_of = {c.id: name for c, name in zip(shown, names, strict=True)}
    return render_template(
        "caseworker/intake_new.html",
        form=form,
        chosen=chosen,
        name_of=name_of,
        hits=hits,
        searched=searched,
        query=query,
        duplicate=duplicate,
    ), status


# -- finding a client ----------------------------------------------------------------------


@bp.route("/search")
@allow(Role.CASEWORKER)
def search() -> str:
    query = request.args.get("q", "").strip()
    result = search_clients(
        db_session(),
        _keyring(),
        _county_id(),
        query,
        page=request.args.get("page", 1, type=int),
    )
    names = list_names([hit.client for hit in result.hits])
    return render_template(
        "caseworker/search.html",
        query=query,
        result=result,
        rows=list(zip(result.hits, names, strict=True)),
    )
