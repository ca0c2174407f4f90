"""The encrypted backup file: a database dump and its manifest under one backup key.

Layout::

    MAGIC | header length (4 bytes, big-endian) | header (JSON) | AES-256-GCM ciphertext

The header is plain (it must be read before anything can be decrypted) and holds only
what opening needs: the format version, the archive's id, the id of the master key that
wraps the backup key, the wrapped backup key and the nonce. The ciphertext holds the
manifest (JSON, with the payload's SHA-256) followed by the payload, and the header is its
associated data: a changed byte anywhere in the file fails authentication. The backup key
is random per archive and stored only wrapped under a master key (bound to the archive id),
so the file never holds a master key, and it opens only with a keyring that holds the
master key that was active when it was written.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sharing.errors import DecryptionError, KeyringError
from sharing.keys import NONCE_BYTES, Keyring

MAGIC = b"TUKIVERKKO-BACKUP\n"
FORMAT_VERSION = 1
_LENGTH = struct.Struct(">I")
_MAX_HEADER = 64 * 1024


class ArchiveError(DecryptionError):
    """Raised when a file is not a backup, was altered, or its key is not in the keyring."""


@dataclass(frozen=True)
class Opened:
    """A backup's authenticated contents."""

    master_key_id: str
    manifest: Mapping[str, Any]
    payload: bytes


def _context(archive_id: str) -> bytes:
    return f"backup\x00{archive_id}".encode()


def seal_archive(keyring: Keyring, manifest: Mapping[str, Any], payload: bytes) -> bytes:
    """The backup file's bytes: ``payload`` and ``manifest`` (plus the payload's checksum and
    the format version) under a fresh backup key wrapped by the active master key."""
    archive_id = str(uuid.uuid4())
    backup_key = AESGCM.generate_key(256)
    master_key_id, wrapped = keyring.wrap(backup_key, _context(archive_id))
    nonce = os.urandom(NONCE_BYTES)
    header = json.dumps(
        {
            "format": FORMAT_VERSION,
            "archive_id": archive_id,
            "master_key_id": master_key_id,
            "wrapped_key": base64.b64encode(wrapped).decode(),
            "nonce": base64.b64encode(nonce).decode(),
        },
        sort_keys=True,
    ).encode()
    full = {
        **manifest,
        "format": FORMAT_VERSION,
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        "payload_bytes": len(payload),
    }
    inner = json.dumps(full, sort_keys=True).encode()
    plaintext = _LENGTH.pack(len(inner)) + inner + payload
    prefix = MAGIC + _LENGTH.pack(len(header)) + header
    return prefix + AESGCM(backup_key).encrypt(nonce, plaintext, prefix)


def master_key_of(blob: bytes) -> str:
    """The id of the master key a backup needs (read from its plain header).

    :raises ArchiveError: when ``blob`` is not a backup of a known format.
    """
    return str(_header(blob)[0]["master_key_id"])


def _header(blob: bytes) -> tuple[dict[str, Any], bytes, bytes]:
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + _LENGTH.size:
        raise ArchiveError("not a Tukiverkko backup file")
    (length,) = _LENGTH.unpack_from(blob, len(MAGIC))
    start = len(MAGIC) + _LENGTH.size
    if length > _MAX_HEADER or len(blob) < start + length:
        raise ArchiveError("the backup file's header is damaged")
    try:
        header = json.loads(blob[start : start + length])
    except ValueError:
        raise ArchiveError("the backup file's header is damaged") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT_VERSION:
        raise ArchiveError(f"unknown backup format (this version reads format {FORMAT_VERSION})")
    return header, blob[: start + length], blob[start + length :]


def open_archive(keyring: Keyring, blob: bytes) -> Opened:
    """Authenticate and decrypt a backup file.

    :raises ArchiveError: when the file is not a backup, any byte of it was changed, or the
        master key that wraps its backup key is not in ``keyring``.
    """
    header, prefix, ciphertext = _header(blob)
    try:
        master_key_id = str(header["master_key_id"])
        wrapped = base64.b64decode(header["wrapped_key"], validate=True)
        nonce = base64.b64decode(header["nonce"], validate=True)
        archive_id = str(header["archive_id"])
    except (KeyError, ValueError, TypeError):
        raise ArchiveError("the backup file's header is damaged") from None
    try:
        backup_key = keyring.unwrap(master_key_id, wrapped, _context(archive_id))
    except KeyringError:
        raise ArchiveError(
            f"the backup was written under master key {master_key_id}, which is not in the "
            "keyring: restore with the keyring archived with the backup"
        ) from None
    except DecryptionError:
        raise ArchiveError("the backup file was altered (its key does not open)") from None
    try:
        plaintext = AESGCM(backup_key).decrypt(nonce, ciphertext, prefix)
    except InvalidTag:
        raise ArchiveError("the backup file was altered (authentication failed)") from None
    (length,) = _LENGTH.unpack_from(plaintext, 0)
    manifest = json.loads(plaintext[_LENGTH.size : _LENGTH.size + length])
    payload = plaintext[_LENGTH.size + length :]
    if hashlib.sha256(payload).hexdigest() != manifest.get("payload_sha256"):
        raise ArchiveError("the backup's content does not match its manifest's checksum")
    return Opened(master_key_id=master_key_id, manifest=manifest, payload=payload)
