"""The research extract's rules: keyed pseudonyms per study, months, validity. Pure.

A client's pseudonym in a study is HMAC-SHA256, under the study's own random key, of the
client's id (domain-separated, truncated to 128 bits, hex): stable across the study's
extracts, and unlinkable between studies, whose keys differ. Without the key (wrapped under
the master keyring, destroyed when the approval ends) a pseudonym cannot be tied to an id
even by someone holding the list of every client id.

Dates leave only as months (``YYYY-MM``). Only coded facts leave: phases, months, outcomes
as 0/1, counts. No name, no identity code, no free text, nothing decrypted.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import date, datetime

from app.models import Role
from app.models.research import ResearchApproval
from app.statistics.rules import local_day

KEY_BYTES = 32
PSEUDONYM_BYTES = 16
_LABEL = b"tukiverkko/research-pseudonym/v1\x00"
STUDY_NAME_MAX = 200
PERMIT_MAX = 100


def pseudonym(key: bytes, client_id: uuid.UUID) -> str:
    """The client's pseudonym in the study whose key is ``key``."""
    digest = hmac.new(key, _LABEL + client_id.bytes, hashlib.sha256).digest()
    return digest[:PSEUDONYM_BYTES].hex()


def key_context(approval_id: uuid.UUID) -> bytes:
    """What the study key's wrapping is bound to: it unwraps for this approval alone."""
    return f"research-study\x00{approval_id}".encode()


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
    """Who records (and ends) a study's approval for a county's data: the county's own
    administrator, or the data-protection officer (of that county, or of the whole service).
    The permit itself is Findata's or the county's decision; this records it."""
    if role is Role.ADMIN:
        return organisation_id == county_id
    if role is Role.DATA_PROTECTION:
        return organisation_id in (None, county_id)
    return False


def may_extract(
    role: Role, user_id: uuid.UUID, organisation_id: uuid.UUID | None, approval: ResearchApproval
) -> bool:
    """Only the analyst the approval names, still an analyst of the approval's county."""
    return (
        role is Role.ANALYST
        and user_id == approval.requester_id
        and organisation_id == approval.county_id
    )
