"""The client's own consents ("Who can see what"), changed by the client, with receipts.

The page shows the consent matrix (the same component as the caseworker's). The client
can give a consent, narrow or extend one (a new consent replaces the old, through
``app.services.sharing``, which re-syncs the key seals in the same transaction) and
withdraw one. Every change has ONE confirmation page, which shows the current
information text and a preview of exactly what that member would see after the change;
withdrawing takes no more steps than giving. Each change writes a receipt (a printable
page and a Kantara JSON receipt) listed under "My consents".

How the preview is made: what the member sees *now* is the gate's own preview
(``AccessGate.preview``, opened with the member's keys and logged as a preview). What
they would see *after* the change is decided by the same pure ``consent.decide`` over
the case facts with the change applied (the old consent taken out, the new terms put
in); a section it would allow is shown with its current content, read as the client
(the same plaintext the member's keys open once the change is sealed). So the preview
names exactly the parts the member would read and shows exactly what is written in
them today; what is written later is shared too while the consent is in force.
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.consents import commands
from app.consents.queries import (
    ConsentItem,
    MemberInfo,
    MemberStatus,
    load_matrix,
    load_members,
)
from app.consents.receipts import (
    issue_receipt,
    open_receipts,
    receipt_json,
    receipts_page,
)
from app.consents.texts import CURRENT_VERSION, information_text, is_published
from app.extensions import db
from app.labels import MEMBER_KINDS
from app.models import (
    ClientPlan,
    NetworkMember,
    PlanSection,
    PlanSectionVersion,
    Role,
)
from app.models.receipt import ConsentReceipt, ReceiptAction
from app.portal import bp
from app.portal.consent_forms import ChangeForm, GrantForm, RevokeForm
from app.portal.views import OwnPage, own_page
from app.security import allow, gate, public
from app.services.cases import load_case_contexts
from app.services.fields import sealed
from app.services.partner import notices_for_client
from consent.base import utcnow
from consent.decision import (
    AccessRequest,
    Action,
    Actor,
    ActorRole,
    Direction,
    Purpose,
    decide,
    helsinki_day,
)
from consent.errors import ConsentNotActive, InvalidConsent
from consent.models import Consent, GivenHow
from consent.sections import DataScope, Scope, SectionKind
from consent.service import ConsentTerms


class Mode(enum.StrEnum):
    NARROW = "narrow"
    EXTEND = "extend"


RECEIPT_ACTIONS = {
    ReceiptAction.GRANT: _l("Consent given"),
    ReceiptAction.NARROW: _l("Consent narrowed"),
    ReceiptAction.EXTEND: _l("Consent extended"),
    ReceiptAction.REVOKE: _l("Consent withdrawn"),
}
CONTENT_LABELS = {
    "goals": _l("Goals"),
    "measures": _l("What will be done"),
    "client_view": _l("Your own view"),
    "worker_view": _l("The worker's view"),
}


@bp.app_template_global()
def receipt_action_label(action: str) -> str:
    return str(RECEIPT_ACTIONS[ReceiptAction(action)])


@bp.app_template_global()
def current_information_version() -> str:
    return CURRENT_VERSION


# -- the preview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewRow:
    """One part of the client's data: can the member read it now, and after the change."""

    scope: Scope
    now: bool
    after: bool
    written: bool  # something is written in it today
    texts: tuple[tuple[str, str], ...]  # what they would read after the change (label, text)


@dataclass(frozen=True)
class Preview:
    member: MemberInfo
    rows: tuple[PreviewRow, ...]
    starts_on: date | None  # the new terms start on a later day: nothing is shown before it

    @property
    def after(self) -> list[PreviewRow]:
        return [r for r in self.rows if r.after]

    @property
    def gained(self) -> list[PreviewRow]:
        return [r for r in self.rows if r.after and not r.now]

    @property
    def lost(self) -> list[PreviewRow]:
        return [r for r in self.rows if r.now and not r.after]


def grantee_actor(member: NetworkMember) -> Actor:
    """The member as the gate knows a grantee: their organisation's staff, or the person."""
    if member.organisation_id is not None:
        return Actor(ActorRole.PARTNER, organisation_id=member.organisation_id)
    return Actor(ActorRole.PERSON, member_id=member.id)


def current_versions(case_id: uuid.UUID) -> dict[SectionKind, PlanSectionVersion]:
    """The current version of each written plan section of the case (one query)."""
    rows = db.session.execute(
        select(PlanSection.kind, PlanSectionVersion)
        .join(PlanSection, PlanSection.id == PlanSectionVersion.section_id)
        .join(ClientPlan, ClientPlan.id == PlanSection.plan_id)
        .where(
            ClientPlan.case_id == case_id,
            PlanSectionVersion.version == PlanSection.current_version,
        )
    ).all()
    return {SectionKind(kind): version for kind, version in rows}


def content_texts(text: str | None) -> tuple[tuple[str, str], ...]:
    """A section's content as (label, text) pairs; unknown keys and plain text are kept."""
    if not text:
        return ()
    try:
        data = json.loads(text)
    except ValueError:
        return (("", text),)
    if not isinstance(data, dict):
        return (("", str(data)),)
    keys = [*CONTENT_LABELS, *sorted(k for k in data if k not in CONTENT_LABELS)]
    return tuple(
        (str(CONTENT_LABELS.get(key, key.replace("_", " ").capitalize())), value.strip())
        for key in keys
        if isinstance(value := data.get(key), str) and value.strip()
    )


def preview_change(
    oc: OwnPage,
    info: MemberInfo,
    *,
    drop: uuid.UUID | None = None,
    add: ConsentTerms | None = None,
) -> Preview:
    """What ``info``'s member sees now (the gate's preview) and would see after the change.

    :raises AccessDenied: when the client may not read their own data (never, in practice).
    """
    now = utcnow()
    member = db.session.get(NetworkMember, info.id)
    if member is None:
        abort(404)
    as_actor = grantee_actor(member)
    versions = current_versions(oc.case.id)
    refs = [sealed(oc.client, "name_ct", DataScope.NAME)]
    refs += [sealed(v, "content_ct", kind) for kind, v in versions.items()]
    seen = {p.ref.scope: p for p in gate().preview(oc.actor, as_actor, refs)}
    facts = load_case_contexts(db.session, [oc.client.id])[oc.client.id]
    consents = [c for c in facts.consents if c.id != drop]
    if add is not None:
        consents.append(add.facts(uuid.uuid4()))
    changed = replace(facts, consents=tuple(consents))
    scopes: list[Scope] = [DataScope.NAME, *SectionKind]

    def allowed(scope: Scope, context) -> bool:  # type: ignore[no-untyped-def]
        request_ = AccessRequest(
            as_actor, oc.client.id, Action.READ, Purpose.NETWORK_COOPERATION, now, scope
        )
        return decide(request_, context).allowed

    now_allowed = {s: seen[s].decision.allowed if s in seen else allowed(s, facts) for s in scopes}
    after_allowed = {s: allowed(s, changed) for s in scopes}
    # Content the member cannot open yet but would: read as the client, in one gate call.
    wanted = [ref for ref in refs if after_allowed[ref[0].scope] and not now_allowed[ref[0].scope]]
    own = dict(
        zip(
            [ref.scope for ref, _ in wanted],
            gate().read_texts(oc.actor, wanted, purpose=Purpose.OWN_DATA) if wanted else [],
            strict=True,
        )
    )

    def text_of(scope: Scope) -> str | None:
        if not after_allowed[scope]:
            return None
        return seen[scope].text if now_allowed[scope] and scope in seen else own.get(scope)

    rows = []
    for scope in scopes:
        text = text_of(scope)
        texts = (("", text),) if scope is DataScope.NAME and text else ()
        if scope is not DataScope.NAME:
            texts = content_texts(text)
        rows.append(
            PreviewRow(
                scope=scope,
                now=now_allowed[scope],
                after=after_allowed[scope],
                written=scope is DataScope.NAME or scope in versions,
                texts=texts,
            )
        )
    starts_on = add.valid_from if add and add.valid_from > helsinki_day(now) else None
    return Preview(info, tuple(rows), starts_on)


# -- the pages ---------------------------------------------------------------------------------


@bp.route("/consents")
@allow(Role.CLIENT)
def consents() -> str:
    oc = own_page()
    matrix = load_matrix(
        db.session, gate(), oc.actor, oc.case, purpose=Purpose.OWN_DATA, now=utcnow()
    )
    db.session.commit()  # a read-only page: keep the access-log entries of its reads
    return render_template(
        "portal/consents.html",
        matrix=matrix,
        changeable=_changeable(matrix.consents),
        closed=oc.case.closed_at is not None,
        notices=notices_for_client(db.session, oc.client.id),
    )


@bp.route("/consents/new", methods=["GET", "POST"])
@allow(Role.CLIENT)
def consent_new() -> str | Response | tuple[str, int]:
    oc = own_page()
    if oc.case.closed_at is not None:
        return _case_closed()
    members = load_members(
        db.session, gate(), oc.actor, oc.case, purpose=Purpose.OWN_DATA, now=utcnow()
    )
    grantable = [m for m in members if m.status is MemberStatus.ACTIVE and not m.commitment_missing]
    waiting = [m for m in members if m.status is MemberStatus.ACTIVE and m.commitment_missing]
    form = GrantForm()
    form.member.choices = [SelectChoice("", gettext("Choose…"))] + [
        SelectChoice(str(m.id), f"{m.label} ({MEMBER_KINDS[m.kind]})") for m in grantable
    ]
    page = {"form": form, "grantable": grantable, "waiting": waiting}
    if request.method == "GET":
        if wanted := _find(grantable, request.args.get("member")):
            form.member.data = str(wanted.id)
        form.purpose_text.data = gettext(
            "So that they can support me as part of my support network."
        )
        db.session.commit()
        return render_template("portal/consents_form.html", **page)
    step = request.form.get("step", "review")
    valid = form.validate_on_submit()
    member = _find(grantable, form.member.data)
    if member is None and form.member.data:
        valid = False
        form.member.errors = [*form.member.errors, gettext("Choose someone from the list.")]
    if step == "edit" or not valid or member is None:
        db.session.commit()
        html = render_template("portal/consents_form.html", **page)
        return html if step == "edit" else (html, 400)
    terms = ConsentTerms(
        member_id=member.id,
        sections=frozenset(SectionKind(s) for s in form.sections.data),
        valid_from=helsinki_day(utcnow()),
        valid_until=form.valid_until.data,
    )
    purpose_text = form.purpose_text.data.strip()
    if step == "confirm" and _confirmed(form):
        try:
            consent = commands.grant_consent(
                db.session,
                gate(),
                oc.actor,
                case=oc.case,
                terms=terms,
                purpose_text=purpose_text,
                given_how=GivenHow.ELECTRONIC,
                information_text_version=form.information_text_version.data,
            )
        except InvalidConsent:  # raised before anything changed
            db.session.commit()
            form.form_errors.append(
                gettext("The consent could not be given. Check your choices and try again.")
            )
            return render_template("portal/consents_form.html", **page), 400
        receipt = _issue_receipt(oc, ReceiptAction.GRANT, consent, None, member, purpose_text)
        db.session.commit()
        flash(gettext("Done. %(name)s can now see what you chose.", name=member.label), "info")
        return redirect(url_for("portal.receipt", receipt_id=receipt.id))
    preview = preview_change(oc, member, add=terms)
    db.session.commit()
    html = render_template(
        "portal/consents_confirm.html",
        form=form,
        action=ReceiptAction.GRANT,
        member=member,
        terms=terms,
        sections=_ordered(terms.sections),
        purpose_text=purpose_text,
        preview=preview,
        info=_info(),
        post_url=url_for("portal.consent_new"),
    )
    return (html, 400) if step == "confirm" else html


@bp.route("/consents/<uuid:consent_id>/narrow", methods=["GET", "POST"])
@allow(Role.CLIENT)
def consent_narrow(consent_id: uuid.UUID) -> str | Response | tuple[str, int]:
    return _change(consent_id, Mode.NARROW)


@bp.route("/consents/<uuid:consent_id>/extend", methods=["GET", "POST"])
@allow(Role.CLIENT)
def consent_extend(consent_id: uuid.UUID) -> str | Response | tuple[str, int]:
    return _change(consent_id, Mode.EXTEND)


def _change(consent_id: uuid.UUID, mode: Mode) -> str | Response | tuple[str, int]:
    oc = own_page()
    consent = _own_consent(oc, consent_id)
    if oc.case.closed_at is not None:
        return _case_closed()
    item = _current_item(oc, consent_id)
    if item is None:
        return _already_ended()
    if item.member.status is not MemberStatus.ACTIVE or item.member.commitment_missing:
        db.session.commit()
        flash(
            gettext(
                "%(name)s is no longer in your network, so this consent can only be withdrawn.",
                name=item.member.label,
            ),
            "error",
        )
        return redirect(url_for("portal.consents"))
    form = ChangeForm()
    page = {"form": form, "item": item, "mode": mode}
    if request.method == "GET":
        form.sections.data = [s.value for s in item.sections]
        form.valid_until.data = item.valid_until
        db.session.commit()
        return render_template("portal/consents_change.html", **page)
    step = request.form.get("step", "review")
    valid = form.validate_on_submit()
    if valid:
        valid = _check_change(form, item, mode)
    if step == "edit" or not valid:
        db.session.commit()
        html = render_template("portal/consents_change.html", **page)
        return html if step == "edit" else (html, 400)
    terms = ConsentTerms(
        member_id=consent.member_id,
        sections=frozenset(SectionKind(s) for s in form.sections.data),
        valid_from=consent.valid_from,
        valid_until=form.valid_until.data,
        direction=consent.direction,
        purpose=consent.purpose,
    )
    action = ReceiptAction.NARROW if mode is Mode.NARROW else ReceiptAction.EXTEND
    if step == "confirm" and _confirmed(form):
        try:
            amended = commands.amend_consent(
                db.session,
                gate(),
                oc.actor,
                consent,
                case=oc.case,
                terms=terms,
                purpose_text=item.purpose_text,
                given_how=GivenHow.ELECTRONIC,
                information_text_version=form.information_text_version.data,
            )
        except ConsentNotActive:
            return _already_ended()
        except InvalidConsent:  # raised before anything changed
            db.session.commit()
            form.form_errors.append(
                gettext("The consent could not be changed. Check your choices and try again.")
            )
            return render_template("portal/consents_change.html", **page), 400
        receipt = _issue_receipt(oc, action, amended, consent, item.member, item.purpose_text)
        db.session.commit()
        flash(gettext("Done. Your consent has been changed."), "info")
        return redirect(url_for("portal.receipt", receipt_id=receipt.id))
    preview = preview_change(oc, item.member, drop=consent.id, add=terms)
    db.session.commit()
    html = render_template(
        "portal/consents_confirm.html",
        form=form,
        action=action,
        member=item.member,
        item=item,
        terms=terms,
        sections=_ordered(terms.sections),
        purpose_text=item.purpose_text,
        preview=preview,
        info=_info(),
        post_url=url_for(f"portal.consent_{mode.value}", consent_id=consent.id),
    )
    return (html, 400) if step == "confirm" else html


@bp.route("/consents/<uuid:consent_id>/revoke", methods=["GET", "POST"])
@allow(Role.CLIENT)
def consent_revoke(consent_id: uuid.UUID) -> str | Response:
    oc = own_page()
    consent = _own_consent(oc, consent_id)
    item = _current_item(oc, consent_id)
    if item is None:
        return _already_ended()
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            commands.revoke_consent(db.session, gate(), oc.actor, consent)
        except ConsentNotActive:  # raised before anything changed
            return _already_ended()
        receipt = _issue_receipt(
            oc, ReceiptAction.REVOKE, consent, None, item.member, item.purpose_text
        )
        db.session.commit()
        flash(gettext("Done. Sharing under this consent stopped at once."), "info")
        return redirect(url_for("portal.receipt", receipt_id=receipt.id))
    preview = (
        preview_change(oc, item.member, drop=consent.id)
        if item.direction is Direction.DISCLOSE
        else None
    )
    db.session.commit()
    return render_template(
        "portal/consents_revoke.html", form=form, item=item, preview=preview, info=_info()
    )


@bp.route("/consents/receipts")
@allow(Role.CLIENT)
def my_consents() -> str:
    oc = own_page()
    page = receipts_page(db.session, oc.client.id, page=request.args.get("page", 1, type=int))
    data = open_receipts(gate(), oc.actor, page.receipts)
    db.session.commit()
    return render_template(
        "portal/receipts.html", page=page, rows=list(zip(page.receipts, data, strict=True))
    )


@bp.route("/consents/receipts/<uuid:receipt_id>")
@allow(Role.CLIENT)
def receipt(receipt_id: uuid.UUID) -> str:
    oc = own_page()
    stored = _own_receipt(oc, receipt_id)
    data = open_receipts(gate(), oc.actor, [stored])[0]
    db.session.commit()
    return render_template("portal/receipt.html", receipt=stored, data=data)


@bp.route("/consents/receipts/<uuid:receipt_id>.json")
@allow(Role.CLIENT)
def receipt_download(receipt_id: uuid.UUID) -> Response:
    oc = own_page()
    stored = _own_receipt(oc, receipt_id)
    data = open_receipts(gate(), oc.actor, [stored])[0]
    db.session.commit()
    return Response(
        receipt_json(data),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="consent-receipt-{stored.id}.json"'},
    )


@bp.route("/consents/information/<version>")
@public
def consent_information(version: str) -> str:
    """A published version of the information text: what a receipt's ``policyUrl`` names."""
    if not is_published(version):
        abort(404)
    language = request.args.get("lang") or get_locale().language
    return render_template(
        "portal/consents_information.html", info=information_text(version, language)
    )


# -- helpers -----------------------------------------------------------------------------------


def _ordered(sections: frozenset[SectionKind]) -> list[SectionKind]:
    return [s for s in SectionKind if s in sections]


def _find(members: Sequence[MemberInfo], value: str | None) -> MemberInfo | None:
    return next((m for m in members if str(m.id) == value), None)


def _own_consent(oc: OwnPage, consent_id: uuid.UUID) -> Consent:
    """:raises NotFound: for another client's consent or an unknown id."""
    consent = db.session.get(Consent, consent_id)
    if consent is None or consent.client_id != oc.client.id or consent.case_id != oc.case.id:
        abort(404)
    return consent


def _own_receipt(oc: OwnPage, receipt_id: uuid.UUID) -> ConsentReceipt:
    """:raises NotFound: for another client's receipt or an unknown id."""
    stored = db.session.get(ConsentReceipt, receipt_id)
    if stored is None or stored.client_id != oc.client.id:
        abort(404)
    return stored


def _current_item(oc: OwnPage, consent_id: uuid.UUID) -> ConsentItem | None:
    """The consent as the matrix shows it (member, purpose), while it is in force or upcoming."""
    matrix = load_matrix(
        db.session, gate(), oc.actor, oc.case, purpose=Purpose.OWN_DATA, now=utcnow()
    )
    return next((c for c in matrix.consents if c.id == consent_id), None)


def _changeable(items: Sequence[ConsentItem]) -> set[uuid.UUID]:
    """Consents that can be narrowed or extended: the member is active and may receive."""
    return {
        c.id
        for c in items
        if c.member.status is MemberStatus.ACTIVE and not c.member.commitment_missing
    }


def _already_ended() -> Response:
    db.session.commit()  # keep the access-log entries of the reads made
    flash(gettext("This consent has already ended."), "error")
    return redirect(url_for("portal.consents"))


def _case_closed() -> Response:
    db.session.commit()
    flash(
        gettext("Your case has been closed, so nothing is shared any more. Ask your worker."),
        "error",
    )
    return redirect(url_for("portal.consents"))


def _info():  # type: ignore[no-untyped-def]
    return information_text(CURRENT_VERSION, get_locale().language)


def _confirmed(form: GrantForm | ChangeForm) -> bool:
    """The confirmation's own checks: the text read, and still the text now in force."""
    if form.information_text_version.data != CURRENT_VERSION:
        form.information_text_version.data = CURRENT_VERSION
        form.form_errors.append(
            gettext("The information text has been updated. Please read it again.")
        )
        return False
    if not form.information_read.data:
        form.information_read.errors = [
            gettext("Tick the box to confirm that you have read the information.")
        ]
        return False
    return True


def _check_change(form: ChangeForm, item: ConsentItem, mode: Mode) -> bool:
    """Narrowing only removes, extending only adds; something must change."""
    new = {SectionKind(s) for s in form.sections.data}
    old = set(item.sections)
    until, old_until = form.valid_until.data, item.valid_until
    ok = True
    if until is not None and until < item.valid_from:
        form.valid_until.errors = [
            gettext(
                "The last day cannot be before the first day, %(day)s.", day=_day(item.valid_from)
            )
        ]
        ok = False
    if mode is Mode.NARROW:
        if not new <= old:
            form.sections.errors = [
                gettext("To add parts, choose “Share more or for longer” instead.")
            ]
            ok = False
        if old_until is not None and (until is None or until > old_until):
            form.valid_until.errors = [
                gettext(
                    "To share for longer, choose “Share more or for longer” instead. "
                    "The last day now is %(day)s.",
                    day=_day(old_until),
                )
            ]
            ok = False
        if ok and new == old and until == old_until:
            form.form_errors.append(
                gettext("Nothing would change. Remove a part or choose an earlier last day.")
            )
            ok = False
    else:
        if not new >= old:
            form.sections.errors = [gettext("To remove parts, choose “Share less” instead.")]
            ok = False
        if old_until is None and until is not None:
            form.valid_until.errors = [
                gettext(
                    "This consent has no last day now. To set one, choose “Share less” instead."
                )
            ]
            ok = False
        elif old_until is not None and until is not None and until < old_until:
            form.valid_until.errors = [
                gettext(
                    "To end sooner, choose “Share less” instead. The last day now is %(day)s.",
                    day=_day(old_until),
                )
            ]
            ok = False
        if ok and new == old and until == old_until:
            form.form_errors.append(
                gettext("Nothing would change. Add a part or choose a later last day.")
            )
            ok = False
    return ok


def _day(day: date) -> str:
    return format_date(day, "medium")


def _issue_receipt(
    oc: OwnPage,
    action: ReceiptAction,
    consent: Consent,
    previous: Consent | None,
    member: MemberInfo,
    purpose_text: str,
) -> ConsentReceipt:
    """Write the receipt of a change, in the client's language, in the change's transaction."""
    return issue_receipt(
        db.session,
        gate(),
        oc.actor,
        case=oc.case,
        action=action,
        consent=consent,
        previous=previous,
        member_label=member.label,
        purpose_text=purpose_text,
    )


def as_datetime(value: str) -> datetime | None:
    """A receipt's ISO timestamp back as a datetime (for the templates' date filters)."""
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


bp.add_app_template_global(as_datetime, "receipt_time")
