"""Key management: master keys (the keyring) and per-client data keys stored only wrapped.

Key hierarchy::

    master key (KEK, from the environment or the instance key file, never in the database)
      └─ wraps ─ data key (DEK, one per client and scope and generation, row in ``data_keys``)
                   └─ encrypts ─ field ciphertexts (``sharing.envelope``)

Beside the master keys the keyring holds the access log's own keys (``LogKeys``): the
HMAC-SHA256 keys that chain the log's entries and the Ed25519 keys that sign its
checkpoints. They protect integrity, not secrecy, so they have a lifecycle of their own:
rotated by ``flask keys rotate-log``, never retired (an entry names the key that MACed it,
and the log is kept for as long as its entries), untouched by ``flask keys retire``.

This module is the only one that handles raw key bytes; callers get them only
through the functions below, and only ``sharing.gate`` (and, for the log's keys,
``sharing.access_log`` and ``sharing.checkpoints``) calls those.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sharing.errors import DecryptionError, KeyDestroyed, KeyringError
from sharing.models import DataKey

KEY_BYTES = 32
NONCE_BYTES = 12
_WRAP_LABEL = b"tukiverkko/wrap/v1"


LogMac = Callable[[bytes], bytes]
"""HMAC-SHA256 of a message under one log key (``LogKeys.mac``)."""


def _b64(keys: Mapping[str, bytes]) -> dict[str, str]:
    return {k: base64.b64encode(v).decode() for k, v in keys.items()}


def _unb64(doc: Mapping[str, Any]) -> dict[str, bytes]:
    return {str(k): base64.b64decode(v, validate=True) for k, v in doc.items()}


def _new_key_id(prefix: str) -> str:
    return f"{prefix}-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class LogKeys:
    """The access log's keys: HMAC-SHA256 keys chaining entries, Ed25519 keys signing checkpoints.

    New entries are MACed under ``active_mac_id`` and verified under the key each entry names;
    new checkpoints are signed by ``active_signing_id`` and verified by the key each names.
    Every key ever active stays here: a removed MAC key would leave the entries it MACed
    unverifiable, a removed signing key the checkpoints it signed.
    """

    mac_keys: Mapping[str, bytes] = field(repr=False)
    active_mac_id: str
    signing_keys: Mapping[str, bytes] = field(repr=False)  # Ed25519 private keys, raw
    active_signing_id: str

    def __post_init__(self) -> None:
        if self.active_mac_id not in self.mac_keys:
            raise KeyringError(f"active log key {self.active_mac_id!r} is not in the keyring")
        if self.active_signing_id not in self.signing_keys:
            raise KeyringError(
                f"active checkpoint key {self.active_signing_id!r} is not in the keyring"
            )
        for key_id, secret in {**self.mac_keys, **self.signing_keys}.items():
            if len(secret) != KEY_BYTES:
                raise KeyringError(f"log key {key_id!r} must be {KEY_BYTES} bytes")

    @classmethod
    def generate(cls) -> LogKeys:
        """Fresh keys: one MAC key and one signing key, both active."""
        mac_id, signing_id = _new_key_id("lk"), _new_key_id("ck")
        return cls(
            mac_keys={mac_id: secrets.token_bytes(KEY_BYTES)},
            active_mac_id=mac_id,
            signing_keys={signing_id: Ed25519PrivateKey.generate().private_bytes_raw()},
            active_signing_id=signing_id,
        )

    def rotated(self) -> LogKeys:
        """These keys plus a fresh MAC key and a fresh signing key, which become active."""
        fresh = LogKeys.generate()
        return LogKeys(
            mac_keys={**self.mac_keys, **fresh.mac_keys},
            active_mac_id=fresh.active_mac_id,
            signing_keys={**self.signing_keys, **fresh.signing_keys},
            active_signing_id=fresh.active_signing_id,
        )

    def mac(self, key_id: str) -> LogMac | None:
        """HMAC-SHA256 under the named log key (OpenSSL's one-shot HMAC), or None if not held."""
        secret = self.mac_keys.get(key_id)
        return None if secret is None else partial(hmac.digest, secret, digest="sha256")

    def sign(self, data: bytes) -> tuple[str, bytes]:
        """An Ed25519 signature of ``data`` by the active checkpoint key, and that key's id."""
        private = Ed25519PrivateKey.from_private_bytes(self.signing_keys[self.active_signing_id])
        return self.active_signing_id, private.sign(data)

    def public_keys(self) -> dict[str, bytes]:
        """Every checkpoint key's public half (raw 32 bytes), by id: what a verifier needs."""
        return {
            key_id: Ed25519PrivateKey.from_private_bytes(secret).public_key().public_bytes_raw()
            for key_id, secret in self.signing_keys.items()
        }

    def to_doc(self) -> dict[str, Any]:
        return {
            "active_mac": self.active_mac_id,
            "mac_keys": _b64(self.mac_keys),
            "active_signing": self.active_signing_id,
            "signing_keys": _b64(self.signing_keys),
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> LogKeys:
        return cls(
            mac_keys=_unb64(doc["mac_keys"]),
            active_mac_id=str(doc["active_mac"]),
            signing_keys=_unb64(doc["signing_keys"]),
            active_signing_id=str(doc["active_signing"]),
        )


def signature_holds(public_key: bytes, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` is an Ed25519 signature of ``data`` by ``public_key`` (raw bytes)."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Keyring:
    """Master keys by id; new wraps use ``active_id``, unwraps accept any held key.

    ``log`` holds the access log's keys (``LogKeys``); None in a keyring written before they
    existed, until ``flask keys init`` adds them.
    """

    keys: Mapping[str, bytes] = field(repr=False)
    active_id: str
    # Where a fresher keyring comes from (``KeyFile.current``): asked when a wrapped key names
    # a master key this one does not hold, i.e. a rotation began after this keyring was read.
    refresh: Callable[[], Keyring] | None = field(default=None, repr=False, compare=False)
    log: LogKeys | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.active_id not in self.keys:
            raise KeyringError(f"active master key {self.active_id!r} is not in the keyring")
        for key_id, secret in self.keys.items():
            if len(secret) != KEY_BYTES:
                raise KeyringError(f"master key {key_id!r} must be {KEY_BYTES} bytes")

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        """Parse ``{"active": id, "keys": {id: base64}, "log": {...}}`` (``log`` optional).

        :raises KeyringError: when the text is not such a document.
        """
        try:
            doc = json.loads(text)
            keys = {str(k): base64.b64decode(v, validate=True) for k, v in doc["keys"].items()}
            log = LogKeys.from_doc(doc["log"]) if doc.get("log") is not None else None
            return cls(keys=keys, active_id=str(doc["active"]), log=log)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyringError(f"master keys are malformed: {exc}") from exc

    def to_json(self) -> str:
        doc: dict[str, Any] = {"active": self.active_id, "keys": _b64(self.keys)}
        if self.log is not None:
            doc["log"] = self.log.to_doc()
        return json.dumps(doc, indent=2)

    def with_new_active_key(self) -> Keyring:
        """A keyring holding every current key plus a fresh one that becomes active."""
        key_id = new_master_key_id()
        return Keyring(
            keys={**self.keys, key_id: AESGCM.generate_key(256)}, active_id=key_id, log=self.log
        )

    def with_log_keys(self, log: LogKeys) -> Keyring:
        """The same master keys with ``log`` as the access log's keys."""
        return Keyring(keys=self.keys, active_id=self.active_id, log=log)

    def with_active(self, key_id: str) -> Keyring:
        """The same keys with ``key_id`` active: the second step of a rotation on several
        nodes, once every node's key file holds ``key_id``.

        :raises KeyringError: when ``key_id`` is not held.
        """
        if key_id not in self.keys:
            raise KeyringError(f"master key {key_id!r} is not in the keyring")
        return Keyring(keys=self.keys, active_id=key_id, log=self.log)

    def without_key(self, key_id: str) -> Keyring:
        """A keyring holding every current key but ``key_id`` (never the active one).

        :raises KeyringError: when ``key_id`` is the active key or not held.
        """
        if key_id == self.active_id:
            raise KeyringError(f"master key {key_id!r} is the active key")
        if key_id not in self.keys:
            raise KeyringError(f"master key {key_id!r} is not in the keyring")
        rest = {k: v for k, v in self.keys.items() if k != key_id}
        return Keyring(keys=rest, active_id=self.active_id, log=self.log)

    def wrap(self, secret: bytes, context: bytes) -> tuple[str, bytes]:
        """Encrypt a key under the active master key, bound to ``context``."""
        nonce = os.urandom(NONCE_BYTES)
        aad = _WRAP_LABEL + b"\x00" + self.active_id.encode() + b"\x00" + context
        return self.active_id, nonce + AESGCM(self.keys[self.active_id]).encrypt(nonce, secret, aad)

    def unwrap(self, key_id: str, blob: bytes, context: bytes) -> bytes:
        """Decrypt a wrapped key.

        :raises KeyringError: when the master key is not held.
        :raises DecryptionError: when the blob or its context was altered.
        """
        master = self.keys.get(key_id)
        if master is None and self.refresh is not None:
            master = self.refresh().keys.get(key_id)
        if master is None:
            raise KeyringError(f"master key {key_id!r} is not in the keyring")
        aad = _WRAP_LABEL + b"\x00" + key_id.encode() + b"\x00" + context
        try:
            return AESGCM(master).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        except InvalidTag:
            raise DecryptionError("wrapped key does not open in its context") from None


def new_master_key_id() -> str:
    return _new_key_id("mk")


def generate_keyring() -> Keyring:
    key_id = new_master_key_id()
    return Keyring(
        keys={key_id: AESGCM.generate_key(256)}, active_id=key_id, log=LogKeys.generate()
    )


def write_key_file(path: Path, keyring: Keyring) -> None:
    """Write the keyring to ``path`` readable by the owner only, replacing it atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(keyring.to_json())
    os.replace(tmp, path)


class KeyFile:
    """The keyring as its source says now, for a process that outlives a rotation.

    With a ``path`` (the instance key file) every ``current()`` compares the file's inode,
    modification time and size with those of the last read (one ``stat``) and re-reads it
    under a lock when they changed: ``flask keys rotate`` and ``flask keys retire`` replace
    the file atomically, so a running server takes the new keyring on its next request
    without a restart. Each process (each gunicorn worker, each node) reads the file itself:
    the file (or the secret it is provisioned from) is the one source of truth, nothing is
    shared between processes. Without a path the keyring came from ``TUKIVERKKO_MASTER_KEYS``
    and is fixed for the life of the process (a new environment needs a restart).
    """

    def __init__(self, keyring: Keyring, path: Path | None = None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._signature: tuple[int, int, int] | None = self._stat() if path else None
        self._keyring = self._live(keyring)

    def _stat(self) -> tuple[int, int, int] | None:
        assert self._path is not None
        try:
            st = os.stat(self._path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _live(self, keyring: Keyring) -> Keyring:
        if self._path is None:
            return keyring
        return Keyring(
            keys=keyring.keys, active_id=keyring.active_id, refresh=self.current, log=keyring.log
        )

    def current(self) -> Keyring:
        """The keyring the source holds now (re-read when the key file changed).

        A missing or malformed file keeps the last good keyring and is looked at again on
        the next call (an operator editing the file by hand must not stop the server).
        """
        if self._path is None:
            return self._keyring
        signature = self._stat()
        if signature is None or signature == self._signature:
            return self._keyring
        with self._lock:
            if signature != self._signature:
                try:
                    keyring = Keyring.from_json(self._path.read_text())
                except (OSError, KeyringError):
                    return self._keyring
                self._keyring, self._signature = self._live(keyring), signature
        return self._keyring


def _data_key_context(key: DataKey) -> bytes:
    return f"data-key\x00{key.id}\x00{key.client_id}\x00{key.scope}".encode()


def create_data_key(
    session: Session, keyring: Keyring, client_id: uuid.UUID, scope: str
) -> DataKey:
    """Add a new generation of the data key for ``client_id`` and ``scope`` (flushes)."""
    latest = session.scalar(
        select(DataKey)
        .where(DataKey.client_id == client_id, DataKey.scope == scope)
        .order_by(DataKey.generation.desc())
        .limit(1)
    )
    if latest is not None and latest.retired_at is None:
        latest.retired_at = datetime.now(UTC)
    key = DataKey(
        client_id=client_id, scope=scope, generation=(latest.generation + 1) if latest else 1
    )
    key.master_key_id, key.wrapped = keyring.wrap(AESGCM.generate_key(256), _data_key_context(key))
    session.add(key)
    session.flush()
    return key


def current_data_key(
    session: Session, keyring: Keyring, client_id: uuid.UUID, scope: str
) -> tuple[uuid.UUID, bytes, bool]:
    """The id and secret of the key new ciphertexts for this client and scope use,
    and whether it was created just now (so it still needs its seals).
    """
    key = session.scalar(
        select(DataKey).where(
            DataKey.client_id == client_id, DataKey.scope == scope, DataKey.retired_at.is_(None)
        )
    )
    created = key is None
    if key is None:
        key = create_data_key(session, keyring, client_id, scope)
    return key.id, _unwrap(keyring, key), created


def data_keys_by_id(
    session: Session, keyring: Keyring, key_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, bytes]:
    """Unwrap the named data keys in one query.

    :raises KeyDestroyed: when one of them was crypto-shredded.
    :raises DecryptionError: when one is missing or does not unwrap.
    """
    wanted = set(key_ids)
    if not wanted:
        return {}
    rows = session.scalars(select(DataKey).where(DataKey.id.in_(wanted))).all()
    found = {row.id: _unwrap(keyring, row) for row in rows}
    if missing := wanted - found.keys():
        raise DecryptionError(f"{len(missing)} data key(s) do not exist")
    return found


def _unwrap(keyring: Keyring, key: DataKey) -> bytes:
    if key.wrapped is None:
        raise KeyDestroyed(f"data key {key.id} was destroyed")
    return keyring.unwrap(key.master_key_id, key.wrapped, _data_key_context(key))


def rewrap_data_keys(session: Session, keyring: Keyring, limit: int = 200) -> int:
    """Re-wrap up to ``limit`` data keys still under an older master key (flushes).

    Content is never re-encrypted: only the wrapping of its keys changes. Returns
    how many were re-wrapped; 0 means none is left.
    """
    batch = session.scalars(
        select(DataKey)
        .where(DataKey.wrapped.is_not(None), DataKey.master_key_id != keyring.active_id)
        .order_by(DataKey.id)
        .limit(limit)
    ).all()
    for key in batch:
        context = _data_key_context(key)
        secret = _unwrap(keyring, key)
        key.master_key_id, key.wrapped = keyring.wrap(secret, context)
    session.flush()
    return len(batch)


def wrapped_counts(session: Session) -> dict[str, int]:
    """How many live data keys each master key wraps."""
    rows = session.execute(
        select(DataKey.master_key_id, func.count(DataKey.id))
        .where(DataKey.wrapped.is_not(None))
        .group_by(DataKey.master_key_id)
    ).all()
    return {key_id: count for key_id, count in rows}


# -- account secrets -----------------------------------------------------------------------
#
# A secret an account holds besides its password (a staff member's TOTP secret) is not client
# data: no data key or seal is involved. It is wrapped directly under the active master key,
# like an index key, bound to what it is for, whose it is and the row that stores it, so a
# wrapped secret copied to another account or row, or read as another purpose, does not open.
# ``flask keys rotate`` re-wraps it with the rest (``rewrap_account_secret``).


@dataclass(frozen=True)
class AccountSecretRef:
    """What an account secret is bound to: its purpose, its owner and the row that holds it."""

    purpose: str
    owner_id: uuid.UUID
    row_id: uuid.UUID

    def context(self) -> bytes:
        return f"account-secret\x00{self.purpose}\x00{self.owner_id}\x00{self.row_id}".encode()


def seal_account_secret(
    keyring: Keyring, ref: AccountSecretRef, secret: bytes
) -> tuple[str, bytes]:
    """``(master key id, wrapped secret)`` to store for ``ref``: under the active master key."""
    return keyring.wrap(secret, ref.context())


def open_account_secret(
    keyring: Keyring, ref: AccountSecretRef, master_key_id: str, wrapped: bytes
) -> bytes:
    """The secret stored for ``ref``.

    :raises KeyringError: when the master key is not held.
    :raises DecryptionError: when the wrapped secret was altered or belongs elsewhere.
    """
    return keyring.unwrap(master_key_id, wrapped, ref.context())


def rewrap_account_secret(
    keyring: Keyring, ref: AccountSecretRef, master_key_id: str, wrapped: bytes
) -> tuple[str, bytes]:
    """The same secret wrapped under the active master key (key rotation)."""
    return keyring.wrap(keyring.unwrap(master_key_id, wrapped, ref.context()), ref.context())
