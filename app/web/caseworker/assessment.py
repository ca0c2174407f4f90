"""The multi-agency service-need assessment of a client (SHL § 36, § 41)."""

from __future__ import annotations

import uuid
from dataclasses import replace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from app.assessment.commands import StaleAssessment, complete_assessment, save_assessment
from app.assessment.queries import (
    AssessmentRead,
    first_contact_on,
    read_assessment,
    read_version,
    versions_page,
)
from app.assessment.rules import FACTORS, in_network, participant_choices
from app.extensions import db_session
from app.i18n import helsinki_today
from app.labels import MEMBER_KINDS, SECTIONS
from app.models import NetworkMember, Phase, Role
from app.models.assessment import NeedLevel, Urgency
from app.refusals import Refused
from app.security import allow, gate
from app.web.caseworker import bp
from app.web.caseworker.assessment_forms import (
    FACTOR_GROUPS,
    FACTOR_LABELS,
    NEED_LEVELS,
    URGENCIES,
    AssessmentForm,
    CompleteForm,
)
from app.web.caseworker.context import ClientPage, client_page
from app.web.forms import refusals_shown_on
from consent.base import utcnow
from consent.sections import SectionKind

PARTS = {
    "dates": _l("Dates"),
    "worker": _l("Responsible worker"),
    "participants": _l("Participants"),
}


@bp.app_template_global()
def assessment_need_label(level: NeedLevel | None) -> str:
    return str(NEED_LEVELS[level]) if level else gettext("Not assessed yet")


@bp.app_template_global()
def assessment_urgency_label(urgency: Urgency | None) -> str:
    return str(URGENCIES[urgency]) if urgency else gettext("Not assessed yet")


@bp.app_template_global()
def assessment_part_label(code: str) -> str:
    """A changed part of the assessment, as the history names it."""
    kind, _, value = code.partition(":")
    if kind == "area" and value in {k.value for k in SectionKind}:
        return str(SECTIONS[SectionKind(value)])
    if kind == "factor" and value in FACTOR_LABELS:
        return str(FACTOR_LABELS[value])
    return str(PARTS.get(code, code))


@bp.app_template_global()
def assessment_factor_label(code: str) -> str:
    """A desistance factor's name."""
    return str(FACTOR_LABELS[code])


def _load(page: ClientPage, *, for_update: bool = False) -> AssessmentRead:
    return read_assessment(db_session(), gate(), page.actor, page.case.id, for_update=for_update)


def _member_label(loaded: AssessmentRead, member: NetworkMember) -> str:
    label = f"{loaded.names[member.id]} ({MEMBER_KINDS[member.kind]})"
    if not in_network(member, utcnow()):
        label += " – " + gettext("no longer in the network")
    return label


def _form(loaded: AssessmentRead, **kwargs: object) -> AssessmentForm:
    form = AssessmentForm(**kwargs)
    choices = participant_choices(loaded.members, loaded.assessment, utcnow())
    form.set_members([(m.id, _member_label(loaded, m)) for m in choices])
    return form


def _render(
    page: ClientPage,
    loaded: AssessmentRead,
    form: AssessmentForm,
    *,
    problem: str | None = None,
) -> str:
    history = versions_page(db_session(), loaded.assessment, request.args.get("page", 1, type=int))
    return render_template(
        "caseworker/assessment.html",
        page=page,
        assessment=loaded.assessment,
        data=loaded.stored,
        names=loaded.names,
        form=form,
        complete_form=CompleteForm(
            formdata=None, version=loaded.assessment.version if loaded.assessment else 0
        ),
        history=history,
        problem=problem,
        factors=FACTORS,
        factor_groups=FACTOR_GROUPS,
        sections=list(SectionKind),
        today=helsinki_today(),
        in_assessment=page.case.phase is Phase.ASSESSMENT,
    )


@bp.route("/clients/<uuid:client_id>/assessment", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def assessment(page: ClientPage) -> str | Response | tuple[str, int]:
    """The assessment: a summary, the one form to create or edit it, and its history."""
    loaded = _load(page, for_update=request.method == "POST")
    current_version = loaded.assessment.version if loaded.assessment else 0
    if request.method == "GET":
        return _render(page, loaded, _filled(loaded, page.case.id))

    form = _form(loaded)
    today = helsinki_today()
    if not form.validate_all(today):
        return _render(page, loaded, form), 400
    with refusals_shown_on(form):  # the form checks the same rules; this is the last line
        try:
            _, changed = save_assessment(
                db_session(),
                gate(),
                page.actor,
                case=page.case,
                assessment=loaded.assessment,
                before=loaded.stored,
                after=form.to_input(),
                seen_version=form.seen_version(),
                members=loaded.members,
                today=today,
            )
        except StaleAssessment as stale:
            form.version.data = str(current_version)  # saving again overwrites, knowingly
            return _render(page, loaded, form, problem=gettext(stale.message)), 409
        flash(gettext("Assessment saved.") if changed else gettext("Nothing changed."), "success")
        return redirect(url_for("caseworker.assessment", client_id=page.client.id))
    return _render(page, loaded, form), 400


@bp.route("/clients/<uuid:client_id>/assessment/complete", methods=["POST"])
@allow(Role.CASEWORKER)
@client_page
def assessment_complete(page: ClientPage) -> str | Response | tuple[str, int]:
    """Mark the assessment completed today; a case in assessment moves on to the network."""
    complete = CompleteForm()
    loaded = _load(page, for_update=True)
    if loaded.assessment is None:
        problem = gettext("Save the assessment before marking it completed.")
        return _render(page, loaded, _filled(loaded, page.case.id), problem=problem), 400
    if not complete.validate():  # only the CSRF token can fail
        problem = gettext("The page had expired. Mark the assessment completed again.")
        return _render(page, loaded, _filled(loaded, page.case.id), problem=problem), 400
    try:
        moved = complete_assessment(
            db_session(),
            gate(),
            page.actor,
            case=page.case,
            assessment=loaded.assessment,
            stored=loaded.stored,
            seen_version=complete.seen_version(),
            today=helsinki_today(),
        )
    except Refused as refusal:  # stale, or not an assessment that can be completed
        status = 409 if isinstance(refusal, StaleAssessment) else 400
        problem = gettext(refusal.message)
        return _render(page, loaded, _filled(loaded, page.case.id), problem=problem), status
    if moved:
        flash(
            gettext("Assessment completed. The case moved on to assembling the support network."),
            "success",
        )
    else:
        flash(gettext("Assessment completed."), "success")
    return redirect(url_for("caseworker.assessment", client_id=page.client.id))


def _filled(loaded: AssessmentRead, case_id: uuid.UUID) -> AssessmentForm:
    """The form showing the stored assessment; a new one starts from the intake's contact day."""
    form = _form(loaded, formdata=None)
    if loaded.assessment is None:
        contacted = first_contact_on(db_session(), case_id)
        form.fill(replace(loaded.stored, contact_on=contacted), 0)
    else:
        form.fill(loaded.stored, loaded.assessment.version)
    return form


@bp.route("/clients/<uuid:client_id>/assessment/versions/<int:number>")
@allow(Role.CASEWORKER)
@client_page
def assessment_version(page: ClientPage, number: int) -> str:
    """The assessment as one save left it."""
    read = read_version(db_session(), gate(), page.actor, page.case.id, number)
    if read is None:
        abort(404)
    return render_template(
        "caseworker/assessment_version.html",
        page=page,
        version=read.version,
        data=read.data,
        names=read.names,
        factors=FACTORS,
        factor_groups=FACTOR_GROUPS,
        sections=list(SectionKind),
    )
