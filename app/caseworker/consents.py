"""Consents and statutory disclosures: the matrix, recording, revoking (issue items 7 and 8).

The worker records a consent the client gave in writing or orally, after showing
the versioned information text; revoking is one confirmation away; a disclosure
without consent needs an authority, a provision, a justification and the deciding
worker. Every change goes through ``app.services.sharing``, which re-syncs the key
seals in the same transaction.

A consent recorded or revoked here is still the client's: each gets the client's
receipt (``app.services.receipts``) in the same transaction, in the client's language,
listed on the consents page and printable from there to hand to the client, who also
finds it in the portal under "My consents".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from werkzeug.wrappers import Response
from wtforms import SelectChoice, SelectField

from app.caseworker import bp
from app.caseworker.consent_forms import (
    PROVISION_SUGGESTIONS,
    ConsentForm,
    RevokeForm,
    StatutoryDisclosureForm,
)
from app.caseworker.context import ClientPage, client_page
from app.consents import commands
from app.consents.queries import (
    Basis,
    ConsentStatus,
    MemberInfo,
    MemberStatus,
    load_matrix,
    load_members,
)
from app.consents.receipts import case_receipts, issue_receipt, open_receipts
from app.consents.rules import PeriodTemplate, Timeline, Unavailable, periods
from app.consents.texts import CURRENT_VERSION, information_text, is_published
from app.extensions import db
from app.i18n import LANGUAGES, select_locale
from app.labels import MEMBER_KINDS
from app.models import Role
from app.models.receipt import ConsentReceipt, ReceiptAction
from app.security import allow, gate
from consent.base import utcnow
from consent.decision import Direction, Purpose
from consent.errors import ConsentNotActive, InvalidConsent
from consent.models import Consent, GivenHow
from consent.sections import SectionKind
from consent.service import ConsentTerms

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
    MemberStatus.ACTIVE: _l("Active"),
    MemberStatus.UPCOMING: _l("Starts later"),
    MemberStatus.ENDED: _l("Membership ended"),
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

_LABELS = {
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
    receipts = case_receipts(db.session, page.case.id)  # first: the matrix has their consents
    matrix = load_matrix(
        db.session, gate(), page.actor, page.case, purpose=Purpose.CASE_WORK, now=utcnow()
    )
    db.session.commit()  # a read-only page: commit keeps the access-log entries of its reads
    items = {c.id: c for c in (*matrix.consents, *matrix.ended_consents)}
    return render_template(
        "caseworker/consents.html",
        page=page,
        matrix=matrix,
        receipts=[(r, items[r.consent_id]) for r in receipts],
    )


@bp.route("/clients/<uuid:client_id>/consents/new", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def consent_new(page: ClientPage) -> str | Response | tuple[str, int]:
    now = utcnow()
    members = [
        m
        for m in load_members(
            db.session, gate(), page.actor, page.case, purpose=Purpose.CASE_WORK, now=now
        )
        if m.status is not MemberStatus.ENDED
    ]
    form = ConsentForm()
    form.member.choices = _member_choices(members, note_commitment=True)
    timeline = Timeline.at(now, page.case.conditional_release, page.case.probation_end)
    templates = periods(timeline)
    chosen_template = None
    if request.method == "GET":
        form.information_text_version.data = CURRENT_VERSION
        if (wanted := request.args.get("member")) and _find(members, wanted):
            form.member.data = wanted
        chosen_template = next(
            (t for t in templates if t.template.value == request.args.get("template")), None
        )
        if chosen_template is not None and chosen_template.available:
            form.valid_from.data = chosen_template.valid_from
            form.valid_until.data = chosen_template.valid_until
    else:
        valid = form.validate_on_submit()
        member = _member_field(form.member, members)
        if member is not None and member.commitment_missing:
            valid = False
            form.member.errors = [
                *form.member.errors,
                gettext(
                    "%(name)s is not an authority and has no recorded confidentiality "
                    "commitment. Record the commitment in the network first; until then "
                    "nothing can be shared with them.",
                    name=member.label,
                ),
            ]
        if valid and member is not None:
            purpose_text = form.purpose_text.data.strip()
            try:
                consent = commands.grant_consent(
                    db.session,
                    gate(),
                    page.actor,
                    case=page.case,
                    terms=ConsentTerms(
                        member_id=member.id,
                        sections=_sections(form.sections.data),
                        valid_from=form.valid_from.data,
                        valid_until=form.valid_until.data,
                        direction=Direction(form.direction.data),
                    ),
                    purpose_text=purpose_text,
                    given_how=GivenHow(form.given_how.data),
                    information_text_version=form.information_text_version.data,
                )
            except InvalidConsent:  # raised before anything changed
                form.form_errors.append(
                    gettext("The consent could not be recorded. Check the member and the dates.")
                )
            else:
                issue_receipt(
                    db.session,
                    gate(),
                    page.actor,
                    case=page.case,
                    action=ReceiptAction.GRANT,
                    consent=consent,
                    previous=None,
                    member_label=member.label,
                    purpose_text=purpose_text,
                )
                db.session.commit()
                flash(gettext("Consent recorded for %(name)s.", name=member.label), "info")
                return redirect(url_for("caseworker.consents", client_id=page.client.id))
    version = form.information_text_version.data
    if not is_published(version or ""):
        version = form.information_text_version.data = CURRENT_VERSION
    form.information_shown.label.text = gettext(
        "The information text (version %(version)s) was shown to the client", version=version
    )
    db.session.commit()  # nothing changed: this keeps the access-log entries of the reads
    html = render_template(
        "caseworker/consents_new.html",
        page=page,
        form=form,
        info=information_text(version, get_locale().language),
        templates=templates,
        chosen_template=chosen_template,
        has_members=bool(members),
    )
    return html if request.method == "GET" else (html, 400)


@bp.route("/clients/<uuid:client_id>/consents/<uuid:consent_id>/revoke", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def consent_revoke(page: ClientPage, consent_id: uuid.UUID) -> str | Response:
    consent = db.session.get(Consent, consent_id)
    if consent is None or consent.case_id != page.case.id:
        abort(404)
    back = url_for("caseworker.consents", client_id=page.client.id)
    matrix = load_matrix(
        db.session, gate(), page.actor, page.case, purpose=Purpose.CASE_WORK, now=utcnow()
    )
    item = next((c for c in matrix.consents if c.id == consent_id), None)
    if item is None:
        return _already_ended(back)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            commands.revoke_consent(db.session, gate(), page.actor, consent)
        except ConsentNotActive:  # raised before anything changed
            return _already_ended(back)
        issue_receipt(
            db.session,
            gate(),
            page.actor,
            case=page.case,
            action=ReceiptAction.REVOKE,
            consent=consent,
            previous=None,
            member_label=item.member.label,
            purpose_text=item.purpose_text,
        )
        db.session.commit()
        flash(gettext("Consent revoked. Sharing under it stopped at once."), "info")
        return redirect(back)
    db.session.commit()  # keep the access-log entries of the reads
    return render_template("caseworker/consents_revoke.html", page=page, item=item, form=form)


@bp.route("/clients/<uuid:client_id>/consents/receipts/<uuid:receipt_id>")
@allow(Role.CASEWORKER)
@client_page
def consent_receipt(page: ClientPage, receipt_id: uuid.UUID) -> str:
    """The client's receipt of a consent change, as a page to print and hand to them, in
    the language the receipt was written in (the client's)."""
    stored = db.session.get(ConsentReceipt, receipt_id)
    if stored is None or stored.client_id != page.client.id:
        abort(404)
    data = open_receipts(gate(), page.actor, [stored])[0]
    db.session.commit()  # a read-only page: commit keeps the access-log entry of its read
    lang = data.get("language")
    if lang not in LANGUAGES:
        lang = select_locale()
    with force_locale(lang):
        return render_template(
            "caseworker/consent_receipt.html", page=page, receipt=stored, data=data, lang=lang
        )


@bp.route("/clients/<uuid:client_id>/disclosures/new", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def statutory_disclosure_new(page: ClientPage) -> str | Response | tuple[str, int]:
    recipients = [
        m
        for m in load_members(
            db.session, gate(), page.actor, page.case, purpose=Purpose.CASE_WORK, now=utcnow()
        )
        if m.status is not MemberStatus.ENDED and m.is_authority
    ]
    form = StatutoryDisclosureForm()
    form.member.choices = _member_choices(recipients)
    valid = form.validate_on_submit()
    member = _member_field(form.member, recipients) if request.method == "POST" else None
    if valid and member is not None:
        try:
            commands.record_statutory_disclosure(
                db.session,
                gate(),
                page.actor,
                case=page.case,
                member_id=member.id,
                sections=_sections(form.sections.data),
                provision=form.provision.data.strip(),
                justification=form.justification.data.strip(),
                valid_from=form.valid_from.data,
                valid_until=form.valid_until.data,
            )
        except InvalidConsent:  # raised before anything changed
            form.form_errors.append(
                gettext("The disclosure could not be recorded. Check the recipient and the dates.")
            )
        else:
            db.session.commit()
            flash(gettext("Statutory disclosure to %(name)s recorded.", name=member.label), "info")
            return redirect(url_for("caseworker.consents", client_id=page.client.id))
    db.session.commit()  # nothing changed: this keeps the access-log entries of the reads
    html = render_template(
        "caseworker/consents_statutory.html",
        page=page,
        form=form,
        provisions=PROVISION_SUGGESTIONS,
        has_recipients=bool(recipients),
    )
    return html if request.method == "GET" else (html, 400)


def _already_ended(back: str) -> Response:
    db.session.commit()  # keep the access-log entries of the reads made
    flash(gettext("This consent had already ended."), "error")
    return redirect(back)


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


def _member_field(field: SelectField, members: Sequence[MemberInfo]) -> MemberInfo | None:
    """The chosen member; None, with an error on the field unless it was left empty."""
    member = _find(members, field.data)
    if member is None and field.data:
        field.errors = [*field.errors, gettext("Choose a member of this client's network.")]
    return member


def _sections(values: Sequence[str]) -> frozenset[SectionKind]:
    return frozenset(SectionKind(v) for v in values)
