"""The pages a close person or peer expert reaches through their one-time link.

``/p/<token>`` is the whole site for them: unbound, it asks for the short code; bound to
this browser, it shows the client's first name and the consented sections, read through
the access gate as the person; bound to another browser, ended, expired or locked, it
says so and shows nothing else. Every view is declared ``@person_grantee``: the route
check has already found the link the token names (``g.person_grant``) or answered 404.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from app.extensions import db_session
from app.messages import commands as message_commands
from app.messages import queries as message_queries
from app.models.message import MessageThread
from app.models.person_access import PersonAccessGrant
from app.outbox import commands as outbox
from app.outbox.queries import person_address
from app.person_access import commands as person_access
from app.person_access.queries import binding_matches, find_by_token, load_terms, read_for_person
from app.person_access.rules import (
    PURPOSE,
    grant_status,
    link_shows,
    person_actor,
    shown_sections,
)
from app.rate_limits import count_failure
from app.security import PERSON_LOADER, gate, password_hasher, person_grantee
from app.web.forms import refusals_shown_on
from app.web.messages import ClientReplyForm, answered, lines, with_subjects
from app.web.person import bp
from app.web.person.forms import CodeForm, PersonEmailForm
from consent.base import utcnow
from consent.models import Consent
from consent.status import HELSINKI, LinkStatus
from sharing.errors import AccessDenied

Page = str | tuple[str, int] | Response
COOKIE_PREFIX = "tukiverkko_p_"
COOKIE_SALT = "tukiverkko/person-binding"
ENDED = (
    LinkStatus.ENDED,
    LinkStatus.EXPIRED,
    LinkStatus.CONSENT_ENDED,
    LinkStatus.MEMBERSHIP_ENDED,
)
CONTENT_LABELS = {
    "goals": _l("Goals"),
    "measures": _l("Agreed measures"),
    "client_view": _l("The client's own view"),
    "worker_view": _l("The worker's view"),
}


@bp.app_template_global()
def person_content_label(key: str) -> str:
    """A heading for one part of a plan section, or nothing for plain text."""
    label = CONTENT_LABELS.get(key)
    return str(label) if label is not None else ""


def grant_from_link() -> PersonAccessGrant | None:
    """The link the request's ``<token>`` names, or None (the route check then answers 404)."""
    token = (request.view_args or {}).get("token")
    return find_by_token(db_session(), token) if isinstance(token, str) else None


@bp.record_once
def _register_loader(state: BlueprintSetupState) -> None:
    state.app.extensions[PERSON_LOADER] = grant_from_link


def _opened(grant: PersonAccessGrant, now: datetime) -> Consent | Page:
    """The link's consent when the link is in force and bound to this browser, else the page
    that says why not (the code form while it is not bound yet)."""
    consent, member = load_terms(db_session(), grant)
    status = grant_status(grant, consent, member, now)
    if status in ENDED:
        return _ended()
    if status is LinkStatus.LOCKED:
        return _locked()
    if grant.binding_hash is None:
        return _code_page(CodeForm())
    if not binding_matches(grant, _browser_secret(grant)):
        return _in_use()
    return consent


@bp.route("/<token>")
@person_grantee
def view(token: str) -> Page:
    grant: PersonAccessGrant = g.person_grant
    now = utcnow()
    consent = _opened(grant, now)
    if not isinstance(consent, Consent):
        return consent
    try:
        seen = read_for_person(db_session(), gate(), grant, consent)
    except (AccessDenied, person_access.AccessEnded):
        # The gate refused (and logged it): the consent, membership or case has ended.
        return _ended()
    person_access.mark_used(grant, now)
    unread = message_queries.person_unread(
        db_session(), grant.member_id, shown_sections(grant, consent)
    )
    return render_template("person/view.html", view=seen, token=token, unread=unread)


# -- messages: the network meetings the person was chosen for ------------------------------


@bp.route("/<token>/messages")
@person_grantee
def messages(token: str) -> Page:
    grant: PersonAccessGrant = g.person_grant
    consent = _opened(grant, utcnow())
    if not isinstance(consent, Consent):
        return consent
    listing = message_queries.person_threads(
        db_session(),
        grant.member_id,
        shown_sections(grant, consent),
        page=request.args.get("page", 1, type=int),
    )
    try:
        rows = with_subjects(person_actor(grant), listing, PURPOSE)
    except AccessDenied:
        return _ended()  # the gate refused (logged): the consent, membership or case has ended
    return render_template("person/messages.html", token=token, listing=listing, rows=rows)


@bp.route("/<token>/messages/<uuid:thread_id>", methods=["GET", "POST"])
@person_grantee
def message_thread(token: str, thread_id: uuid.UUID) -> Page:
    grant: PersonAccessGrant = g.person_grant
    consent = _opened(grant, utcnow())
    if not isinstance(consent, Consent):
        return consent
    thread = db_session().get(MessageThread, thread_id)
    if thread is None or not link_shows(grant, consent, thread.scope):
        abort(404)  # a section the link does not show: as if there were no such thread
    actor = person_actor(grant)
    form = ClientReplyForm()
    status = 200
    try:
        if request.method == "POST":
            back = url_for("person.message_thread", token=token, thread_id=thread_id)
            sent = gettext("Your message was sent.")
            if done := answered(form, actor, grant.client_id, thread_id, sent=sent, back_to=back):
                return done
            status = 400
        view = message_commands.read_thread(
            db_session(),
            gate(),
            actor,
            client_id=grant.client_id,
            thread_id=thread_id,
            now=utcnow(),
        )
    except AccessDenied:
        return _ended()  # the gate refused (logged): the consent, membership or case has ended
    return render_template(
        "person/message_thread.html",
        token=token,
        view=view,
        lines=lines(view, grant.member_id, for_client=True),
        form=form,
    ), status


@bp.route("/<token>", methods=["POST"])
@person_grantee
def bind(token: str) -> Page:
    grant: PersonAccessGrant = g.person_grant
    consent, member = load_terms(db_session(), grant)
    status = grant_status(grant, consent, member, utcnow())
    if status in ENDED:
        return _ended()
    if status is LinkStatus.LOCKED:
        return _locked()
    if grant.binding_hash is not None:
        if binding_matches(grant, _browser_secret(grant)):
            return redirect(url_for("person.view", token=token), 303)
        return _in_use()
    form = CodeForm()
    if not form.validate_on_submit():
        return _code_page(form, 400)
    try:
        secret = person_access.bind(db_session(), grant, form.code.data, hasher=password_hasher())
    except person_access.WrongCode as wrong:
        count_failure()  # against the address too (app.rate_limits), besides the link's own count
        if wrong.remaining == 0:
            return _locked()
        form.code.errors.append(
            ngettext(
                "The code is not right. You can try %(num)d more time.",
                "The code is not right. You can try %(num)d more times.",
                wrong.remaining,
            )
        )
        return _code_page(form, 400)
    except person_access.AlreadyBound:
        return _in_use()
    except person_access.LinkLocked:
        return _locked()
    response = redirect(url_for("person.view", token=token), 303)
    _set_browser_secret(response, grant, secret)
    return response


@bp.route("/<token>/email", methods=["GET", "POST"])
@person_grantee
def email(token: str) -> Page:
    """The person's address for "you have a new message" (the e-mail names nothing else)."""
    grant: PersonAccessGrant = g.person_grant
    consent = _opened(grant, utcnow())
    if not isinstance(consent, Consent):
        return consent
    saved = person_address(db_session(), grant.member_id)
    form = PersonEmailForm(data={"email": saved.address} if saved is not None else None)
    if form.validate_on_submit():
        with refusals_shown_on(form):
            outbox.set_person_address(
                db_session(),
                grant.member_id,
                address=form.email.data or "",
                locale=str(get_locale() or "fi"),
                now=utcnow(),
            )
            flash(gettext("Your e-mail settings are saved."), "info")
            return redirect(url_for("person.view", token=token), 303)
    html = render_template("person/email.html", form=form, token=token)
    return (html, 400) if form.is_submitted() else html


# -- the binding cookie -------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    # Flask types secret_key as optional; create_app always sets it from the settings.
    return URLSafeSerializer(current_app.secret_key, salt=COOKIE_SALT)  # type: ignore[arg-type]


def _cookie_name(grant: PersonAccessGrant) -> str:
    return f"{COOKIE_PREFIX}{grant.id.hex}"


def _browser_secret(grant: PersonAccessGrant) -> str | None:
    """The binding secret this browser holds for the link, if its signed cookie is valid."""
    raw = request.cookies.get(_cookie_name(grant))
    if not raw:
        return None
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("grant") != str(grant.id):
        return None
    secret = data.get("secret")
    return secret if isinstance(secret, str) else None


def _set_browser_secret(response: Response, grant: PersonAccessGrant, secret: str) -> None:
    """A cookie for this link only, kept until the end of the link's last day in Finland."""
    expires = datetime.combine(grant.valid_until + timedelta(days=1), time(0), HELSINKI)
    response.set_cookie(
        _cookie_name(grant),
        _serializer().dumps({"grant": str(grant.id), "secret": secret}),
        expires=expires,
        path=f"{bp.url_prefix}/",
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
        httponly=True,
        # Lax, not Strict: the link is opened from a message or a letter, another "site".
        samesite="Lax",
    )


# -- pages --------------------------------------------------------------------------------


def _code_page(form: CodeForm, status: int = 200) -> Page:
    html = render_template("person/code.html", form=form)
    return (html, status) if status != 200 else html


def _ended() -> Page:
    return render_template("person/ended.html"), 410


def _in_use() -> Page:
    return _refused(
        gettext("This link is already in use on another device"),
        gettext(
            "A link works on one device only: the one where the code was first entered. "
            "If this is your link, ask the client's worker for a new one."
        ),
    )


def _locked() -> Page:
    return _refused(
        gettext("This link is locked"),
        gettext(
            "The code was entered wrongly too many times. Ask the client's worker for a new link."
        ),
    )


def _refused(title: str, message: str) -> Page:
    return render_template("person/refused.html", title=title, message=message), 403
