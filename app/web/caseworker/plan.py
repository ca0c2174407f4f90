"""The client plan (asiakassuunnitelma): sections, versions and their differences, concurrent
edits, "view as …" a network member, and the print for the client."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext
from werkzeug.wrappers import Response

from app.cases.queries import appointments
from app.cases.rules import current_appointment
from app.extensions import db_session
from app.i18n import LANGUAGES, helsinki_today, select_locale
from app.labels import MEMBER_KINDS, SECTIONS
from app.models import NetworkMember, Organisation, Role
from app.models.case import Client
from app.models.plan import AgreementState, PlanSectionVersion
from app.plan import commands, queries, rules
from app.plan.commands import StaleSection
from app.plan.content import SectionContent
from app.plan.queries import PlanView, SectionView
from app.plan.rules import EMPTY, SectionInput
from app.security import allow, gate
from app.web.caseworker import bp
from app.web.caseworker.context import ClientPage, client_page
from app.web.caseworker.plan_forms import (
    AGREEMENT_STATES,
    FIELD_LABELS,
    PREVIEW_REASON_OTHER,
    PREVIEW_REASONS,
    ReviewDateForm,
    SectionForm,
)
from app.web.forms import refusals_shown_on
from consent.base import utcnow
from consent.decision import Reason
from consent.sections import SectionKind
from consent.status import MembershipStatus, membership_status
from sharing.fields import sealed

Page = str | tuple[str, int]


@bp.app_template_global()
def plan_agreement_label(state: AgreementState) -> str:
    return str(AGREEMENT_STATES[state])


@bp.app_template_global()
def plan_field_label(name: str) -> str:
    return str(FIELD_LABELS[name])


@bp.app_template_global()
def plan_preview_reason(reason: Reason) -> str:
    return str(PREVIEW_REASONS.get(reason, PREVIEW_REASON_OTHER))


def _kind(value: str) -> SectionKind:
    try:
        return SectionKind(value)
    except ValueError:
        abort(404)


# -- the plan -----------------------------------------------------------------------------


@bp.route("/clients/<uuid:client_id>/plan")
@allow(Role.CASEWORKER)
@client_page
def plan(page: ClientPage) -> Page:
    """The plan: its review date, each section as it stands, and what to do next."""
    return _plan_page(page)


@bp.route("/clients/<uuid:client_id>/plan/review", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def plan_review(page: ClientPage) -> Page | Response:
    """Set the date the whole plan is reviewed with the client and the network."""
    form = ReviewDateForm()
    if form.validate_on_submit():
        with refusals_shown_on(form):
            commands.set_review_date(
                db_session(),
                case=page.case,
                actor=page.actor,
                review_on=form.review_on.data,
                today=helsinki_today(),
            )
            flash(gettext("The plan's review date was saved."), "success")
            return redirect(url_for("caseworker.plan", client_id=page.client.id))
    return _plan_page(page, review_form=form, status=400)


def _plan_page(
    page: ClientPage, *, review_form: ReviewDateForm | None = None, status: int = 200
) -> Page:
    view = queries.read_plan(db_session(), gate(), page.actor, page.case)
    today = helsinki_today()
    if review_form is None:
        review_form = ReviewDateForm(
            formdata=None, review_on=view.plan.review_on if view.plan else None
        )
    html = render_template(
        "caseworker/plan.html",
        page=page,
        view=view,
        review_form=review_form,
        previewable=_previewable(view, utcnow()),
        languages=LANGUAGES,
        today=today,
    )
    return (html, status) if status != 200 else html


def _previewable(view: PlanView, now: datetime) -> list[tuple[NetworkMember, str]]:
    """The members whose view can be previewed (active now), with their labels."""
    return [
        (m, f"{view.names[m.id]} ({MEMBER_KINDS[m.kind]})")
        for m in rules.active_members(view.members, now)
    ]


# -- a section: edit, conflicts, versions, differences ---------------------------------------


@bp.route("/clients/<uuid:client_id>/plan/sections/<kind>", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def plan_section(page: ClientPage, kind: str) -> Page | Response:
    """Write a section (a new one, or a new version); a stale form gets the conflict page."""
    section_kind = _kind(kind)
    view = queries.read_plan(
        db_session(),
        gate(),
        page.actor,
        page.case,
        kinds=[section_kind],
        for_update=request.method == "POST",
    )
    current = view.section(section_kind)
    before = current.data if current else EMPTY
    stored = current.section.current_version if current else 0
    today = helsinki_today()
    if request.method == "GET":
        form = _section_form(view, before, formdata=None)
        form.fill(before, stored)
        return _section_page(page, view, section_kind, current, form)

    form = _section_form(view, before)
    valid = form.validate_all(
        allowed_members=_choice_ids(form),
        stored_review_on=before.review_on,
        today=today,
    )
    if form.seen_version() != stored:
        return _conflict(page, view, section_kind, current, form)
    if not valid:
        return _section_page(page, view, section_kind, current, form), 400
    with refusals_shown_on(form):  # the form checks the same rules; this is the last line
        try:
            version = commands.save_section(
                db_session(),
                gate(),
                page.actor,
                case=page.case,
                kind=section_kind,
                section=current.section if current else None,
                seen_version=form.seen_version(),
                before=before,
                after=form.to_input(),
                members=view.members,
                today=today,
            )
        except StaleSection:
            return _conflict(page, view, section_kind, current, form)
        if version is None:
            flash(gettext("Nothing changed."), "info")
        else:
            flash(
                gettext(
                    "%(section)s saved as version %(n)d.",
                    section=_section_label(section_kind),
                    n=version.version,
                ),
                "success",
            )
        return redirect(
            url_for("caseworker.plan", client_id=page.client.id, _anchor=f"section-{section_kind}")
        )
    return _section_page(page, view, section_kind, current, form), 400


def _section_label(kind: SectionKind) -> str:
    return str(SECTIONS[kind])


def _choice_ids(form: SectionForm) -> list[uuid.UUID]:
    return [uuid.UUID(choice.value) for choice in form.responsible.choices or []]


def _section_form(view: PlanView, before: SectionInput, **kwargs: object) -> SectionForm:
    form = SectionForm(**kwargs)
    now = utcnow()
    choices = rules.responsible_choices(view.members, before.responsible_ids, now)
    form.set_members([(m.id, _member_label(view, m, now)) for m in choices])
    return form


def _member_label(view: PlanView, member: NetworkMember, now: datetime) -> str:
    label = f"{view.names[member.id]} ({MEMBER_KINDS[member.kind]})"
    if membership_status(member.membership(), now) is MembershipStatus.ENDED:
        label += " – " + gettext("no longer in the network")
    return label


def _section_page(
    page: ClientPage,
    view: PlanView,
    kind: SectionKind,
    current: SectionView | None,
    form: SectionForm,
    *,
    problem: str | None = None,
) -> str:
    history = queries.versions_page(
        db_session(), current.section if current else None, request.args.get("page", 1, type=int)
    )
    return render_template(
        "caseworker/plan_section.html",
        page=page,
        view=view,
        kind=kind,
        current=current,
        form=form,
        history=history,
        problem=problem,
    )


def _conflict(
    page: ClientPage,
    view: PlanView,
    kind: SectionKind,
    current: SectionView | None,
    form: SectionForm,
) -> tuple[str, int]:
    """Someone saved in between: both versions side by side, the user's input kept."""
    stored = current.section.current_version if current else 0
    form.version.data = str(stored)  # saving this form again makes the merge the next version
    if current is None or current.version is None:  # only a tampered form gets here
        problem = gettext("The form was out of date. Check what you entered and save again.")
        return _section_page(page, view, kind, current, form, problem=problem), 409
    yours = form.to_input()
    html = render_template(
        "caseworker/plan_conflict.html",
        page=page,
        view=view,
        kind=kind,
        current=current,
        yours=yours,
        changes=rules.compare(current.data, yours),
        form=form,
    )
    return html, 409


@bp.route("/clients/<uuid:client_id>/plan/sections/<kind>/versions/<int:number>")
@allow(Role.CASEWORKER)
@client_page
def plan_section_version(page: ClientPage, kind: str, number: int) -> str:
    """One version of a section, as it was saved."""
    section = queries.find_section(db_session(), page.case.id, _kind(kind))
    if section is None:
        abort(404)
    read = queries.read_versions(db_session(), gate(), page.actor, page.case, section, [number])
    if number not in read.versions:
        abort(404)
    version, data = read.versions[number]
    return render_template(
        "caseworker/plan_version.html",
        page=page,
        section=section,
        version=version,
        data=data,
        names=read.names,
    )


@bp.route("/clients/<uuid:client_id>/plan/sections/<kind>/changes")
@allow(Role.CASEWORKER)
@client_page
def plan_section_changes(page: ClientPage, kind: str) -> Page:
    """The differences between two versions of a section, field by field and word by word."""
    section = queries.find_section(db_session(), page.case.id, _kind(kind))
    if section is None:
        abort(404)
    latest = section.current_version
    older = request.args.get("from", type=int)
    newer = request.args.get("to", type=int)
    if newer is None and "to" not in request.args:
        newer = latest
    if older is None and "from" not in request.args and newer is not None:
        older = newer - 1
    problem = None
    if older is None or newer is None:
        problem = gettext("Give two version numbers.")
    elif not (1 <= older <= latest and 1 <= newer <= latest):
        problem = gettext("Choose versions between 1 and %(latest)d.", latest=latest)
    elif older == newer:
        problem = gettext("Choose two different versions.")
    if problem is not None:
        html = render_template(
            "caseworker/plan_changes.html",
            page=page,
            section=section,
            problem=problem,
            older=older,
            newer=newer,
        )
        return html, 400
    assert older is not None and newer is not None
    older, newer = min(older, newer), max(older, newer)
    read = queries.read_versions(
        db_session(), gate(), page.actor, page.case, section, [older, newer]
    )
    (old_version, old_data), (new_version, new_data) = read.versions[older], read.versions[newer]
    return render_template(
        "caseworker/plan_changes.html",
        page=page,
        section=section,
        older=older,
        newer=newer,
        old_version=old_version,
        new_version=new_version,
        changes=rules.compare(old_data, new_data),
        names=read.names,
    )


# -- view as a member ---------------------------------------------------------------------


@bp.route("/clients/<uuid:client_id>/plan/view-as")
@allow(Role.CASEWORKER)
@client_page
def plan_view_as(page: ClientPage) -> Page:
    """Exactly what one network member would see of the plan now (the gate's preview)."""
    view = queries.read_plan(db_session(), gate(), page.actor, page.case, contents=False)
    previewable = _previewable(view, utcnow())
    chosen = request.args.get("member", "")
    member = next((m for m, _ in previewable if str(m.id) == chosen), None)
    if member is None:
        html = render_template(
            "caseworker/plan_view_as.html",
            page=page,
            view=view,
            previewable=previewable,
            member=None,
            problem=gettext("Choose a member who is active in the network today."),
        )
        return html, 400
    shown = [s for s in view.sections if s.version is not None]
    previews = gate().preview(
        page.actor,
        rules.grantee_actor(member),
        [sealed(page.client, Client.name_ct)]
        + [sealed(s.version, PlanSectionVersion.content_ct) for s in shown if s.version],
    )
    name_preview, section_previews = previews[0], previews[1:]
    sections = [
        (
            s,
            p,
            rules.stored_input(s.version, SectionContent.parse(p.text))
            if p.decision.allowed
            else None,
        )
        for s, p in zip(shown, section_previews, strict=True)
    ]
    return render_template(
        "caseworker/plan_view_as.html",
        page=page,
        view=view,
        previewable=previewable,
        member=member,
        member_label=next(label for m, label in previewable if m is member),
        name_preview=name_preview,
        sections=sections,
        member_kinds=MEMBER_KINDS,
    )


# -- the print for the client ---------------------------------------------------------------


@bp.route("/clients/<uuid:client_id>/plan/print")
@allow(Role.CASEWORKER)
@client_page
def plan_print(page: ClientPage) -> str:
    """The plan as a clean page in plain language to print for the client.

    In the current language, or in the one ``?lang=`` names (fi, sv, en), so a worker can
    print in the client's language without changing their own.
    """
    lang = request.args.get("lang", "")
    if lang not in LANGUAGES:
        lang = select_locale()
    view = queries.read_plan(db_session(), gate(), page.actor, page.case)
    appointment = current_appointment(appointments(db_session(), page.case.id))
    county = db_session().get(Organisation, page.case.county_id)
    with force_locale(lang):
        return render_template(
            "print/plan.html",
            page=page,
            view=view,
            sections=[s for s in view.sections if s.version is not None],
            worker=appointment.worker if appointment else None,
            county=county,
            lang=lang,
            today=helsinki_today(),
        )
