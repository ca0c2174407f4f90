"""The client's access log in plain words: "Who has looked at my information".

Every entry about the client (reads, writes, previews; allowed or refused; on consent,
on a statutory basis, in case work) is listed newest first, with the organisation, the
role, the part of the information, the date and the basis, in the words of
``app/web/access_log.py`` (which the responsible worker reads too). Staff names and exact
times are shown only when the settings say so (``log_show_staff_names``,
``log_show_exact_times``; by default the organisation and role and the date, as
KHO:2025:51 accepted). Sessions where staff helped the client at the terminal are shown
as such. "I don't recognise this" opens a query for the responsible worker, whose answer
the client reads on the query's page.
"""

from __future__ import annotations

import uuid

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from app.client_log.commands import open_query
from app.client_log.queries import (
    addressed_to,
    client_entry,
    client_query,
    explain_entries,
    log_page,
    statutory_disclosures,
)
from app.extensions import db_session
from app.models import Role
from app.models.log_query import LogQuery, LogQueryStatus
from app.security import allow, gate
from app.settings import Settings
from app.web.access_log import describe
from app.web.portal import bp
from app.web.portal.consent_forms import LogQueryForm
from app.web.portal.views import own_page
from consent.facts import Purpose
from consent.models import StatutoryDisclosure
from sharing.fields import sealed

QUERY_STATUSES = {
    LogQueryStatus.OPEN: _l("Waiting for your worker"),
    LogQueryStatus.ANSWERED: _l("Your worker has answered"),
    LogQueryStatus.CLOSED: _l("Closed"),
}


@bp.app_template_global()
def log_query_status_label(status: str) -> str:
    return str(QUERY_STATUSES[LogQueryStatus(status)])


def _settings() -> Settings:
    settings: Settings = current_app.extensions["tukiverkko.settings"]
    return settings


@bp.route("/log")
@allow(Role.CLIENT)
def log() -> str:
    oc = own_page()
    include_own = request.args.get("mine") == "1"
    page = log_page(
        db_session(),
        oc.client.id,
        page=request.args.get("page", 1, type=int),
        include_own=include_own,
    )
    lines = describe(page, oc.actor)
    disclosures = statutory_disclosures(db_session(), oc.case.id)
    justifications = (
        gate().read_texts(
            oc.actor,
            [sealed(d, StatutoryDisclosure.justification_ct) for d, _ in disclosures],
            purpose=Purpose.OWN_DATA,
        )
        if disclosures
        else []
    )
    return render_template(
        "portal/log.html",
        page=page,
        lines=lines,
        include_own=include_own,
        settings=_settings(),
        disclosures=[
            (d, name, text or "")
            for (d, name), text in zip(disclosures, justifications, strict=True)
        ],
    )


@bp.route("/log/<uuid:entry_id>/query", methods=["GET", "POST"])
@allow(Role.CLIENT)
def log_query_new(entry_id: uuid.UUID) -> str | Response | tuple[str, int]:
    oc = own_page()
    entry = client_entry(db_session(), oc.client.id, entry_id)
    if entry is None:
        abort(404)  # another client's entry is no different from one that does not exist
    explained = explain_entries(db_session(), [entry])
    existing = explained.queries.get(entry.id)
    if existing is not None and existing.status is LogQueryStatus.OPEN:
        return redirect(url_for("portal.log_query", query_id=existing.id))
    form = LogQueryForm()
    if form.validate_on_submit():
        query = open_query(
            db_session(), gate(), oc.actor, case=oc.case, entry=entry, note=form.note.data
        )
        return redirect(url_for("portal.log_query", query_id=query.id))
    line = describe(explained, oc.actor)[0]
    html = render_template("portal/log_query.html", form=form, line=line)
    return html if request.method == "GET" else (html, 400)


@bp.route("/log/queries/<uuid:query_id>")
@allow(Role.CLIENT)
def log_query(query_id: uuid.UUID) -> str:
    oc = own_page()
    details = client_query(db_session(), oc.client.id, query_id)
    if details is None:
        abort(404)
    query = details.query
    line = describe(details.explained, oc.actor)[0]
    note, answer = gate().read_texts(
        oc.actor,
        [sealed(query, LogQuery.note_ct), sealed(query, LogQuery.answer_ct)],
        purpose=Purpose.OWN_DATA,
    )
    return render_template(
        "portal/log_query_done.html",
        query=query,
        line=line,
        note=note,
        answer=answer,
        answered_by=details.person(query.resolved_by_id),
        addressee=addressed_to(db_session(), oc.case.id, details.entry),
    )
