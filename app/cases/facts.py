"""The case facts the access decision needs: the gate's ``CaseLoader`` (``load_case_contexts``)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.cases.queries import latest_cases
from app.models import CaseTeamMember, NetworkMember, ResponsibleWorker, WorkTaskReason
from consent.facts import CaseContext, ConsentFacts, Membership, StatutoryFacts, WorkTask
from consent.models import Consent, StatutoryDisclosure
from consent.service import disclosure_facts_of, facts_of


def load_case_contexts(
    session: Session, client_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CaseContext]:
    """The ``CaseContext`` of each client's newest case: seven queries, whatever the count."""
    cases = latest_cases(session, client_ids)
    ids = [case.id for case in cases.values()]
    if not ids:
        return {}
    workers = {
        row.case_id: row.worker_id
        for row in session.scalars(
            select(ResponsibleWorker).where(
                ResponsibleWorker.case_id.in_(ids), ResponsibleWorker.ends_on.is_(None)
            )
        )
    }
    teams: defaultdict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for member in session.scalars(
        select(CaseTeamMember).where(
            CaseTeamMember.case_id.in_(ids), CaseTeamMember.removed_at.is_(None)
        )
    ):
        teams[member.case_id].add(member.user_id)
    tasks: defaultdict[uuid.UUID, list[WorkTask]] = defaultdict(list)
    for reason in session.scalars(select(WorkTaskReason).where(WorkTaskReason.case_id.in_(ids))):
        tasks[reason.case_id].append(WorkTask(reason.id, reason.user_id, reason.valid_until))
    memberships: defaultdict[uuid.UUID, list[Membership]] = defaultdict(list)
    for network_member in session.scalars(
        select(NetworkMember).where(NetworkMember.case_id.in_(ids))
    ):
        memberships[network_member.case_id].append(network_member.membership())
    consents: defaultdict[uuid.UUID, list[ConsentFacts]] = defaultdict(list)
    for consent in session.scalars(select(Consent).where(Consent.case_id.in_(ids))):
        consents[consent.case_id].append(facts_of(consent))
    statutory: defaultdict[uuid.UUID, list[StatutoryFacts]] = defaultdict(list)
    for d in session.scalars(
        select(StatutoryDisclosure).where(StatutoryDisclosure.case_id.in_(ids))
    ):
        statutory[d.case_id].append(disclosure_facts_of(d))
    return {
        client_id: CaseContext(
            client_id=client_id,
            county_id=case.county_id,
            responsible_worker_id=workers.get(case.id),
            team_ids=frozenset(teams[case.id]),
            work_tasks=tuple(tasks[case.id]),
            closed_at=case.closed_at,
            memberships=tuple(memberships[case.id]),
            consents=tuple(consents[case.id]),
            statutory=tuple(statutory[case.id]),
        )
        for client_id, case in cases.items()
    }
