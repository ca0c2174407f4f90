"""Writing the client plan (SHL § 39, 812/2000 § 7): sections as versions, the review date.

Every save of a section appends an immutable ``PlanSectionVersion`` (author, time) and
advances ``PlanSection.current_version``; nothing is edited in place, so every earlier
version stays readable. A version's texts are one JSON ciphertext under the section's
scope (``SectionContent``), sealed and opened only by the access gate; its agreement
state, review date and responsible members are coded facts in clear.

Two people editing one section: the form carries the version it started from, and a
save from an older version raises ``StaleSection`` instead of overwriting the newer one.
The caseworker's page and the API write with ``save_section``; the client adds their own
view with ``add_client_view``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Case, ClientPlan, NetworkMember, PlanSection, PlanSectionVersion
from app.models.plan import AgreementState, PlanResponsible, PlanReviewDate
from app.plan.content import SectionContent
from app.plan.queries import current_versions, load_plan
from app.plan.rules import (
    MESSAGE_PARAMS,
    SectionInput,
    problems,
    responsible_choices,
    review_date_problem,
)
from app.refusals import N_, NotFound, Refused, Stale
from consent.base import utcnow
from consent.facts import Actor, Purpose
from consent.sections import SectionKind
from sharing.fields import field_ref, sealed
from sharing.gate import AccessGate


class SectionRefused(Refused):
    """Raised when a section breaks the plan's rules (``errors`` says which, per field)."""

    code = "section_refused"
    message = N_("Check the section.")


class ReviewDateInPast(Refused):
    """Raised when a new review date of the plan is in the past."""

    code = "review_in_past"
    field = "review_on"
    message = N_("The review date cannot be in the past.")


class StaleSection(Stale):
    """Raised when someone else saved the section after the form was opened."""

    code = "stale_section"
    message = N_("Someone else saved this section while you were editing it.")

    def __init__(self, seen: int, current: int) -> None:
        super().__init__()
        self.seen = seen
        self.current = current


class NoSuchSection(NotFound):
    """Raised when the client's plan has no section of the kind asked for."""

    code = "no_such_section"


def ensure_plan(session: Session, case: Case, actor: Actor) -> ClientPlan:
    """The case's plan, created (empty) when it has none yet."""
    plan = session.scalar(select(ClientPlan).where(ClientPlan.case_id == case.id))
    if plan is None:
        plan = ClientPlan(case_id=case.id, client_id=case.client_id, created_by_id=actor.user_id)
        session.add(plan)
        session.flush()
    return plan


def save_section(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    *,
    case: Case,
    kind: SectionKind,
    section: PlanSection | None,
    seen_version: int,
    before: SectionInput,
    after: SectionInput,
    members: Sequence[NetworkMember],
    today: date,
) -> PlanSectionVersion | None:
    """Append a new version of the ``kind`` section (created with the plan when missing).

    ``section`` is the case's section of that kind as loaded (``None`` when it has none)
    and ``before`` its current version decrypted. Returns the new version, or ``None``
    when nothing changed (no version is added then).

    :raises StaleSection: when the section's current version is no longer ``seen_version``.
    :raises SectionRefused: when the input breaks a rule or names someone outside the network.
    :raises AccessDenied: when the actor may not write this client's plan.
    """
    current = section.current_version if section is not None else 0
    if seen_version != current:
        raise StaleSection(seen_version, current)
    if section is not None and section.kind is not kind:
        raise SectionRefused()
    now = utcnow()
    own = [m for m in members if m.case_id == case.id]
    allowed = {m.id for m in responsible_choices(own, before.responsible_ids, now)}
    found = problems(after, allowed_members=allowed, stored_review_on=before.review_on, today=today)
    if found:
        raise SectionRefused(errors=found, params=MESSAGE_PARAMS)
    if section is not None and current > 0 and before == after:
        return None
    if section is None:
        section = _new_section(session, case, actor, kind)
    section.current_version += 1
    version = PlanSectionVersion(
        section_id=section.id,
        client_id=case.client_id,
        version=section.current_version,
        kind=kind,
        agreement=after.agreement,
        review_on=after.review_on,
        author_id=actor.user_id,
        created_at=now,
    )
    ciphertext = gate.write_texts(
        actor,
        [(field_ref(version, PlanSectionVersion.content_ct), after.content().to_json())],
        purpose=Purpose.CASE_WORK,
    )[0]
    assert ciphertext is not None  # a JSON text always seals
    version.content_ct = ciphertext
    version.responsibles = [
        PlanResponsible(version_id=version.id, member_id=member_id)
        for member_id in sorted(after.responsible_ids)
    ]
    session.add(version)
    session.flush()
    return version


def _new_section(session: Session, case: Case, actor: Actor, kind: SectionKind) -> PlanSection:
    """The case's first section of ``kind`` (and its plan, when it has none).

    Nothing exists to lock yet, so two first saves can race: the loser's insert breaks
    a unique constraint (on PostgreSQL it waits for the winner's commit first).

    :raises StaleSection: when someone else created the plan or the section meanwhile.
    """
    try:
        with session.begin_nested():
            plan = ensure_plan(session, case, actor)
            section = PlanSection(plan_id=plan.id, client_id=case.client_id, kind=kind)
            section.current_version = 0
            session.add(section)
            session.flush()
    except IntegrityError as error:
        raise StaleSection(0, 1) from error
    return section


def add_client_view(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    case: Case,
    *,
    kind: SectionKind,
    seen_version: int,
    view: str,
) -> PlanSectionVersion | None:
    """Append a version of the ``kind`` section with the client's new view ("My plan").

    The client writes through the gate as themselves with ``Purpose.OWN_DATA``. The new
    version copies the current one whole (every text, including keys this code does not
    know, the agreement state, review date and responsible members) and replaces only
    ``client_view``, so the worker's text is never lost and the history shows who wrote
    what. Returns ``None`` when the view is unchanged.

    :raises NoSuchSection: when the client's plan has no such section.
    :raises StaleSection: when the section changed after the client opened it.
    :raises AccessDenied: when the actor may not write the client's data.
    """
    plan = load_plan(session, case.id, for_update=True)
    section = next((s for s in plan.sections if s.kind is kind), None) if plan else None
    if section is None:
        raise NoSuchSection()
    if section.current_version != seen_version:
        raise StaleSection(seen_version, section.current_version)
    current = current_versions(session, [section]).get(section.id)
    content = SectionContent()
    if current is not None:
        content = SectionContent.parse(
            gate.read_texts(
                actor, [sealed(current, PlanSectionVersion.content_ct)], purpose=Purpose.OWN_DATA
            )[0]
        )
    view = view.strip()
    if current is not None and content.client_view == view:
        return None
    section.current_version += 1
    version = PlanSectionVersion(
        section_id=section.id,
        client_id=case.client_id,
        version=section.current_version,
        kind=section.kind,
        agreement=current.agreement if current is not None else AgreementState.DRAFT,
        review_on=current.review_on if current is not None else None,
        author_id=actor.user_id,
        created_at=utcnow(),
    )
    ciphertext = gate.write_text(
        actor,
        field_ref(version, PlanSectionVersion.content_ct),
        content.with_text("client_view", view).to_json(),
        purpose=Purpose.OWN_DATA,
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


def set_review_date(
    session: Session,
    *,
    case: Case,
    actor: Actor,
    review_on: date | None,
    today: date,
) -> ClientPlan:
    """Set the plan's review date (the plan is created when missing); the change is kept.

    :raises ReviewDateInPast: when a new review date is in the past.
    """
    plan = session.scalar(select(ClientPlan).where(ClientPlan.case_id == case.id))
    if review_date_problem(review_on, plan.review_on if plan is not None else None, today):
        raise ReviewDateInPast()
    plan = plan or ensure_plan(session, case, actor)
    now = utcnow()
    plan.review_on = review_on
    plan.review_set_at = now
    plan.review_set_by_id = actor.user_id
    session.add(
        PlanReviewDate(plan_id=plan.id, review_on=review_on, set_at=now, set_by_id=actor.user_id)
    )
    session.flush()
    return plan
