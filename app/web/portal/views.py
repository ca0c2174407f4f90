"""The client's own pages: home; "My plan" and "My network" are in their own modules.

Every page reads the signed-in client's own record only: the URLs carry no client id,
and the gate reads as ``Actor(CLIENT, client_id=...)`` with ``Purpose.OWN_DATA``, so
another client's data could not be opened even by a mistake here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort, current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.appointments.queries import next_for_client
from app.cases.queries import latest_cases
from app.consents.queries import MemberInfo, load_members
from app.consents.rules import offered
from app.extensions import db_session
from app.i18n import helsinki_today
from app.messages.queries import client_unread
from app.models import Case, Client, ResponsibleWorker, Role, User
from app.models.transfer import TransferReason
from app.reminders.queries import reminders_of
from app.reminders.rules import ReminderKind, extension_until
from app.security import allow, current_actor, gate
from app.transfer.queries import client_transfers
from app.web.portal import bp
from app.web.portal.consent_forms import ChangeForm
from consent.base import utcnow
from consent.facts import Actor, Purpose
from consent.models import Consent
from sharing.fields import sealed


@dataclass(frozen=True)
class OwnPage:
    """The signed-in client's record, newest case and the actor they read as."""

    client: Client
    case: Case
    actor: Actor


def own_page() -> OwnPage:
    """The signed-in client's own record and case, or a 404 when there is none to show."""
    client_id = current_user.client_id
    client = db_session().get(Client, client_id) if client_id else None
    case = latest_cases(db_session(), [client.id]).get(client.id) if client else None
    if client is None or case is None or case.disposed_at is not None:
        abort(404)
    return OwnPage(client, case, current_actor())


def responsible_worker(case: Case) -> User | None:
    """The case's current responsible worker (omatyöntekijä), if appointed (one query)."""
    return db_session().scalar(
        select(User)
        .join(ResponsibleWorker, ResponsibleWorker.worker_id == User.id)
        .where(ResponsibleWorker.case_id == case.id, ResponsibleWorker.ends_on.is_(None))
    )


# The client's menu: (endpoint, label). Entries whose page is not registered are left out,
# so the menu follows the pages that exist.
MENU = (
    ("portal.home", _l("My page")),
    ("portal.plan", _l("My plan")),
    ("portal.network", _l("My network")),
    ("portal.appointments", _l("My appointments")),
    ("portal.messages", _l("Messages")),
    ("portal.release", _l("Before you leave prison")),
    ("portal.consents", _l("Who can see what")),
    ("portal.my_consents", _l("My consent receipts")),
    ("portal.log", _l("Who has looked at my information")),
    ("portal.log_requests", _l("Ask for my log")),
    ("auth.account", _l("My sign-ins")),
)


@bp.app_template_global()
def portal_menu() -> list[tuple[str, str, bool]]:
    """(url, label, is current) for each page of the client's menu; the longest match wins."""
    entries = [
        (url_for(endpoint), str(label))
        for endpoint, label in MENU
        if endpoint in current_app.view_functions
    ]
    path = request.path
    matches = [
        url
        for url, _ in entries
        if path == url or (url != url_for("portal.home") and path.startswith(url))
    ]
    current = max(matches, key=len, default=None)
    return [(url, label, url == current) for url, label in entries]


@bp.route("/")
@allow(Role.CLIENT)
def home() -> str:
    page = own_page()
    name = gate().read_texts(
        page.actor, [sealed(page.client, Client.name_ct)], purpose=Purpose.OWN_DATA
    )[0]
    return render_template(
        "portal/home.html",
        name=name,
        case=page.case,
        worker=responsible_worker(page.case),
        transfers=client_transfers(db_session(), page.client.id),
        ending=consents_ending(page),
        extend_form=ChangeForm(formdata=None),
        appointments=next_for_client(db_session(), page.client.id, now=utcnow()),
        unread=client_unread(db_session(), page.client.id, current_user.id),
    )


@dataclass(frozen=True)
class EndingConsent:
    """A consent of the client's about to end, as "My page" reminds of it."""

    consent: Consent
    member: MemberInfo | None  # None: no longer in the network's list
    extend_until: date | None  # the new last day one step offers; None: cannot be extended


def consents_ending(page: OwnPage) -> list[EndingConsent]:
    """The client's consents about to end (the reminders' own source, one statement), with
    the member's name and the period an extension offers (a fixed few statements more when
    there are any: the consents, the members and their names in one gate read)."""
    due = reminders_of(db_session(), current_user.id, Role.CLIENT, helsinki_today())
    ids = [d.subject_id for d in due if d.kind is ReminderKind.CONSENT_ENDING]
    if not ids or page.case.closed_at is not None:
        return []
    consents = db_session().scalars(
        select(Consent)
        .where(Consent.id.in_(ids), Consent.case_id == page.case.id)
        .order_by(Consent.valid_until, Consent.id)
    )
    members = {
        m.id: m
        for m in load_members(
            db_session(), gate(), page.actor, page.case, purpose=Purpose.OWN_DATA, now=utcnow()
        )
    }
    rows = []
    for consent in consents:
        member = members.get(consent.member_id)
        until = None
        if member and offered(member.grantee, client=True) and consent.valid_until:
            until = extension_until(consent.valid_from, consent.valid_until)
        rows.append(EndingConsent(consent, member, until))
    return rows


# Why the matter moved, said to the client.
MOVE_REASONS = {
    TransferReason.MOVED: _l("your home county changed"),
    TransferReason.MOVING_ON_RELEASE: _l("you will live there after you leave prison"),
    TransferReason.CLIENT_REQUEST: _l("you asked for it"),
}


@bp.app_template_global()
def move_reason_label(value: str) -> str:
    return str(MOVE_REASONS[TransferReason(value)])


from app.web.portal import messages, network, plan  # noqa: E402, F401  (register their routes)
