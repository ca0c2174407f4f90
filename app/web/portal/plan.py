""" "My plan": the client reads the whole plan and adds their own view to each section.

The client reads through the gate as themselves with ``Purpose.OWN_DATA``. Their view is
saved as a new version of the section, written through the gate as the client: the new
version copies the current one (every text, including keys this page does not know, the
agreement state, review date and responsible members) and replaces only ``client_view``,
so the worker's text is never lost and the version history shows who wrote what.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from app.extensions import db_session
from app.models import Role
from app.models.plan import AgreementState
from app.models.review import ReviewGoal
from app.plan.commands import StaleSection, add_client_view
from app.plan.queries import read_my_plan
from app.reviews.queries import latest_review
from app.security import allow, gate
from app.web.portal import bp
from app.web.portal.forms import ClientViewForm
from app.web.portal.views import OwnPage, own_page
from consent.facts import Purpose
from consent.sections import SectionKind
from sharing.fields import sealed

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


def _kind_or_404(value: str) -> SectionKind:
    try:
        return SectionKind(value)
    except ValueError:
        abort(404)


@bp.route("/plan")
@allow(Role.CLIENT)
def plan() -> str:
    page = own_page()
    mine = read_my_plan(db_session(), gate(), page.actor, page.case.id, kind=None)
    # The newest review's assessment of each goal, with the client's own view of it.
    review = latest_review(db_session(), page.case.id)
    goals = review.goals if review is not None else []
    views = (
        gate().read_texts(
            page.actor,
            [sealed(g, ReviewGoal.client_view_ct) for g in goals],
            purpose=Purpose.OWN_DATA,
        )
        if goals
        else []
    )
    return render_template(
        "portal/plan.html",
        plan=mine,
        me=page.actor.user_id,
        review=review,
        review_goals=list(zip(goals, views, strict=True)),
    )


@bp.route("/plan/<kind>/my-view", methods=["GET", "POST"])
@allow(Role.CLIENT)
def plan_view(kind: str) -> Page | Response:
    section_kind = _kind_or_404(kind)
    page = own_page()
    form = ClientViewForm()
    if form.validate_on_submit():
        try:
            saved = add_client_view(
                db_session(),
                gate(),
                page.actor,
                page.case,
                kind=section_kind,
                seen_version=form.seen_version,
                view=form.view.data or "",
            )
        except StaleSection:
            return _view_page(page, section_kind, form, stale=True, status=409)
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
    mine = read_my_plan(db_session(), gate(), page.actor, page.case.id, kind=kind)
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
