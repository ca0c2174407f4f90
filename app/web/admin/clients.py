"""Administrators and clients' sign-ins: whether a client has activated, locking and
unlocking, and a new activation code. Never client data: the username, state and dates only.

A county's administrator reaches the sign-ins of clients with a case in their county
(``app.staff.rules.may_manage_client``). The client's worker does the same from the
"Client's sign-in" tab (``app.web.caseworker.portal_access``); both call the commands of
``app.activation.commands``.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from app.activation import commands as activation
from app.activation.rules import LIFETIME
from app.extensions import db_session
from app.models import Role, User
from app.security import allow, password_hasher
from app.staff.commands import scope_of
from app.staff.queries import case_counties, client_accounts, history
from app.staff.rules import may_manage_client
from app.web.admin import bp
from app.web.admin.forms import AccountSearchForm, ConfirmForm
from app.web.forms import flash_refusal
from app.web.sign_in_locks import log_locked, log_unlocked
from consent.base import utcnow

Page = str | tuple[str, int]


@bp.route("/clients")
@allow(Role.ADMIN)
def clients() -> str:
    form = AccountSearchForm(request.args)
    q = (form.q.data or "") if form.validate() else ""
    listing = client_accounts(
        db_session(),
        scope=scope_of(current_user),
        q=q,
        page=request.args.get("page", 1, type=int) or 1,
    )
    return render_template("admin/clients.html", listing=listing, form=form, q=q)


def client_account(user: User) -> User:
    """``user``, a client's sign-in this administrator manages (404 otherwise)."""
    if user.client_id is None or not may_manage_client(
        scope_of(current_user), case_counties(db_session(), user.client_id)
    ):
        abort(404)
    return user


def render_client(user: User, *, issued: activation.IssuedCode | None = None) -> str:
    return render_template(
        "admin/client_account.html",
        user=user,
        confirm=ConfirmForm(),
        events=history(db_session(), user.id),
        issued=issued,
        lifetime_hours=int(LIFETIME.total_seconds() // 3600),
    )


def _target(user_id: uuid.UUID) -> User:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    if user.role is not Role.CLIENT:
        raise activation.NotAClientAccount()
    return client_account(user)


@bp.route("/users/<uuid:user_id>/lock", methods=["POST"])
@allow(Role.ADMIN)
def lock(user_id: uuid.UUID) -> Response:
    account = _target(user_id)
    ended = activation.lock_sign_in(db_session(), account, by_id=current_user.id, now=utcnow())
    log_locked(account, ended)
    flash(gettext("The client's sign-in is locked and every sign-in of theirs has ended."), "info")
    return redirect(url_for("admin.user", user_id=account.id))


@bp.route("/users/<uuid:user_id>/unlock", methods=["POST"])
@allow(Role.ADMIN)
def unlock(user_id: uuid.UUID) -> Response:
    account = _target(user_id)
    activation.unlock_sign_in(db_session(), account, by_id=current_user.id, now=utcnow())
    log_unlocked(account)
    flash(gettext("The client can sign in again with their own password."), "info")
    return redirect(url_for("admin.user", user_id=account.id))


@bp.route("/users/<uuid:user_id>/activation-code", methods=["POST"])
@allow(Role.ADMIN)
def activation_code(user_id: uuid.UUID) -> Page | Response:
    account = _target(user_id)
    assert account.client_id is not None
    try:
        issued = activation.issue_code(
            db_session(),
            password_hasher(),
            client_id=account.client_id,
            issued_by_id=current_user.id,
        )
    except activation.SignInLocked as refusal:
        flash_refusal(refusal)
        return redirect(url_for("admin.user", user_id=account.id))
    # Shown in this response only: the code's text is stored nowhere.
    return render_client(account, issued=issued)
