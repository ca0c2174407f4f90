"""Pure rules of a partner's work: what an organisation may read of a client now, and whether
it ever could, and the reference only that organisation sees.

What is shared now comes from ``consent.decision.live_grants`` over the very facts the
access decision uses, so the partner's pages list exactly what the gate would let the
organisation read; the gate still decides every read. Whether a basis *ever* applied
(for "your access has ended" rather than "not found") is the partner's own history rule.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from app.models.flows import FlowDirection
from app.models.network import MemberKind
from app.models.partner import PartnerUpdateKind
from consent.decision import BasisKind, live_grants
from consent.facts import (
    CaseContext,
    ConsentFacts,
    FactsNeeded,
    Grantee,
    Membership,
    StatutoryFacts,
)
from consent.sections import SectionKind
from consent.status import helsinki_day, helsinki_midnight, shares_for_cooperation


class AccessState(StrEnum):
    SHARED = "shared"  # at least one section is readable now
    ENDED = "ended"  # the organisation had a basis that has ended
    NONE = "none"  # never had one, or not in the network: the client is not shown at all


@dataclass(frozen=True)
class SharedBasis:
    """One live consent or statutory disclosure and the sections it opens to the organisation."""

    kind: BasisKind
    id: uuid.UUID
    sections: tuple[SectionKind, ...]
    until: date | None  # the last day (inclusive) of the basis or of the membership
    provision: str | None = None  # a statutory disclosure's legal provision


@dataclass(frozen=True)
class ClientAccess:
    """What one organisation may read of one client now, with the basis for each section."""

    state: AccessState
    client_id: uuid.UUID
    bases: tuple[SharedBasis, ...] = ()
    member_ids: frozenset[uuid.UUID] = frozenset()  # the memberships the access comes through

    @property
    def sections(self) -> list[SectionKind]:
        """The shared sections, in the plan's order."""
        shared = {s for b in self.bases for s in b.sections}
        return [kind for kind in SectionKind if kind in shared]

    @property
    def until(self) -> date | None:
        """The last day anything stays shared on the present bases (``None``: open-ended)."""
        if any(b.until is None for b in self.bases):
            return None
        return max((b.until for b in self.bases if b.until), default=None)

    def bases_for(self, kind: SectionKind) -> list[SharedBasis]:
        return [b for b in self.bases if kind in b.sections]


def _ends(*days: date | None) -> date | None:
    known = [d for d in days if d is not None]
    return min(known) if known else None


def _overlaps(member: Membership, starts: date, ends: date | None, today: date) -> bool:
    """Whether a basis and a membership were ever both in force up to today."""
    first = max(starts, member.starts_on)
    last = _ends(ends, member.ends_on, today)
    if member.ended_at is not None:
        last = _ends(last, helsinki_day(member.ended_at))
    return last is None or first <= last


def _had_basis(case: CaseContext, mine: Sequence[Membership], today: date) -> bool:
    """Whether any consent or statutory disclosure ever let this organisation read the client.

    Revocation and supersession end the basis at an instant; a basis that ended before
    it began to apply never gave access.
    """
    by_id = {m.id: m for m in mine}
    for consent in case.consents:
        member = by_id.get(consent.member_id)
        if member is None or not shares_for_cooperation(consent):
            continue
        ends = consent.valid_until
        if consent.ended_at is not None:
            ends = _ends(ends, helsinki_day(consent.ended_at))
            if helsinki_day(consent.ended_at) < consent.valid_from:
                continue
        if consent.valid_from <= today and _overlaps(member, consent.valid_from, ends, today):
            return True
    for disclosure in case.statutory:
        member = by_id.get(disclosure.member_id)
        if member is None or disclosure.valid_from > today:
            continue
        ends = disclosure.valid_until
        if disclosure.ended_at is not None:
            ends = _ends(ends, helsinki_day(disclosure.ended_at))
        if _overlaps(member, disclosure.valid_from, ends, today):
            return True
    return False


def access_of(case: CaseContext | None, organisation_id: uuid.UUID, at: datetime) -> ClientAccess:
    """What ``organisation_id`` may read of the case's client at ``at`` (pure: no queries)."""
    if case is None:
        return ClientAccess(AccessState.NONE, uuid.UUID(int=0))
    mine = [m for m in case.memberships if m.organisation_id == organisation_id]
    members = {m.id: m for m in mine}
    grants = [g for g in live_grants(case, at) if g.member_id in members]
    if not grants:
        ended = bool(mine) and _had_basis(case, mine, helsinki_day(at))
        return ClientAccess(AccessState.ENDED if ended else AccessState.NONE, case.client_id)
    periods = {c.id: c.valid_until for c in case.consents} | {
        d.id: d.valid_until for d in case.statutory
    }
    sections: dict[tuple[BasisKind, uuid.UUID], set[SectionKind]] = {}
    until: dict[tuple[BasisKind, uuid.UUID], date | None] = {}
    for grant in grants:
        key = (grant.basis_kind, grant.basis_id)
        sections.setdefault(key, set())
        if isinstance(grant.scope, SectionKind):
            sections[key].add(grant.scope)
        ends = _ends(periods.get(grant.basis_id), members[grant.member_id].ends_on)
        until[key] = ends if key not in until else _later(until[key], ends)
    order = {kind: i for i, kind in enumerate(SectionKind)}
    bases = tuple(
        SharedBasis(
            kind, basis_id, tuple(sorted(kinds, key=order.__getitem__)), until[(kind, basis_id)]
        )
        for (kind, basis_id), kinds in sorted(sections.items(), key=lambda item: str(item[0][1]))
        if kinds
    )
    return ClientAccess(
        AccessState.SHARED if bases else AccessState.NONE,
        case.client_id,
        bases,
        frozenset(g.member_id for g in grants),
    )


@dataclass(frozen=True)
class SharePeriod:
    """A stretch of time in which an organisation may read something of a client."""

    organisation_id: uuid.UUID
    client_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime | None  # None: for as long as the present facts stand
    until: date | None  # ``ClientAccess.until`` throughout the period


def share_periods(case: CaseContext) -> list[SharePeriod]:
    """When each organisation in the client's network may read something of them, as the
    facts stand (past, present and known future).

    ``access_of`` is evaluated at each instant where one of the organisation's facts can
    change its answer — the Finnish midnight a period of days starts or ends, an instant
    something was recorded or ended — since in between nothing it reads changes.
    """
    periods: list[SharePeriod] = []
    organisations = {m.organisation_id for m in case.memberships if m.organisation_id}
    for organisation_id in sorted(organisations, key=str):
        facts = case.narrowed(FactsNeeded(grantee=Grantee(organisation_id=organisation_id)))
        start: tuple[datetime, date | None] | None = None
        for at in sorted(_change_points(facts)):
            access = access_of(facts, organisation_id, at)
            shared = access.state is AccessState.SHARED
            if start is not None and (not shared or access.until != start[1]):
                periods.append(SharePeriod(organisation_id, case.client_id, start[0], at, start[1]))
                start = None
            if shared and start is None:
                start = (at, access.until)
        if start is not None:
            periods.append(SharePeriod(organisation_id, case.client_id, start[0], None, start[1]))
    return periods


def _change_points(case: CaseContext) -> set[datetime]:
    days: set[date] = set()
    instants: set[datetime | None] = {case.closed_at}
    for m in case.memberships:
        days.add(m.starts_on)
        days.update(d + timedelta(days=1) for d in (m.ends_on,) if d)
        instants.update((m.ended_at, m.added_at))
    bases: list[ConsentFacts | StatutoryFacts] = [*case.consents, *case.statutory]
    for basis in bases:
        days.add(basis.valid_from)
        days.update(d + timedelta(days=1) for d in (basis.valid_until,) if d)
        instants.add(basis.ended_at)
    instants.update(d.decided_at for d in case.statutory)
    return {helsinki_midnight(day) for day in days} | {t for t in instants if t is not None}


def _later(a: date | None, b: date | None) -> date | None:
    return None if a is None or b is None else max(a, b)


def client_reference(client_id: uuid.UUID, organisation_id: uuid.UUID) -> str:
    """A short reference for a client that only this organisation sees (e.g. ``K7QM-4ZTA``).

    Shown with the client's name on the partner's pages (and so on anything printed from
    them), it identifies the client in a revocation notice without decrypting the name
    after the basis for reading it has gone. Each organisation gets a different one, so
    references cannot be matched across organisations.
    """
    digest = hashlib.sha256(
        b"tukiverkko/partner-reference\x00" + client_id.bytes + organisation_id.bytes
    ).digest()
    code = base64.b32encode(digest[:5]).decode()
    return f"{code[:4]}-{code[4:]}"


def in_section_order(values: Sequence[str]) -> list[SectionKind]:
    """Stored section names as kinds, in the plan's order."""
    chosen = set(values)
    return [kind for kind in SectionKind if kind.value in chosen]


# -- updates into the record --------------------------------------------------------------

# Prison and probation staff inform the county under their own statutes (the SHL § 35
# notification, the Imprisonment Act's release planning): what they send needs no consent.
# Any other organisation tells the county about the client only as the client consented to
# the county obtaining it (sosiaalihuollon asiakaslaki: information from third parties).
STATUTORY_INFORMANTS = frozenset({MemberKind.PRISON, MemberKind.PROBATION})
INCOMING = frozenset({FlowDirection.FROM_MEMBER, FlowDirection.BOTH})


class UpdateBlock(StrEnum):
    """Why an update from a member cannot be received (``None``: it can)."""

    NO_FLOW = "no_flow_agreed"
    NO_CONSENT = "no_obtain_consent"
    NOT_COVERED = "kind_not_covered"  # an obtain-consent is in force, but not for this kind


# What each kind of update tells the county, as the plan sections an obtain-consent names.
# A kind with a subject of its own needs a consent covering one of its sections: a housing
# offer is housing information, a benefit decision livelihood, a new release date the
# release transition or probationary liberty. The other kinds (a decision, an appointment
# kept or missed, lost contact, a concern, free text) report the client's dealings with the
# sender's own service, so they carry whatever the sender is agreed to tell the county
# about: any section an obtain-consent in force covers (``None`` below). The partner's form
# names those sections, so the sender writes only about them.
UPDATE_SECTIONS: dict[PartnerUpdateKind, frozenset[SectionKind] | None] = {
    PartnerUpdateKind.RELEASE_DATE_CHANGED: frozenset(
        {SectionKind.RELEASE_TRANSITION, SectionKind.PROBATIONARY_LIBERTY}
    ),
    PartnerUpdateKind.HOUSING_OFFER: frozenset({SectionKind.HOUSING}),
    PartnerUpdateKind.BENEFIT_DECISION: frozenset({SectionKind.LIVELIHOOD}),
    PartnerUpdateKind.DECISION_MADE: None,
    PartnerUpdateKind.APPOINTMENT_KEPT: None,
    PartnerUpdateKind.APPOINTMENT_MISSED: None,
    PartnerUpdateKind.CONTACT_LOST: None,
    PartnerUpdateKind.CONCERN: None,
    PartnerUpdateKind.OTHER: None,
}
"""The sections one of which an obtain-consent must cover for each kind a partner sends
(``None``: any section). A task's report is not here: the county assigned the task."""


def sections_carried(kind: PartnerUpdateKind) -> tuple[SectionKind, ...]:
    """The sections an update of ``kind`` may be about, in the plan's order (all: any)."""
    named = UPDATE_SECTIONS.get(kind)
    return tuple(k for k in SectionKind if named is None or k in named)


@dataclass(frozen=True)
class UpdateCover:
    """What the county may receive from an organisation's memberships of a case now: the
    member kinds, the open agreed flows' directions, and the sections the obtain-consents
    in force from them cover."""

    kinds: frozenset[MemberKind]
    directions: frozenset[FlowDirection]
    obtain_sections: frozenset[SectionKind]

    @property
    def statutory(self) -> bool:
        """Prison and probation inform the county under their own statutes."""
        return bool(STATUTORY_INFORMANTS.intersection(self.kinds))

    @property
    def covered(self) -> list[SectionKind]:
        """The sections the organisation may tell the county about, in the plan's order
        (every section for prison and probation)."""
        if self.statutory:
            return list(SectionKind)
        return [k for k in SectionKind if k in self.obtain_sections]

    def block(self, kind: PartnerUpdateKind) -> UpdateBlock | None:
        """Why an update of ``kind`` cannot be received (``None``: it can)."""
        if not INCOMING.intersection(self.directions):
            return UpdateBlock.NO_FLOW
        if self.statutory:
            return None
        if not self.obtain_sections:
            return UpdateBlock.NO_CONSENT
        if not self.obtain_sections.intersection(sections_carried(kind)):
            return UpdateBlock.NOT_COVERED
        return None

    def received_under(self, kind: PartnerUpdateKind) -> list[SectionKind] | None:
        """The covered sections an update of ``kind`` may be about, in the plan's order, as
        the worker is shown them (``None``: prison or probation, under their statutes)."""
        if self.statutory:
            return None
        return [k for k in sections_carried(kind) if k in self.obtain_sections]

    def blocks(self) -> dict[PartnerUpdateKind, UpdateBlock | None]:
        """Each kind a partner may choose, and why it cannot be sent now (``None``: it can)."""
        return {kind: self.block(kind) for kind in UPDATE_SECTIONS}


def update_block(
    kinds: Sequence[MemberKind],
    directions: Sequence[FlowDirection],
    obtain_sections: Iterable[SectionKind],
    kind: PartnerUpdateKind = PartnerUpdateKind.OTHER,
) -> UpdateBlock | None:
    """Whether the county may receive an update of ``kind`` from the organisation's
    memberships (``kinds``), given the open flow agreements' directions with them and the
    sections the obtain-consents in force from them cover (pure)."""
    cover = UpdateCover(frozenset(kinds), frozenset(directions), frozenset(obtain_sections))
    return cover.block(kind)
