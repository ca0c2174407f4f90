"""A generated client's access log: entries as the gate records them, in a valid hash chain.

The mix follows what the pages log: caseworkers recognising the client in lists (about a
quarter), their case work (reads and writes), network members reading shared sections on
the consent that allows it, the client reading their own data, the system's maintenance,
and a few refusals. Entries are spread over the case's lifetime, in time order.

The chain is the app's: each entry's MAC is ``sharing.access_log.entry_mac`` under the data
set's active log key, over the previous entry's MAC, ``seq`` and the ``LogRecord``, the first
entry's ``prev_hash`` is ``GENESIS``, instants are UTC, so ``flask audit verify`` accepts it.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from consent.decision import BasisKind, Reason
from consent.facts import ActorRole, Purpose
from consent.sections import DataScope, SectionKind, scope_key
from sharing.access_log import GENESIS, AccessAction, LogRecord, entry_mac
from sharing.keys import LogKeys

NAME = scope_key(DataScope.NAME)
BASIC = scope_key(DataScope.BASIC)


@dataclass(frozen=True)
class Grantee:
    """A network member with a consent in force: whom its reads are logged as."""

    organisation_id: uuid.UUID | None  # None: a person grantee
    member_id: uuid.UUID
    staff: tuple[uuid.UUID, ...]  # the organisation's accounts (none for a person)
    consent_id: uuid.UUID
    sections: tuple[SectionKind, ...]


@dataclass(frozen=True)
class Actors:
    """Who works with one client."""

    worker: uuid.UUID  # the responsible worker
    colleague: uuid.UUID  # another caseworker of the county
    organisation_id: uuid.UUID  # the county
    client_user: uuid.UUID
    grantees: tuple[Grantee, ...]
    sections: tuple[SectionKind, ...]  # the plan's sections


def _record(rng: random.Random, client_id: uuid.UUID, at: datetime, who: Actors) -> dict[str, Any]:
    """The business facts of one entry (``LogRecord``'s fields), drawn from the mix."""
    roll = rng.random()
    section = scope_key(rng.choice(who.sections))
    base: dict[str, Any] = {
        "client_id": client_id,
        "at": at,
        "actor_user_id": None,
        "organisation_id": None,
        "member_id": None,
        "assisted_by_user_id": None,
        "basis_kind": None,
        "basis_id": None,
        "previewed_as": None,
        "allowed": True,
        "action": AccessAction.READ,
    }
    if roll < 0.28:
        return base | {
            "actor_user_id": rng.choice((who.worker, who.colleague)),
            "actor_role": ActorRole.CASEWORKER.value,
            "organisation_id": who.organisation_id,
            "reason": Reason.ALLOWED_COUNTY_LIST.value,
            "scope": NAME,
            "purpose": Purpose.LIST.value,
        }
    if roll < 0.58:
        return base | {
            "actor_user_id": who.worker,
            "actor_role": ActorRole.CASEWORKER.value,
            "organisation_id": who.organisation_id,
            "action": AccessAction.WRITE if roll >= 0.50 else AccessAction.READ,
            "reason": Reason.ALLOWED_CASE_RELATIONSHIP.value,
            "scope": rng.choice((BASIC, section)),
            "purpose": Purpose.CASE_WORK.value,
            "basis_kind": BasisKind.RELATIONSHIP.value,
        }
    if roll < 0.85 and who.grantees:
        grantee = rng.choice(who.grantees)
        person = grantee.organisation_id is None
        return base | {
            "actor_user_id": None if person else rng.choice(grantee.staff),
            "actor_role": (ActorRole.PERSON if person else ActorRole.PARTNER).value,
            "organisation_id": grantee.organisation_id,
            "member_id": grantee.member_id if person else None,
            "reason": Reason.ALLOWED_CONSENT.value,
            "scope": rng.choice((NAME, *(scope_key(s) for s in grantee.sections))),
            "purpose": Purpose.NETWORK_COOPERATION.value,
            "basis_kind": BasisKind.CONSENT.value,
            "basis_id": grantee.consent_id,
        }
    if roll < 0.93:
        return base | {
            "actor_user_id": who.client_user,
            "actor_role": ActorRole.CLIENT.value,
            "reason": Reason.ALLOWED_SELF.value,
            "scope": rng.choice((NAME, BASIC, section)),
            "purpose": Purpose.OWN_DATA.value,
        }
    if roll < 0.97 or not who.grantees:
        return base | {
            "actor_role": ActorRole.SYSTEM.value,
            "action": AccessAction.WRITE,
            "reason": Reason.ALLOWED_SYSTEM.value,
            "scope": BASIC,
            "purpose": Purpose.ADMINISTRATION.value,
        }
    grantee = rng.choice(who.grantees)
    return base | {  # a member asking for a section its consent does not cover
        "actor_user_id": rng.choice(grantee.staff) if grantee.staff else None,
        "actor_role": (ActorRole.PARTNER if grantee.staff else ActorRole.PERSON).value,
        "organisation_id": grantee.organisation_id,
        "member_id": None if grantee.staff else grantee.member_id,
        "allowed": False,
        "reason": Reason.DENIED_SECTION_NOT_IN_SCOPE.value,
        "scope": section,
        "purpose": Purpose.NETWORK_COOPERATION.value,
    }


def chain_rows(
    rng: random.Random,
    client_id: uuid.UUID,
    who: Actors,
    since: datetime,
    until: datetime,
    count: int,
    keys: LogKeys,
) -> list[dict[str, Any]]:
    """``count`` chained ``access_log`` rows for one client, between two instants, oldest first."""
    key_id = keys.active_mac_id
    mac = keys.mac(key_id)
    assert mac is not None
    start, span = since.timestamp(), (until - since).total_seconds()
    moments = sorted(start + rng.random() * span for _ in range(count))
    rows = []
    prev_hash = GENESIS
    for seq, moment in enumerate(moments, start=1):
        at = datetime.fromtimestamp(round(moment, 6), UTC)
        values = _record(rng, client_id, at, who)
        entry_hash = entry_mac(mac, key_id, prev_hash, seq, LogRecord(**values))
        values.update(
            id=uuid.uuid4(), seq=seq, prev_hash=prev_hash, entry_hash=entry_hash, key_id=key_id
        )
        rows.append(values)
        prev_hash = entry_hash
    return rows
