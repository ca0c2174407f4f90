"""Reading the client plan: its sections, their versions, and "My plan" for the client.

Every read opens the members' names and the sections' texts in one batched gate read,
so a page runs a fixed number of queries whatever the number of sections.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.assessment.queries import case_members
from app.models import Case, ClientPlan, NetworkMember, PlanSection, PlanSectionVersion, User
from app.pagination import ListPage, paginate
from app.plan.content import SectionContent
from app.plan.rules import EMPTY, SectionInput, in_order, stored_input
from consent.facts import Actor, Purpose
from consent.sections import SectionKind
from sharing.fields import Sealed, sealed
from sharing.gate import AccessGate

VERSIONS_PER_PAGE = 10


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
        gate, actor, members, [sealed(v, PlanSectionVersion.content_ct) for s, v in shown]
    )
    opened = {v.id: text for (_, v), text in zip(shown, texts, strict=True)}
    views = []
    for section in sections:
        version = versions.get(section.id)
        data = (
            stored_input(version, SectionContent.parse(opened.get(version.id)))
            if version and contents
            else EMPTY
        )
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
        gate, actor, members, [sealed(v, PlanSectionVersion.content_ct) for v in rows]
    )
    return VersionsRead(
        members,
        names,
        {
            v.version: (v, stored_input(v, SectionContent.parse(text)))
            for v, text in zip(rows, texts, strict=True)
        },
    )


def _open_with_names(
    gate: AccessGate,
    actor: Actor,
    members: Sequence[NetworkMember],
    more: Sequence[Sealed],
) -> tuple[dict[uuid.UUID, str], list[str | None]]:
    """The members' names and the texts of ``more``, opened in one batched gate read."""
    refs = [sealed(m, NetworkMember.person_name_ct) for m in members] + list(more)
    texts = gate.read_texts(actor, refs, purpose=Purpose.CASE_WORK) if refs else []
    names = {
        m.id: m.organisation.name if m.organisation is not None else texts[i] or ""
        for i, m in enumerate(members)
    }
    return names, list(texts[len(members) :])


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


def versions_page(
    session: Session, section: PlanSection | None, page: int, per_page: int = VERSIONS_PER_PAGE
) -> ListPage[PlanSectionVersion]:
    """One page of a section's versions, newest first (two queries, none without a section)."""
    if section is None:
        return ListPage([], 1, 1, 0)
    of_this = PlanSectionVersion.section_id == section.id
    return paginate(
        session,
        select(PlanSectionVersion)
        .where(of_this)
        .options(joinedload(PlanSectionVersion.author))
        .order_by(PlanSectionVersion.version.desc()),
        page=page,
        per_page=per_page,
        count=select(func.count(PlanSectionVersion.id)).where(of_this),
    ).map(lambda row: row[0])


# -- "My plan": the client's own reading -------------------------------------------------------


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
    review_on: date | None
    sections: list[MySection]


def read_my_plan(
    session: Session,
    gate: AccessGate,
    actor: Actor,
    case_id: uuid.UUID,
    *,
    kind: SectionKind | None,
) -> MyPlan | None:
    """The plan's sections (or one kind's) as the client reads them, opened in one gate read
    with ``Purpose.OWN_DATA``; ``None`` when the case has no plan.

    :raises AccessDenied: when the actor may not read the client's own data.
    """
    plan = load_plan(session, case_id)
    if plan is None:
        return None
    sections = in_order(plan.sections)
    if kind is not None:
        sections = [s for s in sections if s.kind is kind]
    versions = current_versions(session, sections)
    responsible_ids = {r.member_id for v in versions.values() for r in v.responsibles}
    members = [m for m in case_members(session, case_id) if m.id in responsible_ids]
    with_content = [(s, versions[s.id]) for s in sections if s.id in versions]
    refs = [sealed(m, NetworkMember.person_name_ct) for m in members]
    refs += [sealed(v, PlanSectionVersion.content_ct) for s, v in with_content]
    texts = gate.read_texts(actor, refs, purpose=Purpose.OWN_DATA) if refs else []
    names = {
        m.id: m.organisation.name if m.organisation is not None else (texts[i] or "")
        for i, m in enumerate(members)
    }
    contents = {v.id: texts[len(members) + i] for i, (_, v) in enumerate(with_content)}
    shown = []
    for section in sections:
        version = versions.get(section.id)
        content = SectionContent.parse(contents.get(version.id)) if version else SectionContent()
        shown.append(
            MySection(
                section,
                version,
                content.texts(),
                [names[r.member_id] for r in version.responsibles if r.member_id in names]
                if version
                else [],
                version.author if version else None,
            )
        )
    return MyPlan(plan.review_on, shown)
