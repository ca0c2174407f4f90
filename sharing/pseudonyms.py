"""Keyed pseudonyms per study: a study's own key, wrapped under the master keyring.

A research extract (``app.research``) names each client by a pseudonym: HMAC-SHA256,
under the study's own 32 random bytes, of the client's id (domain-separated, truncated to
128 bits, hex). Within one study the pseudonym is stable (its extracts can be joined);
between studies the keys differ, so two studies' pseudonyms cannot be linked. Without the
key no one, even holding every client id, can tie a pseudonym to a client; the key is
stored only wrapped under a master key and bound to its study (``_context``), re-wrapped by
``flask keys rotate`` and destroyed when the study's approval ends.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable

from sharing.keys import Keyring

KEY_BYTES = 32
PSEUDONYM_BYTES = 16
_LABEL = b"tukiverkko/research-pseudonym/v1\x00"


def _context(study_id: uuid.UUID) -> bytes:
    return f"research-study\x00{study_id}".encode()


def new_study_key(keyring: Keyring, study_id: uuid.UUID) -> tuple[str, bytes]:
    """A new random study key, wrapped: (master key id, wrapped key)."""
    return keyring.wrap(secrets.token_bytes(KEY_BYTES), _context(study_id))


def pseudonym(key: bytes, client_id: uuid.UUID) -> str:
    """The client's pseudonym under a study key."""
    digest = hmac.new(key, _LABEL + client_id.bytes, hashlib.sha256).digest()
    return digest[:PSEUDONYM_BYTES].hex()


def pseudonyms(
    keyring: Keyring,
    master_key_id: str,
    wrapped: bytes,
    study_id: uuid.UUID,
    client_ids: Iterable[uuid.UUID],
) -> dict[uuid.UUID, str]:
    """Each client's pseudonym in the study (the key is unwrapped here and kept nowhere)."""
    key = keyring.unwrap(master_key_id, wrapped, _context(study_id))
    return {client_id: pseudonym(key, client_id) for client_id in client_ids}


def rewrap(
    keyring: Keyring, master_key_id: str, wrapped: bytes, study_id: uuid.UUID
) -> tuple[str, bytes]:
    """The study key wrapped anew under the active master key."""
    secret = keyring.unwrap(master_key_id, wrapped, _context(study_id))
    return keyring.wrap(secret, _context(study_id))
