"""County transfer pages: the sending county proposes (and may withdraw) on the client's
record; the receiving county's caseworkers answer on their list of transfers.

The receiving county sees a proposal's client by name only (the gate allows that much while
the proposal waits), never the record before accepting. After the transfer the sending
county keeps its transfer records (without the client's name, which it can no longer read)
and the client's record answers it with a 404, like any record that is not its own.
"""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from app.extensions import db_session
from app.models import Client, Organisation, OrgKind, Role
from app.models.transfer import CountyTransfer, DeclineReason, TransferReason, TransferState
from app.refusals import Conflict, NotFound
from app.security import allow, current_actor, gate
from app.transfer import commands as transfer_commands
from app.transfer import queries as transfer_queries
from app.web.caseworker import bp
from app.web.caseworker.context import ClientPage, client_page, list_names
from app.web.caseworker.transfer_forms import (
    DECLINE_REASONS,
    TRANSFER_REASONS,
    TRANSFER_STATES,
    AnswerSeenForm,
    ConfirmForm,
    DeclineTransferForm,
    ProposeTransferForm,
)
from app.web.forms import flash_refusal, refusals_shown_on
from app.web.receipts import RequestWording
from consent.base import utcnow

Page = str | tuple[str, int]


@bp.app_template_global()
def transfer_reason_label(value: str) -> str:
    return str(TRANSFER_REASONS[TransferReason(value)])


@bp.app_template_global()
def decline_reason_label(value: str) -> str:
    return str(DECLINE_REASONS[DeclineReason(value)])


@bp.app_template_global()
def transfer_state_label(value: str) -> str:
    return str(TRANSFER_STATES[TransferState(value)])


def _counties(own: uuid.UUID) -> list[tuple[str, str]]:
    rows = db_session().scalars(
        select(Organisation)
        .where(Organisation.kind == OrgKind.COUNTY, Organisation.id != own)
        .order_by(Organisation.name)
    )
    return [(str(o.id), o.name) for o in rows]


# -- the sending county, on the client's record ------------------------------------------


@bp.route("/clients/<uuid:client_id>/transfer", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def transfer(page: ClientPage) -> Page | Response:
    form = ProposeTransferForm()
    form.to_county.choices = [("", gettext("Choose a county")), *_counties(page.case.county_id)]
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            with refusals_shown_on(form):
                try:
                    transfer_commands.propose_transfer(
                        db_session(),
                        gate(),
                        page.actor,
                        case=page.case,
                        to_county_id=_uuid(form.to_county.data),
                        reason=TransferReason(form.reason.data),
                    )
                except Conflict as refusal:
                    flash_refusal(refusal)
                    return redirect(url_for("caseworker.transfer", client_id=page.client.id))
                flash(
                    gettext(
                        "The transfer was proposed. The receiving county's caseworkers see it "
                        "and accept or decline it; until then the case stays with you."
                    ),
                    "info",
                )
                return redirect(url_for("caseworker.transfer", client_id=page.client.id))
    html = render_template(
        "caseworker/transfer.html",
        page=page,
        form=form,
        withdraw=ConfirmForm(),
        pending=transfer_commands.pending_transfer(db_session(), page.case.id),
        history=transfer_queries.case_transfers(db_session(), page.case.id),
    )
    return (html, status) if status != 200 else html


@bp.route("/clients/<uuid:client_id>/transfer/withdraw", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def transfer_withdraw(page: ClientPage) -> Response:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        transfer_commands.withdraw_transfer(db_session(), gate(), page.actor, case=page.case)
    except Conflict as refusal:
        flash_refusal(refusal)
    else:
        flash(gettext("The transfer was withdrawn. The case stays with you."), "info")
    return redirect(url_for("caseworker.transfer", client_id=page.client.id))


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# -- the receiving county, and the records the sending county keeps ----------------------


@bp.route("/transfers")
@allow(Role.CASEWORKER)
def transfers() -> str:
    county = current_user.organisation_id
    outgoing = (
        db_session()
        .scalars(
            select(CountyTransfer)
            .where(CountyTransfer.from_county_id == county)
            .options(joinedload(CountyTransfer.to_county), joinedload(CountyTransfer.proposed_by))
            .order_by(CountyTransfer.proposed_at.desc(), CountyTransfer.id)
            .limit(OUTGOING_SHOWN)
        )
        .all()
    )
    return render_template(
        "caseworker/transfers.html",
        incoming=transfer_queries.incoming(db_session(), gate(), current_actor(), county),
        outgoing=outgoing,
    )


OUTGOING_SHOWN = 50


@bp.route("/transfers/<uuid:transfer_id>")
@allow(Role.CASEWORKER)
def transfer_incoming(transfer_id: uuid.UUID) -> str:
    return _incoming_page(transfer_id, ConfirmForm(), DeclineTransferForm())


def _incoming_page(
    transfer_id: uuid.UUID, accept: ConfirmForm, decline: DeclineTransferForm
) -> str:
    found = transfer_queries.incoming_one(db_session(), gate(), current_actor(), transfer_id)
    if found is None:
        abort(404)
    return render_template(
        "caseworker/transfer_incoming.html", found=found, accept=accept, decline=decline
    )


def _transfer_or_404(transfer_id: uuid.UUID) -> CountyTransfer:
    transfer = db_session().get(CountyTransfer, transfer_id)
    if transfer is None or transfer.to_county_id != current_user.organisation_id:
        abort(404)
    return transfer


@bp.route("/transfers/<uuid:transfer_id>/accept", methods=["POST"])
@allow(Role.CASEWORKER)
def transfer_accept(transfer_id: uuid.UUID) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    transfer = _transfer_or_404(transfer_id)
    try:
        transfer_commands.accept_transfer(
            db_session(),
            gate(),
            current_actor(),
            transfer=transfer,
            worker=current_user,
            receipt=RequestWording(),
        )
    except Conflict as refusal:
        flash_refusal(refusal)
        return redirect(url_for("caseworker.transfer_incoming", transfer_id=transfer_id))
    flash(
        gettext(
            "You accepted the transfer. The case is now your county's and you are its "
            "responsible worker; the client is told on their page."
        ),
        "info",
    )
    return redirect(url_for("caseworker.client", client_id=transfer.client_id))


@bp.route("/transfers/<uuid:transfer_id>/decline", methods=["POST"])
@allow(Role.CASEWORKER)
def transfer_decline(transfer_id: uuid.UUID) -> Page | Response:
    form = DeclineTransferForm()
    if not form.validate_on_submit():
        return _incoming_page(transfer_id, ConfirmForm(), form), 400
    transfer = _transfer_or_404(transfer_id)
    try:
        transfer_commands.decline_transfer(
            db_session(),
            gate(),
            current_actor(),
            transfer=transfer,
            reason=DeclineReason(form.reason.data),
        )
    except Conflict as refusal:
        flash_refusal(refusal)
        return redirect(url_for("caseworker.transfer_incoming", transfer_id=transfer_id))
    flash(gettext("You declined the transfer. The case stays with the sending county."), "info")
    return redirect(url_for("caseworker.transfers"))


# -- the sending worker hears the answer ------------------------------------------------------


@bp.route("/dashboard/transfer-answers", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
def transfer_answers() -> str | Response:
    """The receiving counties' answers to transfers of the cases the worker was responsible
    for, not yet acknowledged first; posting one's id acknowledges it (its dashboard item
    goes). A declined case is still the county's: its name and transfer tab are shown; an
    accepted one is not, so only the transfer record the county keeps is linked."""
    if request.method == "POST":
        form = AnswerSeenForm()
        if not form.validate_on_submit():
            abort(400)
        notice_id = _uuid(form.notice.data)
        try:
            if notice_id is None:
                raise transfer_commands.AnswerNoticeNotFound()
            transfer_commands.see_transfer_answer(
                db_session(), notice_id, user_id=current_user.id, at=utcnow()
            )
        except NotFound as refusal:
            flash_refusal(refusal)
        else:
            flash(gettext("Answer acknowledged."), "info")
        return redirect(url_for("caseworker.transfer_answers"))
    listing = transfer_queries.answers_for(
        db_session(), current_user.id, page=request.args.get("page", 1, type=int)
    )
    declined = {
        n.transfer.client_id for n in listing.rows if n.transfer.state is TransferState.DECLINED
    }
    ours = (
        db_session()
        .scalars(
            select(Client).where(
                Client.id.in_(declined), Client.county_id == current_user.organisation_id
            )
        )
        .all()
        if declined
        else []
    )
    names = dict(zip([c.id for c in ours], list_names(list(ours)), strict=True))
    return render_template(
        "caseworker/dashboard_transfer_answers.html",
        listing=listing,
        names=names,
        seen_form=AnswerSeenForm(formdata=None),
    )
