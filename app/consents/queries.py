"""Who may see which part of the plan: the consent matrix as plain data.

Rows are the client's network members (active first), columns the plan sections;
a cell lists the live or upcoming consents and statutory disclosures that cover
it. The consents and disclosures themselves are listed too, current and ended,
each with its purpose or justification decrypted in ONE batched gate read.
The caseworker's consents page and the client's own page render the same data
with the same component (``components/consent_matrix.html``), and the API lists it.
Where a membership, a consent or a disclosure stands is ``consent.status``'s to say.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.consents.rules import Grantee, PeriodTemplate, TemplatePeriod, Timeline, period
from app.models import Case, MemberKind, NetworkMember, Organisation, Role, User
from app.models.transfer import CountyTransfer, TransferState
from consent.facts import Actor, Direction, Purpose
from consent.models import Consent, ConsentState, GivenHow, StatutoryDisclosure
from consent.sections import SectionKind
from consent.service import disclosure_facts_of, facts_of
from consent.status import (
    ConsentStatus,
    MembershipStatus,
    consent_status,
    disclosure_status,
    membership_status,
)
from sharing.fields import sealed
from sharing.gate import AccessGate

SECTIONS: tuple[SectionKind, ...] = tuple(SectionKind)


class Basis(enum.StrEnum):
    CONSENT = "consent"
    STATUTORY = "statutory"


@dataclass(frozen=True)
class MemberInfo:
    """A network member as the consent pages show it."""

    id: uuid.UUID
    label: str  # the organisation's name, or the person's decrypted name
    kind: MemberKind
    status: MembershipStatus
    starts_on: date
    ends_on: date | None
    is_authority: bool
    committed_on: date | None  # confidentiality commitment, for non-authorities

    @property
    def commitment_missing(self) -> bool:
        """Not an authority and no recorded confidentiality commitment: nothing may be shared."""
        return not self.is_authority and self.committed_on is None

    @property
    def grantee(self) -> Grantee:
        """The member as the rules of giving a consent see them."""
        return Grantee(self.status, self.commitment_missing)


@dataclass(frozen=True)
class Coverage:
    """One consent or statutory disclosure covering one cell."""

    basis: Basis
    basis_id: uuid.UUID
    direction: Direction
    valid_from: date
    valid_until: date | None
    upcoming: bool


@dataclass(frozen=True)
class MatrixRow:
    member: MemberInfo
    cells: tuple[tuple[Coverage, ...], ...]  # one per section, in ``SECTIONS`` order


@dataclass(frozen=True)
class ConsentItem:
    id: uuid.UUID
    member: MemberInfo
    sections: tuple[SectionKind, ...]
    direction: Direction
    purpose_text: str
    valid_from: date
    valid_until: date | None
    given_how: GivenHow
    information_text_version: str
    recorded_by: str
    recorded_at: datetime
    status: ConsentStatus
    ended_at: datetime | None
    ended_by: str
    ended_by_client: bool = False  # the client withdrew it themselves
    withdrawal_unseen: bool = False  # ... and no worker has marked it as seen
    # The release-timeline template its period came from; when the dates moved, since when
    # it waits to be re-confirmed and the period the template gives now.
    period_template: PeriodTemplate | None = None
    reconfirm_since: datetime | None = None
    proposed: TemplatePeriod | None = None
    # Ended because the case moved to another county: that county's name (``ended_by`` is
    # the worker who accepted the transfer, ``ended_at`` when).
    ended_by_transfer_to: str | None = None


@dataclass(frozen=True)
class DisclosureItem:
    id: uuid.UUID
    member: MemberInfo
    sections: tuple[SectionKind, ...]
    provision: str
    justification: str
    decided_by: str
    decided_at: datetime
    valid_from: date
    valid_until: date | None
    status: ConsentStatus  # LIVE, UPCOMING or EXPIRED (REVOKED when ended by hand)
    ended_at: datetime | None
    ended_by: str = "–"


@dataclass(frozen=True)
class ConsentMatrix:
    sections: tuple[SectionKind, ...]
    rows: tuple[MatrixRow, ...]
    consents: tuple[ConsentItem, ...]  # live and upcoming
    ended_consents: tuple[ConsentItem, ...]  # revoked, expired, superseded; newest first
    disclosures: tuple[DisclosureItem, ...]  # live and upcoming
    ended_disclosures: tuple[DisclosureItem, ...]

    @property
    def to_reconfirm(self) -> tuple[ConsentItem, ...]:
        """Current consents whose period no longer matches their template's on the
        current release dates: the worker and the client are asked to re-confirm them."""
        return tuple(c for c in self.consents if c.reconfirm_since is not None)

    @property
    def unseen_withdrawals(self) -> tuple[ConsentItem, ...]:
        """Consents the client withdrew that no worker has marked as seen yet."""
        return tuple(c for c in self.ended_consents if c.withdrawal_unseen)


# -- loading (the imperative shell) ------------------------------------------------------------


def _members(session: Session, case: Case) -> Sequence[NetworkMember]:
    return session.scalars(
        select(NetworkMember)
        .where(NetworkMember.case_id == case.id)
        .options(selectinload(NetworkMember.organisation))
        .order_by(NetworkMember.starts_on, NetworkMember.added_at)
    ).all()


def load_members(
    session: Session, gate: AccessGate, actor: Actor, case: Case, *, purpose: Purpose, now: datetime
) -> list[MemberInfo]:
    """The case's network members with their names (one gate read), active first."""
    members = _members(session, case)
    names = (
        gate.read_texts(
            actor, [sealed(m, NetworkMember.person_name_ct) for m in members], purpose=purpose
        )
        if members
        else []
    )
    infos = [member_info(m, name, now) for m, name in zip(members, names, strict=True)]
    return sort_members(infos)


def load_matrix(
    session: Session, gate: AccessGate, actor: Actor, case: Case, *, purpose: Purpose, now: datetime
) -> ConsentMatrix:
    """Everything the matrix shows, in a fixed number of queries and one gate read."""
    members = _members(session, case)
    consents = session.scalars(
        select(Consent).where(Consent.case_id == case.id).order_by(Consent.recorded_at)
    ).all()
    disclosures = session.scalars(
        select(StatutoryDisclosure)
        .where(StatutoryDisclosure.case_id == case.id)
        .order_by(StatutoryDisclosure.decided_at)
    ).all()
    user_ids = {c.recorded_by_id for c in consents} | {c.ended_by_id for c in consents}
    user_ids |= {d.decided_by_id for d in disclosures} | {d.ended_by_id for d in disclosures}
    user_ids.discard(None)
    found = session.scalars(select(User).where(User.id.in_(list(user_ids)))).all()
    users = {u.id: u.display_name for u in found}
    client_users = frozenset(u.id for u in found if u.role is Role.CLIENT)
    refs = [sealed(m, NetworkMember.person_name_ct) for m in members]
    transferred = (
        ended_by_transfer(session, case.id)
        if any(c.state is ConsentState.REVOKED for c in consents)
        else {}
    )
    refs += [sealed(c, Consent.purpose_text_ct) for c in consents]
    refs += [sealed(d, StatutoryDisclosure.justification_ct) for d in disclosures]
    texts = gate.read_texts(actor, refs, purpose=purpose) if refs else []
    names = texts[: len(members)]
    purposes = texts[len(members) : len(members) + len(consents)]
    justifications = texts[len(members) + len(consents) :]
    return build_matrix(
        [member_info(m, name, now) for m, name in zip(members, names, strict=True)],
        zip(consents, purposes, strict=True),
        zip(disclosures, justifications, strict=True),
        users,
        now,
        client_users=client_users,
        timeline=Timeline.at(now, case.release_day, case.probation_end),
        transferred=transferred,
    )


def ended_by_transfer(session: Session, case_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """The case's consents that ended with its transfer to another county, with that
    county's name (one query; ``CountyTransfer.ended_consent_ids``)."""
    rows = session.execute(
        select(CountyTransfer.ended_consent_ids, Organisation.name)
        .join(Organisation, Organisation.id == CountyTransfer.to_county_id)
        .where(CountyTransfer.case_id == case_id, CountyTransfer.state == TransferState.ACCEPTED)
    ).all()
    return {uuid.UUID(i): name for ids, name in rows for i in ids}


# -- building (pure) ---------------------------------------------------------------------------


def member_info(member: NetworkMember, person_name: str | None, now: datetime) -> MemberInfo:
    """A member's label and status at ``now``; ``member.organisation`` must be loaded."""
    organisation = member.organisation
    status = membership_status(member.membership(), now)
    return MemberInfo(
        id=member.id,
        label=organisation.name if organisation else (person_name or "–"),
        kind=member.kind,
        status=status,
        starts_on=member.starts_on,
        ends_on=member.ends_on,
        is_authority=organisation is not None and organisation.is_authority,
        committed_on=member.confidentiality_committed_on,
    )


_STATUS_ORDER = {
    MembershipStatus.ACTIVE: 0,
    MembershipStatus.UPCOMING: 1,
    MembershipStatus.ENDED: 2,
}


def sort_members(members: Iterable[MemberInfo]) -> list[MemberInfo]:
    """Active members first, then upcoming, then ended; by name within each."""
    return sorted(members, key=lambda m: (_STATUS_ORDER[m.status], m.label.casefold()))


def build_matrix(
    members: Iterable[MemberInfo],
    consents: Iterable[tuple[Consent, str | None]],
    disclosures: Iterable[tuple[StatutoryDisclosure, str | None]],
    user_names: Mapping[uuid.UUID, str],
    now: datetime,
    *,
    client_users: frozenset[uuid.UUID] = frozenset(),
    timeline: Timeline | None = None,
    transferred: Mapping[uuid.UUID, str] | None = None,
) -> ConsentMatrix:
    """Arrange members, consents (with their purpose texts) and disclosures into the matrix.

    ``client_users`` are the client's own accounts among ``user_names`` (a withdrawal by the
    client names no worker); ``timeline`` gives a consent waiting for re-confirmation the
    period its template gives now; ``transferred`` names, for each consent a county transfer
    ended, the county the case moved to.
    """

    def template_of(c: Consent) -> PeriodTemplate | None:
        return PeriodTemplate(c.period_template) if c.period_template else None

    def proposed(c: Consent) -> TemplatePeriod | None:
        template = template_of(c)
        if c.reconfirm_since is None or template is None or timeline is None:
            return None
        return period(template, timeline)

    ordered = sort_members(members)
    by_id = {m.id: m for m in ordered}

    def name(user_id: uuid.UUID | None) -> str:
        return user_names.get(user_id, "–") if user_id else "–"

    consent_items = [
        ConsentItem(
            id=c.id,
            member=by_id[c.member_id],
            sections=_sections(c.sections),
            direction=c.direction,
            purpose_text=text or "",
            valid_from=c.valid_from,
            valid_until=c.valid_until,
            given_how=c.given_how,
            information_text_version=c.information_text_version,
            recorded_by=name(c.recorded_by_id),
            recorded_at=c.recorded_at,
            status=consent_status(facts_of(c), now),
            ended_at=c.ended_at,
            ended_by=name(c.ended_by_id),
            ended_by_client=c.ended_by_id in client_users,
            withdrawal_unseen=c.ended_by_id in client_users and c.end_seen_at is None,
            period_template=template_of(c),
            reconfirm_since=c.reconfirm_since,
            proposed=proposed(c),
            ended_by_transfer_to=(transferred or {}).get(c.id),
        )
        for c, text in consents
    ]
    disclosure_items = [
        DisclosureItem(
            id=d.id,
            member=by_id[d.member_id],
            sections=_sections(d.sections),
            provision=d.provision,
            justification=text or "",
            decided_by=name(d.decided_by_id),
            decided_at=d.decided_at,
            valid_from=d.valid_from,
            valid_until=d.valid_until,
            status=disclosure_status(disclosure_facts_of(d), now),
            ended_at=d.ended_at,
            ended_by=name(d.ended_by_id),
        )
        for d, text in disclosures
    ]
    current = [c for c in consent_items if c.status.current]
    current_disclosures = [d for d in disclosure_items if d.status.current]
    coverage: dict[tuple[uuid.UUID, SectionKind], list[Coverage]] = {}
    for item in current_disclosures:
        for section in item.sections:
            coverage.setdefault((item.member.id, section), []).append(
                Coverage(
                    Basis.STATUTORY,
                    item.id,
                    Direction.DISCLOSE,
                    item.valid_from,
                    item.valid_until,
                    item.status is ConsentStatus.UPCOMING,
                )
            )
    for c in current:
        for section in c.sections:
            coverage.setdefault((c.member.id, section), []).append(
                Coverage(
                    Basis.CONSENT,
                    c.id,
                    c.direction,
                    c.valid_from,
                    c.valid_until,
                    c.status is ConsentStatus.UPCOMING,
                )
            )
    rows = tuple(
        MatrixRow(
            member,
            tuple(
                ()
                if member.status is MembershipStatus.ENDED
                else tuple(coverage.get((member.id, section), ()))
                for section in SECTIONS
            ),
        )
        for member in ordered
    )
    member_rank = {m.id: i for i, m in enumerate(ordered)}
    return ConsentMatrix(
        sections=SECTIONS,
        rows=rows,
        consents=tuple(sorted(current, key=lambda c: (member_rank[c.member.id], c.valid_from))),
        ended_consents=tuple(
            sorted(
                (c for c in consent_items if not c.status.current),
                key=lambda c: (c.ended_at or _end_of(c.valid_until), c.recorded_at),
                reverse=True,
            )
        ),
        disclosures=tuple(
            sorted(current_disclosures, key=lambda d: (member_rank[d.member.id], d.valid_from))
        ),
        ended_disclosures=tuple(
            sorted(
                (d for d in disclosure_items if not d.status.current),
                key=lambda d: d.decided_at,
                reverse=True,
            )
        ),
    )


def _sections(values: Iterable[str]) -> tuple[SectionKind, ...]:
    chosen = {SectionKind(v) for v in values}
    return tuple(s for s in SECTIONS if s in chosen)


def _end_of(day: date | None) -> datetime:
    return datetime.combine(day or date.max, time.max, tzinfo=UTC)
