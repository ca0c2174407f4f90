"""Updates from the network in the client's record: the list with its filters, and the
worker's acknowledgement.

Partners' updates (and their reports on their checklist tasks) are county data once
received: the texts are read through the gate for case work, in one call per page. The
worker acknowledges an update to say it has been taken in; who did and when is shown.
"""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice, SelectField

from app.extensions import db_session
from app.labels import PARTNER_UPDATE_KINDS
from app.models import Role
from app.models.partner import PartnerUpdateKind
from app.partner_work import commands as partner_commands
from app.partner_work import queries as partner_queries
from app.security import allow, gate
from app.web.caseworker import bp
from app.web.caseworker.context import ClientPage, client_page
from app.web.caseworker.overview_forms import ConfirmForm

ACKNOWLEDGED = {"no": False, "yes": True}


class UpdateFilterForm(FlaskForm):
    """The list's filters, sent with GET (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    kind = SelectField(_l("About"), default="")
    organisation = SelectField(_l("Organisation"), default="")
    acknowledged = SelectField(
        _l("Acknowledged"),
        default="",
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("no", _l("Not yet acknowledged")),
            SelectChoice("yes", _l("Acknowledged")),
        ],
    )


def _filter_form(organisations: list[tuple[uuid.UUID, str]]) -> UpdateFilterForm:
    form = UpdateFilterForm(request.args)
    form.kind.choices = [SelectChoice("", _l("All"))] + [
        SelectChoice(kind.value, label) for kind, label in PARTNER_UPDATE_KINDS.items()
    ]
    form.organisation.choices = [SelectChoice("", _l("All"))] + [
        SelectChoice(str(org_id), name) for org_id, name in organisations
    ]
    return form


def _filters(form: UpdateFilterForm) -> partner_queries.UpdateFilters:
    return partner_queries.UpdateFilters(
        kind=PartnerUpdateKind(form.kind.data) if form.kind.data else None,
        organisation_id=uuid.UUID(form.organisation.data) if form.organisation.data else None,
        acknowledged=ACKNOWLEDGED.get(form.acknowledged.data or ""),
    )


@bp.route("/clients/<uuid:client_id>/updates")
@allow(Role.CASEWORKER)
@client_page
def partner_updates(page: ClientPage) -> tuple[str, int]:
    organisations = partner_queries.update_organisations(db_session(), page.case.id)
    form = _filter_form(organisations)
    valid = form.validate()
    filters = _filters(form) if valid else partner_queries.UpdateFilters()
    listed = partner_queries.record_updates(
        db_session(), page.case.id, filters, page=request.args.get("page", 1, type=int) or 1
    )
    texts = partner_queries.update_texts(gate(), page.actor, listed.rows)
    return render_template(
        "caseworker/updates.html",
        page=page,
        form=form,
        listed=listed,
        rows=list(zip(listed.rows, texts, strict=True)),
        filters={k: v for k, v in request.args.items() if k != "page" and valid},
        acknowledge=ConfirmForm(formdata=None),
    ), 200 if valid else 400


@bp.route("/clients/<uuid:client_id>/updates/<uuid:update_id>/acknowledge", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def acknowledge_update(page: ClientPage, update_id: uuid.UUID) -> Response:
    back = url_for("caseworker.partner_updates", client_id=page.client.id)
    if not ConfirmForm().validate_on_submit():
        flash(gettext("The form expired: try again."), "error")
        return redirect(back)
    if partner_commands.acknowledge_update(
        db_session(), page.case.id, update_id, by_user_id=current_user.id
    ):
        flash(gettext("Update acknowledged."), "info")
    else:
        flash(gettext("A colleague had already acknowledged this update."), "info")
    target = request.form.get("next", "")
    return redirect(target if target in _own_pages(page) else back)


def _own_pages(page: ClientPage) -> set[str]:
    """Where an acknowledgement may return to: the updates list or the release checklist."""
    return {
        url_for("caseworker.partner_updates", client_id=page.client.id),
        url_for("caseworker.release", client_id=page.client.id),
    }
