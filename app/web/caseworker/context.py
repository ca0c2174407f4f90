"""The frame every client page shares: load the case, decide access, decrypt the name."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

from flask import abort, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from app.cases.queries import latest_cases
from app.extensions import db_session
from app.models import Case, Client
from app.security import current_actor, gate
from app.web.caseworker import bp
from app.web.caseworker.forms import WorkTaskForm
from consent.decision import Reason
from consent.facts import Action, Actor, Purpose
from consent.sections import DataScope
from sharing.errors import AccessDenied
from sharing.fields import sealed


@dataclass(frozen=True)
class ClientPage:
    """What a client page's view receives: the records, the decrypted name and who acts."""

    client: Client
    case: Case
    name: str
    actor: Actor

    @property
    def editable(self) -> bool:
        """Whether the case can still be changed; its pages offer no change forms when not."""
        return case_editable(self.case)


def case_editable(case: Case) -> bool:
    """A closed case is a record now: it can be read, not changed."""
    return case.closed_at is None


# The client record's tabs: endpoint, label, and the paths under the record each one covers.
TABS = (
    ("caseworker.client", _l("Overview"), ()),
    ("caseworker.assessment", _l("Assessment"), ("/assessment",)),
    ("caseworker.network", _l("Network and information flows"), ("/network",)),
    ("caseworker.consents", _l("Consents"), ("/consents", "/disclosures")),
    ("caseworker.plan", _l("Client plan"), ("/plan",)),
    ("caseworker.release", _l("Release day"), ("/release",)),
    ("caseworker.partner_updates", _l("Updates from the network"), ("/updates",)),
    ("caseworker.reviews", _l("Follow-up"), ("/reviews",)),
    ("caseworker.ending", _l("Ending"), ("/ending",)),
    ("caseworker.contacts", _l("Contacts"), ("/contacts",)),
    ("caseworker.appointments", _l("Appointments"), ("/appointments",)),
    ("caseworker.client_messages", _l("Messages"), ("/messages",)),
    ("caseworker.portal_access", _l("Client's sign-in"), ("/portal-access",)),
    ("caseworker.transfer", _l("Transfer"), ("/transfer",)),
)


@bp.app_template_global()
def client_tabs(client_id: uuid.UUID) -> list[tuple[str, str, bool]]:
    """(url, label, is current) for each tab of a client's record."""
    record = url_for("caseworker.client", client_id=client_id)
    below = request.path.removeprefix(record) if request.path.startswith(record) else None
    return [
        (
            url_for(endpoint, client_id=client_id),
            str(label),
            below == "" if not paths else below is not None and below.startswith(paths),
        )
        for endpoint, label, paths in TABS
    ]


def list_names(clients: Sequence[Client]) -> list[str | None]:
    """The names of county clients for a list (the name only, one gate call)."""
    return gate().read_texts(
        current_actor(),
        [sealed(client, Client.name_ct) for client in clients],
        purpose=Purpose.LIST,
    )


def client_or_404(client_id: uuid.UUID) -> tuple[Client, Case]:
    """The client and their newest case, or a 404 that looks like any missing page."""
    client = db_session().get(Client, client_id)
    case = latest_cases(db_session(), [client_id]).get(client_id) if client else None
    if client is None or case is None or case.disposed_at is not None:
        abort(404)
    return client, case


@overload
def client_page(
    view: Callable[..., Any], *, answers_when_closed: bool = ...
) -> Callable[..., Any]: ...
@overload
def client_page(
    view: None = None, *, answers_when_closed: bool = ...
) -> Callable[[Callable[..., Any]], Callable[..., Any]]: ...
def client_page(
    view: Callable[..., Any] | None = None, *, answers_when_closed: bool = False
) -> Callable[..., Any]:
    """Decorate a view taking ``(page: ClientPage, ...)`` in place of ``client_id``.

    Another county's client is a 404 (the gate logs the denial); a colleague of the
    same county without a relationship gets the page for recording a work-task reason.
    Any change to a closed case is refused with 409 (its pages show no forms for one),
    except in a view declared ``@client_page(answers_when_closed=True)``: answering the
    client about their data is not a change of the case, and their right to an answer
    outlives the case until its record is disposed of.
    """
    if view is None:
        return functools.partial(client_page, answers_when_closed=answers_when_closed)

    @functools.wraps(view)
    def wrapped(client_id: uuid.UUID, *args: Any, **kwargs: Any) -> Any:
        client, case = client_or_404(client_id)
        actor = current_actor()
        try:
            gate().check(actor, client.id, Action.READ, Purpose.CASE_WORK, DataScope.BASIC)
        except AccessDenied as denied:
            if denied.reason != Reason.DENIED_NO_RELATIONSHIP:
                raise
            form = WorkTaskForm()
            return render_template("caseworker/work_task.html", client_id=client_id, form=form), 403
        if not case_editable(case) and request.method != "GET" and not answers_when_closed:
            abort(409)
        name = gate().read_texts(
            actor, [sealed(client, Client.name_ct)], purpose=Purpose.CASE_WORK
        )[0]
        return view(ClientPage(client, case, name or "", actor), *args, **kwargs)

    return wrapped
