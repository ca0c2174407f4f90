"""Administrators: the staff accounts (invite, change role and organisation, set a one-time
password, reset the second factor, deactivate, reactivate); never client data.

A county's administrator sees and manages only their own county's workers and the partner
staff they invited (``app.staff.rules.may_manage``): any other account is not found (404).
Every action is recorded in the account's history (``app.staff.commands``) and written to the
security log here.
"""

from __future__ import annotations

import uuid

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app import security_log
from app.accounts.commands import CannotDeactivateSelf
from app.accounts.queries import open_sessions
from app.accounts.rules import MIN_PASSWORD_LENGTH, SessionEnd
from app.directory.queries import assignable
from app.extensions import db_session
from app.models import Organisation, OrgKind, Role, User
from app.models.outbox import MailKind
from app.outbox import commands as outbox
from app.outbox.queries import address_of
from app.public_url import external_url
from app.refusals import NotFound
from app.second_factor.events import Origin
from app.second_factor.queries import has_second_factor
from app.security import allow, log_ended_sessions, password_hasher
from app.staff import commands as staff
from app.staff.queries import history, pending_invitation, staff_page
from app.staff.rules import INVITATION_LIFETIME
from app.web.admin import bp
from app.web.admin.clients import client_account, render_client
from app.web.admin.forms import (
    NO_ORGANISATION,
    AccountSearchForm,
    ConfirmForm,
    InviteForm,
    StaffForm,
)
from app.web.forms import flash_refusal, new_password_fields, refusals_shown_on
from consent.base import utcnow

Page = str | tuple[str, int]


class SetPasswordForm(FlaskForm):
    password, confirm = new_password_fields(
        _l("One-time password"),
        required=_l("Type the one-time password."),
        description=_l(
            "At least %(min)d characters. It works for one sign-in: the user must then choose "
            "their own. Give it to them in person or by phone, never by e-mail.",
            min=MIN_PASSWORD_LENGTH,
        ),
    )


def _logged(kind: security_log.Kind, account: User, **fields: security_log.Value) -> None:
    """An administrator's action on ``account`` in the security log."""
    security_log.event(
        kind, user_id=account.id, outcome=security_log.Outcome.SUCCESS, by=current_user.id, **fields
    )


STAFF_ROLES = [role for role in Role if role is not Role.CLIENT]


@bp.route("/")
@allow(Role.ADMIN)
def home() -> str:
    """Staff accounts by role and organisations by kind, each kind a link to its page of the
    directory (which lists them with their staff, a page at a time). Clients' accounts,
    as many as the clients, are not counted here: their page finds one."""
    by_role = dict(
        db_session()
        .execute(
            select(User.role, func.count(User.id))
            .where(User.role.in_(STAFF_ROLES))
            .group_by(User.role)
        )
        .all()
    )
    by_kind = dict(
        db_session()
        .execute(select(Organisation.kind, func.count(Organisation.id)).group_by(Organisation.kind))
        .all()
    )
    return render_template(
        "admin/home.html", by_role=by_role, roles=STAFF_ROLES, by_kind=by_kind, kinds=list(OrgKind)
    )


@bp.route("/users")
@allow(Role.ADMIN)
def users() -> str:
    form = AccountSearchForm(request.args)
    q = (form.q.data or "") if form.validate() else ""
    listing = staff_page(
        db_session(),
        scope=staff.scope_of(current_user),
        q=q,
        page=request.args.get("page", 1, type=int) or 1,
    )
    return render_template("admin/users.html", listing=listing, form=form, q=q)


def _staff_account(user_id: uuid.UUID) -> User:
    """A staff or administrator account this administrator manages (404 for any other,
    and for a client's sign-in: ``app.web.admin.clients`` has its own actions)."""
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    try:
        staff.require_manageable(staff.scope_of(current_user), user)
    except NotFound:
        abort(404)
    return user


def _staff_form(form: StaffForm) -> StaffForm:
    form.set_choices(
        [
            o
            for o in assignable(db_session())
            if current_user.organisation_id is None
            or o.id == current_user.organisation_id
            or o.kind is not OrgKind.COUNTY
        ],
        service_admin=current_user.organisation_id is None,
    )
    return form


def _organisation_id(form: StaffForm) -> uuid.UUID | None:
    value = form.organisation_id.data or NO_ORGANISATION
    return uuid.UUID(value) if value else None


def _render_user(
    user: User,
    form: SetPasswordForm | None = None,
    status: int = 200,
    *,
    change: StaffForm | None = None,
    link: str | None = None,
) -> Page:
    if change is None:
        change = _staff_form(StaffForm(formdata=None, obj=user))
        change.role.data = user.role.value
        change.organisation_id.data = str(user.organisation_id) if user.organisation_id else ""
    html = render_template(
        "admin/user.html",
        user=user,
        sessions=open_sessions(db_session(), user.id),
        form=form or SetPasswordForm(formdata=None),
        confirm=ConfirmForm(),
        change=change,
        events=history(db_session(), user.id),
        invitation=pending_invitation(db_session(), user.id)
        if user.password_hash is None
        else None,
        second_factor=has_second_factor(db_session(), user),
        email=address_of(db_session(), user.id) if _mail_enabled() else None,
        link=link,
        now=utcnow(),
    )
    return (html, status) if status != 200 else html


def _invitation_link(token: str) -> str:
    return external_url("auth.invitation", token=token)


def _mail_enabled() -> bool:
    return bool(current_app.extensions["tukiverkko.settings"].mail_enabled)


def _mail_link(account: User, kind: MailKind, token: str, address: str) -> Response:
    """Queue the one-time link to ``address`` (sent by ``flask outbox send``); say so."""
    outbox.send_link(
        db_session(), account, kind, address=address, link=_invitation_link(token), now=utcnow()
    )
    flash(
        gettext(
            "The link is on its way by e-mail to %(address)s. It is not shown here.",
            address=address,
        ),
        "info",
    )
    return redirect(url_for("admin.user", user_id=account.id))


@bp.route("/users/invite", methods=["GET", "POST"])
@allow(Role.ADMIN)
def invite() -> Page | Response:
    form = _staff_form(InviteForm())
    if not _mail_enabled():
        del form.email
    if form.validate_on_submit():
        with refusals_shown_on(form):
            address = (
                outbox.check_address(form.email.data) if "email" in form and form.email.data else ""
            )
            issued = staff.invite_staff(
                db_session(),
                scope=staff.scope_of(current_user),
                by_id=current_user.id,
                username=form.username.data,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                organisation_id=_organisation_id(form),
                now=utcnow(),
            )
            account = db_session().get(User, issued.invitation.user_id)
            assert account is not None
            _logged(security_log.Kind.ACCOUNT_INVITED, account, role=account.role)
            if address:  # the link goes by e-mail only (never shown), the address is kept
                outbox.set_address(
                    db_session(), account, address=address, notify=False, now=utcnow()
                )
                return _mail_link(account, MailKind.STAFF_INVITATION, issued.token, address)
            # Shown in this response only (no redirect): the link is stored nowhere.
            return _render_user(account, link=_invitation_link(issued.token))
    status = 400 if form.is_submitted() else 200
    return (
        render_template(
            "admin/invite.html",
            form=form,
            lifetime_days=INVITATION_LIFETIME.days,
            mail_enabled="email" in form,
        ),
        status,
    )


@bp.route("/users/<uuid:user_id>")
@allow(Role.ADMIN)
def user(user_id: uuid.UUID) -> Page:
    found = db_session().get(User, user_id)
    if found is not None and found.role is Role.CLIENT:
        return render_client(client_account(found))
    return _render_user(_staff_account(user_id))


@bp.route("/users/<uuid:user_id>/invitation", methods=["POST"])
@allow(Role.ADMIN)
def reinvite(user_id: uuid.UUID) -> Page | Response:
    account = _staff_account(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        issued = staff.reinvite(
            db_session(),
            account,
            scope=staff.scope_of(current_user),
            by_id=current_user.id,
            now=utcnow(),
        )
    except staff.AlreadySetUp as refusal:
        flash_refusal(refusal)
        return redirect(url_for("admin.user", user_id=account.id))
    _logged(security_log.Kind.ACCOUNT_INVITED, account, role=account.role)
    saved = address_of(db_session(), account.id) if _mail_enabled() else None
    if saved is not None:
        return _mail_link(account, MailKind.STAFF_INVITATION, issued.token, saved.address)
    return _render_user(account, link=_invitation_link(issued.token))


@bp.route("/users/<uuid:user_id>/password-link", methods=["POST"])
@allow(Role.ADMIN)
def password_link(user_id: uuid.UUID) -> Response:
    """A password-reset link by e-mail, for an account with an address (never shown here)."""
    account = _staff_account(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    saved = address_of(db_session(), account.id) if _mail_enabled() else None
    if saved is None:  # the one-time password is the way
        flash_refusal(outbox.NoAddress())
        return redirect(url_for("admin.user", user_id=account.id))
    issued = staff.password_reset_link(
        db_session(),
        account,
        scope=staff.scope_of(current_user),
        by_id=current_user.id,
        now=utcnow(),
    )
    _logged(security_log.Kind.ACCOUNT_INVITED, account, role=account.role, purpose="reset")
    return _mail_link(account, MailKind.PASSWORD_RESET, issued.token, saved.address)


@bp.route("/users/<uuid:user_id>/change", methods=["POST"])
@allow(Role.ADMIN)
def change(user_id: uuid.UUID) -> Page | Response:
    account = _staff_account(user_id)
    form = _staff_form(StaffForm())
    if form.validate_on_submit():
        with refusals_shown_on(form):
            ended = staff.change_account(
                db_session(),
                account,
                scope=staff.scope_of(current_user),
                by_id=current_user.id,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                organisation_id=_organisation_id(form),
                now=utcnow(),
            )
            _logged(
                security_log.Kind.ACCOUNT_CHANGED,
                account,
                role=account.role,
                organisation_id=account.organisation_id,
            )
            if ended is not None:
                log_ended_sessions(account.id, ended, SessionEnd.ACCOUNT_CHANGED)
            flash(gettext("The account is changed."), "info")
            return redirect(url_for("admin.user", user_id=account.id))
    return _render_user(account, status=400, change=form)


@bp.route("/users/<uuid:user_id>/password", methods=["POST"])
@allow(Role.ADMIN)
def set_password(user_id: uuid.UUID) -> Page | Response:
    account = _staff_account(user_id)
    form = SetPasswordForm()
    if form.validate_on_submit():
        with refusals_shown_on(form):
            ended = staff.set_one_time_password(
                db_session(),
                password_hasher(),
                account,
                scope=staff.scope_of(current_user),
                by_id=current_user.id,
                password=form.password.data,
                now=utcnow(),
            )
            _logged(security_log.Kind.PASSWORD_SET, account)
            log_ended_sessions(account.id, ended, SessionEnd.PASSWORD_SET)
            flash(
                gettext(
                    "The one-time password is set. The user must choose their own when they "
                    "sign in with it; every sign-in of theirs has ended."
                ),
                "info",
            )
            return redirect(url_for("admin.user", user_id=account.id))
    return _render_user(account, form, 400)


@bp.route("/users/<uuid:user_id>/second-factor/reset", methods=["POST"])
@allow(Role.ADMIN)
def reset_second_factor(user_id: uuid.UUID) -> Response:
    account = _staff_account(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    staff.reset_second_factor(
        db_session(),
        account,
        scope=staff.scope_of(current_user),
        by_id=current_user.id,
        origin=Origin(request.remote_addr, "web"),
        now=utcnow(),
    )
    _logged(security_log.Kind.SECOND_FACTOR_RESET, account)
    flash(
        gettext(
            "Two-step sign-in is off and every sign-in of the account has ended. Where it is "
            "required, the user sets it up again at their next sign-in."
        ),
        "info",
    )
    return redirect(url_for("admin.user", user_id=account.id))


@bp.route("/users/<uuid:user_id>/deactivate", methods=["POST"])
@allow(Role.ADMIN)
def deactivate(user_id: uuid.UUID) -> Response:
    account = _staff_account(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ended = staff.deactivate_account(
            db_session(),
            account,
            scope=staff.scope_of(current_user),
            by=current_user,
            now=utcnow(),
        )
    except CannotDeactivateSelf as refusal:
        flash_refusal(refusal)
        return redirect(url_for("admin.user", user_id=account.id))
    _logged(security_log.Kind.ACCOUNT_DEACTIVATED, account)
    log_ended_sessions(account.id, ended, SessionEnd.DEACTIVATED)
    flash(gettext("The account is deactivated and every sign-in of it has ended."), "info")
    return redirect(url_for("admin.user", user_id=account.id))


@bp.route("/users/<uuid:user_id>/reactivate", methods=["POST"])
@allow(Role.ADMIN)
def reactivate(user_id: uuid.UUID) -> Response:
    account = _staff_account(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    staff.reactivate_account(
        db_session(),
        account,
        scope=staff.scope_of(current_user),
        by_id=current_user.id,
        now=utcnow(),
    )
    _logged(security_log.Kind.ACCOUNT_REACTIVATED, account)
    flash(gettext("The account can sign in again."), "info")
    return redirect(url_for("admin.user", user_id=account.id))
