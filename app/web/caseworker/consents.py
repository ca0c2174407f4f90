"""Consents and statutory disclosures: the matrix, recording, revoking (issue items 7 and 8).

The worker records a consent the client gave in writing or orally, after showing
the versioned information text; revoking is one confirmation away; a disclosure
without consent needs an authority, a provision, a justification and the deciding
worker. Every change is one command of ``app.consents.commands`` (the same the portal
and the API call), which checks the rules and re-syncs the key seals in the same
transaction; a refusal is shown on the form.

A consent recorded or revoked here is still the client's: the command writes the
client's receipt in the same transaction, in the client's language, listed on the
consents page and printable from there to hand to the client, who also finds it in the
portal under "My consent receipts".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.consents import commands
from app.consents.queries import Basis, MemberInfo, load_matrix, load_members
from app.consents.receipts import case_receipts, open_receipts
from app.consents.rules import (
    PeriodTemplate,
    Timeline,
    Unavailable,
    discloses_to,
    offered,
    periods,
)
from app.consents.texts import InformationText
from app.extensions import db_session
from app.i18n import LANGUAGES, current_language, select_locale
from app.information_texts import queries as text_queries
from app.labels import MEMBER_KINDS
from app.models import Role
from app.models.receipt import ConsentReceipt
from app.refusals import Conflict
from app.security import allow, gate
from app.web.caseworker import bp
from app.web.caseworker.consent_forms import (
    PROVISION_SUGGESTIONS,
    ConsentForm,
    ReconfirmForm,
    RevokeForm,
    StatutoryDisclosureForm,
)
from app.web.caseworker.context import ClientPage, client_page
from app.web.forms import flash_refusal, refusals_shown_on
from app.web.receipts import RequestWording
from consent.base import utcnow
from consent.facts import Direction, Purpose
from consent.models import Consent, GivenHow, StatutoryDisclosure
from consent.sections import SectionKind
from consent.service import ConsentTerms
from consent.status import ConsentStatus, MembershipStatus

# The forms name the member ``member``; the commands (and the API) ``member_id``.
FIELDS = {"member_id": "member"}

DIRECTIONS = {
    Direction.DISCLOSE: _l("We disclose to them"),
    Direction.OBTAIN: _l("We obtain from them"),
}
GIVEN_HOW = {
    GivenHow.ELECTRONIC: _l("Electronically by the client"),
    GivenHow.WRITTEN: _l("In writing"),
    GivenHow.ORAL: _l("Orally"),
}
CONSENT_STATUSES = {
    ConsentStatus.LIVE: _l("In force"),
    ConsentStatus.UPCOMING: _l("Not yet in force"),
    ConsentStatus.REVOKED: _l("Revoked"),
    ConsentStatus.EXPIRED: _l("Expired"),
    ConsentStatus.SUPERSEDED: _l("Replaced by a newer consent"),
}
MEMBER_STATUSES = {
    MembershipStatus.ACTIVE: _l("Active"),
    MembershipStatus.UPCOMING: _l("Starts later"),
    MembershipStatus.ENDED: _l("Membership ended"),
}
BASES = {Basis.CONSENT: _l("consent"), Basis.STATUTORY: _l("statutory")}
PERIOD_TEMPLATES = {
    PeriodTemplate.IN_PRISON: _l("While in prison (until the day before release)"),
    PeriodTemplate.RELEASE_DAY: _l("Around release day (a week before to a week after)"),
    PeriodTemplate.FIRST_90_DAYS: _l("The first 90 days after release"),
    PeriodTemplate.PROBATIONARY_LIBERTY: _l("Until supervised probationary liberty ends"),
}
UNAVAILABLE = {
    Unavailable.NO_RELEASE_DATE: _l("No expected release date is recorded."),
    Unavailable.NO_PROBATION_END: _l("No end date of supervised probationary liberty is recorded."),
    Unavailable.PERIOD_OVER: _l("This period is already over."),
}

_LABELS: dict[str, Mapping[Any, LazyString]] = {
    "direction_label": DIRECTIONS,
    "given_how_label": GIVEN_HOW,
    "consent_status_label": CONSENT_STATUSES,
    "member_status_label": MEMBER_STATUSES,
    "basis_label": BASES,
    "period_template_label": PERIOD_TEMPLATES,
    "unavailable_label": UNAVAILABLE,
}


def _labeller(table: Mapping[Any, LazyString]) -> Callable[[Any], str]:
    return lambda value: str(table[value])


# App-wide, so the matrix component renders the same on the client's own page.
for _name, _table in _LABELS.items():
    bp.add_app_template_global(_labeller(_table), _name)


@bp.route("/clients/<uuid:client_id>/consents")
@allow(Role.CASEWORKER)
@client_page
def consents(page: ClientPage) -> str:
    receipts = case_receipts(db_session(), page.case.id)  # first: the matrix has their consents
    matrix = load_matrix(
        db_session(), gate(), page.actor, page.case, purpose=Purpose.CASE_WORK, now=utcnow()
    )
    items = {c.id: c for c in (*matrix.consents, *matrix.ended_consents)}
    return render_template(
        "caseworker/consents.html",
        page=page,
        matrix=matrix,
        receipts=[(r, items[r.consent_id]) for r in receipts],
        seen_form=RevokeForm(formdata=None),
    )


@bp.route("/clients/<uuid:client_id>/consents/new", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def consent_new(page: ClientPage) -> str | Response | tuple[str, int]:
    now = utcnow()
    members = [
        m
        for m in load_members(
            db_session(), gate(), page.actor, page.case, purpose=Purpose.CASE_WORK, now=now
        )
        if offered(m.grantee, client=False)
    ]
    form = ConsentForm()
    form.member.choices = _member_choices(members, note_commitment=True)
    timeline = Timeline.at(now, page.case.release_day, page.case.probation_end)
    templates = periods(timeline)
    chosen_template = None
    if request.method == "GET":
        form.information_text_version.data = text_queries.current_version(
            db_session(), page.case.county_id
        )
        if (wanted := request.args.get("member")) and _find(members, wanted):
            form.member.data = wanted
        chosen_template = next(
            (t for t in templates if t.template.value == request.args.get("template")), None
        )
        if chosen_template is not None and chosen_template.available:
            form.valid_from.data = chosen_template.valid_from
            form.valid_until.data = chosen_template.valid_until
    elif form.validate_on_submit():
        with refusals_shown_on(form, FIELDS):
            commands.grant_consent(
                db_session(),
                gate(),
                page.actor,
                case=page.case,
                terms=ConsentTerms(
                    member_id=_member_id(form.member.data),
                    sections=_sections(form.sections.data),
                    valid_from=form.valid_from.data,
                    valid_until=form.valid_until.data,
                    direction=Direction(form.direction.data),
                ),
                purpose_text=form.purpose_text.data.strip(),
                given_how=GivenHow(form.given_how.data),
                information_text_version=form.information_text_version.data,
                receipt=RequestWording(),
            )
            name = _label(members, form.member.data)
            flash(gettext("Consent recorded for %(name)s.", name=name), "info")
            return redirect(url_for("caseworker.consents", client_id=page.client.id))
    html = render_template(
        "caseworker/consents_new.html",
        page=page,
        form=form,
        info=_information_text(form, page.case.county_id),
        templates=templates,
        chosen_template=chosen_template,
        has_members=bool(members),
    )
    return html if request.method == "GET" else (html, 400)


def _information_text(
    form: ConsentForm | ReconfirmForm, county_id: uuid.UUID
) -> InformationText | None:
    """The information text the form shows: the version it carries when that is published for
    the county, else the one in force there; the form's tick box names the version."""
    version = form.information_text_version.data or ""
    if not text_queries.is_published_for(db_session(), version, county_id):
        version = form.information_text_version.data = text_queries.current_version(
            db_session(), county_id
        )
    form.information_shown.label.text = gettext(
        "The information text (version %(version)s) was shown to the client", version=version
    )
    return text_queries.shown(db_session(), version, current_language(), plain=False)


@bp.route("/clients/<uuid:client_id>/consents/<uuid:consent_id>/revoke", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def consent_revoke(page: ClientPage, consent_id: uuid.UUID) -> str | Response:
    consent = db_session().get(Consent, consent_id)
    if consent is None or consent.case_id != page.case.id:
        abort(404)
    back = url_for("caseworker.consents", client_id=page.client.id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            commands.revoke_consent(
                db_session(), gate(), page.actor, consent, receipt=RequestWording()
            )
        except Conflict as refusal:
            flash_refusal(refusal)
            return redirect(back)
        flash(gettext("Consent revoked. Sharing under it stopped at once."), "info")
        return redirect(back)
    matrix = load_matrix(
        db_session(), gate(), page.actor, page.case, purpose=Purpose.CASE_WORK, now=utcnow()
    )
    item = next((c for c in matrix.consents if c.id == consent_id), None)
    if item is None:
        flash_refusal(commands.ConsentEnded())
        return redirect(back)
    return render_template("caseworker/consents_revoke.html", page=page, item=item, form=form)


@bp.route("/clients/<uuid:client_id>/consents/<uuid:consent_id>/reconfirm", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def consent_reconfirm(page: ClientPage, consent_id: uuid.UUID) -> str | Response | tuple[str, int]:
    """Record that the client confirmed a consent again for the period its template gives on
    the moved release dates (after reading the information text), or keep its own period."""
    consent = db_session().get(Consent, consent_id)
    if consent is None or consent.case_id != page.case.id:
        abort(404)
    back = url_for("caseworker.consents", client_id=page.client.id)
    form = ReconfirmForm()
    if request.method == "GET":
        form.information_text_version.data = text_queries.current_version(
            db_session(), page.case.county_id
        )
    elif form.validate_on_submit():
        try:
            with refusals_shown_on(form, FIELDS):
                commands.reconfirm_consent(
                    db_session(),
                    gate(),
                    page.actor,
                    consent,
                    case=page.case,
                    given_how=GivenHow(form.given_how.data),
                    information_text_version=form.information_text_version.data,
                    receipt=RequestWording(),
                )
                flash(gettext("Consent confirmed again for the new period."), "info")
                return redirect(back)
        except Conflict as refusal:
            flash_refusal(refusal)
            return redirect(back)
    matrix = load_matrix(
        db_session(), gate(), page.actor, page.case, purpose=Purpose.CASE_WORK, now=utcnow()
    )
    item = next((c for c in matrix.to_reconfirm if c.id == consent_id), None)
    if item is None or item.proposed is None:
        flash_refusal(commands.NothingToReconfirm())
        return redirect(back)
    html = render_template(
        "caseworker/consents_reconfirm.html",
        page=page,
        item=item,
        form=form,
        keep_form=RevokeForm(formdata=None),
        info=_information_text(form, page.case.county_id),
    )
    return html if request.method == "GET" else (html, 400)


@bp.route("/clients/<uuid:client_id>/consents/<uuid:consent_id>/keep-period", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def consent_keep_period(page: ClientPage, consent_id: uuid.UUID) -> Response:
    """Keep a consent's own period although the release dates moved (it no longer follows
    the timeline)."""
    consent = db_session().get(Consent, consent_id)
    if consent is None or consent.case_id != page.case.id:
        abort(404)
    if RevokeForm().validate_on_submit():
        try:
            commands.keep_period(db_session(), consent, case=page.case)
        except Conflict as refusal:
            flash_refusal(refusal)
        else:
            flash(gettext("The consent keeps its own period."), "info")
    return redirect(url_for("caseworker.consents", client_id=page.client.id))


@bp.route("/clients/<uuid:client_id>/consents/<uuid:consent_id>/seen", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def consent_seen(page: ClientPage, consent_id: uuid.UUID) -> Response:
    """Mark the client's withdrawal of a consent as seen (its dashboard item goes)."""
    consent = db_session().get(Consent, consent_id)
    if consent is None or consent.case_id != page.case.id:
        abort(404)
    if RevokeForm().validate_on_submit():
        try:
            commands.see_withdrawal(
                db_session(), consent, case=page.case, by_user_id=current_user.id, at=utcnow()
            )
        except Conflict as refusal:
            flash_refusal(refusal)
        else:
            flash(gettext("Withdrawal marked as seen."), "info")
    back = request.form.get("back") == "dashboard"
    if back:
        return redirect(url_for("caseworker.dashboard_consent_changes", kind="withdrawals"))
    return redirect(url_for("caseworker.consents", client_id=page.client.id))


@bp.route("/clients/<uuid:client_id>/consents/receipts/<uuid:receipt_id>")
@allow(Role.CASEWORKER)
@client_page
def consent_receipt(page: ClientPage, receipt_id: uuid.UUID) -> str:
    """The client's receipt of a consent change, as a page to print and hand to them, in
    the language the receipt was written in (the client's)."""
    stored = db_session().get(ConsentReceipt, receipt_id)
    if stored is None or stored.client_id != page.client.id:
        abort(404)
    data = open_receipts(gate(), page.actor, [stored])[0]
    lang = data.get("language")
    if lang not in LANGUAGES:
        lang = select_locale()
    with force_locale(lang):
        return render_template(
            "caseworker/consent_receipt.html", page=page, receipt=stored, data=data, lang=lang
        )


@bp.route("/clients/<uuid:client_id>/disclosures/<uuid:disclosure_id>/end", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def statutory_disclosure_end(page: ClientPage, disclosure_id: uuid.UUID) -> str | Response:
    """End a statutory disclosure early, after a confirmation: the recipient is told."""
    disclosure = db_session().get(StatutoryDisclosure, disclosure_id)
    if disclosure is None or disclosure.case_id != page.case.id:
        abort(404)
    back = url_for("caseworker.consents", client_id=page.client.id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            commands.end_statutory_disclosure(
                db_session(), gate(), page.actor, disclosure, case=page.case
            )
        except Conflict as refusal:
            flash_refusal(refusal)
            return redirect(back)
        flash(
            gettext("Statutory disclosure ended. The recipient has been asked to confirm."),
            "info",
        )
        return redirect(back)
    matrix = load_matrix(
        db_session(), gate(), page.actor, page.case, purpose=Purpose.CASE_WORK, now=utcnow()
    )
    item = next((d for d in matrix.disclosures if d.id == disclosure_id), None)
    if item is None:
        flash_refusal(commands.DisclosureEnded())
        return redirect(back)
    return render_template(
        "caseworker/consents_disclosure_end.html", page=page, item=item, form=form
    )


@bp.route("/clients/<uuid:client_id>/disclosures/new", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def statutory_disclosure_new(page: ClientPage) -> str | Response | tuple[str, int]:
    recipients = [
        m
        for m in load_members(
            db_session(), gate(), page.actor, page.case, purpose=Purpose.CASE_WORK, now=utcnow()
        )
        if discloses_to(m.status, is_authority=m.is_authority)
    ]
    form = StatutoryDisclosureForm()
    form.member.choices = _member_choices(recipients)
    if form.validate_on_submit():
        with refusals_shown_on(form, FIELDS):
            commands.record_statutory_disclosure(
                db_session(),
                gate(),
                page.actor,
                case=page.case,
                member_id=_member_id(form.member.data),
                sections=_sections(form.sections.data),
                provision=form.provision.data.strip(),
                justification=form.justification.data.strip(),
                valid_from=form.valid_from.data,
                valid_until=form.valid_until.data,
            )
            name = _label(recipients, form.member.data)
            flash(gettext("Statutory disclosure to %(name)s recorded.", name=name), "info")
            return redirect(url_for("caseworker.consents", client_id=page.client.id))
    html = render_template(
        "caseworker/consents_statutory.html",
        page=page,
        form=form,
        provisions=PROVISION_SUGGESTIONS,
        has_recipients=bool(recipients),
    )
    return html if request.method == "GET" else (html, 400)


def _member_choices(
    members: Sequence[MemberInfo], *, note_commitment: bool = False
) -> list[SelectChoice]:
    choices = [SelectChoice("", gettext("Choose…"))]
    for m in members:
        label = f"{m.label} ({MEMBER_KINDS[m.kind]})"
        if note_commitment and m.commitment_missing:
            label += " – " + gettext("no confidentiality commitment")
        choices.append(SelectChoice(str(m.id), label))
    return choices


def _find(members: Sequence[MemberInfo], value: str | None) -> MemberInfo | None:
    return next((m for m in members if str(m.id) == value), None)


def _label(members: Sequence[MemberInfo], value: str | None) -> str:
    member = _find(members, value)
    return member.label if member else "–"


def _member_id(value: str) -> uuid.UUID:
    """The chosen member's id; for a value that is no id, one that is nobody's (refused)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.UUID(int=0)


def _sections(values: Sequence[str]) -> frozenset[SectionKind]:
    return frozenset(SectionKind(v) for v in values)
