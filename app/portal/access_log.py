"""The client's access log in plain words: "Who has looked at my information".

Every entry about the client (reads, writes, previews; allowed or refused; on consent,
on a statutory basis, in case work) is listed newest first, with the organisation, the
role, the part of the information, the date and the basis. Staff names and exact times
are shown only when the settings say so (``log_show_staff_names``,
``log_show_exact_times``; by default the organisation and role and the date, as
KHO:2025:51 accepted). Sessions where staff helped the client at the terminal are shown
as such. "I don't recognise this" opens a query for the responsible worker, whose answer
the client reads on the query's page.

``describe`` is also how the responsible worker sees the entries clients ask about
(``app/caseworker/log_queries.py``), so both read the same words.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime, gettext
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from app.client_log.queries import (
    LogPage,
    client_entry,
    client_query,
    explain_entries,
    log_page,
    open_query,
    previewed_id,
    statutory_disclosures,
)
from app.extensions import db
from app.labels import MEMBER_KINDS, SECTIONS
from app.models import Role, User
from app.models.log_query import LogQuery, LogQueryStatus
from app.portal import bp
from app.portal.consent_forms import LogQueryForm
from app.portal.views import own_page, responsible_worker
from app.security import allow, gate
from app.services.fields import sealed
from app.settings import Settings
from consent.decision import Actor, ActorRole, Purpose, Reason
from consent.sections import SectionKind
from sharing.access_log import AccessAction

ROLES = {
    ActorRole.CASEWORKER: _l("Social worker"),
    ActorRole.PARTNER: _l("Staff member"),
    ActorRole.ADMIN: _l("Administrator"),
    ActorRole.SYSTEM: _l("Tukiverkko itself (automatic processing)"),
}
ACTIONS = {
    AccessAction.READ: _l("Looked at"),
    AccessAction.WRITE: _l("Wrote or changed"),
    AccessAction.PREVIEW: _l("Checked what another would see"),
}
DENIED_ACTIONS = {
    AccessAction.READ: _l("Tried to look at"),
    AccessAction.WRITE: _l("Tried to write or change"),
    AccessAction.PREVIEW: _l("Tried to check what another would see"),
}
BASES = {
    "consent": _l("Your consent"),
    "statutory": _l("A disclosure allowed or required by law"),
    "relationship": _l("Your responsible worker or your case team"),
    "work_task": _l("A recorded work task"),
}
ALLOWED_WITHOUT_BASIS = {
    Reason.ALLOWED_SELF: _l("Your own information"),
    Reason.ALLOWED_SYSTEM: _l("Automatic processing"),
    Reason.ALLOWED_COUNTY_LIST: _l("Your name in the county's list of clients"),
}
REFUSALS = {
    Reason.DENIED_NO_CASE: _l("no such case"),
    Reason.DENIED_NOT_OWN_DATA: _l("it is not their own information"),
    Reason.DENIED_OTHER_COUNTY: _l("they work in another county"),
    Reason.DENIED_NO_RELATIONSHIP: _l("they do not work with you"),
    Reason.DENIED_NOT_IN_NETWORK: _l("they are not in your network"),
    Reason.DENIED_CASE_CLOSED: _l("your case is closed"),
    Reason.DENIED_NO_CONSENT: _l("you have not given consent"),
    Reason.DENIED_REVOKED: _l("you had withdrawn your consent"),
    Reason.DENIED_EXPIRED: _l("your consent had ended"),
    Reason.DENIED_NOT_YET_VALID: _l("your consent had not started yet"),
    Reason.DENIED_SECTION_NOT_IN_SCOPE: _l("your consent does not cover this part"),
    Reason.DENIED_PURPOSE: _l("not for an allowed purpose"),
    Reason.DENIED_READ_ONLY: _l("they may only read"),
    Reason.DENIED_ROLE: _l("their role does not allow it"),
}
QUERY_STATUSES = {
    LogQueryStatus.OPEN: _l("Waiting for your worker"),
    LogQueryStatus.ANSWERED: _l("Your worker has answered"),
    LogQueryStatus.CLOSED: _l("Closed"),
}


@bp.app_template_global()
def log_query_status_label(status: str) -> str:
    return str(QUERY_STATUSES[LogQueryStatus(status)])


@dataclass(frozen=True)
class LogLine:
    """One entry as the client reads it."""

    entry_id: uuid.UUID
    when: str
    organisation: str
    role: str
    staff_name: str | None
    assisted: str | None  # staff at the terminal in the client's own session
    what: str
    done: str
    allowed: bool
    basis: str
    statutory: bool
    query: LogQuery | None  # the client's newest query about the entry


def _settings() -> Settings:
    settings: Settings = current_app.extensions["tukiverkko.settings"]
    return settings


def _scope_label(scope: str) -> str:
    if scope.startswith("section:"):
        try:
            return str(SECTIONS[SectionKind(scope.removeprefix("section:"))])
        except ValueError:
            return scope
    if scope == "name":
        return gettext("Your name")
    if scope == "basic":
        return gettext("Your basic information and the worker's notes")
    return scope


def describe(page: LogPage, reader: Actor, purpose: Purpose = Purpose.OWN_DATA) -> list[LogLine]:
    """The page's entries in plain words, as the client reads them (one gate read, by the
    reader for the purpose, for the names of person grantees). The client's own use is
    "You" to the client and "The client" to a worker."""
    settings = _settings()
    persons = [m for m in page.members.values() if m.person_name_ct is not None]
    names = dict(
        zip(
            [m.id for m in persons],
            gate().read_texts(
                reader, [sealed(m, "person_name_ct") for m in persons], purpose=purpose
            )
            if persons
            else [],
            strict=True,
        )
    )

    def org_name(org_id: uuid.UUID | None) -> str:
        org = page.organisations.get(org_id) if org_id else None
        return org.name if org else ""

    def member_label(member_id: uuid.UUID | None, client_id: uuid.UUID) -> tuple[str, str]:
        """(who, role) of a person grantee, or of an organisation member, of this client's
        network (one of another client's network stays unnamed)."""
        member = page.members.get(member_id) if member_id else None
        if member is None or member.client_id != client_id:
            return gettext("A person in your network"), ""
        return names.get(member.id) or org_name(member.organisation_id), str(
            MEMBER_KINDS[member.kind]
        )

    def staff(user_id: uuid.UUID | None) -> User | None:
        return page.users.get(user_id) if user_id else None

    lines = []
    for entry in page.entries:
        role = ActorRole(entry.actor_role)
        actor = staff(entry.actor_user_id)
        organisation = org_name(entry.organisation_id)
        staff_name = actor.display_name if actor and settings.log_show_staff_names else None
        if role is ActorRole.PERSON:
            organisation, role_text = member_label(entry.member_id, entry.client_id)
            staff_name = None  # the person's own name is already shown
        elif role is ActorRole.CLIENT:
            own = actor is not None and actor.client_id == entry.client_id
            organisation = "" if own else gettext("Another user of Tukiverkko")
            if not own:
                role_text = gettext("Client")
            elif reader.role is ActorRole.CLIENT:
                role_text = gettext("You")
            else:
                role_text = gettext("The client")
            staff_name = None
        else:
            role_text = str(ROLES.get(role, role.value))
        assisted = None
        if entry.assisted_by_user_id is not None:
            helper = staff(entry.assisted_by_user_id)
            helper_org = helper.organisation.name if helper and helper.organisation else ""
            assisted = gettext("Staff helped at the terminal: %(who)s", who=helper_org or "–")
            if helper and settings.log_show_staff_names:
                assisted += f" ({helper.display_name})"
        action = AccessAction(entry.action)
        done = str((ACTIONS if entry.allowed else DENIED_ACTIONS)[action])
        if action is AccessAction.PREVIEW and (target := previewed_id(entry)) is not None:
            who = (
                org_name(target[1])
                if target[0] == "organisation"
                else member_label(target[1], entry.client_id)[0]
            )
            done = gettext("Checked what %(who)s would see", who=who or "–")
        reason = _reason(entry.reason)
        disclosure = page.disclosures.get(entry.basis_id) if entry.basis_id else None
        if not entry.allowed:
            refusal = REFUSALS.get(reason) if reason else None
            basis = gettext("Refused: %(why)s", why=refusal or entry.reason)
        elif entry.basis_kind == "statutory":
            basis = str(BASES["statutory"])
            if disclosure is not None:
                basis += f" ({disclosure.provision})"
        elif entry.basis_kind in BASES:
            basis = str(BASES[entry.basis_kind])
        else:
            basis = str(ALLOWED_WITHOUT_BASIS.get(reason, "–")) if reason else "–"
        lines.append(
            LogLine(
                entry_id=entry.id,
                when=_when(entry.at, settings),
                organisation=organisation,
                role=role_text,
                staff_name=staff_name,
                assisted=assisted,
                what=_scope_label(entry.scope),
                done=done,
                allowed=entry.allowed,
                basis=basis,
                statutory=entry.basis_kind == "statutory",
                query=page.queries.get(entry.id),
            )
        )
    return lines


def _reason(value: str) -> Reason | None:
    try:
        return Reason(value)
    except ValueError:
        return None


def _when(at: datetime, settings: Settings) -> str:
    return format_datetime(at, "short") if settings.log_show_exact_times else format_date(at)


@bp.route("/log")
@allow(Role.CLIENT)
def log() -> str:
    oc = own_page()
    include_own = request.args.get("mine") == "1"
    page = log_page(
        db.session,
        oc.client.id,
        page=request.args.get("page", 1, type=int),
        include_own=include_own,
    )
    lines = describe(page, oc.actor)
    disclosures = statutory_disclosures(db.session, oc.case.id)
    justifications = (
        gate().read_texts(
            oc.actor,
            [sealed(d, "justification_ct") for d, _ in disclosures],
            purpose=Purpose.OWN_DATA,
        )
        if disclosures
        else []
    )
    db.session.commit()  # a read-only page: keep the access-log entries of its reads
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
    entry = client_entry(db.session, oc.client.id, entry_id)
    if entry is None:
        abort(404)  # another client's entry is no different from one that does not exist
    explained = explain_entries(db.session, [entry])
    existing = explained.queries.get(entry.id)
    if existing is not None and existing.status is LogQueryStatus.OPEN:
        return redirect(url_for("portal.log_query", query_id=existing.id))
    form = LogQueryForm()
    if form.validate_on_submit():
        query = open_query(
            db.session, gate(), oc.actor, case=oc.case, entry=entry, note=form.note.data
        )
        db.session.commit()
        return redirect(url_for("portal.log_query", query_id=query.id))
    line = describe(explained, oc.actor)[0]
    db.session.commit()
    html = render_template("portal/log_query.html", form=form, line=line)
    return html if request.method == "GET" else (html, 400)


@bp.route("/log/queries/<uuid:query_id>")
@allow(Role.CLIENT)
def log_query(query_id: uuid.UUID) -> str:
    oc = own_page()
    details = client_query(db.session, oc.client.id, query_id)
    if details is None:
        abort(404)
    query = details.query
    line = describe(details.explained, oc.actor)[0]
    note, answer = gate().read_texts(
        oc.actor,
        [sealed(query, "note_ct"), sealed(query, "answer_ct")],
        purpose=Purpose.OWN_DATA,
    )
    worker = responsible_worker(oc.case)
    db.session.commit()
    return render_template(
        "portal/log_query_done.html",
        query=query,
        line=line,
        note=note,
        answer=answer,
        answered_by=details.person(query.resolved_by_id),
        worker=worker,
    )
