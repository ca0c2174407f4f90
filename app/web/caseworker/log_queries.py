"""The responsible worker answers a client's "I don't recognise this" query.

A client who does not recognise an entry of "Who has looked at my information" asks the
responsible worker (omatyöntekijä) about it, or the worker's team lead when the entry
records the worker's own access; each query is named by its short reference (LQ-7K3M). No
worker is shown a query about their own access, here or on the dashboard: it is not theirs
to look into. The dashboard counts and lists the queries
waiting for the worker (``app/caseworker/dashboard.py``); here, under the client's record,
are the client's queries and each query's page: the entry as the client reads it and in
full (who, from which organisation, exactly when, for what purpose, allowed or refused,
on what basis, whether staff helped at the terminal), so that the worker can find out
who looked and why; the client's note; and the answer, stored encrypted, which the client
then reads on their own page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.client_log import queries as client_log
from app.client_log.commands import answer_query
from app.extensions import db_session
from app.models import Role, User, WorkTaskReason
from app.models.log_query import LogQuery, LogQueryStatus
from app.security import allow, gate
from app.web.access_log import describe
from app.web.caseworker import bp
from app.web.caseworker.context import ClientPage, client_page
from consent.facts import Purpose
from sharing.access_log import AccessLogEntry
from sharing.fields import sealed

ANSWER_MAX = 4000

WORKER_QUERY_STATUSES = {
    LogQueryStatus.OPEN: _l("Waiting for an answer"),
    LogQueryStatus.ANSWERED: _l("Answered"),
    LogQueryStatus.CLOSED: _l("Closed"),
}
PURPOSES = {
    Purpose.LIST: _l("Recognising the client in a list (the name only)"),
    Purpose.CASE_WORK: _l("The county's social work with the client"),
    Purpose.NETWORK_COOPERATION: _l("Cooperation in the client's support network"),
    Purpose.OWN_DATA: _l("The client's own use"),
    Purpose.ADMINISTRATION: _l("Operations run by the system"),
}
STAFF_BASES = {
    "consent": _l("The client's consent"),
    "statutory": _l("A statutory disclosure"),
    "relationship": _l("Responsible worker or case team"),
    "work_task": _l("A recorded work task"),
}


@bp.app_template_global()
def worker_log_query_status_label(status: str) -> str:
    return str(WORKER_QUERY_STATUSES[LogQueryStatus(status)])


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        _l("Your answer to the client"),
        validators=[
            DataRequired(message=_l("Write the answer.")),
            Length(
                max=ANSWER_MAX, message=_l("The answer can be at most %(max)d characters long.")
            ),
        ],
        description=_l(
            "Who looked and why, in plain words. The client reads this on their own page. "
            "At most 4,000 characters."
        ),
    )


@dataclass(frozen=True)
class EntryDetails:
    """What the client is not shown of an entry: the staff details the worker needs (the
    organisation and role are on the entry's plain-words line)."""

    entry: AccessLogEntry
    staff: User | None  # who acted, when a member of staff
    assisted_by: User | None  # staff at the terminal in the client's own session
    purpose: str
    basis: str
    provision: str | None  # of a statutory disclosure
    work_task: WorkTaskReason | None
    work_task_reason: str | None  # what the colleague recorded (decrypted)


def _entry_details(
    details: client_log.QueryDetails, work_task: WorkTaskReason | None, reason: str | None
) -> EntryDetails:
    entry, explained = details.entry, details.explained
    staff = explained.users.get(entry.actor_user_id) if entry.actor_user_id else None
    disclosure = explained.disclosures.get(entry.basis_id) if entry.basis_id else None
    try:
        purpose = str(PURPOSES[Purpose(entry.purpose)])
    except ValueError:
        purpose = entry.purpose
    return EntryDetails(
        entry=entry,
        staff=staff if staff is not None and staff.client_id is None else None,
        assisted_by=explained.users.get(entry.assisted_by_user_id)
        if entry.assisted_by_user_id
        else None,
        purpose=purpose,
        basis=str(STAFF_BASES[entry.basis_kind]) if entry.basis_kind in STAFF_BASES else "–",
        provision=disclosure.provision if disclosure else None,
        work_task=work_task,
        work_task_reason=reason,
    )


@bp.route("/clients/<uuid:client_id>/log-queries")
@allow(Role.CASEWORKER)
@client_page
def log_queries(page: ClientPage) -> str:
    """The client's queries about their access log, open and answered, newest first."""
    listing = client_log.client_queries(
        db_session(),
        page.client.id,
        page=request.args.get("page", 1, type=int),
        hidden_from=page.actor.user_id,
    )
    lines = describe(listing.explained, page.actor, Purpose.CASE_WORK)
    return render_template(
        "caseworker/log_queries.html",
        page=page,
        listing=listing,
        rows=list(zip(listing.rows, lines, strict=True)),
    )


@bp.route("/clients/<uuid:client_id>/log-queries/<uuid:query_id>", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page(answers_when_closed=True)
def log_query(page: ClientPage, query_id: uuid.UUID) -> Response | tuple[str, int]:
    """One query: the entry in full, the client's note, and the answer or its form."""
    posted = request.method == "POST"
    details = client_log.client_query(db_session(), page.client.id, query_id, for_update=posted)
    if details is None or page.actor.user_id in (
        details.entry.actor_user_id,
        details.entry.assisted_by_user_id,
    ):
        abort(404)  # nobody looks into their own access: the query is their team lead's
    form = AnswerForm()
    if posted:
        if details.query.status is not LogQueryStatus.OPEN:
            return _query_page(page, details, form, 409)
        if not form.validate_on_submit():
            return _query_page(page, details, form, 400)
        answer_query(db_session(), gate(), page.actor, details.query, form.answer.data)
        flash(gettext("Your answer was saved. The client reads it on their own page."), "info")
        return redirect(
            url_for("caseworker.log_query", client_id=page.client.id, query_id=query_id)
        )
    return _query_page(page, details, form, 200)


def _query_page(
    page: ClientPage, details: client_log.QueryDetails, form: AnswerForm, status: int
) -> tuple[str, int]:
    query = details.query
    work_task = client_log.work_task_of(db_session(), details.entry)
    line = describe(details.explained, page.actor, Purpose.CASE_WORK)[0]
    refs = [sealed(query, LogQuery.note_ct), sealed(query, LogQuery.answer_ct)]
    if work_task is not None:
        refs.append(sealed(work_task, WorkTaskReason.reason_ct))
    texts = gate().read_texts(page.actor, refs, purpose=Purpose.CASE_WORK)
    note, answer = texts[0], texts[1]
    return render_template(
        "caseworker/log_queries_answer.html",
        page=page,
        query=query,
        line=line,
        entry=_entry_details(details, work_task, texts[2] if work_task is not None else None),
        assisted_by=details.person(query.assisted_by_id),
        answered_by=details.person(query.resolved_by_id),
        addressee=client_log.addressed_to(db_session(), page.case.id, details.entry),
        note=note,
        answer=answer,
        form=form,
        refused=status == 409,
    ), status
