"""Key seals: section data keys encrypted to grantees with HPKE (RFC 9180).

Each organisation (and each person grantee) has an X25519 key pair whose private
key is stored only wrapped under a master key. A seal is a data key encrypted to
a grantee's public key, bound by HPKE's ``info`` to the client, the scope, the
grantee, the basis (consent or statutory record) and the data key itself.
A partner's read can only ever open keys sealed to its own grantee key, and a
seal exists only while a live basis covers it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from consent.base import utcnow
from sharing import keys
from sharing.errors import DecryptionError, SharingError
from sharing.models import DataKey, GranteeKey, KeySeal, SealRecord

SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_INFO_LABEL = b"tukiverkko/seal/v1"


class NoSeal(SharingError):
    """Raised when a grantee asks for a data key that is not sealed to it."""

    def __init__(self, message: str, missing: frozenset[uuid.UUID]) -> None:
        super().__init__(message)
        self.missing = missing  # the data keys asked for that are not sealed to the grantee


@dataclass(frozen=True)
class SealTarget:
    """A grantee that must hold the keys of one scope, on one basis."""

    member_id: uuid.UUID
    organisation_id: uuid.UUID | None  # None: a person grantee keyed by member_id
    scope: str
    basis_kind: str
    basis_id: uuid.UUID


@dataclass(frozen=True)
class SealSync:
    created: int
    removed: int
    retired_keys: int


class _KeyFacts(Protocol):
    """What a seal's ``info`` binds of its data key: a ``DataKey``, or a row of its columns."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def client_id(self) -> uuid.UUID: ...
    @property
    def scope(self) -> str: ...


def _grantee_context(grantee_key_id: uuid.UUID) -> bytes:
    return f"grantee-key\x00{grantee_key_id}".encode()


def _info(key: _KeyFacts, grantee_key_id: uuid.UUID, basis_id: uuid.UUID) -> bytes:
    return b"\x00".join(
        (
            _INFO_LABEL,
            key.client_id.bytes,
            key.scope.encode(),
            grantee_key_id.bytes,
            basis_id.bytes,
            key.id.bytes,
        )
    )


def grantee_keys(
    session: Session,
    keyring: keys.Keyring,
    targets: Iterable[tuple[uuid.UUID | None, uuid.UUID | None]],
) -> dict[tuple[uuid.UUID | None, uuid.UUID | None], GranteeKey]:
    """The key pairs of (organisation_id, member_id) grantees, created when missing."""
    wanted = set(targets)
    orgs = {org for org, _ in wanted if org is not None}
    people = {member for org, member in wanted if org is None and member is not None}
    found: dict[tuple[uuid.UUID | None, uuid.UUID | None], GranteeKey] = {}
    if orgs or people:
        rows = session.scalars(
            select(GranteeKey).where(
                GranteeKey.organisation_id.in_(orgs) | GranteeKey.member_id.in_(people)
            )
        )
        for row in rows:
            found[(row.organisation_id, None if row.organisation_id else row.member_id)] = row
    for org, member in wanted:
        ident = (org, None if org else member)
        if ident not in found:
            found[ident] = _new_grantee_key(session, keyring, org, None if org else member)
    return {(org, member): found[(org, None if org else member)] for org, member in wanted}


def _new_grantee_key(
    session: Session, keyring: keys.Keyring, org: uuid.UUID | None, member: uuid.UUID | None
) -> GranteeKey:
    private = X25519PrivateKey.generate()
    grantee = GranteeKey(
        organisation_id=org,
        member_id=member,
        public_key=private.public_key().public_bytes_raw(),
        master_key_id="",
        private_wrapped=b"",
    )
    grantee.master_key_id, grantee.private_wrapped = keyring.wrap(
        private.private_bytes_raw(), _grantee_context(grantee.id)
    )
    session.add(grantee)
    session.flush()
    return grantee


def rewrap_grantee_key(keyring: keys.Keyring, grantee: GranteeKey) -> None:
    """Re-wrap a grantee's private key under the keyring's active master key."""
    context = _grantee_context(grantee.id)
    secret = keyring.unwrap(grantee.master_key_id, grantee.private_wrapped, context)
    grantee.master_key_id, grantee.private_wrapped = keyring.wrap(secret, context)


def sync_seals(
    session: Session,
    keyring: keys.Keyring,
    client_id: uuid.UUID,
    targets: Iterable[SealTarget],
    at: datetime | None = None,
) -> SealSync:
    """Make the client's seals exactly those the live grants require (flushes).

    ``at``: the instant the grants were taken at (the gate's clock), which the seals' records
    name as their making or removal (default: now).

    A seal removed from a key still used for new writes retires that key, so
    content written from now on is under a key the former grantee never held.
    """
    targets = list(targets)
    data_keys = session.scalars(
        select(DataKey).where(DataKey.client_id == client_id, DataKey.destroyed_at.is_(None))
    ).all()
    by_scope: dict[str, list[DataKey]] = {}
    for key in data_keys:
        by_scope.setdefault(key.scope, []).append(key)
    grantees = grantee_keys(session, keyring, {(t.organisation_id, t.member_id) for t in targets})
    required: dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID], SealTarget] = {}
    for target in targets:
        grantee = grantees[(target.organisation_id, target.member_id)]
        for key in by_scope.get(target.scope, []):
            required[(key.id, grantee.id, target.basis_id)] = target
    existing = session.scalars(select(KeySeal).where(KeySeal.client_id == client_id)).all()
    keys_by_id = {key.id: key for key in data_keys}
    removed = retired = 0
    now = utcnow() if at is None else at
    gone: list[uuid.UUID] = []
    for seal in existing:
        if (seal.data_key_id, seal.grantee_key_id, seal.basis_id) in required:
            del required[(seal.data_key_id, seal.grantee_key_id, seal.basis_id)]
            continue
        session.delete(seal)
        gone.append(seal.id)
        removed += 1
        held = keys_by_id.get(seal.data_key_id)
        if held is not None and held.retired_at is None:
            held.retired_at = utcnow()
            retired += 1
    secrets = keys.data_keys_by_id(session, keyring, {key_id for key_id, _, _ in required})
    public = {g.id: X25519PublicKey.from_public_bytes(g.public_key) for g in grantees.values()}
    for (key_id, grantee_id, basis_id), target in required.items():
        sealed_key = keys_by_id[key_id]
        new = KeySeal(
            client_id=client_id,
            data_key_id=key_id,
            grantee_key_id=grantee_id,
            member_id=target.member_id,
            basis_kind=target.basis_kind,
            basis_id=basis_id,
            sealed=SUITE.encrypt(
                secrets[key_id], public[grantee_id], info=_info(sealed_key, grantee_id, basis_id)
            ),
            created_at=now,
        )
        session.add(new)
        session.add(_record_of(new, sealed_key.scope))
    _mark_removed(session, gone, now)
    session.flush()
    return SealSync(created=len(required), removed=removed, retired_keys=retired)


def _record_of(seal: KeySeal, scope: str) -> SealRecord:
    return SealRecord(
        seal_id=seal.id,
        client_id=seal.client_id,
        data_key_id=seal.data_key_id,
        grantee_key_id=seal.grantee_key_id,
        member_id=seal.member_id,
        scope=scope,
        basis_kind=seal.basis_kind,
        basis_id=seal.basis_id,
        created_at=seal.created_at,
    )


def _mark_removed(session: Session, seal_ids: Sequence[uuid.UUID], at: datetime) -> None:
    """Mark the records of removed seals with the instant of removal (one statement)."""
    if seal_ids:
        session.execute(
            update(SealRecord)
            .where(SealRecord.seal_id.in_(seal_ids), SealRecord.removed_at.is_(None))
            .values(removed_at=at)
        )


def open_as_grantee(
    session: Session,
    keyring: keys.Keyring,
    *,
    organisation_id: uuid.UUID | None,
    member_id: uuid.UUID | None,
    data_key_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, bytes]:
    """Open data keys through the seals of one grantee only (one query).

    :raises NoSeal: when any of the keys is not sealed to this grantee.
    :raises DecryptionError: when a seal does not open in its context.
    """
    wanted = set(data_key_ids)
    if not wanted:
        return {}
    statement, grantee = (
        (_OF_ORGANISATION, organisation_id)
        if organisation_id is not None
        else (_OF_MEMBER, member_id)
    )
    # Core, not the ORM: this runs on every partner read, and nothing here is written back.
    rows = session.connection().execute(statement, {"grantee": grantee, "keys": list(wanted)}).all()
    if not rows:
        raise NoSeal("the grantee holds no keys", frozenset(wanted))
    seals = {row.id: row for row in rows if row.id is not None}
    if missing := wanted - seals.keys():
        raise NoSeal(
            f"{len(missing)} data key(s) are not sealed to this grantee", frozenset(missing)
        )
    first = rows[0]
    private = X25519PrivateKey.from_private_bytes(
        keyring.unwrap(
            first.master_key_id, first.private_wrapped, _grantee_context(first.grantee_key_id)
        )
    )
    opened = {}
    for key_id, row in seals.items():
        try:
            opened[key_id] = SUITE.decrypt(
                row.sealed, private, info=_info(row, row.grantee_key_id, row.basis_id)
            )
        except InvalidTag:
            raise DecryptionError("a seal does not open in its context") from None
    return opened


def _grantee_seals(grantee_column: str) -> Select[Any]:
    """The grantee's wrapped private key, with the seals (and their data keys' ``info``
    facts) it holds of the data keys asked for: one row per seal, or one row of the key
    alone when it holds none of them; no row when the grantee has no key pair."""
    grantees, seals, data_keys = GranteeKey.__table__, KeySeal.__table__, DataKey.__table__
    return (
        select(
            grantees.c.id.label("grantee_key_id"),
            grantees.c.master_key_id,
            grantees.c.private_wrapped,
            seals.c.sealed,
            seals.c.basis_id,
            data_keys.c.id,
            data_keys.c.client_id,
            data_keys.c.scope,
        )
        .select_from(grantees)
        .outerjoin(
            seals,
            and_(
                seals.c.grantee_key_id == grantees.c.id,
                seals.c.data_key_id.in_(bindparam("keys", expanding=True)),
            ),
        )
        .outerjoin(data_keys, data_keys.c.id == seals.c.data_key_id)
        .where(grantees.c[grantee_column] == bindparam("grantee"))
    )


# Built once: a partner's every read runs one of them.
_OF_ORGANISATION = _grantee_seals("organisation_id")
_OF_MEMBER = _grantee_seals("member_id")


def unopenable_seals(
    session: Session, keyring: keys.Keyring, client_id: uuid.UUID
) -> set[uuid.UUID]:
    """The client's seals that do not open in their context to the very data key they name
    (altered bytes, or a basis, grantee or key changed in the row, or a wrapped key that no
    longer unwraps): a check for the log review, which learns only which seals fail, never
    a key. Two queries (one more per data key when some data key does not unwrap).
    """
    rows = session.execute(
        select(KeySeal, DataKey, GranteeKey)
        .join(DataKey, DataKey.id == KeySeal.data_key_id)
        .join(GranteeKey, GranteeKey.id == KeySeal.grantee_key_id)
        .where(KeySeal.client_id == client_id, DataKey.destroyed_at.is_(None))
    ).all()
    wanted = {key.id for _, key, _ in rows}
    secrets: dict[uuid.UUID, bytes | None]
    try:
        secrets = dict(keys.data_keys_by_id(session, keyring, wanted))
    except DecryptionError:
        # A data key that does not unwrap: find which, one by one (only on this path).
        secrets = {key_id: _unwrapped(session, keyring, key_id) for key_id in wanted}
    privates: dict[uuid.UUID, X25519PrivateKey | None] = {}
    failed: set[uuid.UUID] = set()
    for seal, key, grantee in rows:
        if grantee.id not in privates:
            try:
                privates[grantee.id] = X25519PrivateKey.from_private_bytes(
                    keyring.unwrap(
                        grantee.master_key_id, grantee.private_wrapped, _grantee_context(grantee.id)
                    )
                )
            except DecryptionError:
                privates[grantee.id] = None
        private = privates[grantee.id]
        try:
            if (
                private is None
                or secrets[key.id] is None
                or SUITE.decrypt(seal.sealed, private, info=_info(key, grantee.id, seal.basis_id))
                != secrets[key.id]
            ):
                failed.add(seal.id)
        except InvalidTag:
            failed.add(seal.id)
    return failed


def _unwrapped(session: Session, keyring: keys.Keyring, key_id: uuid.UUID) -> bytes | None:
    try:
        return keys.data_keys_by_id(session, keyring, [key_id])[key_id]
    except DecryptionError:
        return None


def destroy_client_keys(session: Session, client_id: uuid.UUID, at: datetime) -> int:
    """Crypto-shred: delete the client's seals and destroy every data key (flushes)."""
    gone = []
    for seal in session.scalars(select(KeySeal).where(KeySeal.client_id == client_id)):
        session.delete(seal)
        gone.append(seal.id)
    _mark_removed(session, gone, at)
    count = 0
    for key in session.scalars(
        select(DataKey).where(DataKey.client_id == client_id, DataKey.destroyed_at.is_(None))
    ):
        key.wrapped = None
        key.destroyed_at = at
        key.retired_at = key.retired_at or at
        count += 1
    session.flush()
    return count


def rewrap_grantee_keys(session: Session, keyring: keys.Keyring, limit: int = 200) -> int:
    """Re-wrap up to ``limit`` grantee private keys still under an older master key (flushes)."""
    batch = session.scalars(
        select(GranteeKey)
        .where(GranteeKey.master_key_id != keyring.active_id)
        .order_by(GranteeKey.id)
        .limit(limit)
    ).all()
    for grantee in batch:
        rewrap_grantee_key(keyring, grantee)
    session.flush()
    return len(batch)


def wrapped_grantee_counts(session: Session) -> dict[str, int]:
    """How many grantee private keys each master key wraps."""
    rows = session.execute(
        select(GranteeKey.master_key_id, func.count(GranteeKey.id)).group_by(
            GranteeKey.master_key_id
        )
    ).all()
    return {key_id: count for key_id, count in rows}
