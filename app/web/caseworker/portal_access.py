"""The client's sign-in: the worker issues one-time activation codes and sees their state.

Only a worker with a relationship to the case (the responsible worker or the case team)
issues or cancels codes; a colleague reading the case on a work task sees the page only.
The code's full text is shown once, in the response that issued it, and never stored.
"""

from __future__ import annotations

import enum
import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.accounts.rules import MIN_PASSWORD_LENGTH
from app.activation import commands as activation
from app.activation.queries import codes_page
from app.activation.rules import LIFETIME, MAX_ATTEMPTS
from app.extensions import db_session
from app.models import Role, User
from app.models.activation import ActivationCode, CodeState
from app.security import allow, gate, password_hasher
from app.web.caseworker import bp
from app.web.caseworker.context import ClientPage, client_page
from app.web.forms import flash_refusal
from app.web.sign_in_locks import log_locked, log_unlocked
from consent.base import utcnow
from consent.decision import BasisKind
from consent.facts import Action, Purpose
from consent.sections import DataScope

Page = str | tuple[str, int]

CODE_STATES = {
    CodeState.LIVE: _l("Can be used"),
    CodeState.USED: _l("Used"),
    CodeState.EXPIRED: _l("Expired"),
    CodeState.LOCKED: _l("Locked after too many wrong tries"),
    CodeState.CANCELLED: _l("Cancelled"),
}


@bp.app_template_global()
def activation_state_label(value: enum.StrEnum) -> str:
    return str(CODE_STATES[CodeState(value)])


class ConfirmForm(FlaskForm):
    """A button with CSRF protection and nothing else."""


def _has_relationship(page: ClientPage) -> bool:
    """Whether the worker is the responsible worker or in the case team (not a work task)."""
    decision = gate().check(
        page.actor, page.client.id, Action.WRITE, Purpose.CASE_WORK, DataScope.BASIC
    )
    return decision.basis_kind is BasisKind.RELATIONSHIP


def _render(
    page: ClientPage, *, issued: activation.IssuedCode | None = None, status: int = 200
) -> Page:
    listing = codes_page(
        db_session(), page.client.id, page=request.args.get("page", 1, type=int) or 1
    )
    account = db_session().scalar(select(User).where(User.client_id == page.client.id))
    people = {code.issued_by_id for code in listing.rows if code.issued_by_id} | {
        code.cancelled_by_id for code in listing.rows if code.cancelled_by_id
    }
    users = (
        {u.id: u for u in db_session().scalars(select(User).where(User.id.in_(people)))}
        if people
        else {}
    )
    html = render_template(
        "caseworker/portal_access.html",
        page=page,
        listing=listing,
        account=account,
        users=users,
        issued=issued,
        may_issue=_has_relationship(page),
        form=ConfirmForm(),
        now=utcnow(),
        lifetime_hours=int(LIFETIME.total_seconds() // 3600),
        min_password=MIN_PASSWORD_LENGTH,
        max_attempts=MAX_ATTEMPTS,
    )
    return (html, status) if status != 200 else html


@bp.route("/clients/<uuid:client_id>/portal-access")
@allow(Role.CASEWORKER)
@client_page
def portal_access(page: ClientPage) -> Page:
    return _render(page)


@bp.route("/clients/<uuid:client_id>/portal-access/codes", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def portal_access_issue(page: ClientPage) -> Page | Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not _has_relationship(page):
        abort(403)
    try:
        issued = activation.issue_code(
            db_session(),
            password_hasher(),
            client_id=page.client.id,
            issued_by_id=page.actor.user_id,
        )
    except activation.SignInLocked as refusal:
        flash_refusal(refusal)
        return redirect(url_for("caseworker.portal_access", client_id=page.client.id))
    # Shown in this response only (no redirect): the code's text is stored nowhere. The edge
    # commits the code's hash once this page has been rendered.
    return _render(page, issued=issued)


@bp.route("/clients/<uuid:client_id>/portal-access/codes/<uuid:code_id>/cancel", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def portal_access_cancel(page: ClientPage, code_id: uuid.UUID) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not _has_relationship(page):
        abort(403)
    code = db_session().get(ActivationCode, code_id)
    if code is None or code.client_id != page.client.id:
        abort(404)
    if activation.cancel_code(db_session(), code, by_user_id=page.actor.user_id, now=None):
        flash(gettext("The code was cancelled. It can no longer be used."), "info")
    else:
        flash(gettext("The code could no longer be used anyway; nothing was changed."), "info")
    return redirect(url_for("caseworker.portal_access", client_id=page.client.id))


def _client_account(page: ClientPage) -> User:
    """The client's sign-in, for a worker with a relationship to the case (403 without one,
    404 when the client has none)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not _has_relationship(page):
        abort(403)
    account = db_session().scalar(select(User).where(User.client_id == page.client.id))
    if account is None:
        abort(404)
    return account


@bp.route("/clients/<uuid:client_id>/portal-access/lock", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def portal_access_lock(page: ClientPage) -> Response:
    account = _client_account(page)
    ended = activation.lock_sign_in(db_session(), account, by_id=page.actor.user_id, now=utcnow())
    log_locked(account, ended)
    flash(gettext("The client's sign-in is locked and every sign-in of theirs has ended."), "info")
    return redirect(url_for("caseworker.portal_access", client_id=page.client.id))


@bp.route("/clients/<uuid:client_id>/portal-access/unlock", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def portal_access_unlock(page: ClientPage) -> Response:
    account = _client_account(page)
    activation.unlock_sign_in(db_session(), account, by_id=page.actor.user_id, now=utcnow())
    log_unlocked(account)
    flash(gettext("The client can sign in again with their own password."), "info")
    return redirect(url_for("caseworker.portal_access", client_id=page.client.id))
