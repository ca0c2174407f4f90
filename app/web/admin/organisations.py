"""The organisation directory's administration: list and search, add, edit, deactivate.

A county's administrator adds and changes the organisations local to their county (and
their own county's details); organisations that span counties are the service's
administrators' (``app.directory.rules``). Deactivating ends the organisation's network
memberships and its staff's sign-ins (``app.directory.commands``).
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from app import security_log
from app.accounts.rules import SessionEnd
from app.directory import commands as directory
from app.directory.queries import counties, network_place, search
from app.directory.rules import (
    OrganisationFacts,
    Scope,
    kind_change_logged,
    may_manage_organisation,
)
from app.extensions import db_session
from app.models import Organisation, OrgKind, Role
from app.security import allow, current_keyring, gate, log_ended_sessions
from app.staff.commands import scope_of
from app.web.admin import bp
from app.web.admin.forms import (
    SPANS_COUNTIES,
    ConfirmForm,
    OrganisationForm,
    OrganisationSearchForm,
)
from app.web.forms import flash_refusal, refusals_shown_on, show_refusal
from consent.base import utcnow

Page = str | tuple[str, int]


def _scope() -> Scope:
    return scope_of(current_user)


def _organisation(organisation_id: uuid.UUID) -> Organisation:
    """An organisation the administrator may see (every one: the directory is not secret)."""
    organisation = db_session().get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    return organisation


def _kinds(scope: Scope, organisation: Organisation | None) -> list[OrgKind]:
    """The kinds offered: a county's administrator adds no counties (but keeps their own)."""
    if scope is None or (organisation is not None and organisation.id == scope):
        return list(OrgKind)
    return [k for k in OrgKind if k is not OrgKind.COUNTY]


def _form(organisation: Organisation | None, *, blank: bool = False) -> OrganisationForm:
    scope = _scope()
    form = (
        OrganisationForm(formdata=None, obj=organisation)
        if organisation is not None and request.method == "GET"
        else OrganisationForm()
    )
    if blank and organisation is None and request.method == "GET":
        form.authority.data = True
        if scope is not None:
            form.county_id.data = str(scope)
    if organisation is not None and request.method == "GET":
        form.kind.data = organisation.kind.value
        form.county_id.data = str(organisation.county_id) if organisation.county_id else ""
        form.authority.data = organisation.is_authority
    choices = counties(db_session())
    if scope is not None:
        choices = [c for c in choices if c.id == scope]
    own_county = scope is not None and organisation is not None and organisation.id == scope
    form.set_choices(
        choices, kinds=_kinds(scope, organisation), spanning=scope is None or own_county
    )
    return form


def _facts(form: OrganisationForm) -> OrganisationFacts:
    county = form.county_id.data or SPANS_COUNTIES
    return OrganisationFacts(
        name=form.name.data or "",
        kind=OrgKind(form.kind.data),
        authority=bool(form.authority.data),
        county_id=uuid.UUID(county) if county else None,
        business_id=form.business_id.data or "",
        municipality=form.municipality.data or "",
        phone=form.phone.data or "",
        email=form.email.data or "",
        address=form.address.data or "",
    )


def _logged(operation: str, organisation: Organisation, **fields: str | bool) -> None:
    security_log.event(
        security_log.Kind.ORGANISATION,
        outcome=security_log.Outcome.SUCCESS,
        user_id=current_user.id,
        operation=operation,
        organisation_id=organisation.id,
        **fields,
    )


@bp.route("/organisations")
@allow(Role.ADMIN)
def organisations() -> str:
    form = OrganisationSearchForm(request.args)
    valid = form.validate()
    state = form.state.data if valid else ""
    listing = search(
        db_session(),
        q=(form.q.data or "") if valid else "",
        kind=OrgKind(form.kind.data) if valid and form.kind.data else None,
        active={"active": True, "inactive": False}.get(state or ""),
        page=request.args.get("page", 1, type=int) or 1,
    )
    scope = _scope()
    manageable = {
        org.id
        for org, _ in listing.rows
        if may_manage_organisation(scope, organisation_id=org.id, county_id=org.county_id)
    }
    return render_template(
        "admin/organisations.html",
        form=form,
        listing=listing,
        manageable=manageable,
        search_args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def new_organisation() -> Page | Response:
    form = _form(None, blank=True)
    if form.validate_on_submit():
        with refusals_shown_on(form):
            organisation = directory.create_organisation(
                db_session(), current_keyring(), _facts(form), scope=_scope()
            )
            _logged("create", organisation)
            flash(gettext("The organisation is in the directory."), "info")
            return redirect(url_for("admin.organisation", organisation_id=organisation.id))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/organisation_form.html", form=form, organisation=None), status


@bp.route("/organisations/<uuid:organisation_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def organisation(organisation_id: uuid.UUID) -> Page | Response:
    found = _organisation(organisation_id)
    scope = _scope()
    manageable = may_manage_organisation(scope, organisation_id=found.id, county_id=found.county_id)
    form = _form(found)
    if request.method == "POST":
        if not manageable:
            abort(403)
        if form.validate_on_submit():
            before = (found.kind, found.is_authority)
            try:
                with refusals_shown_on(form):
                    directory.update_organisation(db_session(), found, _facts(form), scope=scope)
                    changes = kind_change_logged(before, (found.kind, found.is_authority))
                    _logged("change_kind" if changes else "update", found, **changes)
                    flash(gettext("The organisation's details are saved."), "info")
                    return redirect(url_for("admin.organisation", organisation_id=found.id))
            except directory.KindChangeRefused as refusal:
                # Nothing was changed: the form stays as typed, the reason at its field.
                show_refusal(form, refusal)
                return _organisation_page(form, found, manageable), refusal.status
    status = 400 if form.is_submitted() else 200
    return _organisation_page(form, found, manageable), status


def _organisation_page(form: OrganisationForm, found: Organisation, manageable: bool) -> str:
    return render_template(
        "admin/organisation_form.html",
        form=form,
        organisation=found,
        manageable=manageable,
        confirm=ConfirmForm(),
        county=db_session().get(Organisation, found.county_id) if found.county_id else None,
        place=network_place(db_session(), found.id, utcnow())
        if found.kind is not OrgKind.COUNTY
        else None,
    )


@bp.route("/organisations/<uuid:organisation_id>/deactivate", methods=["POST"])
@allow(Role.ADMIN)
def deactivate_organisation(organisation_id: uuid.UUID) -> Response:
    found = _organisation(organisation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        done = directory.deactivate_organisation(
            db_session(), gate(), found, scope=_scope(), by_user_id=current_user.id, now=utcnow()
        )
    except directory.CountyStays as refusal:
        flash_refusal(refusal)
        return redirect(url_for("admin.organisation", organisation_id=found.id))
    _logged("deactivate", found)
    for user_id, ended in done.accounts.items():
        security_log.event(
            security_log.Kind.ACCOUNT_DEACTIVATED,
            user_id=user_id,
            outcome=security_log.Outcome.SUCCESS,
            by=current_user.id,
            organisation_id=found.id,
        )
        log_ended_sessions(user_id, ended, SessionEnd.ORGANISATION_DEACTIVATED)
    flash(
        gettext(
            "The organisation is inactive: %(members)d network memberships ended and "
            "%(accounts)d staff accounts were deactivated.",
            members=done.memberships,
            accounts=len(done.accounts),
        ),
        "info",
    )
    return redirect(url_for("admin.organisation", organisation_id=found.id))


@bp.route("/organisations/<uuid:organisation_id>/reactivate", methods=["POST"])
@allow(Role.ADMIN)
def reactivate_organisation(organisation_id: uuid.UUID) -> Response:
    found = _organisation(organisation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    directory.reactivate_organisation(db_session(), found, scope=_scope())
    _logged("reactivate", found)
    flash(
        gettext(
            "The organisation can join networks again. Its staff accounts stay deactivated "
            "until you reactivate each."
        ),
        "info",
    )
    return redirect(url_for("admin.organisation", organisation_id=found.id))
