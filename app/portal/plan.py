""" "My plan": the client reads the whole plan and adds their own view to each section.

The client reads through the gate as themselves with ``Purpose.OWN_DATA``. Their view is
saved as a new version of the section, written through the gate as the client: the new
version copies the current one (every text, including keys this page does not know, the
agreement state, review date and responsible members) and replaces only ``client_view``,
so the worker's text is never lost and the version history shows who wrote what.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import PlanSection, PlanSectionVersion, Role, User
from app.models.plan import AgreementState, PlanResponsible
from app.portal import bp
from app.portal.forms import ClientViewForm
from app.portal.views import OwnPage, own_page
from app.security import allow, gate
from app.services import plan as plan_service
from app.services.assessment import case_members
from app.services.fields import field, sealed
from consent.base import utcnow
from consent.decision import Actor, Purpose
from consent.sections import SectionKind
from sharing.gate import AccessGate

Page = str | tuple[str, int]

AGREEMENT = {
    AgreementState.DRAFT: _l("Still being planned: not agreed yet"),
    AgreementState.AGREED: _l("Agreed with you"),
    AgreementState.DISAGREED: _l(
        "You and your worker see this differently. Both views are written down."
    ),
}


@bp.app_template_global()
def portal_agreement_label(value: AgreementState) -> str:
    return str(AGREEMENT[AgreementState(value)])


@dataclass(frozen=True)
class MySection:
    """One section as the client sees it."""

    section: PlanSection
    version: PlanSectionVersion | None
    texts: dict[str, str]  # goals, measures, client_view, worker_view ("" when missing)
    responsible: list[str]  # names of the members responsible for the measures
    author: User | None

    @property
    def kind(self) -> SectionKind:
        return self.section.kind

    @property
    def has_content(self) -> bool:
        return any(self.texts.get(key) for key in ("goals", "measures", "worker_view"))


@dataclass(frozen=True)
class MyPlan:
    review_on: Any
    sections: list[MySection]


def _texts(content: str | None) -> dict[str, Any]:
    """The JSON of a version as a dict; an unreadable or foreign shape counts as empty."""
    try:
        raw = json.loads(content) if content else {}
    except ValueError:
        return {}
    return raw if isinstance(raw, dict) else {}


def _shown(raw: dict[str, Any]) -> dict[str, str]:
    return {key: str(raw.get(key) or "") for key in plan_service.TEXT_FIELDS}


def read_my_plan(
    session: Session, gate: AccessGate, actor: Actor, page: OwnPage, *, kind: SectionKind | None
) -> MyPlan | None:
    """The plan's sections (or one kind's) opened in one gate read; ``None`` without a plan."""
    plan = plan_service.load_plan(session, page.case.id)
    if plan is None:
        return None
    sections = plan_service.in_order(plan.sections)
    if kind is not None:
        sections = [s for s in sections if s.kind is kind]
    versions = plan_service.current_versions(session, sections)
    responsible_ids = {r.member_id for v in versions.values() for r in v.responsibles}
    members = [m for m in case_members(session, page.case.id) if m.id in responsible_ids]
    with_content = [(s, versions[s.id]) for s in sections if s.id in versions]
    refs = [sealed(m, "person_name_ct") for m in members]
    refs += [sealed(v, "content_ct", s.kind) for s, v in with_content]
    texts = gate.read_texts(actor, refs, purpose=Purpose.OWN_DATA) if refs else []
    names = {
        m.id: m.organisation.name if m.organisation is not None else (texts[i] or "")
        for i, m in enumerate(members)
    }
    contents = {v.id: texts[len(members) + i] for i, (_, v) in enumerate(with_content)}
    shown = []
    for section in sections:
        version = versions.get(section.id)
        raw = _texts(contents.get(version.id)) if version else {}
        shown.append(
            MySection(
                section,
                version,
                _shown(raw),
                [names[r.member_id] for r in version.responsibles if r.member_id in names]
                if version
                else [],
                version.author if version else None,
            )
        )
    return MyPlan(plan.review_on, shown)


def add_client_view(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    page: OwnPage,
    *,
    kind: SectionKind,
    seen_version: int,
    view: str,
) -> PlanSectionVersion | None:
    """Append a version of the ``kind`` section with the client's new view; ``None`` if unchanged.

    Copies the current version whole and replaces only ``client_view``.

    :raises LookupError: when the client's plan has no such section.
    :raises plan_service.StaleSection: when the section changed after the client opened it.
    :raises AccessDenied: when the actor may not write the client's data.
    """
    plan = plan_service.load_plan(session, page.case.id, for_update=True)
    section = next((s for s in plan.sections if s.kind is kind), None) if plan else None
    if section is None:
        raise LookupError(kind)
    if section.current_version != seen_version:
        raise plan_service.StaleSection(seen_version, section.current_version)
    current = plan_service.current_versions(session, [section]).get(section.id)
    raw: dict[str, Any] = {}
    if current is not None:
        raw = _texts(
            gate.read_texts(actor, [sealed(current, "content_ct", kind)], purpose=Purpose.OWN_DATA)[
                0
            ]
        )
    view = view.strip()
    if current is not None and str(raw.get("client_view") or "") == view:
        return None
    for key in plan_service.TEXT_FIELDS:
        raw.setdefault(key, "")
    raw["client_view"] = view
    section.current_version += 1
    version = PlanSectionVersion(
        section_id=section.id,
        client_id=page.case.client_id,
        version=section.current_version,
        agreement=current.agreement if current is not None else AgreementState.DRAFT,
        review_on=current.review_on if current is not None else None,
        author_id=actor.user_id,
        created_at=utcnow(),
    )
    content = json.dumps(raw, ensure_ascii=False, sort_keys=True)
    ciphertext = gate.write_text(
        actor, field(version, "content_ct", kind), content, purpose=Purpose.OWN_DATA
    )
    assert ciphertext is not None  # a JSON text always seals
    version.content_ct = ciphertext
    version.responsibles = [
        PlanResponsible(version_id=version.id, member_id=r.member_id)
        for r in (current.responsibles if current is not None else [])
    ]
    session.add(version)
    session.flush()
    return version


def _kind_or_404(value: str) -> SectionKind:
    try:
        return SectionKind(value)
    except ValueError:
        abort(404)


@bp.route("/plan")
@allow(Role.CLIENT)
def plan() -> str:
    page = own_page()
    mine = read_my_plan(db.session, gate(), page.actor, page, kind=None)
    return render_template("portal/plan.html", plan=mine, me=page.actor.user_id)


@bp.route("/plan/<kind>/my-view", methods=["GET", "POST"])
@allow(Role.CLIENT)
def plan_view(kind: str) -> Page | Response:
    section_kind = _kind_or_404(kind)
    page = own_page()
    form = ClientViewForm()
    if form.validate_on_submit():
        try:
            saved = add_client_view(
                db.session,
                gate(),
                page.actor,
                page,
                kind=section_kind,
                seen_version=form.seen_version,
                view=form.view.data or "",
            )
        except LookupError:
            abort(404)
        except plan_service.StaleSection:
            db.session.rollback()
            return _view_page(page, section_kind, form, stale=True, status=409)
        db.session.commit()
        if saved is None:
            flash(gettext("Nothing changed: your view was already saved like this."), "info")
        else:
            flash(gettext("Your view is saved in the plan."), "info")
        return redirect(url_for("portal.plan", _anchor=f"section-{section_kind.value}"))
    if form.is_submitted():
        return _view_page(page, section_kind, form, status=400)
    return _view_page(page, section_kind, form)


def _view_page(
    page: OwnPage,
    kind: SectionKind,
    form: ClientViewForm,
    *,
    stale: bool = False,
    status: int = 200,
) -> Page:
    mine = read_my_plan(db.session, gate(), page.actor, page, kind=kind)
    if mine is None or not mine.sections:
        abort(404)
    section = mine.sections[0]
    if not form.is_submitted() or stale:
        form.seen.data = str(section.section.current_version)
    if not form.is_submitted():
        form.view.data = section.texts["client_view"]
    html = render_template(
        "portal/plan_view.html",
        section=section,
        form=form,
        stale=stale,
        me=page.actor.user_id,
        review_on=mine.review_on,
    )
    return (html, status) if status != 200 else html
