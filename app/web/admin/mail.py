"""Administrators and e-mail: what is waiting or was given up on, and "retry now".

The list names the kind of e-mail, the account it is for (its username, as the staff and
client sign-in lists do), the address shortened (``app.outbox.rules.masked``), the attempts,
the last error (an SMTP code or an error's class, never content) and the next attempt. No
message has a body to show: each is its kind's fixed text (``app.mail``). A county's
administrator sees the e-mail of the accounts they reach (``app.staff.queries.
account_in_scope``); another's is not found (404).
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from app.extensions import db_session
from app.models import Role
from app.models.outbox import MailKind, MailState
from app.outbox import commands as outbox
from app.outbox.queries import not_sent, one_not_sent
from app.outbox.rules import masked
from app.refusals import Conflict
from app.security import allow
from app.staff.commands import scope_of
from app.web.admin import bp
from app.web.admin.forms import ConfirmForm
from app.web.forms import flash_refusal
from consent.base import utcnow

MAIL_KINDS = {
    MailKind.NEW_MESSAGE: _l("New message"),
    MailKind.REMINDER: _l("Reminder"),
    MailKind.STAFF_INVITATION: _l("Staff invitation"),
    MailKind.PASSWORD_RESET: _l("Password reset"),
}
MAIL_STATES = {
    MailState.PENDING: _l("Waiting"),
    MailState.SENDING: _l("Being sent"),
    MailState.SENT: _l("Sent"),
    MailState.FAILED: _l("Given up"),
}


@bp.app_template_global()
def mail_kind_label(kind: MailKind) -> str:
    return str(MAIL_KINDS[kind])


@bp.app_template_global()
def mail_state_label(state: MailState) -> str:
    return str(MAIL_STATES[state])


bp.add_app_template_filter(masked, "masked_address")


@bp.route("/mail")
@allow(Role.ADMIN)
def mail() -> str:
    listing = not_sent(
        db_session(),
        scope=scope_of(current_user),
        page=request.args.get("page", 1, type=int) or 1,
    )
    return render_template("admin/mail.html", listing=listing, form=ConfirmForm())


@bp.route("/mail/<uuid:message_id>/retry", methods=["POST"])
@allow(Role.ADMIN)
def mail_retry(message_id: uuid.UUID) -> Response:
    message = one_not_sent(db_session(), message_id, scope=scope_of(current_user))
    if message is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        outbox.retry_now(db_session(), message, now=utcnow())
    except Conflict as refusal:
        flash_refusal(refusal)
    else:
        flash(gettext("The e-mail will be tried again within a minute."), "info")
    return redirect(url_for("admin.mail"))
