"""Follow-up: reviews of the client plan, with participants, notes and the next date, and
an assessment of each plan goal (achieved, in progress, not started, changed) with the
client's own view of it.

Recording a review sets the plan's review date, which the worker's dashboard reminds of
when it is two weeks away or past. The form re-renders with the user's input and the
errors (status 400) when it does not validate.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from app.extensions import db_session
from app.i18n import helsinki_today
from app.labels import GOAL_PROGRESS, MEMBER_KINDS
from app.models import ClientPlan, NetworkMember, PlanSectionVersion, Role
from app.models.review import GoalProgress, PlanReview, ReviewGoal
from app.plan.content import SectionContent
from app.reviews import rules
from app.reviews.commands import GoalAssessment, ReviewFacts, record_review
from app.reviews.queries import network_members, plan_goals, review_page
from app.reviews.rules import ReviewStatus
from app.security import allow, gate
from app.web.caseworker import bp
from app.web.caseworker.context import ClientPage, client_page
from app.web.forms import refusals_shown_on
from consent.base import utcnow
from consent.facts import Purpose
from consent.sections import SectionKind
from consent.status import MembershipStatus, membership_status
from sharing.fields import sealed

REVIEW_STATUSES = {
    ReviewStatus.OVERDUE: _l("Overdue"),
    ReviewStatus.DUE: _l("Due soon"),
    ReviewStatus.SCHEDULED: _l("Scheduled"),
    ReviewStatus.NOT_SCHEDULED: _l("No review date"),
}


@bp.app_template_global()
def review_status_label(status: ReviewStatus) -> str:
    return str(REVIEW_STATUSES[status])


class GoalForm(Form):
    """One plan goal at the review: where it stands and the client's view (both optional)."""

    section = HiddenField()
    progress = RadioField(
        _l("Where the goal stands"),
        choices=[SelectChoice("", _l("Not assessed"))]
        + [SelectChoice(p.value, label) for p, label in GOAL_PROGRESS.items()],
        default="",
    )
    client_view = TextAreaField(
        _l("The client's view"),
        validators=[Length(max=2000, message=_l("At most 2,000 characters."))],
        description=_l("In the client's own words. At most 2,000 characters."),
    )


class ReviewForm(FlaskForm):
    held_on = DateField(
        _l("Held on"),
        validators=[InputRequired(message=_l("Give the date the review was held."))],
        description=_l("For example 2025-03-31."),
    )
    client_took_part = BooleanField(_l("The client took part"), default=True)
    members = SelectMultipleField(
        _l("Network members who took part"),
        choices=[],  # set by the view: the case's network members
        invalid_choice_message=_l("Choose members of the client's network."),
    )
    other_participants = TextAreaField(
        _l("Other participants (optional)"),
        validators=[Length(max=500, message=_l("At most 500 characters."))],
        description=_l("For example someone not in the network, by role. At most 500 characters."),
    )
    notes = TextAreaField(
        _l("Notes"),
        validators=[
            Length(max=4000, message=_l("The notes can be at most 4,000 characters long."))
        ],
        description=_l(
            "How the plan has worked, what was agreed, and the client's own view. "
            "At most 4,000 characters."
        ),
    )
    goals = FieldList(FormField(GoalForm))  # one per written plan section, in the plan's order
    next_review_on = DateField(
        _l("Next review"),
        validators=[Optional()],
        description=_l(
            "The plan's review date becomes this. Leave empty only when no further review "
            "is agreed."
        ),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(prefix="review", **kwargs)

    def assessments(self) -> tuple[GoalAssessment, ...]:
        """The goals given a progress, as the command takes them.

        :raises ValueError: for a section that is not a plan section (a tampered form).
        """
        return tuple(
            GoalAssessment(
                SectionKind(entry.section.data),
                GoalProgress(entry.progress.data),
                entry.client_view.data,
            )
            for entry in self.goals
            if entry.progress.data
        )

    def validate(self, extra_validators: Any = None) -> bool:
        """Each field, then the rules of a review's dates (``app/reviews/rules.py``)."""
        valid: bool = super().validate(extra_validators)
        if self.held_on.data is None:
            return valid
        found = rules.problems(self.held_on.data, self.next_review_on.data, helsinki_today())
        for name, problem in found.items():
            self[name].errors.append(gettext(problem.message))
        return valid and not found


def _known_sections(form: ReviewForm, goals: list[PlanSectionVersion]) -> bool:
    """Every goal entry names a written section of the plan; otherwise the form says so."""
    written = {v.kind.value for v in goals}
    if all(entry.section.data in written for entry in form.goals):
        return True
    form.form_errors.append(gettext(rules.ReviewProblem.NOT_A_GOAL.message))
    return False


def _member_label(member: NetworkMember, names: dict[uuid.UUID, str]) -> str:
    name = member.organisation.name if member.organisation else names.get(member.id, "")
    return f"{name} ({MEMBER_KINDS[member.kind]})"


@bp.route("/clients/<uuid:client_id>/reviews", methods=["GET", "POST"])
@allow(Role.CASEWORKER)
@client_page
def reviews(page: ClientPage) -> Response | tuple[str, int]:
    """The plan's review date, the form for recording a review and the earlier reviews."""
    case, today = page.case, helsinki_today()
    members = network_members(db_session(), case.id)
    listing = review_page(db_session(), case.id, page=request.args.get("page", 1, type=int))
    everyone = {m.id: m for m in members}
    everyone.update((p.member.id, p.member) for review in listing.rows for p in review.participants)
    people = [m for m in everyone.values() if m.organisation is None]
    refs = [sealed(m, NetworkMember.person_name_ct) for m in people]
    refs += [
        sealed(r, c)
        for r in listing.rows
        for c in (PlanReview.other_participants_ct, PlanReview.notes_ct)
    ]
    goals = plan_goals(db_session(), case.id)
    refs += [sealed(v, PlanSectionVersion.content_ct) for v in goals]
    assessed = [g for r in listing.rows for g in r.goals]
    refs += [sealed(g, ReviewGoal.client_view_ct) for g in assessed]
    texts = iter(gate().read_texts(page.actor, refs, purpose=Purpose.CASE_WORK) if refs else [])
    names = {m.id: next(texts) or "" for m in people}
    review_texts = {r.id: (next(texts), next(texts)) for r in listing.rows}
    goal_texts = {v.kind: SectionContent.parse(next(texts)).goals for v in goals}
    client_views = {g.id: next(texts) for g in assessed}
    blank_goals = [{"section": v.kind.value, "progress": ""} for v in goals]

    # Members still in the network (a review may be recorded for a meeting held earlier).
    now = utcnow()
    choices = [
        (str(m.id), _member_label(m, names))
        for m in members
        if membership_status(m.membership(), now) is not MembershipStatus.ENDED
    ]
    if request.method == "POST":
        form = ReviewForm()
        form.members.choices = choices
        if form.validate_on_submit() and _known_sections(form, goals):
            with refusals_shown_on(form):
                record_review(
                    db_session(),
                    gate(),
                    page.actor,
                    case,
                    ReviewFacts(
                        held_on=form.held_on.data,
                        client_took_part=bool(form.client_took_part.data),
                        member_ids=frozenset(uuid.UUID(v) for v in form.members.data or []),
                        other_participants=form.other_participants.data,
                        notes=form.notes.data,
                        next_review_on=form.next_review_on.data,
                        goals=form.assessments(),
                    ),
                    today=today,
                )
                flash(gettext("Review recorded. The plan's review date was updated."), "info")
                return redirect(url_for("caseworker.reviews", client_id=page.client.id))
        status = 400
    else:
        form = ReviewForm(formdata=None, held_on=today, goals=blank_goals)
        form.members.choices = choices
        status = 200
    plan = db_session().scalar(select(ClientPlan).where(ClientPlan.case_id == case.id))
    review_on = plan.review_on if plan else None
    return render_template(
        "caseworker/reviews.html",
        page=page,
        form=form,
        review_on=review_on,
        review_state=rules.review_status(review_on, today),
        reminder_days=rules.REMINDER_DAYS,
        listing=listing,
        rows=[(r, *review_texts[r.id]) for r in listing.rows],
        goal_texts=goal_texts,
        client_views=client_views,
        member_label=lambda m: _member_label(m, names),
    ), status
