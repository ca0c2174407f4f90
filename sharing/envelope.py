"""Authenticated encryption of one field value under a data key (AES-256-GCM).

The associated data binds each ciphertext to its table, column, row and client,
and to its own header (version and data key id), so a ciphertext copied to
another row, column or client, or relabelled with another key id, fails to open.
Layout: ``version (1) | data key id (16) | nonce (12) | ciphertext and tag``.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from consent.sections import Scope, scope_key
from sharing.errors import DecryptionError

_VERSION = b"\x01"
_HEADER = 1 + 16
_NONCE = 12
_LABEL = b"tukiverkko/field/v1"


@dataclass(frozen=True)
class FieldRef:
    """Where a ciphertext lives, and under which scope's keys: what its associated data binds."""

    table: str
    column: str
    row_id: uuid.UUID
    client_id: uuid.UUID
    scope: Scope

    def associated_data(self) -> bytes:
        return b"\x00".join(
            (
                _LABEL,
                self.table.encode(),
                self.column.encode(),
                self.row_id.bytes,
                self.client_id.bytes,
                scope_key(self.scope).encode(),
            )
        )


def seal(key_id: uuid.UUID, key: bytes, ref: FieldRef, plaintext: bytes) -> bytes:
    """Encrypt ``plaintext`` for the field at ``ref`` under the data key ``key_id``."""
    header = _VERSION + key_id.bytes
    nonce = os.urandom(_NONCE)
    return header + nonce + AESGCM(key).encrypt(nonce, plaintext, header + ref.associated_data())


def key_id_of(blob: bytes) -> uuid.UUID:
    """The id of the data key a ciphertext was sealed under.

    :raises DecryptionError: when the blob is not a version-1 envelope.
    """
    if len(blob) < _HEADER + _NONCE + 16 or blob[:1] != _VERSION:
        raise DecryptionError("not a Tukiverkko field ciphertext")
    return uuid.UUID(bytes=blob[1:_HEADER])


def open_sealed(key: bytes, ref: FieldRef, blob: bytes) -> bytes:
    """Decrypt a field ciphertext.

    :raises DecryptionError: when the key, the context or the bytes are wrong.
    """
    key_id_of(blob)
    header, nonce = blob[:_HEADER], blob[_HEADER : _HEADER + _NONCE]
    try:
        return AESGCM(key).decrypt(nonce, blob[_HEADER + _NONCE :], header + ref.associated_data())
    except InvalidTag:
        raise DecryptionError("ciphertext does not open for this field") from None
