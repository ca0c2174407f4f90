"""The release-day checklist (nivelvaihe): services secured across the release transition.

The checklist is generated from the client's key dates (housing, income and Kela, health
and substance-use services, debt, work or study, identity documents, the first meeting
after release, and probationary-liberty planning when a probationary liberty is recorded)
and then tailored: items added, due dates and responsibles changed, items marked done or
not needed, or removed. Every action re-renders the page with the user's input and the
errors (status 400) when it does not validate; a closed case can be read, not changed
(``client_page`` answers 409).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.extensions import db_session
from app.i18n import helsinki_today
from app.labels import MEMBER_KINDS
from app.models import NetworkMember, Role
from app.models.partner import PartnerUpdate
from app.models.release import ChecklistItem, ItemState, ReleaseTask
from app.partner_work import queries as partner_queries
from app.partner_work.queries import RecordUpdate
from app.refusals import Conflict
from app.release import commands as checklist
from app.release.queries import Candidates, candidates, item_of, items
from app.release.rules import Responsible, is_overdue, release_day
from app.security import allow, gate
from app.web.caseworker import bp
from app.web.caseworker.context import ClientPage, client_page
from app.web.caseworker.overview_forms import ConfirmForm
from app.web.caseworker.release_forms import ItemForm, NotNeededForm
from app.web.forms import refusals_shown_on
from consent.base import utcnow
from consent.facts import Actor, Purpose
from sharing.fields import sealed

RELEASE_TASKS = {
    ReleaseTask.HOUSING_APPLICATION: _l("Housing application"),
    ReleaseTask.KELA_SOCIAL_ASSISTANCE: _l("Application for basic social assistance (Kela)"),
    ReleaseTask.BANK_ACCOUNT: _l("Bank account and online banking codes"),
    ReleaseTask.IDENTITY_CARD: _l("Identity card or passport"),
    ReleaseTask.HEALTH_CARE: _l("Health care after release"),
    ReleaseTask.SUBSTANCE_SERVICES: _l("Substance-use services after release"),
    ReleaseTask.DEBT_ADVICE: _l("Debts and debt advice"),
    ReleaseTask.WORK_OR_STUDY: _l("Work or study"),
    ReleaseTask.FIRST_MEETING: _l("First meeting after release"),
    ReleaseTask.PROBATION_PLANNING: _l("Plan for supervised probationary liberty"),
}
RELEASE_TASK_HINTS = {
    ReleaseTask.HOUSING_APPLICATION: _l(
        "A rental flat or supported housing applied for three months before release day."
    ),
    ReleaseTask.KELA_SOCIAL_ASSISTANCE: _l(
        "Sent a month before release day, so that the client has an income from the first day."
    ),
    ReleaseTask.BANK_ACCOUNT: _l("Kela pays benefits only to a bank account."),
    ReleaseTask.IDENTITY_CARD: _l("The bank, Kela and landlords ask for a valid document."),
    ReleaseTask.HEALTH_CARE: _l("Appointments booked and medication available from release day."),
    ReleaseTask.SUBSTANCE_SERVICES: _l("The first appointment booked for the release week."),
    ReleaseTask.DEBT_ADVICE: _l(
        "The debts mapped and an appointment made with financial and debt advice."
    ),
    ReleaseTask.WORK_OR_STUDY: _l(
        "Employment services, a study place, a work trial or rehabilitative work agreed."
    ),
    ReleaseTask.FIRST_MEETING: _l("On release day, or on the next working day."),
    ReleaseTask.PROBATION_PLANNING: _l(
        "Made with the prison and the probation office; planning starts at the earliest a "
        "year before the conditional release."
    ),
}
REMOVED = _l("This item has been removed: put it back on the checklist first.")
ITEM_STATES = {
    ItemState.OPEN: _l("Open"),
    ItemState.DONE: _l("Done"),
    ItemState.NOT_NEEDED: _l("Not needed"),
    ItemState.NOT_POSSIBLE: _l("Cannot be done"),
}


@bp.app_template_global()
def release_task_label(task: ReleaseTask) -> str:
    return str(RELEASE_TASKS[task])


@bp.app_template_global()
def release_task_hint(task: ReleaseTask) -> str:
    return str(RELEASE_TASK_HINTS[task])


@bp.app_template_global()
def checklist_state_label(state: ItemState) -> str:
    return str(ITEM_STATES[state])


@dataclass
class Texts:
    """What the page decrypted: item texts by item id, person names by member id."""

    titles: dict[uuid.UUID, str] = field(default_factory=dict)
    notes: dict[uuid.UUID, str] = field(default_factory=dict)
    reasons: dict[uuid.UUID, str] = field(default_factory=dict)
    names: dict[uuid.UUID, str] = field(default_factory=dict)
    reports: dict[uuid.UUID, str] = field(default_factory=dict)  # by update id

    def title(self, item: ChecklistItem) -> str:
        return release_task_label(item.task) if item.task else self.titles.get(item.id, "")

    def member(self, member: NetworkMember) -> str:
        if member.organisation is not None:
            return member.organisation.name
        return self.names.get(member.id, "")

    def responsible(self, item: ChecklistItem) -> str | None:
        if item.responsible_member is not None:
            return self.member(item.responsible_member)
        return item.responsible_user.display_name if item.responsible_user else None


def read_texts(
    actor: Actor,
    items: list[ChecklistItem],
    members: list[NetworkMember],
    reports: Sequence[RecordUpdate] = (),
) -> Texts:
    """Decrypt the items' texts, the people's names and the partners' report notes in one
    gate call."""
    columns = (ChecklistItem.title_ct, ChecklistItem.note_ct, ChecklistItem.not_needed_reason_ct)
    people = {m.id: m for m in members if m.organisation is None}
    refs = [sealed(i, c) for i in items for c in columns]
    refs += [sealed(m, NetworkMember.person_name_ct) for m in people.values()]
    refs += [sealed(r.update, PartnerUpdate.text_ct) for r in reports]
    if not refs:
        return Texts()
    values = iter(gate().read_texts(actor, refs, purpose=Purpose.CASE_WORK))
    texts = Texts()
    for item in items:
        for target in (texts.titles, texts.notes, texts.reasons):
            if (value := next(values)) is not None:
                target[item.id] = value
    for member_id in people:
        texts.names[member_id] = next(values) or ""
    for report in reports:
        if (value := next(values)) is not None:
            texts.reports[report.update.id] = value
    return texts


def responsible_choices(
    people: Candidates, texts: Texts, current: ChecklistItem | None = None
) -> list[SelectChoice]:
    """The form's choices: nobody, the case's workers, then the members; an item's present
    responsible stays a choice even when no longer among them."""
    choices = [SelectChoice("", gettext("Not chosen yet"))]
    for user in people.workers:
        role = (
            gettext("responsible worker")
            if user.id == people.responsible_worker_id
            else gettext("case team")
        )
        choices.append(SelectChoice(f"user:{user.id}", f"{user.display_name} ({role})"))
    for member in people.members:
        kind = str(MEMBER_KINDS[member.kind])
        choices.append(SelectChoice(f"member:{member.id}", f"{texts.member(member)} ({kind})"))
    if current is not None:
        key = Responsible.of(current).key
        if key and all(c.value != key for c in choices):
            label = texts.responsible(current) or ""
            no_longer = gettext("no longer in the network or on the case")
            choices.append(SelectChoice(key, f"{label} ({no_longer})"))
    return choices


def _members(people: Candidates, rows: list[ChecklistItem]) -> list[NetworkMember]:
    members = {m.id: m for m in people.members}
    for item in rows:
        if item.responsible_member is not None:
            members.setdefault(item.responsible_member.id, item.responsible_member)
    return list(members.values())


# -- the checklist ------------------------------------------------------------------------


@bp.route("/clients/<uuid:client_id>/release")
@allow(Role.CASEWORKER)
@client_page
def release(page: ClientPage) -> tuple[str, int]:
    return _checklist_page(page)


def _checklist_page(
    page: ClientPage, status: int = 200, *, add: ItemForm | None = None, error: str | None = None
) -> tuple[str, int]:
    today = helsinki_today()
    case = page.case
    rows = items(db_session(), case.id)
    people = candidates(db_session(), case, utcnow())
    reports = partner_queries.task_reports(db_session(), case.id)
    texts = read_texts(page.actor, rows, _members(people, rows), list(reports.values()))
    if add is None:
        add = ItemForm(responsible_choices(people, texts), formdata=None)
    current = [i for i in rows if i.removed_at is None]
    return render_template(
        "caseworker/release.html",
        reports=reports,
        page=page,
        today=today,
        release_day=release_day(case.conditional_release, case.probation_start),
        items=current,
        removed=[i for i in rows if i.removed_at is not None],
        open_count=sum(1 for i in current if i.state is ItemState.OPEN),
        overdue={i.id for i in current if is_overdue(i, today)},
        texts=texts,
        add=add,
        error=error,
    ), status


def _back(page: ClientPage, message: str) -> Response:
    flash(message, "info")
    return redirect(url_for("caseworker.release", client_id=page.client.id))


@bp.route("/clients/<uuid:client_id>/release/generate", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def release_generate(page: ClientPage) -> Response | tuple[str, int]:
    if not ConfirmForm().validate_on_submit():
        return _checklist_page(page, 400, error=gettext("The form expired: try again."))
    result = checklist.generate(db_session(), page.case, current_user.id, utcnow())
    if result.added or result.updated:
        message = gettext(
            "Checklist updated: %(added)d tasks added, %(updated)d due dates updated.",
            added=result.added,
            updated=result.updated,
        )
    else:
        message = gettext("The checklist already has every task the dates call for.")
    return _back(page, message)


@bp.route("/clients/<uuid:client_id>/release/items", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def release_add(page: ClientPage) -> Response | tuple[str, int]:
    people = candidates(db_session(), page.case, utcnow())
    texts = read_texts(page.actor, [], people.members)
    form = ItemForm(responsible_choices(people, texts))
    if form.validate_on_submit():
        with refusals_shown_on(form):
            checklist.add_custom(
                db_session(),
                gate(),
                page.actor,
                page.case,
                people,
                title=form.title.data,
                due_on=form.due_on.data,
                responsible=Responsible.from_key(form.responsible.data),
                note=form.note.data,
                by_id=current_user.id,
            )
            return _back(page, gettext("Item added to the checklist."))
    return _checklist_page(page, 400, add=form)


# -- one item -----------------------------------------------------------------------------


def _item_or_404(page: ClientPage, item_id: uuid.UUID) -> ChecklistItem:
    item = item_of(db_session(), page.case.id, item_id)
    if item is None:
        abort(404)
    return item


def _item_page(
    page: ClientPage,
    item: ChecklistItem,
    status: int = 200,
    *,
    edit: ItemForm | None = None,
    skip: NotNeededForm | None = None,
    error: str | LazyString | None = None,
) -> tuple[str, int]:
    today = helsinki_today()
    people = candidates(db_session(), page.case, utcnow())
    texts = read_texts(page.actor, [item], _members(people, [item]))
    if edit is None:
        edit = ItemForm(
            responsible_choices(people, texts, item),
            with_title=item.task is None,
            formdata=None,
            title=texts.titles.get(item.id, ""),
            due_on=item.due_on,
            responsible=Responsible.of(item).key,
            note=texts.notes.get(item.id, ""),
        )
    return render_template(
        "caseworker/release_item.html",
        page=page,
        item=item,
        texts=texts,
        edit=edit,
        skip=skip or NotNeededForm(formdata=None),
        overdue=is_overdue(item, today),
        error=error,
    ), status


@bp.route("/clients/<uuid:client_id>/release/items/<uuid:item_id>", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def release_item(page: ClientPage, item_id: uuid.UUID) -> Response | tuple[str, int]:
    item = _item_or_404(page, item_id)
    if request.method != "POST":
        return _item_page(page, item)
    if item.removed_at is not None:
        return _item_page(page, item, 400, error=REMOVED)
    people = candidates(db_session(), page.case, utcnow())
    texts = read_texts(page.actor, [item], _members(people, [item]))
    form = ItemForm(responsible_choices(people, texts, item), with_title=item.task is None)
    if form.validate_on_submit():
        with refusals_shown_on(form):
            checklist.update(
                db_session(),
                gate(),
                page.actor,
                item,
                people,
                due_on=form.due_on.data,
                responsible=Responsible.from_key(form.responsible.data),
                note=form.note.data,
                title=form.title.data if item.task is None else None,
                by_id=current_user.id,
            )
            return _back(page, gettext("Item saved."))
    return _item_page(page, item, 400, edit=form)


def _finished(page: ClientPage, item: ChecklistItem, refusal: Conflict) -> tuple[str, int]:
    """The item page for an action that no longer fits the item (e.g. sent twice)."""
    return _item_page(page, item, 400, error=gettext(refusal.message, **refusal.params))


def _item_action(page: ClientPage, item_id: uuid.UUID) -> ChecklistItem | tuple[str, int]:
    """The item for a one-button action, or the page to show instead (status 400)."""
    item = _item_or_404(page, item_id)
    if not ConfirmForm().validate_on_submit():
        return _item_page(page, item, 400, error=gettext("The form expired: try again."))
    return item


def _change_state(
    page: ClientPage,
    item_id: uuid.UUID,
    change: Callable[[Session, ChecklistItem, uuid.UUID | None], None],
    message: str,
) -> Response | tuple[str, int]:
    """Apply a state change to a checklist item and go back, or say it had finished."""
    item = _item_action(page, item_id)
    if not isinstance(item, ChecklistItem):
        return item
    try:
        change(db_session(), item, current_user.id)
    except Conflict as refusal:
        return _finished(page, item, refusal)
    return _back(page, message)


@bp.route("/clients/<uuid:client_id>/release/items/<uuid:item_id>/done", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def release_item_done(page: ClientPage, item_id: uuid.UUID) -> Response | tuple[str, int]:
    return _change_state(page, item_id, checklist.mark_done, gettext("Marked done."))


@bp.route("/clients/<uuid:client_id>/release/items/<uuid:item_id>/not-needed", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def release_item_not_needed(page: ClientPage, item_id: uuid.UUID) -> Response | tuple[str, int]:
    item = _item_or_404(page, item_id)
    form = NotNeededForm()
    if not form.validate_on_submit():
        return _item_page(page, item, 400, skip=form)
    try:
        checklist.mark_not_needed(
            db_session(), gate(), page.actor, item, form.reason.data, current_user.id
        )
    except Conflict as refusal:
        return _finished(page, item, refusal)
    return _back(page, gettext("Marked not needed."))


@bp.route("/clients/<uuid:client_id>/release/items/<uuid:item_id>/reopen", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def release_item_reopen(page: ClientPage, item_id: uuid.UUID) -> Response | tuple[str, int]:
    return _change_state(page, item_id, checklist.reopen, gettext("The item is open again."))


@bp.route("/clients/<uuid:client_id>/release/items/<uuid:item_id>/remove", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def release_item_remove(page: ClientPage, item_id: uuid.UUID) -> Response | tuple[str, int]:
    return _change_state(
        page, item_id, checklist.remove, gettext("Item removed from the checklist.")
    )


@bp.route("/clients/<uuid:client_id>/release/items/<uuid:item_id>/restore", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def release_item_restore(page: ClientPage, item_id: uuid.UUID) -> Response | tuple[str, int]:
    return _change_state(
        page, item_id, checklist.restore, gettext("Item put back on the checklist.")
    )
