"""The multi-agency service-need assessment of a client (SHL § 36, § 41)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from app.caseworker import bp
from app.caseworker.assessment_forms import (
    NEED_LEVELS,
    URGENCIES,
    AssessmentForm,
    CompleteForm,
)
from app.caseworker.context import ClientPage, client_page
from app.extensions import db
from app.i18n import helsinki_today
from app.labels import MEMBER_KINDS, SECTIONS
from app.models import NetworkMember, Phase, Role
from app.models.assessment import Assessment, AssessmentVersion, NeedLevel, Urgency
from app.models.intake import Notification
from app.security import allow, gate
from app.services.assessment import (
    FACTOR_GROUPS,
    FACTORS,
    FACTORS_BY_CODE,
    AssessmentError,
    AssessmentInput,
    StaleAssessment,
    case_members,
    complete_assessment,
    is_current,
    load_assessment,
    parse_snapshot,
    participant_choices,
    save_assessment,
    sealed_fields,
    stored_input,
    versions_page,
)
from app.services.fields import sealed
from consent.decision import Purpose
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
    if kind == "factor" and value in FACTORS_BY_CODE:
        return str(FACTORS_BY_CODE[value].label)
    return str(PARTS.get(code, code))


@dataclass(frozen=True)
class Loaded:
    """Everything the page shows, read with one batched call to the gate."""

    assessment: Assessment | None
    members: list[NetworkMember]
    names: dict[uuid.UUID, str]  # member → organisation or person name
    stored: AssessmentInput


def _load(page: ClientPage, *, for_update: bool = False) -> Loaded:
    assessment = load_assessment(db.session, page.case.id, for_update=for_update)
    members = case_members(db.session, page.case.id)
    fields = [sealed(m, "person_name_ct") for m in members] + sealed_fields(assessment)
    texts = gate().read_texts(page.actor, fields, purpose=Purpose.CASE_WORK) if fields else []
    names = {
        m.id: m.organisation.name if m.organisation else texts[i] or ""
        for i, m in enumerate(members)
    }
    return Loaded(assessment, members, names, stored_input(assessment, texts[len(members) :]))


def _member_label(loaded: Loaded, member: NetworkMember) -> str:
    label = f"{loaded.names[member.id]} ({MEMBER_KINDS[member.kind]})"
    if not is_current(member, helsinki_today()):
        label += " – " + gettext("no longer in the network")
    return label


def _form(loaded: Loaded, **kwargs: object) -> AssessmentForm:
    form = AssessmentForm(**kwargs)
    choices = participant_choices(loaded.members, loaded.assessment, helsinki_today())
    form.set_members([(m.id, _member_label(loaded, m)) for m in choices])
    return form


def _render(
    page: ClientPage,
    loaded: Loaded,
    form: AssessmentForm,
    *,
    problem: str | None = None,
) -> str:
    history = versions_page(db.session, loaded.assessment, request.args.get("page", 1, type=int))
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
    try:
        _, changed = save_assessment(
            db.session,
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
    except StaleAssessment:
        form.version.data = str(current_version)  # saving again overwrites, knowingly
        problem = gettext(
            "Someone else saved this assessment while you were editing it. Your input is "
            "kept below: compare it with the summary, then save again."
        )
        return _render(page, loaded, form, problem=problem), 409
    except AssessmentError:  # the form checks the same rules; this is the last line
        return _render(page, loaded, form, problem=gettext("Check the assessment.")), 400
    db.session.commit()
    flash(gettext("Assessment saved.") if changed else gettext("Nothing changed."), "success")
    return redirect(url_for("caseworker.assessment", client_id=page.client.id))


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
            db.session,
            gate(),
            page.actor,
            case=page.case,
            assessment=loaded.assessment,
            stored=loaded.stored,
            seen_version=complete.seen_version(),
            today=helsinki_today(),
        )
    except StaleAssessment:
        problem = gettext(
            "Someone else saved this assessment meanwhile. Check the summary, then mark it "
            "completed again."
        )
        return _render(page, loaded, _filled(loaded, page.case.id), problem=problem), 409
    except AssessmentError:
        problem = gettext(
            "Only an assessment that has started and is not yet completed can be marked "
            "completed. Record the start date first."
        )
        return _render(page, loaded, _filled(loaded, page.case.id), problem=problem), 400
    db.session.commit()
    if moved:
        flash(
            gettext("Assessment completed. The case moved on to assembling the support network."),
            "success",
        )
    else:
        flash(gettext("Assessment completed."), "success")
    return redirect(url_for("caseworker.assessment", client_id=page.client.id))


def _filled(loaded: Loaded, case_id: uuid.UUID) -> AssessmentForm:
    """The form showing the stored assessment; a new one starts from the intake's contact day."""
    form = _form(loaded, formdata=None)
    if loaded.assessment is None:
        contacted = db.session.scalar(
            select(func.min(Notification.contacted_on)).where(Notification.case_id == case_id)
        )
        form.fill(replace(loaded.stored, contact_on=contacted), 0)
    else:
        form.fill(loaded.stored, loaded.assessment.version)
    return form


@bp.route("/clients/<uuid:client_id>/assessment/versions/<int:number>")
@allow(Role.CASEWORKER)
@client_page
def assessment_version(page: ClientPage, number: int) -> str:
    """The assessment as one save left it."""
    version = db.session.scalar(
        select(AssessmentVersion)
        .join(Assessment, Assessment.id == AssessmentVersion.assessment_id)
        .where(Assessment.case_id == page.case.id, AssessmentVersion.version == number)
        .options(joinedload(AssessmentVersion.author))
    )
    if version is None:
        abort(404)
    members = case_members(db.session, page.case.id)
    texts = gate().read_texts(
        page.actor,
        [*(sealed(m, "person_name_ct") for m in members), sealed(version, "snapshot_ct")],
        purpose=Purpose.CASE_WORK,
    )
    names = {
        m.id: m.organisation.name if m.organisation else texts[i] or ""
        for i, m in enumerate(members)
    }
    snapshot = texts[-1]
    assert snapshot is not None  # every version seals a non-empty snapshot
    return render_template(
        "caseworker/assessment_version.html",
        page=page,
        version=version,
        data=parse_snapshot(snapshot),
        names=names,
        factors=FACTORS,
        factor_groups=FACTOR_GROUPS,
        sections=list(SectionKind),
    )
