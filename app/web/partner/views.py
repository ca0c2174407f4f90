"""The partner's pages: shared clients, a client's shared sections, updates, notices.

A client the organisation may not read (never in the network, or in it without
any basis ever) is the same 404 as a client that does not exist: both pass
through the gate's denial (logged) and the one 404 page. A client whose basis
has ended gets a page that says so and nothing more.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Set

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from app.appointments.queries import organisation_appointments
from app.extensions import db_session
from app.i18n import helsinki_today
from app.labels import SECTIONS
from app.messages.queries import organisation_unread
from app.models import Role
from app.models.case import Client
from app.models.partner import PartnerUpdateKind
from app.models.plan import PlanSectionVersion
from app.models.release import ItemState
from app.partner_work import commands, queries
from app.partner_work.content import FIELD_LABELS, ContentPart, content_parts
from app.partner_work.rules import AccessState, ClientAccess, client_reference, sections_carried
from app.reminders.queries import reminders_of
from app.reminders.rules import ReminderKind, counted
from app.security import allow, current_actor, gate
from app.web.appointments import participant_label
from app.web.forms import refusals_shown_on
from app.web.partner import bp
from app.web.partner.forms import (
    BASIS_KINDS,
    UPDATE_KINDS,
    ConfirmNoticeForm,
    TaskReportForm,
    UpdateForm,
    task_form,
)
from consent.base import utcnow
from consent.decision import BasisKind
from consent.facts import Action, Purpose
from consent.sections import DataScope, SectionKind
from sharing.errors import AccessDenied
from sharing.fields import sealed

COOP = Purpose.NETWORK_COOPERATION


@bp.app_template_global()
def partner_update_kind_label(kind: PartnerUpdateKind) -> str:
    return str(UPDATE_KINDS[kind])


@bp.app_template_global()
def partner_basis_label(kind: BasisKind) -> str:
    return str(BASIS_KINDS[kind])


def _page_arg(name: str) -> int:
    return request.args.get(name, 1, type=int) or 1


@bp.route("/")
@allow(Role.PARTNER)
def home() -> str:
    actor = current_actor()
    organisation_id = _organisation_id()
    clients = queries.shared_clients(
        db_session(), organisation_id, at=utcnow(), page=_page_arg("page")
    )
    names = (
        gate().read_texts(
            actor,
            [sealed(row.client, Client.name_ct) for row in clients.rows],
            purpose=COOP,
        )
        if clients.rows
        else []
    )
    notices = queries.pending_notices(db_session(), organisation_id, page=_page_arg("notices"))
    meetings = organisation_appointments(
        db_session(), organisation_id, now=utcnow(), page=_page_arg("meetings")
    )
    return render_template(
        "partner/home.html",
        meetings=meetings,
        meeting_rows=[
            (
                row,
                client_reference(row.appointment.client_id, organisation_id),
                [participant_label(p) for p in row.participants],
            )
            for row in meetings.rows
        ],
        organisation=current_user.organisation,
        clients=clients,
        rows=list(zip(clients.rows, names, strict=True)),
        notices=notices,
        confirm_form=ConfirmNoticeForm(),
        overdue_tasks=counted(
            reminders_of(db_session(), current_user.id, Role.PARTNER, helsinki_today())
        )[ReminderKind.CHECKLIST_OVERDUE],
        unread=organisation_unread(db_session(), organisation_id, current_user.id, at=utcnow()),
    )


@bp.route("/clients/<uuid:client_id>")
@allow(Role.PARTNER)
def client(client_id: uuid.UUID) -> Response | tuple[str, int]:
    return _client_page(client_id, UpdateForm(formdata=None))


@bp.route("/clients/<uuid:client_id>/updates", methods=["POST"])
@allow(Role.PARTNER)
def send_update(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = UpdateForm()
    if not form.validate_on_submit():
        return _client_page(client_id, form, status=400)
    actor = current_actor()
    _, _, access = queries.client_access(db_session(), _organisation_id(), client_id, at=utcnow())
    if access.state is not AccessState.SHARED:
        return _refused(client_id, access)
    with refusals_shown_on(form):
        commands.record_update(
            db_session(),
            gate(),
            actor,
            client_id=client_id,
            kind=PartnerUpdateKind(form.kind.data),
            text=form.text.data or "",
        )
        # The text itself never goes into the (signed, not encrypted) session cookie.
        flash(gettext("Update sent to the client's responsible worker."), "info")
        return redirect(url_for("partner.client", client_id=client_id))
    return _client_page(client_id, form, status=400)


@bp.route("/clients/<uuid:client_id>/tasks/<uuid:item_id>", methods=["POST"])
@allow(Role.PARTNER)
def report_task(client_id: uuid.UUID, item_id: uuid.UUID) -> Response | tuple[str, int]:
    form = task_form(item_id, submitted=True)
    if not form.validate_on_submit():
        return _client_page(client_id, UpdateForm(formdata=None), status=400, task=(item_id, form))
    _, _, access = queries.client_access(db_session(), _organisation_id(), client_id, at=utcnow())
    if access.state is not AccessState.SHARED:
        return _refused(client_id, access)
    with refusals_shown_on(form):
        commands.report_task(
            db_session(),
            gate(),
            current_actor(),
            client_id=client_id,
            item_id=item_id,
            state=ItemState(form.state.data),
            note=form.note.data,
        )
        flash(gettext("The task's state was sent to the client's responsible worker."), "info")
        return redirect(url_for("partner.client", client_id=client_id) + "#tasks-heading")
    return _client_page(client_id, UpdateForm(formdata=None), status=400, task=(item_id, form))


@bp.route("/notices/<uuid:notice_id>/confirm", methods=["POST"])
@allow(Role.PARTNER)
def confirm_notice(notice_id: uuid.UUID) -> Response:
    form = ConfirmNoticeForm()
    if not form.validate_on_submit():
        abort(400)
    by_user_id = current_actor().user_id
    assert by_user_id is not None  # a signed-in partner's Actor carries their user id
    confirmed = commands.confirm_notice(
        db_session(), notice_id, organisation_id=_organisation_id(), by_user_id=by_user_id
    )
    if confirmed:
        flash(
            gettext("Thank you. The client can see that your organisation keeps no copy."), "info"
        )
    else:
        flash(gettext("A colleague had already confirmed this notice."), "info")
    return redirect(url_for("partner.home"))


# -- helpers -------------------------------------------------------------------------------


def _organisation_id() -> uuid.UUID:
    organisation_id = current_actor().organisation_id
    if organisation_id is None:  # partner accounts always belong to an organisation
        abort(403)
    return organisation_id


def _refused(client_id: uuid.UUID, access: ClientAccess) -> tuple[str, int]:
    """Log the denied attempt through the gate, then answer without revealing anything.

    :raises AccessDenied: (→ the plain 404) unless the organisation's access has ended.
    """
    try:
        gate().check(current_actor(), client_id, Action.READ, COOP, DataScope.NAME)
    except AccessDenied:
        if access.state is not AccessState.ENDED:
            raise
    return render_template("partner/ended.html"), 403


def _client_page(
    client_id: uuid.UUID,
    form: UpdateForm,
    status: int = 200,
    task: tuple[uuid.UUID, TaskReportForm] | None = None,
) -> Response | tuple[str, int]:
    actor = current_actor()
    organisation_id = _organisation_id()
    record, case, access = queries.client_access(
        db_session(), organisation_id, client_id, at=utcnow()
    )
    if record is None or case is None or access.state is not AccessState.SHARED:
        return _refused(client_id, access)
    sections = access.sections
    versions = queries.shared_versions(db_session(), case.id, sections)
    read = [kind for kind in sections if kind in versions]
    work = queries.client_work(db_session(), case, access)
    # Before the read's log entry (which may end the transaction): its consents are among the
    # facts gathered above.
    cover = queries.update_cover(db_session(), case.id, organisation_id, access, utcnow())
    texts = gate().read_texts(
        actor,
        [sealed(record, Client.name_ct)]
        + [sealed(versions[kind], PlanSectionVersion.content_ct) for kind in read],
        purpose=COOP,
        # The release day shown is read with them (one decision, one log entry).
        facts=[(client_id, SectionKind.RELEASE_TRANSITION)] if work.release_day else [],
    )
    contents = dict(zip(read, texts[1:], strict=True))
    forms = {item.id: task_form(item.id) for item in work.tasks}
    if task is not None and task[0] in forms:
        forms[task[0]] = task[1]
    updates = queries.sent_updates(db_session(), organisation_id, case.id, page=_page_arg("page"))
    blocks = cover.blocks()
    available = [kind.value for kind, block in blocks.items() if block is None]
    # Offered first, so the error summary's link to the group's first option finds one.
    form.kind.choices = sorted(
        form.kind.choices or [], key=lambda choice: choice.value not in available
    )
    meetings = organisation_appointments(
        db_session(), organisation_id, now=utcnow(), client_id=client_id, per_page=50
    )
    names = {kind: str(name) for kind, name in SECTIONS.items()}  # translated once a page
    known = {str(label) for label in FIELD_LABELS.values()}
    html = render_template(
        "partner/client.html",
        meeting_rows=[(r, [participant_label(p) for p in r.participants]) for r in meetings.rows],
        client_id=client_id,
        name=texts[0] or "",
        reference=client_reference(client_id, organisation_id),
        access=access,
        shown=[
            (kind, versions.get(kind), _labelled(contents.get(kind), known), access.bases_for(kind))
            for kind in sections
        ],
        updates=updates,
        form=form,
        available=available,
        unavailable=[
            (kind, block, _names(names, sections_carried(kind)))
            for kind, block in blocks.items()
            if block is not None
        ],
        cover=cover,
        covered=_names(names, cover.covered),
        work=work,
        task_forms=forms,
        goals=[(kind, _goals(contents.get(kind))) for kind in work.responsible_sections],
    )
    return html, status


def _names(names: Mapping[SectionKind, str], kinds: Iterable[SectionKind]) -> str:
    """Plan sections by their translated ``names``, in a sentence."""
    return ", ".join(names[kind] for kind in kinds)


def _goals(content: str | None) -> list[str]:
    """The goal lines of a section's content (empty when none are written)."""
    goals = str(FIELD_LABELS["goals"])
    return [line for part in content_parts(content) if part.label == goals for line in part.lines]


def _labelled(content: str | None, known: Set[str]) -> list[ContentPart]:
    """The section's parts with the ``known`` parts' labels (``FIELD_LABELS`` in the page's
    language) translated, the others as written."""
    return [
        ContentPart(gettext(part.label), part.lines) if part.label in known else part
        for part in content_parts(content)
    ]
