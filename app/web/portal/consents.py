"""The client's own consents ("Who can see what"), changed by the client, with receipts.

The page shows the consent matrix's data as one card per network member (``member_shares``):
the caseworker's 12-column matrix does not fit a phone, and a card names each part of the
plan once, as seen or not seen. The client
can give a consent, narrow or extend one (a new consent replaces the old) and withdraw
one, each through the one command of ``app.consents.commands`` that the caseworker's
pages and the API call too: it checks the rules, re-syncs the key seals and writes the
client's receipt (a printable page and a Kantara JSON receipt, listed under "My
consent receipts") in the same transaction. Every change has ONE confirmation page, which shows
the current information text and a preview of exactly what that member would see after
the change; withdrawing takes no more steps than giving.

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

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.cases.facts import load_case_contexts
from app.consents import commands
from app.consents.queries import (
    ConsentItem,
    ConsentMatrix,
    Coverage,
    DisclosureItem,
    MemberInfo,
    load_matrix,
    load_members,
)
from app.consents.receipts import open_receipts, receipt_json, receipt_of, receipts_page
from app.consents.rules import Change, GrantCode, change_refusal, offered
from app.consents.texts import VARIANTS, InformationText
from app.extensions import db_session
from app.i18n import current_language
from app.information_texts import queries as text_queries
from app.labels import MEMBER_KINDS
from app.models import (
    ClientPlan,
    NetworkMember,
    Organisation,
    PlanSection,
    PlanSectionVersion,
    Role,
)
from app.models.case import Client
from app.models.receipt import ConsentReceipt, ReceiptAction
from app.partner_work.queries import notices_for_client
from app.plan.content import SectionContent
from app.refusals import Conflict
from app.security import allow, gate, public
from app.transfer.queries import client_transfers
from app.web.forms import flash_refusal, refusals_shown_on, show_refusal
from app.web.portal import bp
from app.web.portal.consent_forms import ChangeForm, GrantForm, ReconfirmForm, RevokeForm
from app.web.portal.views import OwnPage, own_page
from app.web.receipts import RequestWording
from consent.base import utcnow
from consent.decision import decide
from consent.facts import (
    AccessRequest,
    Action,
    Actor,
    ActorRole,
    CaseContext,
    Direction,
    Purpose,
)
from consent.models import Consent, GivenHow
from consent.sections import DataScope, Scope, SectionKind
from consent.service import ConsentTerms
from consent.status import MembershipStatus, helsinki_day
from sharing.fields import sealed

# The commands' fields on these pages: the member is chosen as ``member``; the information
# text's version is a hidden field, so a refusal of it is said above the form.
FIELDS = {"member_id": "member", "information_text_version": ""}


RECEIPT_ACTIONS = {
    ReceiptAction.GRANT: _l("Consent given"),
    ReceiptAction.NARROW: _l("Consent narrowed"),
    ReceiptAction.EXTEND: _l("Consent extended"),
    ReceiptAction.REVOKE: _l("Consent withdrawn"),
    ReceiptAction.TRANSFERRED: _l("Consent ended when your matter moved to another county"),
}
CONTENT_LABELS = {
    "goals": _l("Goals"),
    "measures": _l("What will be done"),
    "client_view": _l("Your own view"),
    "worker_view": _l("The worker's view"),
}


# What a consent lets the member do, said to the client (the caseworker's labels say "we").
CLIENT_DIRECTIONS = {
    Direction.DISCLOSE: _l("They may see these parts of your plan"),
    Direction.OBTAIN: _l("They may tell your worker about these parts"),
}


@bp.app_template_global()
def client_direction_label(direction: str) -> str:
    return str(CLIENT_DIRECTIONS[Direction(direction)])


@bp.app_template_global()
def receipt_action_label(action: str) -> str:
    return str(RECEIPT_ACTIONS[ReceiptAction(action)])


@bp.app_template_global()
def current_information_version() -> str:
    """The version in force for the signed-in client's county (the consent pages link it)."""
    return text_queries.current_version(db_session(), own_page().case.county_id)


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
    rows = (
        db_session()
        .execute(
            select(PlanSection.kind, PlanSectionVersion)
            .join(PlanSection, PlanSection.id == PlanSectionVersion.section_id)
            .join(ClientPlan, ClientPlan.id == PlanSection.plan_id)
            .where(
                ClientPlan.case_id == case_id,
                PlanSectionVersion.version == PlanSection.current_version,
            )
        )
        .all()
    )
    return {SectionKind(kind): version for kind, version in rows}


def content_texts(text: str | None) -> tuple[tuple[str, str], ...]:
    """A section's content as (label, text) pairs; unknown keys and plain text are kept."""
    content = SectionContent.parse(text)
    if content.plain is not None:
        return (("", str(content.plain)),)
    keys = [*CONTENT_LABELS, *content.other_keys()]
    return tuple(
        (str(CONTENT_LABELS.get(key, key.replace("_", " ").capitalize())), value.strip())
        for key in keys
        if isinstance(value := content.value(key), str) and value.strip()
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
    member = db_session().get(NetworkMember, info.id)
    if member is None:
        abort(404)
    as_actor = grantee_actor(member)
    versions = current_versions(oc.case.id)
    refs = [sealed(oc.client, Client.name_ct)]
    refs += [sealed(v, PlanSectionVersion.content_ct) for kind, v in versions.items()]
    seen = {p.ref.scope: p for p in gate().preview(oc.actor, as_actor, refs)}
    facts = load_case_contexts(db_session(), [oc.client.id])[oc.client.id]
    consents = [c for c in facts.consents if c.id != drop]
    if add is not None:
        consents.append(add.facts(uuid.uuid4()))
    changed = replace(facts, consents=tuple(consents))
    scopes: list[Scope] = [DataScope.NAME, *SectionKind]

    def allowed(scope: Scope, context: CaseContext) -> bool:
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
        texts: tuple[tuple[str, str], ...] = (
            (("", text),) if scope is DataScope.NAME and text else ()
        )
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


# -- who can see what, member by member --------------------------------------------------------


@dataclass(frozen=True)
class MemberShares:
    """One network member as the client's page lists them: a card instead of a matrix row.

    The caseworker's matrix has a column per plan section (12 columns); the client reads one
    card per member that names every section once, as seen or not seen, so the page fits a
    phone and nothing hides off screen.
    """

    member: MemberInfo
    sees: tuple[SectionKind, ...]  # in force today, disclosed to the member
    hidden: tuple[SectionKind, ...]  # every other section
    tells: tuple[SectionKind, ...]  # the member may tell the county about these
    consents: tuple[ConsentItem, ...]  # in force or starting later
    disclosures: tuple[DisclosureItem, ...]  # by law, in force or starting later


def _covered(
    cells: Sequence[tuple[SectionKind, tuple[Coverage, ...]]], direction: Direction
) -> tuple[SectionKind, ...]:
    """The sections that a consent or disclosure in force today covers in ``direction``."""
    return tuple(
        s for s, cell in cells if any(c.direction is direction and not c.upcoming for c in cell)
    )


def member_shares(matrix: ConsentMatrix) -> list[MemberShares]:
    """The matrix's rows as cards, in the matrix's order (active members first)."""
    cards = []
    for row in matrix.rows:
        member = row.member
        cells = list(zip(matrix.sections, row.cells, strict=True))
        sees = _covered(cells, Direction.DISCLOSE)
        cards.append(
            MemberShares(
                member=member,
                sees=sees,
                hidden=tuple(s for s in matrix.sections if s not in sees),
                tells=_covered(cells, Direction.OBTAIN),
                consents=tuple(c for c in matrix.consents if c.member.id == member.id),
                disclosures=tuple(d for d in matrix.disclosures if d.member.id == member.id),
            )
        )
    return cards


def county_name(case_county_id: uuid.UUID) -> str:
    """The name of the county whose social work keeps the case: who "we" are (one query)."""
    county = db_session().get(Organisation, case_county_id)
    return county.name if county is not None else "–"


# -- the pages ---------------------------------------------------------------------------------


@bp.route("/consents")
@allow(Role.CLIENT)
def consents() -> str:
    oc = own_page()
    matrix = load_matrix(
        db_session(), gate(), oc.actor, oc.case, purpose=Purpose.OWN_DATA, now=utcnow()
    )
    return render_template(
        "portal/consents.html",
        matrix=matrix,
        cards=member_shares(matrix),
        county=county_name(oc.case.county_id),
        changeable=_changeable(matrix.consents),
        closed=oc.case.closed_at is not None,
        notices=notices_for_client(db_session(), oc.client.id),
    )


@bp.route("/consents/new", methods=["GET", "POST"])
@allow(Role.CLIENT)
def consent_new() -> str | Response | tuple[str, int]:
    oc = own_page()
    if oc.case.closed_at is not None:
        return _case_closed()
    members = load_members(
        db_session(), gate(), oc.actor, oc.case, purpose=Purpose.OWN_DATA, now=utcnow()
    )
    grantable = [m for m in members if offered(m.grantee, client=True)]
    waiting = [m for m in members if m.status is MembershipStatus.ACTIVE and m.commitment_missing]
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
        return render_template("portal/consents_form.html", **page)
    step = request.form.get("step", "review")
    valid = form.validate_on_submit()
    member = _find(grantable, form.member.data)
    if member is None and form.member.data:
        valid = False
        form.member.errors = [*form.member.errors, gettext(GrantCode.NOT_OFFERED.message)]
    if step == "edit" or not valid or member is None:
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
        with refusals_shown_on(form, FIELDS):
            consent = commands.grant_consent(
                db_session(),
                gate(),
                oc.actor,
                case=oc.case,
                terms=terms,
                purpose_text=purpose_text,
                given_how=GivenHow.ELECTRONIC,
                information_text_version=form.information_text_version.data,
                receipt=RequestWording(),
            )
            flash(gettext("Done. %(name)s can now see what you chose.", name=member.label), "info")
            return _to_receipt(consent.id, ReceiptAction.GRANT)
    preview = preview_change(oc, member, add=terms)
    html = render_template(
        "portal/consents_confirm.html",
        form=form,
        action=ReceiptAction.GRANT,
        member=member,
        terms=terms,
        sections=_ordered(terms.sections),
        purpose_text=purpose_text,
        preview=preview,
        info=_info(oc),
        post_url=url_for("portal.consent_new"),
    )
    return (html, 400) if step == "confirm" else html


@bp.route("/consents/<uuid:consent_id>/narrow", methods=["GET", "POST"])
@allow(Role.CLIENT)
def consent_narrow(consent_id: uuid.UUID) -> str | Response | tuple[str, int]:
    return _change(consent_id, Change.NARROW)


@bp.route("/consents/<uuid:consent_id>/extend", methods=["GET", "POST"])
@allow(Role.CLIENT)
def consent_extend(consent_id: uuid.UUID) -> str | Response | tuple[str, int]:
    return _change(consent_id, Change.EXTEND)


def _change(consent_id: uuid.UUID, change: Change) -> str | Response | tuple[str, int]:
    oc = own_page()
    consent = _own_consent(oc, consent_id)
    if oc.case.closed_at is not None:
        return _case_closed()
    item = _current_item(oc, consent_id)
    if item is None:
        return _already_ended()
    if not offered(item.member.grantee, client=True):
        flash(
            gettext(
                "%(name)s is no longer in your network, so this consent can only be withdrawn.",
                name=item.member.label,
            ),
            "error",
        )
        return redirect(url_for("portal.consents"))
    form = ChangeForm()
    page = {"form": form, "item": item, "mode": change}
    if request.method == "GET":
        form.sections.data = [s.value for s in item.sections]
        form.valid_until.data = item.valid_until
        return render_template("portal/consents_change.html", **page)
    step = request.form.get("step", "review")
    valid = form.validate_on_submit()
    new_sections = frozenset(SectionKind(s) for s in form.sections.data or ())
    if valid and step != "confirm":  # the command checks the confirmed change itself
        refusal = change_refusal(
            change,
            sections=item.sections,
            valid_from=item.valid_from,
            valid_until=item.valid_until,
            new_sections=new_sections,
            new_until=form.valid_until.data,
        )
        if refusal is not None:
            show_refusal(form, refusal)
            valid = False
    if step == "edit" or not valid:
        html = render_template("portal/consents_change.html", **page)
        return html if step == "edit" else (html, 400)
    terms = ConsentTerms(
        member_id=consent.member_id,
        sections=new_sections,
        valid_from=consent.valid_from,
        valid_until=form.valid_until.data,
        direction=consent.direction,
        purpose=consent.purpose,
    )
    action = ReceiptAction.NARROW if change is Change.NARROW else ReceiptAction.EXTEND
    if step == "confirm" and _confirmed(form):
        try:
            with refusals_shown_on(form, FIELDS):
                amended = commands.amend_consent(
                    db_session(),
                    gate(),
                    oc.actor,
                    consent,
                    case=oc.case,
                    change=change,
                    terms=terms,
                    purpose_text=item.purpose_text,
                    given_how=GivenHow.ELECTRONIC,
                    information_text_version=form.information_text_version.data,
                    receipt=RequestWording(),
                )
                flash(gettext("Done. Your consent has been changed."), "info")
                return _to_receipt(amended.id, action)
        except Conflict as refusal:
            flash_refusal(refusal)
            return redirect(url_for("portal.consents"))
    preview = preview_change(oc, item.member, drop=consent.id, add=terms)
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
        info=_info(oc),
        post_url=url_for(f"portal.consent_{change.value}", consent_id=consent.id),
    )
    return (html, 400) if step == "confirm" else html


@bp.route("/consents/<uuid:consent_id>/revoke", methods=["GET", "POST"])
@allow(Role.CLIENT)
def consent_revoke(consent_id: uuid.UUID) -> str | Response:
    oc = own_page()
    consent = _own_consent(oc, consent_id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            commands.revoke_consent(
                db_session(), gate(), oc.actor, consent, receipt=RequestWording()
            )
        except Conflict as refusal:
            flash_refusal(refusal)
            return redirect(url_for("portal.consents"))
        flash(gettext("Done. Sharing under this consent stopped at once."), "info")
        return _to_receipt(consent.id, ReceiptAction.REVOKE)
    item = _current_item(oc, consent_id)
    if item is None:
        return _already_ended()
    preview = (
        preview_change(oc, item.member, drop=consent.id)
        if item.direction is Direction.DISCLOSE
        else None
    )
    return render_template(
        "portal/consents_revoke.html", form=form, item=item, preview=preview, info=_info(oc)
    )


@bp.route("/consents/<uuid:consent_id>/reconfirm", methods=["GET", "POST"])
@allow(Role.CLIENT)
def consent_reconfirm(consent_id: uuid.UUID) -> str | Response | tuple[str, int]:
    """Confirm again, after reading the information text and the preview, a consent whose
    period came from the release timeline when the release dates moved."""
    oc = own_page()
    consent = _own_consent(oc, consent_id)
    if oc.case.closed_at is not None:
        return _case_closed()
    item = _current_item(oc, consent_id)
    if item is None:
        return _already_ended()
    if item.reconfirm_since is None or item.proposed is None or not item.proposed.available:
        flash_refusal(commands.NothingToReconfirm())
        return redirect(url_for("portal.consents"))
    form = ReconfirmForm()
    if request.method == "POST" and form.validate_on_submit() and _confirmed(form):
        try:
            with refusals_shown_on(form, FIELDS):
                renewed = commands.reconfirm_consent(
                    db_session(),
                    gate(),
                    oc.actor,
                    consent,
                    case=oc.case,
                    given_how=GivenHow.ELECTRONIC,
                    information_text_version=form.information_text_version.data,
                    receipt=RequestWording(),
                )
                flash(gettext("Done. Your consent now follows your new dates."), "info")
                extended = receipt_of(db_session(), renewed.id, ReceiptAction.EXTEND)
                return _to_receipt(
                    renewed.id, ReceiptAction.EXTEND if extended else ReceiptAction.NARROW
                )
        except Conflict as refusal:
            flash_refusal(refusal)
            return redirect(url_for("portal.consents"))
    assert item.proposed.valid_from is not None
    terms = ConsentTerms(
        member_id=consent.member_id,
        sections=frozenset(item.sections),
        valid_from=item.proposed.valid_from,
        valid_until=item.proposed.valid_until,
        direction=consent.direction,
        purpose=consent.purpose,
    )
    html = render_template(
        "portal/consents_reconfirm.html",
        form=form,
        item=item,
        terms=terms,
        preview=preview_change(oc, item.member, drop=consent.id, add=terms),
        info=_info(oc),
    )
    return (html, 400) if request.method == "POST" else html


@bp.route("/consents/receipts")
@allow(Role.CLIENT)
def my_consents() -> str:
    oc = own_page()
    page = receipts_page(db_session(), oc.client.id, page=request.args.get("page", 1, type=int))
    data = open_receipts(gate(), oc.actor, page.rows)
    return render_template(
        "portal/receipts.html",
        page=page,
        rows=list(zip(page.rows, data, strict=True)),
        transfers=client_transfers(db_session(), oc.client.id),
    )


@bp.route("/consents/receipts/<uuid:receipt_id>")
@allow(Role.CLIENT)
def receipt(receipt_id: uuid.UUID) -> str:
    oc = own_page()
    stored = _own_receipt(oc, receipt_id)
    data = open_receipts(gate(), oc.actor, [stored])[0]
    return render_template("portal/receipt.html", receipt=stored, data=data)


@bp.route("/consents/receipts/<uuid:receipt_id>.json")
@allow(Role.CLIENT)
def receipt_download(receipt_id: uuid.UUID) -> Response:
    oc = own_page()
    stored = _own_receipt(oc, receipt_id)
    data = open_receipts(gate(), oc.actor, [stored])[0]
    return Response(
        receipt_json(data),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="consent-receipt-{stored.id}.json"'},
    )


@bp.route("/consents/information/<version>")
@public
def consent_information(version: str) -> str:
    """A published version of the information text exactly as it was shown: what a receipt's
    ``policyUrl`` names and a consent's page links. The plain-language wording (the client's
    pages show it) unless ``?wording=standard`` (the caseworker's consent page shows that);
    the reader's language unless ``?lang=`` names another."""
    language = request.args.get("lang") or current_language()
    wording = request.args.get("wording", "plain")
    if wording not in VARIANTS:
        wording = "plain"
    info = text_queries.shown(db_session(), version, language, plain=wording == "plain")
    if info is None:
        abort(404)
    return render_template("portal/consents_information.html", info=info, wording=wording)


# -- helpers -----------------------------------------------------------------------------------


def _ordered(sections: frozenset[SectionKind]) -> list[SectionKind]:
    return [s for s in SectionKind if s in sections]


def _find(members: Sequence[MemberInfo], value: str | None) -> MemberInfo | None:
    return next((m for m in members if str(m.id) == value), None)


def _own_consent(oc: OwnPage, consent_id: uuid.UUID) -> Consent:
    """:raises NotFound: for another client's consent or an unknown id."""
    consent = db_session().get(Consent, consent_id)
    if consent is None or consent.client_id != oc.client.id or consent.case_id != oc.case.id:
        abort(404)
    return consent


def _own_receipt(oc: OwnPage, receipt_id: uuid.UUID) -> ConsentReceipt:
    """:raises NotFound: for another client's receipt or an unknown id."""
    stored = db_session().get(ConsentReceipt, receipt_id)
    if stored is None or stored.client_id != oc.client.id:
        abort(404)
    return stored


def _current_item(oc: OwnPage, consent_id: uuid.UUID) -> ConsentItem | None:
    """The consent as the matrix shows it (member, purpose), while it is in force or upcoming."""
    matrix = load_matrix(
        db_session(), gate(), oc.actor, oc.case, purpose=Purpose.OWN_DATA, now=utcnow()
    )
    return next((c for c in matrix.consents if c.id == consent_id), None)


def _changeable(items: Sequence[ConsentItem]) -> set[uuid.UUID]:
    """Consents that can be narrowed or extended: the member may still be given one."""
    return {c.id for c in items if offered(c.member.grantee, client=True)}


def _already_ended() -> Response:
    flash_refusal(commands.ConsentEnded())
    return redirect(url_for("portal.consents"))


def _case_closed() -> Response:
    flash(
        gettext("Your case has been closed, so nothing is shared any more. Ask your worker."),
        "error",
    )
    return redirect(url_for("portal.consents"))


def _to_receipt(consent_id: uuid.UUID, action: ReceiptAction) -> Response:
    """To the receipt the change has just written."""
    written = receipt_of(db_session(), consent_id, action)
    assert written is not None  # the command wrote it in this transaction
    return redirect(url_for("portal.receipt", receipt_id=written.id))


def _info(oc: OwnPage) -> InformationText:
    """The plain-language wording of the version in force for the client's county."""
    version = text_queries.current_version(db_session(), oc.case.county_id)
    info = text_queries.shown(db_session(), version, current_language(), plain=True)
    assert info is not None  # current_version is published
    return info


def _confirmed(form: GrantForm | ChangeForm | ReconfirmForm) -> bool:
    """The confirmation's own check: the box ticked (the command checks that the text read
    is the one in force now)."""
    if not form.information_read.data:
        form.information_read.errors = [
            gettext("Tick the box to confirm that you have read the information.")
        ]
        return False
    return True


def as_datetime(value: str) -> datetime | None:
    """A receipt's ISO timestamp back as a datetime (for the templates' date filters)."""
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


bp.add_app_template_global(as_datetime, "receipt_time")
