"""The research extract's rules: months, validity, who approves and who extracts. Pure.

Clients are named by their pseudonym in the study (``sharing.pseudonyms``: keyed per
study, so two studies cannot link). Dates leave only as months (``YYYY-MM``). Only coded
facts leave: phases, months, outcomes as 0/1, counts. No name, no identity code, no free
text, nothing decrypted.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from app.models import Role
from app.models.research import ResearchApproval
from app.statistics.rules import local_day

STUDY_NAME_MAX = 200
PERMIT_MAX = 100


def month(value: date | datetime | None) -> str:
    """A day or a moment (its Finnish day) as its month, ``YYYY-MM``; empty for none."""
    if value is None:
        return ""
    day = local_day(value) if isinstance(value, datetime) else value
    return f"{day.year:04d}-{day.month:02d}"


def is_valid(approval: ResearchApproval, today: date) -> bool:
    """Whether extracts may be made today: not ended, and today within its days."""
    return approval.ended_at is None and approval.valid_from <= today <= approval.expires_on


def may_approve(role: Role, organisation_id: uuid.UUID | None, county_id: uuid.UUID) -> bool:
    """Who records (and ends) a study's approval for a county's data: an administrator or
    the data-protection officer, of that county or of the whole service (no organisation).
    The permit itself is Findata's or the county's decision; this records it."""
    return role in (Role.ADMIN, Role.DATA_PROTECTION) and organisation_id in (None, county_id)


def may_extract(
    role: Role, user_id: uuid.UUID, organisation_id: uuid.UUID | None, approval: ResearchApproval
) -> bool:
    """Only the analyst the approval names, still an analyst of the approval's county."""
    return (
        role is Role.ANALYST
        and user_id == approval.requester_id
        and organisation_id == approval.county_id
    )
