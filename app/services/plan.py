"""The client plan (SHL § 39, 812/2000 § 7): versioned sections, their rules and differences.

Every save of a section appends an immutable ``PlanSectionVersion`` (author, time) and
advances ``PlanSection.current_version``; nothing is edited in place, so every earlier
version stays readable. A version's texts are one JSON ciphertext under the section's
scope, sealed and opened only by the access gate; its agreement state, review date and
responsible members are coded facts in clear.

Two people editing one section: the form carries the version it started from, and a
save from an older version raises ``StaleSection`` instead of overwriting the newer one.
"""

from __future__ import annotations

import difflib
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from app.models import Case, ClientPlan, NetworkMember, PlanSection, PlanSectionVersion
from app.models.plan import AgreementState, PlanResponsible, PlanReviewDate
from app.services.assessment import case_members
from app.services.fields import field as field_ref
from app.services.fields import sealed
from consent.base import utcnow
from consent.decision import Actor, ActorRole, Purpose
from consent.sections import SectionKind
from consent.status import MembershipStatus, membership_status
from sharing.gate import AccessGate, Sealed

TEXT_LIMIT = 4000
TEXT_FIELDS = ("goals", "measures", "client_view", "worker_view")
VERSIONS_PER_PAGE = 10


# -- what the worker enters ----------------------------------------------------------------


@dataclass(frozen=True)
class SectionInput:
    """One section as the worker entered it (or as a version stored it, once decrypted)."""

    goals: str = ""  # in the client's own words
    measures: str = ""  # agreed measures and services
    client_view: str = ""
    worker_view: str = ""
    agreement: AgreementState = AgreementState.DRAFT
    responsible_ids: frozenset[uuid.UUID] = frozenset()
    review_on: date | None = None


EMPTY = SectionInput()


def content_json(data: SectionInput) -> str:
    """The texts of a version as the JSON its ``content_ct`` seals."""
    return json.dumps(
        {name: getattr(data, name) for name in TEXT_FIELDS}, ensure_ascii=False, sort_keys=True
    )


def stored_input(version: PlanSectionVersion | None, content: str | None) -> SectionInput:
    """A version back as input: its texts from the opened ``content`` and its coded facts."""
    if version is None:
        return EMPTY
    raw: dict[str, Any] = json.loads(content) if content else {}
    return SectionInput(
        **{name: str(raw.get(name) or "") for name in TEXT_FIELDS},
        agreement=version.agreement,
        responsible_ids=frozenset(r.member_id for r in version.responsibles),
        review_on=version.review_on,
    )


def problems(
    data: SectionInput,
    *,
    allowed_members: Iterable[uuid.UUID],
    stored_review_on: date | None,
    today: date,
) -> dict[str, LazyString]:
    """The rules of a section, as {form field name: message}; empty when the input is sound.

    A new review date cannot be in the past (one already stored may stay as it is).
    """
    found: dict[str, LazyString] = {}
    if not data.goals.strip():
        found["goals"] = _l("Write the goals in the client's own words.")
    for name in TEXT_FIELDS:
        if len(getattr(data, name)) > TEXT_LIMIT:
            found[name] = _l("At most %(max)d characters.", max=TEXT_LIMIT)
    if data.agreement is AgreementState.DISAGREED:
        if not data.client_view.strip() and "client_view" not in found:
            found["client_view"] = _l(
                "The client disagrees: write down the client's view in their own words."
            )
        if not data.worker_view.strip() and "worker_view" not in found:
            found["worker_view"] = _l("The client disagrees: write down the worker's view too.")
    if not data.responsible_ids <= set(allowed_members):
        found["responsible"] = _l("Choose responsible members from the client's own network.")
    if data.review_on is not None and data.review_on != stored_review_on and data.review_on < today:
        found["review_on"] = _l("The review date cannot be in the past.")
    return found


# -- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionView:
    """A section with its current version and that version's content."""

    section: PlanSection
    version: PlanSectionVersion | None
    data: SectionInput


@dataclass(frozen=True)
class PlanView:
    """The plan (or none yet), its sections in the kinds' order, and the case's members."""

    plan: ClientPlan | None
    sections: list[SectionView]
    members: list[NetworkMember]
    names: dict[uuid.UUID, str]  # member → organisation or person name

    def section(self, kind: SectionKind) -> SectionView | None:
        return next((s for s in self.sections if s.section.kind is kind), None)

    @property
    def missing_kinds(self) -> list[SectionKind]:
        """The kinds the plan has no section for yet."""
        present = {s.section.kind for s in self.sections}
        return [kind for kind in SectionKind if kind not in present]


def load_plan(
    session: Session, case_id: uuid.UUID, *, for_update: bool = False
) -> ClientPlan | None:
    """The case's plan with its sections (two queries, one when there is none).

    ``for_update`` locks the plan row, so saves of its sections run one at a time.
    """
    query = (
        select(ClientPlan)
        .where(ClientPlan.case_id == case_id)
        .options(selectinload(ClientPlan.sections), joinedload(ClientPlan.review_set_by))
        .execution_options(populate_existing=True)
    )
    if for_update:
        query = query.with_for_update(of=ClientPlan)
    return session.scalars(query).unique().one_or_none()


def current_versions(
    session: Session, sections: Sequence[PlanSection]
) -> dict[uuid.UUID, PlanSectionVersion]:
    """The current version of each section, by section id (two queries for any number)."""
    if not sections:
        return {}
    rows = session.scalars(
        select(PlanSectionVersion)
        .join(
            PlanSection,
            and_(
                PlanSection.id == PlanSectionVersion.section_id,
                PlanSection.current_version == PlanSectionVersion.version,
            ),
        )
        .where(PlanSection.id.in_([s.id for s in sections]))
        .options(
            selectinload(PlanSectionVersion.responsibles), joinedload(PlanSectionVersion.author)
        )
    ).unique()
    return {row.section_id: row for row in rows}


def in_order(sections: Iterable[PlanSection]) -> list[PlanSection]:
    order = {kind: i for i, kind in enumerate(SectionKind)}
    return sorted(sections, key=lambda s: order[s.kind])


def read_plan(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    case: Case,
    *,
    kinds: Sequence[SectionKind] | None = None,
    contents: bool = True,
    for_update: bool = False,
) -> PlanView:
    """The plan (only ``kinds``' sections if given), the case's members and their names.

    One batched gate read opens the members' names and (with ``contents``) the current
    version of each section; a fixed number of queries whatever the number of sections.

    :raises AccessDenied: when the actor may not read the case.
    """
    plan = load_plan(session, case.id, for_update=for_update)
    sections = in_order(plan.sections) if plan else []
    if kinds is not None:
        sections = [s for s in sections if s.kind in kinds]
    versions = current_versions(session, sections)
    members = case_members(session, case.id)
    shown = [(s, versions[s.id]) for s in sections if s.id in versions] if contents else []
    names, texts = _open_with_names(
        gate, actor, members, [sealed(v, "content_ct", s.kind) for s, v in shown]
    )
    opened = {v.id: text for (_, v), text in zip(shown, texts, strict=True)}
    views = []
    for section in sections:
        version = versions.get(section.id)
        data = stored_input(version, opened.get(version.id)) if version and contents else EMPTY
        views.append(SectionView(section, version, data))
    return PlanView(plan, views, members, names)


@dataclass(frozen=True)
class VersionsRead:
    """Some versions of one section, opened, with the case's members and their names."""

    members: list[NetworkMember]
    names: dict[uuid.UUID, str]
    versions: dict[int, tuple[PlanSectionVersion, SectionInput]]


def read_versions(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    case: Case,
    section: PlanSection,
    numbers: Iterable[int],
) -> VersionsRead:
    """The given versions of ``section`` (those that exist), opened in one gate read.

    :raises AccessDenied: when the actor may not read the case.
    """
    found = versions_by_number(session, section, numbers)
    members = case_members(session, case.id)
    rows = sorted(found.values(), key=lambda v: v.version)
    names, texts = _open_with_names(
        gate, actor, members, [sealed(v, "content_ct", section.kind) for v in rows]
    )
    return VersionsRead(
        members,
        names,
        {v.version: (v, stored_input(v, text)) for v, text in zip(rows, texts, strict=True)},
    )


def _open_with_names(
    gate: AccessGate,
    actor: Actor,
    members: Sequence[NetworkMember],
    more: Sequence[Sealed],
) -> tuple[dict[uuid.UUID, str], list[str | None]]:
    """The members' names and the texts of ``more``, opened in one batched gate read."""
    refs = [sealed(m, "person_name_ct") for m in members] + list(more)
    texts = gate.read_texts(actor, refs, purpose=Purpose.CASE_WORK) if refs else []
    names = {
        m.id: m.organisation.name if m.organisation is not None else texts[i] or ""
        for i, m in enumerate(members)
    }
    return names, list(texts[len(members) :])


def responsible_choices(
    members: Sequence[NetworkMember], named: Iterable[uuid.UUID], at: datetime
) -> list[NetworkMember]:
    """Members who may be named responsible: those not ended at ``at``, and any already named."""
    keep = set(named)
    return [
        m
        for m in members
        if membership_status(m.membership(), at) is not MembershipStatus.ENDED or m.id in keep
    ]


def active_members(members: Sequence[NetworkMember], at: datetime) -> list[NetworkMember]:
    """Members active in the network at ``at``: whose view a worker may preview."""
    return [m for m in members if membership_status(m.membership(), at) is MembershipStatus.ACTIVE]


def grantee_actor(member: NetworkMember) -> Actor:
    """The actor a network member reads as: its organisation's staff, or the person."""
    if member.organisation_id is not None:
        return Actor(ActorRole.PARTNER, organisation_id=member.organisation_id)
    return Actor(ActorRole.PERSON, member_id=member.id)


def find_section(session: Session, case_id: uuid.UUID, kind: SectionKind) -> PlanSection | None:
    return session.scalar(
        select(PlanSection)
        .join(ClientPlan, ClientPlan.id == PlanSection.plan_id)
        .where(ClientPlan.case_id == case_id, PlanSection.kind == kind)
    )


def versions_by_number(
    session: Session, section: PlanSection, numbers: Iterable[int]
) -> dict[int, PlanSectionVersion]:
    """Some versions of a section, by number, with responsibles and author (two queries)."""
    rows = session.scalars(
        select(PlanSectionVersion)
        .where(
            PlanSectionVersion.section_id == section.id,
            PlanSectionVersion.version.in_(list(numbers)),
        )
        .options(
            selectinload(PlanSectionVersion.responsibles), joinedload(PlanSectionVersion.author)
        )
    ).unique()
    return {row.version: row for row in rows}


@dataclass(frozen=True)
class VersionsPage:
    rows: list[PlanSectionVersion]
    page: int
    pages: int
    total: int


def versions_page(
    session: Session, section: PlanSection | None, page: int, per_page: int = VERSIONS_PER_PAGE
) -> VersionsPage:
    """One page of a section's versions, newest first (two queries, none without a section)."""
    if section is None:
        return VersionsPage([], 1, 1, 0)
    of_this = PlanSectionVersion.section_id == section.id
    total = session.scalar(select(func.count(PlanSectionVersion.id)).where(of_this)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.scalars(
        select(PlanSectionVersion)
        .where(of_this)
        .options(joinedload(PlanSectionVersion.author))
        .order_by(PlanSectionVersion.version.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return VersionsPage(list(rows), page, pages, total)


# -- saving --------------------------------------------------------------------------------


class PlanError(Exception):
    """Raised when a save breaks a rule of the plan that the form should have caught."""


class StaleSection(PlanError):
    """Raised when someone else saved the section after the form was opened."""

    def __init__(self, seen: int, current: int) -> None:
        super().__init__(f"seen version {seen}, stored {current}")
        self.seen = seen
        self.current = current


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
    :raises PlanError: when the input breaks a rule or names someone outside the network.
    :raises AccessDenied: when the actor may not write this client's plan.
    """
    current = section.current_version if section is not None else 0
    if seen_version != current:
        raise StaleSection(seen_version, current)
    if section is not None and section.kind is not kind:
        raise PlanError("the section is of another kind")
    own = [m for m in members if m.case_id == case.id]
    allowed = {m.id for m in responsible_choices(own, before.responsible_ids, utcnow())}
    if problems(after, allowed_members=allowed, stored_review_on=before.review_on, today=today):
        raise PlanError("the input breaks the plan's rules")
    if section is not None and current > 0 and before == after:
        return None
    if section is None:
        section = _new_section(session, case, actor, kind)
    section.current_version += 1
    version = PlanSectionVersion(
        section_id=section.id,
        client_id=case.client_id,
        version=section.current_version,
        agreement=after.agreement,
        review_on=after.review_on,
        author_id=actor.user_id,
        created_at=utcnow(),
    )
    ciphertext = gate.write_texts(
        actor,
        [(field_ref(version, "content_ct", kind), content_json(after))],
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


def set_review_date(
    session: Session,
    *,
    case: Case,
    actor: Actor,
    review_on: date | None,
    today: date,
) -> ClientPlan:
    """Set the plan's review date (the plan is created when missing); the change is kept.

    :raises PlanError: when a new review date is in the past.
    """
    plan = session.scalar(select(ClientPlan).where(ClientPlan.case_id == case.id))
    stored = plan.review_on if plan is not None else None
    if review_on is not None and review_on != stored and review_on < today:
        raise PlanError("the review date is in the past")
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


# -- differences ---------------------------------------------------------------------------

Op = Literal["equal", "delete", "insert"]
_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Segment:
    """A run of text that both versions share (``equal``), or only the older or newer has."""

    op: Op
    text: str


def word_diff(old: str, new: str) -> list[Segment]:
    """The word-level differences from ``old`` to ``new`` (whitespace kept as it was)."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    segments: list[Segment] = []

    def add(op: Op, tokens: Sequence[str]) -> None:
        text = "".join(tokens)
        if not text:
            return
        if segments and segments[-1].op == op:
            segments[-1] = Segment(op, segments[-1].text + text)
        else:
            segments.append(Segment(op, text))

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", a[i1:i2])
        else:
            add("delete", a[i1:i2])
            add("insert", b[j1:j2])
    return segments


@dataclass(frozen=True)
class FieldChange:
    """How one field of a section differs between two versions.

    ``kind`` is ``text`` (``segments`` hold the word differences), ``value`` (``before``
    and ``after``) or ``members`` (``added`` and ``removed`` member ids).
    """

    name: str
    kind: Literal["text", "value", "members"]
    changed: bool
    segments: list[Segment] = field(default_factory=list)
    before: Any = None
    after: Any = None
    added: list[uuid.UUID] = field(default_factory=list)
    removed: list[uuid.UUID] = field(default_factory=list)
    kept: list[uuid.UUID] = field(default_factory=list)


def compare(before: SectionInput, after: SectionInput) -> list[FieldChange]:
    """Field by field, what changed from ``before`` to ``after`` (in the form's order)."""
    changes = [
        FieldChange(
            name,
            "text",
            getattr(before, name) != getattr(after, name),
            segments=word_diff(getattr(before, name), getattr(after, name)),
        )
        for name in ("goals", "measures")
    ]
    changes.append(
        FieldChange(
            "responsible",
            "members",
            before.responsible_ids != after.responsible_ids,
            added=sorted(after.responsible_ids - before.responsible_ids),
            removed=sorted(before.responsible_ids - after.responsible_ids),
            kept=sorted(before.responsible_ids & after.responsible_ids),
        )
    )
    changes += [
        FieldChange(
            name,
            "text",
            getattr(before, name) != getattr(after, name),
            segments=word_diff(getattr(before, name), getattr(after, name)),
        )
        for name in ("client_view", "worker_view")
    ]
    changes += [
        FieldChange(
            name,
            "value",
            getattr(before, name) != getattr(after, name),
            before=getattr(before, name),
            after=getattr(after, name),
        )
        for name in ("agreement", "review_on")
    ]
    return changes
