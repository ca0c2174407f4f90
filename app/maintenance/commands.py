"""Housekeeping safe to run every minute: expiry, seals, crypto-shredding, checkpoints.

Access never waits for this: the decision reads dates itself. Maintenance only
records what the dates already mean (consents expired), removes seals no live
basis covers any more, makes the seals of bases that have become live since they were
recorded (a consent or disclosure whose first day has come, a membership that has started:
the gate seals those on a first read too), destroys the data keys of cases past
retention, and removes the e-mail addresses of person members whose membership has ended.
Idempotent: a second run in the same minute changes nothing. The CLI commits once at its
end, and then writes a checkpoint of the access log's chain heads (``checkpoint``) under
the maintenance lock again.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from logging.handlers import SysLogHandler
from pathlib import Path

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from app.maintenance.retention import RETENTION_YEARS, disposal_on
from app.models import Case, NetworkMember
from app.outbox import commands as outbox
from consent import service
from consent.facts import Direction, Purpose
from consent.models import Consent, ConsentState, StatutoryDisclosure
from consent.sections import DataScope, scope_key
from consent.status import helsinki_day
from sharing import access_log, blind_index, checkpoints, seal
from sharing.gate import AccessGate
from sharing.keys import LogKeys
from sharing.models import DataKey, KeySeal


@dataclass(frozen=True)
class MaintenanceReport:
    consents_expired: int
    clients_resealed: int
    seals_removed: int
    seals_created: int
    cases_disposed: int
    person_addresses_removed: int


def run(
    session: Session, gate: AccessGate, *, now: datetime, retention_years: int | None = None
) -> MaintenanceReport:
    """One pass of maintenance (flushes; the caller commits).

    ``retention_years``: ``None`` keeps each closed case for its service task's period
    (``RETENTION_YEARS``); a number overrides that period for every task.
    """
    today = helsinki_day(now)
    expired = service.expire_due(session, today=today, at=now)
    stale = (
        {c.client_id for c in expired}
        | _clients_with_stale_seals(session, now)
        | _clients_with_unsealed_bases(session, now)
    )
    # Under the clients' log-chain locks, as a grantee's first read seals (``AccessGate``).
    access_log.lock_chains(session, sorted(stale))
    synced = [gate.sync_seals(client_id) for client_id in sorted(stale)]
    disposed = _dispose_past_retention(session, now, retention_years)
    addresses = outbox.forget_person_addresses(session, today=today)
    return MaintenanceReport(
        consents_expired=len(expired),
        clients_resealed=len(stale),
        seals_removed=sum(s.removed for s in synced),
        seals_created=sum(s.created for s in synced),
        cases_disposed=disposed,
        person_addresses_removed=addresses,
    )


def _clients_with_stale_seals(session: Session, now: datetime) -> set[uuid.UUID]:
    """Clients holding a seal whose member, consent, disclosure or case has ended."""
    today = helsinki_day(now)
    ended_member = (
        select(KeySeal.client_id)
        .join(NetworkMember, NetworkMember.id == KeySeal.member_id)
        .where(NetworkMember.ends_on < today)
    )
    ended_consent = (
        select(KeySeal.client_id)
        .join(Consent, Consent.id == KeySeal.basis_id)
        .where(or_(Consent.state != ConsentState.ACTIVE, Consent.valid_until < today))
    )
    ended_statute = (
        select(KeySeal.client_id)
        .join(StatutoryDisclosure, StatutoryDisclosure.id == KeySeal.basis_id)
        .where(or_(StatutoryDisclosure.ended_at <= now, StatutoryDisclosure.valid_until < today))
    )
    closed_case = (
        select(KeySeal.client_id)
        .join(Case, Case.client_id == KeySeal.client_id)
        .where(Case.closed_at <= now)
    )
    found: set[uuid.UUID] = set()
    for query in (ended_member, ended_consent, ended_statute, closed_case):
        found.update(session.scalars(query))
    return found


def _clients_with_unsealed_bases(session: Session, now: datetime) -> set[uuid.UUID]:
    """Clients with a live basis (a consent sharing for network cooperation, or a statutory
    disclosure, in its days and not ended, of a member whose membership is active, in an open
    case) that no seal names, though the client has a data key of its name (which every
    basis seals): bases whose first day, or whose member's, came after they were recorded.
    Two statements, whatever the number of clients; no key is opened to find them.
    """
    today = helsinki_day(now)
    member_active = (
        NetworkMember.starts_on <= today,
        or_(NetworkMember.ends_on.is_(None), NetworkMember.ends_on >= today),
        or_(NetworkMember.ended_at.is_(None), NetworkMember.ended_at > now),
    )
    case_open = or_(Case.closed_at.is_(None), Case.closed_at > now)
    found: set[uuid.UUID] = set()
    for basis, live in (
        (
            Consent,
            (
                Consent.state == ConsentState.ACTIVE,
                Consent.direction == Direction.DISCLOSE,
                Consent.purpose == Purpose.NETWORK_COOPERATION,
            ),
        ),
        (StatutoryDisclosure, ()),
    ):
        unsealed = (
            select(basis.client_id)
            .distinct()
            .join(NetworkMember, NetworkMember.id == basis.member_id)
            .join(Case, Case.id == basis.case_id)
            .where(
                *live,
                # A basis naming no section grants nothing (``live_grants``): JSON as text,
                # as both databases store what SQLAlchemy wrote.
                cast(basis.sections, String) != "[]",
                basis.valid_from <= today,
                or_(basis.valid_until.is_(None), basis.valid_until >= today),
                or_(basis.ended_at.is_(None), basis.ended_at > now),
                *member_active,
                case_open,
                select(DataKey.id)
                .where(
                    DataKey.client_id == basis.client_id,
                    DataKey.scope == scope_key(DataScope.NAME),
                    DataKey.destroyed_at.is_(None),
                )
                .exists(),
                ~select(KeySeal.id)
                .where(KeySeal.basis_id == basis.id, KeySeal.member_id == basis.member_id)
                .exists(),
            )
        )
        found.update(session.scalars(unsealed))
    return found


def _dispose_past_retention(session: Session, now: datetime, override: int | None) -> int:
    """Crypto-shred the cases whose disposal day has come: the day stored when the case
    closed (``Case.disposal_on``), or for a case closed before that was stored, the day its
    service task and close day give (``disposal_on``)."""
    today = helsinki_day(now)
    due = list(
        session.scalars(
            select(Case).where(Case.disposal_on <= today, Case.disposed_at.is_(None))
        ).all()
    )
    shortest = min(RETENTION_YEARS.values()) if override is None else override
    # A cheap bound first (n calendar years are at least 365·n days; two days spare for
    # the time of day and daylight saving); the exact day per service task is checked below.
    bound = now - timedelta(days=365 * shortest - 2)
    unstored = session.scalars(
        select(Case).where(
            Case.closed_at <= bound, Case.disposal_on.is_(None), Case.disposed_at.is_(None)
        )
    ).all()
    due += [
        case
        for case in unstored
        if case.closed_at is not None
        and disposal_on(case.closed_at, case.service_task, override) <= today
    ]
    for case in due:
        newer_open = session.scalar(
            select(Case.id).where(
                Case.client_id == case.client_id, Case.id != case.id, Case.closed_at.is_(None)
            )
        )
        if newer_open is None:
            seal.destroy_client_keys(session, case.client_id, now)
            # The digests could still link records to the person: they go with the keys.
            blind_index.remove_client(session, case.client_id)
        case.disposed_at = now
    session.flush()
    return len(due)


def checkpoint(
    session: Session, keys: LogKeys, path: Path, *, now: datetime, syslog: str | None = None
) -> checkpoints.Written:
    """Write a signed checkpoint of every access-log chain head to ``path`` (and to ``syslog``:
    "/dev/log" or "host:port" over UDP), unless nothing changed since the last one.

    Call with the maintenance lock held, so two runs never write the file at once. Reads
    only (the heads, in one statement).

    :raises CheckpointRefused: when a chain lost entries against the last checkpoint, or
        the checkpoint file does not verify.
    """
    written = checkpoints.write(path, access_log.heads(session), keys, now)
    if written.line is not None and syslog:
        send_to_syslog(syslog, written.line)
    return written


def send_to_syslog(target: str, line: str) -> None:
    """One checkpoint line to a syslog target: a copy the machine's own operator cannot edit."""
    host, _, port = target.rpartition(":")
    address: str | tuple[str, int] = target if target.startswith("/") else (host, int(port))
    handler = SysLogHandler(address=address, facility=SysLogHandler.LOG_AUTH)
    handler.ident = "tukiverkko-checkpoint: "
    try:
        handler.emit(
            logging.LogRecord("tukiverkko.checkpoint", logging.INFO, __file__, 0, line, None, None)
        )
    finally:
        handler.close()
