"""The client's access log in plain words: "Who has looked at my information".

Every entry about the client (reads, writes, previews; allowed or refused; on consent,
on a statutory basis, in case work) is listed newest first, except that looks at the
client's name alone (in lists of clients) are counted per organisation, basis and day on
one line ("Kela looked at your name 14 times on 7 Dec 2026"), in SQL
(``grouped_log_page``). The client can narrow the log by organisation, part of the
information and outcome, and print it (``?print=1``: a view without links or forms, more
to a page). Refused attempts and disclosures without consent are marked in words, not by
colour alone. Each line says the organisation, the role, the part of the information,
the date and the basis, in the words of ``app/web/access_log.py`` (which the responsible
worker reads too). Staff names and exact
times are shown only when the settings say so (``log_show_staff_names``,
``log_show_exact_times``; by default the organisation and role and the date, as
KHO:2025:51 accepted). Sessions where staff helped the client at the terminal are shown
as such. "I don't recognise this" opens a query (for a group: about its newest look) for
the responsible worker, or their team lead, whose answer the client reads on the query's
page.
"""

from __future__ import annotations

import uuid

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from app.client_log.commands import open_query
from app.client_log.queries import (
    PER_PAGE,
    SCOPES,
    LogFilters,
    Outcome,
    addressed_to,
    client_entry,
    client_query,
    explain_entries,
    grouped_log_page,
    statutory_disclosures,
)
from app.extensions import db_session
from app.i18n import helsinki_today
from app.labels import SECTIONS
from app.models import Role
from app.models.log_query import LogQuery, LogQueryStatus
from app.security import allow, gate
from app.settings import Settings
from app.web.access_log import describe, describe_grouped
from app.web.portal import bp
from app.web.portal.consent_forms import LogQueryForm
from app.web.portal.views import own_page
from consent.facts import Purpose
from consent.models import StatutoryDisclosure
from consent.sections import SectionKind
from sharing.fields import sealed

QUERY_STATUSES = {
    LogQueryStatus.OPEN: _l("Waiting for your worker"),
    LogQueryStatus.ANSWERED: _l("Your worker has answered"),
    LogQueryStatus.CLOSED: _l("Closed"),
}


OUTCOMES = {
    Outcome.ALLOWED: _l("Allowed by your consent or for your worker's work"),
    Outcome.STATUTORY: _l("Given without your consent, as the law allows"),
    Outcome.REFUSED: _l("Refused attempts"),
}


@bp.app_template_global()
def log_query_status_label(status: str) -> str:
    return str(QUERY_STATUSES[LogQueryStatus(status)])


@bp.app_template_global()
def log_outcome_label(outcome: Outcome) -> str:
    return str(OUTCOMES[outcome])


@bp.app_template_global()
def log_scope_label(scope: str) -> str:
    """A part of the information as the log's section filter names it."""
    if scope == "name":
        return gettext("Your name")
    if scope == "basic":
        return gettext("Your basic information and the worker's notes")
    if scope == "messages":
        return gettext("Your messages with the social workers")
    return str(SECTIONS[SectionKind(scope.removeprefix("section:"))])


def _settings() -> Settings:
    settings: Settings = current_app.extensions["tukiverkko.settings"]
    return settings


PRINT_PER_PAGE = 200  # the printable view: more to a page, nothing to click


def _filters() -> LogFilters:
    """The filters of the query string; a value no form offers is a 400."""
    args = request.args
    try:
        organisation = uuid.UUID(args["org"]) if args.get("org") else None
        outcome = Outcome(args["outcome"]) if args.get("outcome") else None
    except ValueError:
        abort(400)
    scope = args.get("part") or None
    if scope is not None and scope not in SCOPES:
        abort(400)
    return LogFilters(organisation_id=organisation, scope=scope, outcome=outcome)


@bp.route("/log")
@allow(Role.CLIENT)
def log() -> str:
    oc = own_page()
    include_own = request.args.get("mine") == "1"
    printable = request.args.get("print") == "1"
    filters = _filters()
    page = grouped_log_page(
        db_session(),
        oc.client.id,
        page=request.args.get("page", 1, type=int),
        per_page=PRINT_PER_PAGE if printable else PER_PAGE,
        include_own=include_own,
        filters=filters,
    )
    lines = describe_grouped(page, oc.actor)
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
    # The page's links keep what the client chose (page numbers, the printable view).
    kept = {
        key: value
        for key, value in (
            ("mine", "1" if include_own else None),
            ("org", str(filters.organisation_id) if filters.organisation_id else None),
            ("part", filters.scope),
            ("outcome", filters.outcome.value if filters.outcome else None),
        )
        if value is not None
    }
    return render_template(
        "portal/log_print.html" if printable else "portal/log.html",
        page=page.explained,
        lines=lines,
        include_own=include_own,
        filters=filters,
        kept=kept,
        kept_not_mine={k: v for k, v in kept.items() if k != "mine"},
        today=helsinki_today(),
        organisations=page.organisations,
        organisation_name=dict(page.organisations).get(filters.organisation_id)
        if filters.organisation_id
        else None,
        scopes=SCOPES,
        outcomes=list(Outcome),
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
    addressee = addressed_to(db_session(), oc.case.id, entry)
    html = render_template("portal/log_query.html", form=form, line=line, addressee=addressee)
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
