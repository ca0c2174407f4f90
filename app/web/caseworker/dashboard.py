"""The caseworker's home: the dashboard of "my clients", and the list behind every number.

"My clients" are those the signed-in worker is the responsible worker for or works on in
the case team. Each number links to a paginated list built from the same conditions; the
lists decrypt the clients' names in one LIST-purpose gate call. What a custom checklist
item says, and a close person's name, are client data read for case work (one more
batched gate call, only when such rows are on the page). The clients' queries about
their access log are described in the words the client reads them in
(``app/web/access_log.py:describe``) and answered under the client's record
(``app/caseworker/log_queries.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from flask import abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from app.appointments.queries import asks_for_worker, upcoming_for_worker
from app.client_log import queries as client_log
from app.dashboard import queries as dashboard
from app.extensions import db_session
from app.i18n import helsinki_today
from app.messages.queries import worker_unread
from app.models import Client, NetworkMember, Phase, Role
from app.models.release import ChecklistItem
from app.partner_work.queries import update_texts, updates_for_worker
from app.reviews.rules import REMINDER_DAYS, ReviewStatus, review_status
from app.security import allow, current_actor, gate
from app.transfer.queries import incoming_count
from app.web.access_log import describe
from app.web.caseworker import bp
from app.web.caseworker.consent_forms import RevokeForm
from app.web.caseworker.context import list_names
from consent.base import utcnow
from consent.facts import Purpose
from sharing.fields import sealed


@bp.route("/")
@allow(Role.CASEWORKER)
def home() -> str:
    today = helsinki_today()
    counts = dashboard.counts(db_session(), current_user.id, current_user.organisation_id, today)
    updates = updates_for_worker(
        db_session(), current_user.id, utcnow() - UPDATES_SHOWN_FOR, limit=UPDATES_SHOWN
    )
    upcoming = upcoming_for_worker(
        db_session(), current_user.id, current_user.organisation_id, now=utcnow()
    )
    asks = asks_for_worker(
        db_session(), current_user.id, current_user.organisation_id, now=utcnow()
    )
    clients = {
        c.id: c
        for c in db_session().scalars(
            select(Client).where(Client.id.in_({u.update.client_id for u in updates}))
        )
    }
    clients.update((client.id, client) for _, client in [*upcoming, *asks])
    names = dict(zip(clients, list_names(list(clients.values())), strict=True))
    texts = update_texts(gate(), current_actor(), updates)
    return render_template(
        "caseworker/dashboard.html",
        counts=counts,
        updates=[
            (u, names.get(u.update.client_id), text) for u, text in zip(updates, texts, strict=True)
        ],
        phases=[p for p in Phase],
        windows=dashboard.RELEASE_WINDOWS,
        review_days=REMINDER_DAYS,
        consent_days=dashboard.CONSENT_NOTICE_DAYS,
        transfers=incoming_count(db_session(), current_user.organisation_id),
        appointments=[(a, names.get(a.client_id)) for a, _ in upcoming],
        asks=[(a, names.get(a.client_id)) for a, _ in asks],
        unread_messages=worker_unread(db_session(), current_user.id),
    )


UPDATES_SHOWN = 20
UPDATES_SHOWN_FOR = timedelta(days=30)


def _page_no() -> int:
    return request.args.get("page", 1, type=int)


def _case_work_texts(
    items: Sequence[ChecklistItem], members: Sequence[NetworkMember]
) -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, str]]:
    """Custom items' titles and close persons' names on the page, in one gate call."""
    custom = [i for i in items if i.task is None]
    people = list({m.id: m for m in members if m.organisation is None}.values())
    refs = [sealed(i, ChecklistItem.title_ct) for i in custom] + [
        sealed(m, NetworkMember.person_name_ct) for m in people
    ]
    if not refs:
        return {}, {}
    values = gate().read_texts(current_actor(), refs, purpose=Purpose.CASE_WORK)
    titles = {i.id: v or "" for i, v in zip(custom, values[: len(custom)], strict=True)}
    names = {m.id: v or "" for m, v in zip(people, values[len(custom) :], strict=True)}
    return titles, names


@bp.route("/dashboard/clients")
@allow(Role.CASEWORKER)
def dashboard_clients() -> str:
    raw = request.args.get("phase", "")
    phase = Phase(raw) if raw in Phase.__members__.values() else None
    listing = dashboard.clients(
        db_session(), current_user.id, current_user.organisation_id, phase=phase, page=_page_no()
    )
    names = list_names([row.client for row in listing.rows])
    return render_template(
        "caseworker/dashboard_clients.html",
        listing=listing,
        rows=list(zip(listing.rows, names, strict=True)),
        phase=phase,
    )


@bp.route("/dashboard/releases")
@allow(Role.CASEWORKER)
def dashboard_releases() -> str:
    within = request.args.get("within", dashboard.RELEASE_WINDOWS[1], type=int)
    if within not in dashboard.RELEASE_WINDOWS:
        abort(404)
    today = helsinki_today()
    listing = dashboard.releases(
        db_session(),
        current_user.id,
        current_user.organisation_id,
        today,
        within=within,
        page=_page_no(),
    )
    names = list_names([row.client for row in listing.rows])
    titles, _ = _case_work_texts([i for row in listing.rows for i in row.open_items], [])
    return render_template(
        "caseworker/dashboard_releases.html",
        listing=listing,
        rows=list(zip(listing.rows, names, strict=True)),
        titles=titles,
        within=within,
        today=today,
    )


@bp.route("/dashboard/overdue")
@allow(Role.CASEWORKER)
def dashboard_overdue() -> str:
    today = helsinki_today()
    listing = dashboard.overdue_items(
        db_session(), current_user.id, current_user.organisation_id, today, page=_page_no()
    )
    names = list_names([row.client for row in listing.rows])
    titles, people = _case_work_texts(
        [row.item for row in listing.rows],
        [row.item.responsible_member for row in listing.rows if row.item.responsible_member],
    )
    return render_template(
        "caseworker/dashboard_overdue.html",
        listing=listing,
        rows=list(zip(listing.rows, names, strict=True)),
        titles=titles,
        people=people,
        today=today,
    )


@bp.route("/dashboard/reviews")
@allow(Role.CASEWORKER)
def dashboard_reviews() -> str:
    today = helsinki_today()
    listing = dashboard.reviews_due(
        db_session(), current_user.id, current_user.organisation_id, today, page=_page_no()
    )
    names = list_names([row.client for row in listing.rows])
    return render_template(
        "caseworker/dashboard_reviews.html",
        listing=listing,
        rows=[
            (row, name, review_status(row.plan.review_on, today))
            for row, name in zip(listing.rows, names, strict=True)
        ],
        overdue=ReviewStatus.OVERDUE,
        today=today,
        review_days=REMINDER_DAYS,
    )


@bp.route("/dashboard/consents")
@allow(Role.CASEWORKER)
def dashboard_consents() -> str:
    today = helsinki_today()
    listing = dashboard.consents_expiring(
        db_session(), current_user.id, current_user.organisation_id, today, page=_page_no()
    )
    names = list_names([row.client for row in listing.rows])
    _, people = _case_work_texts([], [row.member for row in listing.rows])
    return render_template(
        "caseworker/dashboard_consents.html",
        listing=listing,
        rows=list(zip(listing.rows, names, strict=True)),
        people=people,
        today=today,
        consent_days=dashboard.CONSENT_NOTICE_DAYS,
    )


@bp.route("/dashboard/consent-changes")
@allow(Role.CASEWORKER)
def dashboard_consent_changes() -> str:
    """The client's withdrawals to see, consents to re-confirm after the release dates
    moved, or notices of ended sharing the organisation has not confirmed (``kind``)."""
    raw = request.args.get("kind", dashboard.ConsentChange.WITHDRAWALS.value)
    if raw not in dashboard.ConsentChange.__members__.values():
        abort(404)
    kind = dashboard.ConsentChange(raw)
    listing = dashboard.consent_changes(
        db_session(),
        current_user.id,
        current_user.organisation_id,
        helsinki_today(),
        kind,
        page=_page_no(),
    )
    names = list_names([row.client for row in listing.rows])
    _, people = _case_work_texts([], [row.member for row in listing.rows])
    return render_template(
        "caseworker/dashboard_consent_changes.html",
        kind=kind.value,
        listing=listing,
        rows=list(zip(listing.rows, names, strict=True)),
        people=people,
        seen_form=RevokeForm(formdata=None),
    )


@bp.route("/dashboard/log-queries")
@allow(Role.CASEWORKER)
def dashboard_log_queries() -> str:
    listing = dashboard.log_queries(
        db_session(), current_user.id, current_user.organisation_id, page=_page_no()
    )
    names = list_names([row.client for row in listing.rows])
    explained = client_log.explain_entries(db_session(), [row.entry for row in listing.rows])
    lines = describe(explained, current_actor(), Purpose.CASE_WORK)
    return render_template(
        "caseworker/dashboard_log_queries.html",
        listing=listing,
        rows=list(zip(listing.rows, names, lines, strict=True)),
    )
