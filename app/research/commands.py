"""Recording and ending a study's approval, and making its pseudonymised extract.

``approve`` records the approval with the study's own pseudonym key
(``sharing.pseudonyms``: random, stored only wrapped under the active master key, bound to
the approval); ``flask keys rotate`` re-wraps it (``rewrap_study_keys``).
``end`` ends it and destroys the key. ``extract`` makes the extract for the analyst the
approval names while it is valid: one row per client of the county, coded facts only,
the client's pseudonym in the study instead of any id; it records the extract and writes
one entry to each included client's access log (one batch), which the client reads on
their own log as "used in research" with the study's name.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.client_log.queries import STUDY as LOG_BASIS  # the basis id: the approval's
from app.models import Role, User
from app.models.research import ResearchApproval, ResearchExtract
from app.refusals import N_, Conflict, NotFound, Refused
from app.research import queries, rules
from consent.decision import Reason
from sharing import pseudonyms
from sharing.access_log import AccessAction, LogRecord, append
from sharing.keys import Keyring

LOG_SCOPE = "research"  # what an extract's access-log entries name as the part used
# Their purpose: not a ``consent.facts.Purpose`` (no decision of the gate allows research;
# that enum is also a column's check constraint), a code of the log alone.
LOG_PURPOSE = "research"


class StudyNameMissing(Refused):
    code = "research_study_name_missing"
    field = "study_name"
    message = N_("Write the study's name (200 characters at most).")


class PermitMissing(Refused):
    code = "research_permit_missing"
    field = "permit_reference"
    message = N_("Write the permit's reference (100 characters at most).")


class RequesterInvalid(Refused):
    code = "research_requester_invalid"
    field = "requester"
    message = N_("Choose an active analyst of a county whose approvals you record.")


class PeriodInvalid(Refused):
    code = "research_period_invalid"
    field = "expires_on"
    message = N_("The approval must end on or after its first day, and not before today.")


class AlreadyEnded(Conflict):
    code = "research_approval_ended"
    message = N_("The approval has already ended.")


class NotValid(Conflict):
    code = "research_approval_not_valid"
    message = N_("The approval is not valid today: no extract can be made.")


class NotYours(NotFound):
    code = "research_not_yours"


def approve(
    session: Session,
    keyring: Keyring,
    by: User,
    *,
    requester_id: uuid.UUID,
    study_name: str,
    permit_reference: str,
    valid_from: date,
    expires_on: date,
    today: date,
) -> ResearchApproval:
    """Record a study's approval for the requester's county (flushes).

    :raises Refused: a subclass naming the field whose value breaks a rule.
    """
    name, permit = study_name.strip(), permit_reference.strip()
    if not name or len(name) > rules.STUDY_NAME_MAX:
        raise StudyNameMissing()
    if not permit or len(permit) > rules.PERMIT_MAX:
        raise PermitMissing()
    requester = session.get(User, requester_id)
    if (
        requester is None
        or requester.role is not Role.ANALYST
        or not requester.active
        or requester.organisation_id is None
        or not rules.may_approve(by.role, by.organisation_id, requester.organisation_id)
    ):
        raise RequesterInvalid()
    if expires_on < valid_from or expires_on < today:
        raise PeriodInvalid()
    approval = ResearchApproval(
        county_id=requester.organisation_id,
        study_name=name,
        permit_reference=permit,
        requester_id=requester.id,
        valid_from=valid_from,
        expires_on=expires_on,
        approved_by_id=by.id,
        approver_role=by.role.value,
    )
    approval.key_master_id, approval.key_wrapped = pseudonyms.new_study_key(keyring, approval.id)
    session.add(approval)
    session.flush()
    return approval


def end(session: Session, approval: ResearchApproval, by: User, now: datetime) -> None:
    """End the approval and destroy the study's key (flushes).

    :raises NotYours: when ``by`` may not record approvals of its county.
    :raises AlreadyEnded: when it has ended already.
    """
    if not rules.may_approve(by.role, by.organisation_id, approval.county_id):
        raise NotYours()
    if approval.ended_at is not None:
        raise AlreadyEnded()
    approval.ended_at = now
    approval.ended_by_id = by.id
    approval.key_master_id = approval.key_wrapped = None
    session.flush()


@dataclass(frozen=True)
class Extract:
    columns: tuple[str, ...]
    rows: list[list[str]]


def extract(
    session: Session,
    keyring: Keyring,
    approval: ResearchApproval,
    by: User,
    *,
    today: date,
    now: datetime,
) -> Extract:
    """The study's extract of its county's clients, recorded and logged on each client's
    access log: ten statements read, the record and one batch of log entries (the chains'
    heads, on SQLite one statement per 400 clients, and one INSERT) write.

    :raises NotYours: when ``by`` is not the analyst the approval names.
    :raises NotValid: when the approval has ended, expired or not yet begun.
    """
    if not rules.may_extract(by.role, by.id, by.organisation_id, approval):
        raise NotYours()
    if not rules.is_valid(approval, today) or approval.key_wrapped is None:
        raise NotValid()
    assert approval.key_master_id is not None  # both set together
    facts = queries.extract_facts(session, approval.county_id, today)
    names = pseudonyms.pseudonyms(
        keyring,
        approval.key_master_id,
        approval.key_wrapped,
        approval.id,
        (f.client_id for f in facts),
    )
    rows = [queries.coded_row(names[f.client_id], f) for f in facts]
    rows.sort()  # in pseudonym order: nothing of the database's order leaks
    session.add(ResearchExtract(approval_id=approval.id, produced_by_id=by.id, clients=len(rows)))
    append(
        session,
        [
            LogRecord(
                client_id=f.client_id,
                at=now,
                actor_user_id=by.id,
                actor_role=by.role.actor_role.value,
                organisation_id=by.organisation_id,
                action=AccessAction.READ,
                allowed=True,
                reason=Reason.ALLOWED_RESEARCH.value,
                scope=LOG_SCOPE,
                purpose=LOG_PURPOSE,
                basis_kind=LOG_BASIS,
                basis_id=approval.id,
            )
            for f in facts
        ],
    )
    session.flush()
    return Extract(queries.COLUMNS, rows)


def rewrap_study_keys(session: Session, keyring: Keyring, limit: int = 200) -> int:
    """Re-wrap up to ``limit`` study keys still under an older master key (flushes)."""
    batch = session.scalars(
        select(ResearchApproval)
        .where(
            ResearchApproval.key_master_id.is_not(None),
            ResearchApproval.key_master_id != keyring.active_id,
        )
        .order_by(ResearchApproval.id)
        .limit(limit)
    ).all()
    for row in batch:
        assert row.key_master_id is not None and row.key_wrapped is not None
        row.key_master_id, row.key_wrapped = pseudonyms.rewrap(
            keyring, row.key_master_id, row.key_wrapped, row.id
        )
    session.flush()
    return len(batch)


def wrapped_study_counts(session: Session) -> dict[str, int]:
    """How many study keys each master key wraps."""
    rows = session.execute(
        select(ResearchApproval.key_master_id, func.count(ResearchApproval.id))
        .where(ResearchApproval.key_master_id.is_not(None))
        .group_by(ResearchApproval.key_master_id)
    ).all()
    return {key_id: count for key_id, count in rows if key_id is not None}
