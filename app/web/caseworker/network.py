"""Network pages: assemble the support network, agree information flows, draw the picture."""

from __future__ import annotations

import enum
import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext, ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.extensions import db_session
from app.i18n import helsinki_today
from app.models import MemberKind, NetworkMember, Organisation, Role
from app.models.flows import FlowAgreement, FlowChannel, FlowDirection
from app.network import commands as network_commands
from app.network.queries import NetworkView, directory, read_network
from app.refusals import Conflict
from app.security import allow, gate
from app.web.caseworker import bp
from app.web.caseworker.context import ClientPage, client_page
from app.web.caseworker.network_forms import (
    FLOW_CHANNELS,
    FLOW_DIRECTIONS,
    MEMBER_STATUSES,
    CommitmentForm,
    ConfirmForm,
    EndMembershipForm,
    FlowForm,
    OrganisationMemberForm,
    PersonMemberForm,
    organisation_choices,
)
from app.web.forms import flash_refusal, refusals_shown_on
from app.web.network_picture import NetworkPicture, PictureText, draw, picture_members
from consent.facts import Action, Purpose
from consent.sections import DataScope
from consent.status import MembershipStatus

Page = str | tuple[str, int]


@bp.app_template_global()
def flow_direction_label(value: enum.StrEnum) -> str:
    return str(FLOW_DIRECTIONS[FlowDirection(value)])


@bp.app_template_global()
def flow_channel_label(value: enum.StrEnum) -> str:
    return str(FLOW_CHANNELS[FlowChannel(value)])


@bp.app_template_global()
def member_status_label(value: enum.StrEnum) -> str:
    return str(MEMBER_STATUSES[MembershipStatus(value)])


# -- the network page ---------------------------------------------------------------------


@bp.route("/clients/<uuid:client_id>/network")
@allow(Role.CASEWORKER)
@client_page
def network(page: ClientPage) -> Page:
    return _network(page)


@bp.route("/clients/<uuid:client_id>/network/organisations", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def network_add_organisation(page: ClientPage) -> Page | Response:
    organisations = directory(db_session())
    form = _organisation_form(organisations)
    if form.validate_on_submit():
        with refusals_shown_on(form):
            network_commands.add_organisation_member(
                db_session(),
                gate(),
                page.actor,
                case=page.case,
                organisation_id=uuid.UUID(form.organisation.data),
                role=form.role.data,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
            )
            flash(gettext("The organisation was added to the network."), "info")
            return redirect(url_for("caseworker.network", client_id=page.client.id))
    return _network(page, org_form=form, organisations=organisations, status=400)


@bp.route("/clients/<uuid:client_id>/network/persons", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def network_add_person(page: ClientPage) -> Page | Response:
    form = PersonMemberForm(prefix="person")
    if form.validate_on_submit():
        with refusals_shown_on(form):
            network_commands.add_person_member(
                db_session(),
                gate(),
                page.actor,
                case=page.case,
                kind=MemberKind(form.kind.data),
                name=form.name.data,
                contact=form.contact.data,
                role=form.role.data,
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
            )
            flash(gettext("The person was added to the network."), "info")
            return redirect(url_for("caseworker.network", client_id=page.client.id))
    return _network(page, person_form=form, status=400)


def _organisation_form(directory: list[Organisation]) -> OrganisationMemberForm:
    form = OrganisationMemberForm(prefix="org")
    form.organisation.choices = organisation_choices(directory)
    return form


def _network(
    page: ClientPage,
    *,
    org_form: OrganisationMemberForm | None = None,
    person_form: PersonMemberForm | None = None,
    organisations: list[Organisation] | None = None,
    status: int = 200,
) -> Page:
    view = read_network(db_session(), gate(), page.actor, page.case)
    if org_form is None:
        org_form = _organisation_form(
            organisations if organisations is not None else directory(db_session())
        )
    html = render_template(
        "caseworker/network.html",
        page=page,
        view=view,
        picture=picture_for(page.name, view),
        org_form=org_form,
        person_form=person_form or PersonMemberForm(prefix="person"),
    )
    return (html, status) if status != 200 else html


def picture_for(
    client_name: str, view: NetworkView, *, id_prefix: str = "network-picture"
) -> NetworkPicture:
    """The picture of the network as it stands: members that have not ended, active flows."""
    members = picture_members(view, FLOW_DIRECTIONS, FLOW_CHANNELS)
    shown = sum(1 for m in members if m.active)
    text = PictureText(
        title=gettext("Support network of %(name)s", name=client_name),
        description=ngettext(
            "The client in the centre and %(num)d network member around them, grouped by "
            "kind, with a line for each agreed information flow. The same information is in "
            "the table after the picture.",
            "The client in the centre and %(num)d network members around them, grouped by "
            "kind, with a line for each agreed information flow. The same information is in "
            "the table after the picture.",
            shown,
        ),
        client_caption=gettext("Client"),
        legend_title=gettext("Lines"),
        to_member=gettext("The county informs the member (solid line, arrow to the member)"),
        from_member=gettext("The member informs the county (dashed line, arrow to the centre)"),
        both=gettext("Both ways (dash-dot line, arrows at both ends)"),
        no_flow=gettext("Thin line: no information flow agreed yet"),
    )
    return draw(client_name, members, text, id_prefix=id_prefix)


# -- one member ---------------------------------------------------------------------------


@bp.route("/clients/<uuid:client_id>/network/members/<uuid:member_id>")
@allow(Role.CASEWORKER)
@client_page
def network_member(page: ClientPage, member_id: uuid.UUID) -> Page:
    return _member_page(page, member_id)


@bp.route(
    "/clients/<uuid:client_id>/network/members/<uuid:member_id>/confidentiality",
    methods=["POST"],
)
@allow(Role.CASEWORKER)
@client_page
def network_commitment(page: ClientPage, member_id: uuid.UUID) -> Page | Response:
    member = _member_or_404(page, member_id)
    form = CommitmentForm(prefix="commitment")
    if form.validate_on_submit():
        _may_change(page)
        try:
            with refusals_shown_on(form):
                network_commands.record_commitment(
                    db_session(),
                    member,
                    committed_on=form.committed_on.data,
                    by_user_id=page.actor.user_id,
                )
                flash(gettext("The confidentiality commitment was recorded."), "info")
                return _back_to_member(page, member_id)
        except Conflict as refusal:
            flash_refusal(refusal)
            return _back_to_member(page, member_id)
    return _member_page(page, member_id, commitment_form=form, status=400)


@bp.route("/clients/<uuid:client_id>/network/members/<uuid:member_id>/end", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def network_end_member(page: ClientPage, member_id: uuid.UUID) -> Page | Response:
    """A confirmation page: what ending does, today's date and the reason; nothing in one click."""
    member = _member_or_404(page, member_id)
    form = EndMembershipForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                with refusals_shown_on(form):
                    network_commands.end_member_confirmed(
                        db_session(), gate(), page.actor, member, reason=form.reason.data or ""
                    )
                    flash(
                        gettext(
                            "The membership ended. The member's access to the client's data "
                            "ended at once."
                        ),
                        "info",
                    )
                    return redirect(url_for("caseworker.network", client_id=page.client.id))
            except Conflict as refusal:
                flash_refusal(refusal)
                return _back_to_member(page, member_id)
    view = read_network(db_session(), gate(), page.actor, page.case, member_id=member_id)
    html = render_template(
        "caseworker/network_end.html",
        page=page,
        member=view.members[0],
        form=form,
        today=helsinki_today(),
    )
    return (html, status) if status != 200 else html


@bp.route("/clients/<uuid:client_id>/network/members/<uuid:member_id>/flows", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def network_add_flow(page: ClientPage, member_id: uuid.UUID) -> Page | Response:
    member = _member_or_404(page, member_id)
    form = FlowForm(prefix="flow")
    if form.validate_on_submit():
        try:
            with refusals_shown_on(form):
                network_commands.add_flow(
                    db_session(),
                    gate(),
                    page.actor,
                    member=member,
                    direction=FlowDirection(form.direction.data),
                    channel=FlowChannel(form.channel.data),
                    subject=form.subject.data,
                    practice=form.practice.data,
                    agreed_on=form.agreed_on.data,
                    agreed_with_client=form.agreed_with_client.data,
                )
                flash(gettext("The information-flow agreement was recorded."), "info")
                return _back_to_member(page, member_id)
        except Conflict as refusal:
            flash_refusal(refusal)
            return _back_to_member(page, member_id)
    return _member_page(page, member_id, flow_form=form, status=400)


@bp.route(
    "/clients/<uuid:client_id>/network/members/<uuid:member_id>/flows/<uuid:flow_id>/end",
    methods=["POST"],
)
@allow(Role.CASEWORKER)
@client_page
def network_end_flow(page: ClientPage, member_id: uuid.UUID, flow_id: uuid.UUID) -> Response:
    member = _member_or_404(page, member_id)
    flow = db_session().get(FlowAgreement, flow_id)
    if flow is None or flow.member_id != member.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _may_change(page)
    try:
        network_commands.end_flow(db_session(), flow, by_user_id=page.actor.user_id)
    except Conflict as refusal:
        flash_refusal(refusal)
    else:
        flash(gettext("The agreement was ended. It stays on record."), "info")
    return _back_to_member(page, member_id)


def _member_page(
    page: ClientPage,
    member_id: uuid.UUID,
    *,
    commitment_form: CommitmentForm | None = None,
    flow_form: FlowForm | None = None,
    status: int = 200,
) -> Page:
    view = read_network(db_session(), gate(), page.actor, page.case, member_id=member_id)
    if not view.members:
        abort(404)
    html = render_template(
        "caseworker/network_member.html",
        page=page,
        view=view,
        member=view.members[0],
        commitment_form=commitment_form or CommitmentForm(prefix="commitment"),
        flow_form=flow_form or FlowForm(prefix="flow"),
    )
    return (html, status) if status != 200 else html


def _member_or_404(page: ClientPage, member_id: uuid.UUID) -> NetworkMember:
    member = db_session().scalar(
        select(NetworkMember)
        .where(NetworkMember.id == member_id, NetworkMember.case_id == page.case.id)
        .options(selectinload(NetworkMember.organisation))
    )
    if member is None:
        abort(404)
    return member


def _may_change(page: ClientPage) -> None:
    """Changes without encrypted text still need the right to write this client's case.

    :raises AccessDenied: when the actor may not (the gate logs it).
    """
    gate().check(page.actor, page.client.id, Action.WRITE, Purpose.CASE_WORK, DataScope.BASIC)


def _back_to_member(page: ClientPage, member_id: uuid.UUID) -> Response:
    return redirect(
        url_for("caseworker.network_member", client_id=page.client.id, member_id=member_id)
    )
