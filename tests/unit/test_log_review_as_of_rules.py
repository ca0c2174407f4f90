"""The county staff rebuilt as of a moment, and the key seals checked against the grants."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from app.log_review.rules import (
    Appointment,
    KeyPeriod,
    LoggedAccess,
    RecordedTask,
    SealFinding,
    SealNow,
    SealPeriod,
    StaffHistory,
    StaffTie,
    TeamPeriod,
    TransferPeriod,
    Verdict,
    check_seals,
    staff_case_as_of,
    staff_who_could_read,
    verdict,
)
from consent.decision import BasisKind, Grant
from consent.facts import CaseContext, WorkTask
from consent.sections import DataScope, SectionKind, scope_key

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
CLIENT, COUNTY, OTHER_COUNTY = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)
FIRST, SECOND, COLLEAGUE, ON_CALL = (uuid.UUID(int=n) for n in (11, 12, 13, 14))
TASK = uuid.UUID(int=21)


def _history(organisation: uuid.UUID = COUNTY) -> StaffHistory:
    return StaffHistory(
        appointments=(Appointment(FIRST, T0), Appointment(SECOND, T0 + 4 * H)),
        team=(TeamPeriod(COLLEAGUE, T0 + H, T0 + 3 * H),),
        tasks=(RecordedTask(WorkTask(TASK, ON_CALL, T0 + 6 * H), T0 + 5 * H),),
        organisations={u: organisation for u in (FIRST, SECOND, COLLEAGUE, ON_CALL)},
    )


def _who(
    case: CaseContext, history: StaffHistory, at: datetime
) -> dict[uuid.UUID, tuple[StaffTie, ...]]:
    return {s.user_id: s.ties for s in staff_who_could_read(case, history, at)}


def test_staff_as_recorded_at_each_moment_and_as_the_decision_allows() -> None:
    # Today's facts: the second worker responsible, nobody in the team, the task recorded.
    case = CaseContext(CLIENT, COUNTY, responsible_worker_id=SECOND)
    history = _history()
    assert _who(case, history, T0 - H) == {}
    assert _who(case, history, T0 + 2 * H) == {
        FIRST: (StaffTie.RESPONSIBLE_WORKER,),
        COLLEAGUE: (StaffTie.TEAM,),
    }
    assert _who(case, history, T0 + 3 * H) == {FIRST: (StaffTie.RESPONSIBLE_WORKER,)}
    assert _who(case, history, T0 + 5 * H + timedelta(minutes=1)) == {
        SECOND: (StaffTie.RESPONSIBLE_WORKER,),
        ON_CALL: (StaffTie.WORK_TASK,),
    }
    # The task ran out: recorded, but the decision no longer lets its holder in.
    assert _who(case, history, T0 + 7 * H) == {SECOND: (StaffTie.RESPONSIBLE_WORKER,)}
    (task,) = [s for s in staff_who_could_read(case, history, T0 + 5.5 * H) if s.user_id == ON_CALL]
    assert (task.basis_kind, task.basis_id) == (BasisKind.WORK_TASK, TASK)


def test_a_transfer_moves_the_county_at_its_answer() -> None:
    # The case belongs to the other county now; it was proposed at 2 h and accepted at 3 h.
    case = CaseContext(CLIENT, OTHER_COUNTY)
    transfer = TransferPeriod(COUNTY, OTHER_COUNTY, T0 + 2 * H, T0 + 3 * H, accepted=True)
    history = StaffHistory(
        transfers=(transfer,),
        appointments=(Appointment(FIRST, T0), Appointment(SECOND, T0 + 3 * H)),
        organisations={FIRST: COUNTY, SECOND: OTHER_COUNTY},
    )
    assert staff_case_as_of(case, history, T0 + H).county_id == COUNTY
    assert staff_case_as_of(case, history, T0 + 2.5 * H).transfer_to == OTHER_COUNTY
    assert staff_case_as_of(case, history, T0 + 4 * H).county_id == OTHER_COUNTY
    assert _who(case, history, T0 + H) == {FIRST: (StaffTie.RESPONSIBLE_WORKER,)}
    assert _who(case, history, T0 + 4 * H) == {SECOND: (StaffTie.RESPONSIBLE_WORKER,)}

    def entry(
        at: datetime, user: uuid.UUID, org: uuid.UUID, purpose: str, scope: str
    ) -> LoggedAccess:
        return LoggedAccess(at, "caseworker", "read", org, None, scope, True, user, purpose)

    # The receiving county recognised the client while the proposal waited: consistent; its
    # case work before the answer, and the sending worker's after it: not.
    waiting = entry(T0 + 2.5 * H, SECOND, OTHER_COUNTY, "list", "name")
    assert verdict(case, [], waiting, history) is Verdict.CONSISTENT
    early = entry(T0 + 2.5 * H, SECOND, OTHER_COUNTY, "case_work", "basic")
    assert verdict(case, [], early, history) is Verdict.INCONSISTENT
    late = entry(T0 + 4 * H, FIRST, COUNTY, "case_work", "section:housing")
    assert verdict(case, [], late, history) is Verdict.INCONSISTENT
    # A review's own entry is no decision of ``decide``: not covered.
    review = entry(T0 + 4 * H, FIRST, COUNTY, "administration", "access_log")
    assert verdict(case, [], review, history) is Verdict.NOT_COVERED


MEMBER, OTHER_MEMBER = uuid.UUID(int=31), uuid.UUID(int=32)
CONSENT = uuid.UUID(int=41)
KEY, NAME_KEY, LATER_KEY = uuid.UUID(int=51), uuid.UUID(int=52), uuid.UUID(int=53)
HOUSING, NAME = scope_key(SectionKind.HOUSING), scope_key(DataScope.NAME)


def _grants(member: uuid.UUID = MEMBER) -> set[Grant]:
    return {
        Grant(member, SectionKind.HOUSING, BasisKind.CONSENT, CONSENT),
        Grant(member, DataScope.NAME, BasisKind.CONSENT, CONSENT),
    }


KEYS = [
    KeyPeriod(KEY, HOUSING, T0, None),
    KeyPeriod(NAME_KEY, NAME, T0, None),
    KeyPeriod(LATER_KEY, HOUSING, T0 + 5 * H, None),
]


def _record(
    seal: int,
    key: uuid.UUID,
    scope: str,
    start: datetime,
    end: datetime | None = None,
    member: uuid.UUID = MEMBER,
) -> SealPeriod:
    return SealPeriod(uuid.UUID(int=seal), key, member, scope, CONSENT, start, end)


def test_seals_as_recorded_against_the_grants_of_the_moment() -> None:
    records = [
        _record(61, KEY, HOUSING, T0 + H, T0 + 3 * H),
        _record(62, NAME_KEY, NAME, T0 + H, T0 + 3 * H),
    ]
    at = T0 + 2 * H
    found = {(c.scope, c.finding) for c in check_seals(_grants(), KEYS, records, [], set(), at)}
    assert found == {(HOUSING, SealFinding.SEALED), (NAME, SealFinding.SEALED)}
    # Missing: the grant held at 4 h, but its seals were removed at 3 h.
    later = check_seals(_grants(), KEYS, records, [], set(), T0 + 4 * H)
    assert {c.finding for c in later} == {SealFinding.MISSING}
    # Without a basis: the seals at 2 h, when no grant named the member.
    orphan = check_seals(set(), KEYS, records, [], set(), at)
    assert {(c.finding, c.member_id) for c in orphan} == {(SealFinding.WITHOUT_BASIS, MEMBER)}
    # Nothing to seal: a grant before any key of its scope existed.
    early = check_seals(
        _grants(), [KeyPeriod(LATER_KEY, HOUSING, T0 + 5 * H, None)], [], [], set(), at
    )
    assert {(c.scope, c.finding) for c in early} == {
        (HOUSING, SealFinding.NOTHING_TO_SEAL),
        (NAME, SealFinding.NOTHING_TO_SEAL),
    }
    # A new key generation unsealed to a member who held the grant: missing.
    newer = check_seals(
        _grants(),
        KEYS,
        [_record(63, KEY, HOUSING, T0), _record(64, NAME_KEY, NAME, T0)],
        [],
        set(),
        T0 + 6 * H,
    )
    assert {(c.scope, c.finding) for c in newer} >= {(HOUSING, SealFinding.MISSING)}


def test_seals_now_against_their_records() -> None:
    records = [_record(61, KEY, HOUSING, T0), _record(62, NAME_KEY, NAME, T0)]
    intact = [
        SealNow(uuid.UUID(int=61), KEY, MEMBER, CONSENT, HOUSING),
        SealNow(uuid.UUID(int=62), NAME_KEY, MEMBER, CONSENT, NAME),
    ]
    at = T0 + H
    assert not [
        c
        for c in check_seals(_grants(), KEYS[:2], records, intact, set(), at)
        if c.finding.discrepancy
    ]

    def problems(
        now: list[SealNow], unopenable: frozenset[uuid.UUID] = frozenset()
    ) -> set[SealFinding]:
        return {
            c.finding
            for c in check_seals(_grants(), KEYS[:2], records, now, set(unopenable), at)
            if c.finding.discrepancy
        }

    assert problems(intact[1:]) == {SealFinding.GONE}
    assert problems(intact, {uuid.UUID(int=61)}) == {SealFinding.ALTERED}
    moved = SealNow(uuid.UUID(int=61), KEY, OTHER_MEMBER, CONSENT, HOUSING)
    assert problems([moved, intact[1]]) == {SealFinding.ALTERED}
    stray = SealNow(uuid.UUID(int=69), KEY, OTHER_MEMBER, CONSENT, HOUSING)
    assert problems([*intact, stray]) == {SealFinding.UNRECORDED}
