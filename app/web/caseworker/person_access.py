"""Access links for a close person or peer expert: issued under the client's consent, ended at once.

The worker chooses one of the member's live consents, the sections (at most the
consent's) and a last day (at most the consent's); the link and its short code are shown
once, to be passed on by two different channels. Ending a link stops it at once.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import DateField, RadioField
from wtforms.validators import InputRequired

from app.extensions import db_session
from app.labels import SECTIONS
from app.models import NetworkMember, Role
from app.models.person_access import PersonAccessGrant
from app.person_access import commands as person_access
from app.person_access.commands import IssuedAccess
from app.person_access.queries import grants_page, live_consents
from app.person_access.rules import MAX_ATTEMPTS
from app.public_url import external_url
from app.refusals import Conflict
from app.security import allow, gate, password_hasher
from app.web.caseworker import bp
from app.web.caseworker.consent_forms import CheckboxesField
from app.web.caseworker.context import ClientPage, client_page
from app.web.caseworker.network_forms import ConfirmForm
from app.web.forms import flash_refusal, refusals_shown_on
from consent.base import utcnow
from consent.facts import Action, Purpose
from consent.models import Consent
from consent.sections import DataScope, SectionKind
from consent.status import LinkStatus, MembershipStatus, helsinki_day, membership_status
from sharing.fields import sealed

Page = str | tuple[str, int]
DEFAULT_DAYS = 90  # a suggested period when the consent runs longer (or has no end)

ACCESS_STATUSES = {
    LinkStatus.WAITING: _l("Not yet opened"),
    LinkStatus.ACTIVE: _l("In use on one device"),
    LinkStatus.LOCKED: _l("Locked: too many wrong codes"),
    LinkStatus.EXPIRED: _l("Expired"),
    LinkStatus.ENDED: _l("Ended"),
    LinkStatus.CONSENT_ENDED: _l("Ended: the consent is no longer in force"),
    LinkStatus.MEMBERSHIP_ENDED: _l("Ended: the membership has ended"),
}


@bp.app_template_global()
def person_access_status_label(value: enum.StrEnum) -> str:
    return str(ACCESS_STATUSES[LinkStatus(value)])


class IssueAccessForm(FlaskForm):
    consent = RadioField(
        _l("Consent"),
        description=_l("The link can show at most what this consent covers, for at most as long."),
        validators=[InputRequired(_l("Choose the consent the link is issued under."))],
    )
    sections = CheckboxesField(
        _l("Plan sections the person may see"),
        validators=[InputRequired(_l("Choose at least one section of the plan."))],
    )
    valid_until = DateField(
        _l("Last day of access"),
        description=_l("The link stops working after this day. For example 2025-03-31."),
        validators=[InputRequired(_l("Enter the last day of access."))],
    )


def _consent_label(consent: Consent) -> str:
    sections = ", ".join(
        str(SECTIONS[kind]) for kind in SectionKind if kind.value in consent.sections
    )
    if consent.valid_until is None:
        return str(gettext("%(sections)s – no end date", sections=sections))
    return str(
        gettext(
            "%(sections)s – until %(date)s",
            sections=sections,
            date=format_date(consent.valid_until, "medium"),
        )
    )


def _prepare(form: IssueAccessForm, consents: list[Consent]) -> None:
    """Offer the live consents, and the sections any of them covers."""
    form.consent.choices = [(str(c.id), _consent_label(c)) for c in consents]
    covered = {s for c in consents for s in c.sections}
    form.sections.choices = [
        (kind.value, str(SECTIONS[kind])) for kind in SectionKind if kind.value in covered
    ]


def _suggested(form: IssueAccessForm, consents: list[Consent], today: date) -> None:
    if len(consents) != 1:
        return
    consent = consents[0]
    form.consent.data = str(consent.id)
    form.sections.data = list(consent.sections)
    default = today + timedelta(days=DEFAULT_DAYS)
    form.valid_until.data = min(default, consent.valid_until) if consent.valid_until else default


def _person_or_404(page: ClientPage, member_id: uuid.UUID) -> NetworkMember:
    """A person member of this client's network (not an organisation), or 404."""
    member = db_session().scalar(
        select(NetworkMember).where(
            NetworkMember.id == member_id, NetworkMember.case_id == page.case.id
        )
    )
    if member is None or member.organisation_id is not None:
        abort(404)
    return member


def _person_name(page: ClientPage, member: NetworkMember) -> str:
    name = gate().read_texts(
        page.actor, [sealed(member, NetworkMember.person_name_ct)], purpose=Purpose.CASE_WORK
    )[0]
    return name or ""


def _may_change(page: ClientPage) -> None:
    """:raises AccessDenied: when the actor may not change this client's case (logged)."""
    gate().check(page.actor, page.client.id, Action.WRITE, Purpose.CASE_WORK, DataScope.BASIC)


@bp.route("/clients/<uuid:client_id>/network/members/<uuid:member_id>/access")
@allow(Role.CASEWORKER)
@client_page
def person_access_page(page: ClientPage, member_id: uuid.UUID) -> Page:
    member = _person_or_404(page, member_id)
    return _render(page, member)


@bp.route("/clients/<uuid:client_id>/network/members/<uuid:member_id>/access", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def person_access_issue(page: ClientPage, member_id: uuid.UUID) -> Page | Response:
    member = _person_or_404(page, member_id)
    now = utcnow()
    consents = live_consents(db_session(), member.id, now)
    form = IssueAccessForm()
    _prepare(form, consents)
    if not form.validate_on_submit():
        return _render(page, member, form=form, consents=consents, status=400)
    _may_change(page)
    try:
        with refusals_shown_on(form):
            issued = person_access.issue_access(
                db_session(),
                case=page.case,
                member=member,
                consent_id=uuid.UUID(form.consent.data),
                sections=[SectionKind(s) for s in form.sections.data],
                valid_until=form.valid_until.data,
                # A caseworker's Actor always has a user_id (only person grantees lack one).
                issued_by_id=page.actor.user_id,  # type: ignore[arg-type]
                hasher=password_hasher(),
                at=now,
            )
            return _issued(page, member, issued)
    except Conflict as refusal:
        flash_refusal(refusal)
        return _back(page, member)
    return _render(page, member, form=form, consents=consents, status=400)


@bp.route(
    "/clients/<uuid:client_id>/network/members/<uuid:member_id>/access/<uuid:grant_id>/end",
    methods=["POST"],
)
@allow(Role.CASEWORKER)
@client_page
def person_access_end(page: ClientPage, member_id: uuid.UUID, grant_id: uuid.UUID) -> Response:
    member = _person_or_404(page, member_id)
    grant = db_session().get(PersonAccessGrant, grant_id)
    if grant is None or grant.member_id != member.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _may_change(page)
    try:
        person_access.end_access(db_session(), grant, page.actor.user_id)
    except Conflict as refusal:
        flash_refusal(refusal)
    else:
        flash(gettext("The link was ended. It stopped working at once."), "info")
    return _back(page, member)


def _render(
    page: ClientPage,
    member: NetworkMember,
    *,
    form: IssueAccessForm | None = None,
    consents: list[Consent] | None = None,
    status: int = 200,
) -> Page:
    now = utcnow()
    name = _person_name(page, member)
    if consents is None:
        consents = live_consents(db_session(), member.id, now)
    if form is None:
        form = IssueAccessForm(formdata=None)
        _prepare(form, consents)
        _suggested(form, consents, helsinki_day(now))
    listing = grants_page(db_session(), member, page=request.args.get("page", 1, type=int), at=now)
    html = render_template(
        "caseworker/person_access.html",
        page=page,
        member=member,
        member_name=name,
        member_current=(membership_status(member.membership(), now) is not MembershipStatus.ENDED),
        consents=consents,
        form=form,
        listing=listing,
    )
    return (html, status) if status != 200 else html


def _issued(page: ClientPage, member: NetworkMember, issued: IssuedAccess) -> str:
    return render_template(
        "caseworker/person_access_issued.html",
        page=page,
        member=member,
        member_name=_person_name(page, member),
        issued=issued,
        link=external_url("person.view", token=issued.token),
        sections=[kind for kind in SectionKind if kind.value in issued.grant.sections],
        max_attempts=MAX_ATTEMPTS,
    )


def _back(page: ClientPage, member: NetworkMember) -> Response:
    return redirect(
        url_for("caseworker.person_access_page", client_id=page.client.id, member_id=member.id)
    )
